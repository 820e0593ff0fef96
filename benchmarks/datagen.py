"""Deterministic synthetic site datasets that look like mapkit's (every data-model property).

Each site has the full property set of /work/shared/spec/data-model.md (id, name, country, city,
address, location_precision, mode, status, status_date, opened, closed, operator,
host_organization, reported_by, events, sources, notes): 2 or 3 sources with publisher, title, url,
published, accessed and archive_url; 2 or 3 events each citing the site's own sources. Points sit
near real cities or inside inland boxes of their country; about 1 % have no geometry.
The text fields have the lengths of the shipped dataset's (summaries ~130 characters, titles ~70,
URLs ~95), varied from templates, so the JSON is about as large and as compressible as real data.

Files are written with ``mapkit.io.write_geojson`` (canonical form, like ``geodata/``), with an
``operators.geojson`` and a copy of ``geodata/countries.geojson`` beside them, so that ``mapkit
build`` finds everything it would find for the shipped data.

    python benchmarks/datagen.py 1000 /tmp/sites-1000.geojson
"""

from __future__ import annotations

import json
import random
import re
import shutil
import sys
from pathlib import Path

#: Bump when the generator changes: cached files carry it in their name.
VERSION = 2
SEED = 20261123

REPO = Path(__file__).resolve().parents[1]

# (ISO code, country name, inland box (lon0, lat0, lon1, lat1), cities (name, lon, lat))
COUNTRIES = [
    ("US", "United States", (-100.0, 35.0, -85.0, 42.0),
     [("New York", -73.99, 40.73), ("Los Angeles", -118.24, 34.05), ("San Francisco", -122.42, 37.77),
      ("Houston", -95.37, 29.76), ("Chicago", -87.65, 41.85)]),
    ("CA", "Canada", (-112.0, 50.0, -100.0, 54.0),
     [("Toronto", -79.38, 43.65), ("Vancouver", -123.12, 49.25), ("Montreal", -73.57, 45.50),
      ("Markham", -79.34, 43.86)]),
    ("GB", "United Kingdom", (-2.5, 51.5, -0.5, 53.5),
     [("London", -0.12, 51.51), ("Glasgow", -4.25, 55.86), ("Manchester", -2.24, 53.48),
      ("Birmingham", -1.90, 52.48)]),
    ("IE", "Ireland", (-8.5, 52.5, -7.0, 53.5), [("Dublin", -6.27, 53.34), ("Cork", -8.47, 51.90)]),
    ("FR", "France", (0.5, 44.5, 4.5, 48.0),
     [("Paris", 2.35, 48.86), ("Lyon", 4.84, 45.76), ("Marseille", 5.40, 43.30)]),
    ("ES", "Spain", (-5.5, 38.5, -1.5, 42.0),
     [("Madrid", -3.70, 40.42), ("Barcelona", 2.17, 41.39), ("Valencia", -0.38, 39.47),
      ("Seville", -5.99, 37.39)]),
    ("PT", "Portugal", (-8.3, 38.5, -7.3, 41.5), [("Lisbon", -9.14, 38.72), ("Porto", -8.61, 41.15)]),
    ("IT", "Italy", (10.8, 42.6, 12.3, 43.9),
     [("Milan", 9.19, 45.46), ("Rome", 12.50, 41.90), ("Prato", 11.10, 43.88), ("Florence", 11.25, 43.77),
      ("Venice", 12.33, 45.44), ("Bolzano", 11.35, 46.50)]),
    ("DE", "Germany", (8.0, 50.7, 12.0, 53.0),
     [("Berlin", 13.40, 52.52), ("Frankfurt", 8.68, 50.11), ("Hamburg", 9.99, 53.55)]),
    ("NL", "Netherlands", (5.0, 51.8, 6.5, 52.8), [("Amsterdam", 4.90, 52.37), ("Rotterdam", 4.48, 51.92)]),
    ("BE", "Belgium", (4.0, 50.3, 5.5, 51.0), [("Brussels", 4.35, 50.85), ("Antwerp", 4.40, 51.22)]),
    ("AT", "Austria", (13.0, 47.2, 15.5, 48.2), [("Vienna", 16.37, 48.21)]),
    ("CH", "Switzerland", (7.0, 46.5, 9.0, 47.2), [("Zurich", 8.54, 47.38), ("Geneva", 6.14, 46.20)]),
    ("CZ", "Czechia", (13.5, 49.3, 16.5, 50.2), [("Prague", 14.42, 50.09)]),
    ("HU", "Hungary", (17.5, 46.5, 21.0, 47.8), [("Budapest", 19.04, 47.50)]),
    ("RS", "Serbia", (19.8, 43.5, 21.5, 45.0), [("Belgrade", 20.46, 44.82)]),
    ("RO", "Romania", (23.0, 44.5, 26.5, 47.0), [("Bucharest", 26.10, 44.43)]),
    ("SE", "Sweden", (14.0, 57.5, 16.5, 61.0), [("Stockholm", 18.07, 59.33)]),
    ("NO", "Norway", (9.0, 60.0, 11.0, 62.0), [("Oslo", 10.75, 59.91)]),
    ("PL", "Poland", (17.0, 50.5, 22.0, 53.0), [("Warsaw", 21.01, 52.23)]),
    ("GR", "Greece", (21.5, 38.8, 22.5, 40.0), [("Athens", 23.73, 37.98)]),
    ("UA", "Ukraine", (28.0, 48.6, 35.0, 51.0), [("Kyiv", 30.52, 50.45)]),
    ("RU", "Russia", (40.0, 52.0, 55.0, 57.0), [("Moscow", 37.62, 55.75), ("Saint Petersburg", 30.31, 59.94)]),
    ("TR", "Turkey", (31.0, 37.5, 38.0, 40.0), [("Istanbul", 28.98, 41.01), ("Ankara", 32.86, 39.93)]),
    ("IL", "Israel", (34.8, 31.0, 35.2, 32.5), [("Tel Aviv", 34.78, 32.08)]),
    ("AE", "United Arab Emirates", (54.5, 23.5, 55.5, 24.5), [("Dubai", 55.27, 25.20)]),
    ("ZA", "South Africa", (22.0, -31.0, 26.5, -26.0),
     [("Johannesburg", 28.05, -26.20), ("Cape Town", 18.42, -33.92)]),
    ("NG", "Nigeria", (5.0, 8.0, 10.0, 11.0), [("Lagos", 3.38, 6.45)]),
    ("TZ", "Tanzania", (32.0, -8.0, 36.0, -4.0), [("Dar es Salaam", 39.28, -6.79)]),
    ("LS", "Lesotho", (27.8, -30.0, 28.8, -29.3), [("Maseru", 27.48, -29.31)]),
    ("BR", "Brazil", (-52.0, -20.0, -45.0, -12.0),
     [("Sao Paulo", -46.63, -23.55), ("Rio de Janeiro", -43.20, -22.91)]),
    ("AR", "Argentina", (-66.0, -38.0, -61.0, -31.0), [("Buenos Aires", -58.38, -34.60)]),
    ("CL", "Chile", (-71.0, -35.0, -70.5, -30.0), [("Santiago", -70.65, -33.45)]),
    ("EC", "Ecuador", (-79.0, -2.5, -78.0, -0.5), [("Quito", -78.52, -0.22)]),
    ("AU", "Australia", (135.0, -31.0, 145.0, -22.0),
     [("Sydney", 151.21, -33.87), ("Melbourne", 144.96, -37.81), ("Perth", 115.86, -31.95)]),
    ("NZ", "New Zealand", (175.3, -39.5, 176.3, -38.0), [("Auckland", 174.76, -36.85)]),
    ("JP", "Japan", (138.0, 35.5, 140.0, 36.5), [("Tokyo", 139.69, 35.69), ("Osaka", 135.50, 34.69)]),
    ("KR", "South Korea", (127.0, 35.5, 128.5, 37.0), [("Seoul", 126.98, 37.57)]),
    ("MN", "Mongolia", (100.0, 45.0, 110.0, 48.0), [("Ulaanbaatar", 106.92, 47.92)]),
    ("KH", "Cambodia", (104.0, 12.0, 106.0, 13.5), [("Phnom Penh", 104.92, 11.56)]),
    ("MY", "Malaysia", (101.5, 3.0, 102.5, 5.0), [("Kuala Lumpur", 101.69, 3.14)]),
    ("ID", "Indonesia", (110.0, -7.5, 111.5, -7.0), [("Jakarta", 106.85, -6.21)]),
    ("PH", "Philippines", (120.5, 15.0, 121.3, 17.0), [("Manila", 120.98, 14.60)]),
]

OPERATORS = [  # (id, name, city, province, lon, lat)
    ("fuzhou-psb", "Fuzhou Municipal Public Security Bureau", "Fuzhou", "Fujian", 119.296, 26.074),
    ("qingtian-psb", "Qingtian County Public Security Bureau", "Qingtian", "Zhejiang", 120.290, 28.140),
    ("wenzhou-psb", "Wenzhou Municipal Public Security Bureau", "Wenzhou", "Zhejiang", 120.699, 27.994),
    ("nantong-psb", "Nantong Municipal Public Security Bureau", "Nantong", "Jiangsu", 120.894, 31.980),
    ("lishui-psb", "Lishui Municipal Public Security Bureau", "Lishui", "Zhejiang", 119.922, 28.467),
    ("haian-psb", "Hai'an Municipal Public Security Bureau", "Hai'an", "Jiangsu", 120.467, 32.533),
    ("putian-psb", "Putian Municipal Public Security Bureau", "Putian", "Fujian", 119.008, 25.454),
    ("quanzhou-psb", "Quanzhou Municipal Public Security Bureau", "Quanzhou", "Fujian", 118.676, 24.874),
]

PUBLISHERS = [
    ("Safeguard Defenders", "safeguarddefenders.com"), ("The Guardian", "www.theguardian.com"),
    ("ABC News", "www.abc.net.au"), ("BBC News", "www.bbc.co.uk"), ("CNN", "edition.cnn.com"),
    ("The Irish Times", "www.irishtimes.com"), ("El Correo", "www.elcorreo.com"),
    ("Il Foglio", "www.ilfoglio.it"), ("Radio Free Asia", "www.rfa.org"), ("Reuters", "www.reuters.com"),
    ("Associated Press", "apnews.com"), ("The Globe and Mail", "www.theglobeandmail.com"),
    ("Le Monde", "www.lemonde.fr"), ("De Standaard", "www.standaard.be"), ("NRK", "www.nrk.no"),
    ("Deutsche Welle", "www.dw.com"), ("Nikkei Asia", "asia.nikkei.com"), ("SBS News", "www.sbs.com.au"),
    ("RNZ", "www.rnz.co.nz"), ("The Times of Israel", "www.timesofisrael.com"),
    ("Ministry of Public Security (PRC)", "www.mps.gov.cn"), ("US Department of Justice", "www.justice.gov"),
    ("Royal Canadian Mounted Police", "www.rcmp-grc.gc.ca"), ("Hong Kong Watch", "www.hongkongwatch.org"),
]

HOSTS = ["Overseas Chinese Association", "Chinese Business Association", "Hometown Association",
         "Chinese Community Centre", "Friendship Federation", "Fujian Association", "Zhejiang Chamber of Commerce",
         "Chinese Students and Scholars Association", "Cultural Exchange Foundation", "Trade Promotion Council"]
STREETS = ["Via Roma", "High Street", "Main Street", "Rue de la Paix", "Calle Mayor", "Market Street",
           "Station Road", "Kingsway", "Avenida Central", "Church Street", "Bridge Road", "Park Lane"]
KINDS = ["police service station", "police contact point", "overseas service centre", "liaison office"]

STATUS_WEIGHTS = [("reported", 55), ("closed", 20), ("under_investigation", 20), ("active", 5)]
PRECISION_WEIGHTS = [("address", 15), ("street", 15), ("district", 15), ("city", 35), ("region", 5),
                     ("country", 14), ("none", 1)]
DECIMALS = {"address": 5, "street": 4, "district": 3, "city": 3, "region": 2, "country": 2}
MODE_WEIGHTS = [("unknown", 55), ("physical", 42), ("cloud", 3)]

SUMMARIES = {
    "opened": "{src} reports that the {kind} in {city} was set up by {bureau} in {when}, hosted by a local "
              "community organisation.",
    "reported": "{src} names a {kind} in {city}, {country}, linked to {bureau}, among the sites in its "
                "report on overseas policing.",
    "confirmed": "{src} confirms that a {kind} operated in {city} and handled driving-licence renewals for "
                 "residents from {province}.",
    "investigation": "Authorities in {country} announce an investigation into the reported {kind} in {city} "
                     "after {src} published its findings.",
    "closure_ordered": "The government of {country} orders the {kind} in {city} to close, citing activities "
                       "not declared to the host authorities.",
    "closed": "{src} reports that the {kind} in {city} has closed and that its premises no longer display "
              "any police signage.",
    "arrest": "{src} reports the arrest in {country} of two people suspected of running the {kind} in {city} "
              "on behalf of {bureau}.",
    "charge": "Prosecutors in {country} charge two people over the {kind} in {city}, according to {src}.",
    "conviction": "A court in {country} convicts a man of acting as an agent of {bureau} through the {kind} in "
                  "{city}, {src} reports.",
    "denial": "The Chinese embassy in {country} denies that any police station operates in {city}, calling "
              "the sites volunteer-run service centres.",
    "statement": "{src} quotes a spokesperson for the host organisation in {city} saying it only helped "
                 "residents with paperwork during the pandemic.",
}
TITLES = [
    "Chinese '{kind}' in {city} under scrutiny after NGO report",
    "{country} investigates reported Chinese {kind} in {city}",
    "Inside the {kind} that {bureau} runs in {city}",
    "110 Overseas: {bureau} and its network abroad, {country} edition",
    "Police in {country} look into claims of a Chinese {kind} in {city}",
    "What we know about the alleged {kind} in {city}",
]
NOTES = [
    "{src} gives only the city; the point is the city centre. The host organisation denies any police role.",
    "Reported by {src}; no host-government statement found. The address was published by {src} and has not "
    "been checked on site.",
    "Listed in a later report by {src} without further detail; status unknown since {when}.",
    "Local authorities said in {when} that they were aware of the reports; no charges are known.",
]


def _weighted(rng: random.Random, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _date(rng: random.Random, year0: int, year1: int, precision: str | None = None) -> str:
    year = rng.randint(year0, year1)
    precision = precision or rng.choice(("year", "month", "month", "day", "day", "day"))
    if precision == "year":
        return f"{year}"
    month = rng.randint(1, 12)
    if precision == "month":
        return f"{year}-{month:02d}"
    return f"{year}-{month:02d}-{rng.randint(1, 28):02d}"


def _point(rng: random.Random, precision: str, country, city) -> list[float] | None:
    _, _, box, _ = country
    _, clon, clat = city
    if precision == "none":
        return None
    if precision == "country":
        lon0, lat0, lon1, lat1 = box
        return [round((lon0 + lon1) / 2, 2), round((lat0 + lat1) / 2, 2)]
    if precision == "region":
        lon0, lat0, lon1, lat1 = box
        return [round(rng.uniform(lon0, lon1), 2), round(rng.uniform(lat0, lat1), 2)]
    if precision == "city":
        return [clon, clat]
    # address, street, district: near the city (within about 3 km), or inland in the country box
    if rng.random() < 0.7:
        return [clon + max(-0.03, min(0.03, rng.gauss(0, 0.012))), clat + max(-0.03, min(0.03, rng.gauss(0, 0.012)))]
    lon0, lat0, lon1, lat1 = box
    return [rng.uniform(lon0, lon1), rng.uniform(lat0, lat1)]


def site(rng: random.Random, n: int) -> dict:
    """One synthetic site Feature (the n-th of its dataset)."""
    country = rng.choice(COUNTRIES)
    code, cname, _, cities = country
    city = rng.choice(cities)
    cityname = city[0]
    op = rng.choice(OPERATORS) if rng.random() < 0.6 else None
    bureau = op[1] if op else "a Chinese public security bureau"
    province = op[3] if op else "Fujian"
    kind = rng.choice(KINDS)
    precision = _weighted(rng, PRECISION_WEIGHTS)
    status = _weighted(rng, STATUS_WEIGHTS)
    sid = f"{code.lower()}-{_slug(cityname)}-{n:06d}"

    sources = []
    for k in range(rng.randint(2, 3)):
        publisher, domain = rng.choice(PUBLISHERS)
        published = _date(rng, 2022, 2024, rng.choice(("month", "day", "day")))
        title = rng.choice(TITLES).format(kind=kind, city=cityname, country=cname, bureau=op[2] if op else "Fuzhou police")
        year = published[:4]
        url = f"https://{domain}/{year}/{_slug(title)[:60]}-{rng.randrange(10**6, 10**7)}"
        sources.append({
            "id": f"s{k + 1}", "publisher": publisher, "title": title, "url": url, "published": published,
            "accessed": "2026-11",
            "archive_url": f"https://web.archive.org/web/{year}0101000000/{url}" if rng.random() < 0.3 else None,
        })

    opened = _date(rng, 2016, 2021) if rng.random() < 0.3 else None
    types = ["reported"] + rng.sample(["statement", "investigation", "denial", "confirmed", "arrest", "opened"],
                                      rng.randint(1, 2))
    closed = None
    if status == "closed":
        closed = _date(rng, 2023, 2025)
        types[-1] = "closed"
    events = []
    for t in types:
        cite = rng.sample([s["id"] for s in sources], rng.randint(1, min(2, len(sources))))
        src = next(s["publisher"] for s in sources if s["id"] == cite[0])
        date = closed if t == "closed" else (opened if t == "opened" and opened else _date(rng, 2022, 2024))
        events.append({
            "date": date, "type": t,
            "summary": SUMMARIES[t].format(src=src, kind=kind, city=cityname, country=cname, bureau=bureau,
                                           when=date[:4], province=province),
            "sources": sorted(cite),
        })
    events.sort(key=lambda e: e["date"])
    status_date = closed or max(e["date"] for e in events)

    address = None
    if precision in ("address", "street"):
        number = f"{rng.randint(1, 240)} " if precision == "address" else ""
        address = f"{number}{rng.choice(STREETS)}, {cityname}"
    elif precision == "district":
        address = f"{rng.choice(('North', 'South', 'East', 'West', 'Old Town', 'Chinatown'))} district, {cityname}"
    notes = rng.choice(NOTES).format(src=sources[0]["publisher"], when=status_date[:4]) if rng.random() < 0.6 else None
    props = {
        "id": sid,
        "name": f"{op[2] if op else 'Reported'} {kind}, {cityname}",
        "country": code,
        "city": cityname if precision not in ("country",) else None,
        "address": address,
        "location_precision": precision,
        "mode": _weighted(rng, MODE_WEIGHTS),
        "status": status,
        "status_date": status_date,
        "opened": opened,
        "closed": closed,
        "operator": op[0] if op else None,
        "host_organization": f"{cityname} {rng.choice(HOSTS)}" if rng.random() < 0.4 else None,
        "reported_by": sources[0]["publisher"],
        "events": events,
        "sources": sources,
        "notes": notes,
    }
    coords = _point(rng, precision, country, city)
    if coords is not None:
        places = DECIMALS[precision]
        coords = [round(c, places) + 0.0 for c in coords]
    geometry = None if coords is None else {"type": "Point", "coordinates": coords}
    return {"type": "Feature", "id": sid, "geometry": geometry, "properties": props}


def collection(n: int, seed: int = SEED) -> dict:
    """A FeatureCollection of ``n`` synthetic sites (the same for the same n and seed)."""
    rng = random.Random(seed * 1_000_003 + n)
    return {
        "type": "FeatureCollection",
        "title": f"Synthetic benchmark sites (n={n:,})",
        "description": "Generated by benchmarks/datagen.py for performance measurements; not real data.",
        "version": f"bench-{VERSION}",
        "updated": "2026-11-23",
        "license": "CC0-1.0",
        "citation": "Synthetic data, mapkit benchmarks.",
        "features": [site(rng, i) for i in range(n)],
    }


def operators_collection() -> dict:
    features = []
    for oid, name, city, province, lon, lat in OPERATORS:
        features.append({
            "type": "Feature", "id": oid, "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"id": oid, "name": name, "city": city, "province": province,
                           "sources": [{"id": "s1", "publisher": "Safeguard Defenders",
                                        "title": "110 Overseas: Chinese Transnational Policing Gone Wild",
                                        "url": "https://safeguarddefenders.com/en/blog/110-overseas",
                                        "published": "2022-09", "accessed": "2026-11", "archive_url": None}],
                           "notes": None},
        })
    return {"type": "FeatureCollection", "features": features}


def write_support_files(directory: Path) -> None:
    """operators.geojson (synthetic bureaus) and countries.geojson (the repository's) beside the data."""
    directory.mkdir(parents=True, exist_ok=True)
    ops = directory / "operators.geojson"
    text = json.dumps(operators_collection(), ensure_ascii=False, indent=2) + "\n"
    if not ops.exists() or ops.read_text(encoding="utf-8") != text:
        ops.write_text(text, encoding="utf-8")
    countries = REPO / "geodata" / "countries.geojson"
    target = directory / "countries.geojson"
    if countries.exists() and (not target.exists() or target.stat().st_size != countries.stat().st_size):
        shutil.copyfile(countries, target)


def dataset_path(directory: Path, n: int) -> Path:
    return Path(directory) / f"synthetic-v{VERSION}-{n}.geojson"


def ensure_dataset(directory: Path, n: int) -> Path:
    """The path of the n-site dataset in ``directory``, generated (once) if missing."""
    from mapkit.io import write_geojson

    directory = Path(directory)
    write_support_files(directory)
    path = dataset_path(directory, n)
    if not path.exists():
        write_geojson(collection(n), path)
    return path


if __name__ == "__main__":
    count, out = int(sys.argv[1]), Path(sys.argv[2])
    write_support_files(out.parent)
    from mapkit.io import write_geojson

    write_geojson(collection(count), out)
    print(out)
