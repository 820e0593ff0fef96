"""Write the coverage table of ``geodata/README.md`` from the data.

For each country: the number of sites in ``geodata/contact_points.geojson``, how precisely they
are placed, and the counts that Safeguard Defenders (and governments, where they give one)
reported, from ``geodata/reported_counts.csv``; then totals and a list of known gaps. The
table sits between the markers ``<!-- coverage:start -->`` and ``<!-- coverage:end -->``.

    python scripts/coverage.py            # rewrite the table in geodata/README.md
    python scripts/coverage.py --check    # exit 1 if the README differs from the data
    python scripts/coverage.py --print    # print the table only

Counts in the CSV are minimums: ``1+`` means "at least one" (a report lists the country but
the sources seen give no number). The script reads the files as plain JSON and CSV, so it runs
without the package installed.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GEODATA = ROOT / "geodata"
SITES = GEODATA / "contact_points.geojson"
COUNTS = GEODATA / "reported_counts.csv"
README = GEODATA / "README.md"

START = "<!-- coverage:start -->"
END = "<!-- coverage:end -->"
PRECISIONS = ("address", "street", "district", "city", "region", "country", "none")

# Short English names; pycountry's official names ("Korea, Republic of") read badly in a table.
NAMES = {
    "AE": "United Arab Emirates", "AO": "Angola", "AR": "Argentina", "AT": "Austria",
    "AU": "Australia", "BR": "Brazil", "CA": "Canada", "CL": "Chile", "CO": "Colombia",
    "CU": "Cuba", "CZ": "Czechia", "DE": "Germany", "EC": "Ecuador", "ES": "Spain",
    "FR": "France", "GB": "United Kingdom", "GR": "Greece", "HR": "Croatia", "HU": "Hungary",
    "IE": "Ireland", "IL": "Israel", "IT": "Italy", "JP": "Japan", "KR": "South Korea",
    "LS": "Lesotho", "MG": "Madagascar", "MN": "Mongolia", "NG": "Nigeria", "NL": "Netherlands",
    "NZ": "New Zealand", "PA": "Panama", "PE": "Peru", "PT": "Portugal", "RO": "Romania",
    "RS": "Serbia", "RU": "Russia", "SE": "Sweden", "SK": "Slovakia", "TZ": "Tanzania",
    "US": "United States", "ZM": "Zambia",
}


# Gaps that the numbers cannot show (from the research notes); edit as they are closed.
KNOWN_GAPS = (
    "Safeguard Defenders' master table (Patrol and Persuade, reproduced as images by JBpress) "
    "could not be read, so the further countries it counts are not named in any source seen.",
    "Italy: Safeguard Defenders' per-city split was not seen; `it-unlocated`, `it-unlocated-2` "
    "and `it-unlocated-3` stand for the three stations beyond the eight placed in named cities.",
    "Uzbekistan, Cambodia and Brunei rest on one outlet (Ij-Reportika, relayed by Indian media); "
    "no Safeguard Defenders text seen names them.",
    "Japan: the Nantong site is placed nowhere (foreign ministry), in Nagoya (Yukan Fuji's reading "
    "of Patrol and Persuade) and in Fukuoka Prefecture (`jp-fukuoka-nantong`); these may be one "
    "station.",
    "Australia: whether Eastwood, Rydalmere and Safeguard Defenders' Nantong entry are one station.",
    "Canada: whether the Richmond Nantong mall centre is Safeguard Defenders' unlocated Canadian "
    "station; the outcome of the RCMP's Toronto and Vancouver investigations.",
    "United States: Chen Jinping's sentence and the outcome of Lu Jianwang's trial were not found "
    "in a quality source.",
    "Outcomes not reported: Chile (PDI), Portugal (DCIAP), Greece (Hellenic Police), Austria "
    "(interior ministry), Spain (Interior).",
    "Addresses not published for most city-level sites, among them Hendon, the Paris 11e site, "
    "Kőbánya, São Paulo, Buenos Aires and Guayaquil.",
)


def country_name(code: str) -> str:
    if code in NAMES:
        return NAMES[code]
    try:
        import pycountry

        country = pycountry.countries.get(alpha_2=code)
    except (ImportError, LookupError):
        country = None
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


def parse_count(text: str) -> tuple[int, bool] | None:
    """``"3"`` -> (3, False); ``"1+"`` -> (1, True) meaning at least one; empty -> None."""
    text = (text or "").strip()
    if not text:
        return None
    at_least = text.endswith("+")
    number = int(text.rstrip("+"))
    if number < 0:
        raise ValueError(f"negative count: {text!r}")
    return number, at_least


def show_count(count: tuple[int, bool] | None, url: str = "") -> str:
    if count is None:
        return "–"
    number, at_least = count
    text = f"≥{number}" if at_least else str(number)
    return f"[{text}]({url})" if url else text


def load_sites(path: Path = SITES) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [f.get("properties") or {} for f in json.load(fh)["features"]]


def load_counts(path: Path = COUNTS) -> dict[str, dict]:
    rows = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            code = row["country"].strip().upper()
            if code in rows:
                raise ValueError(f"{path.name}: country {code} listed twice")
            for key in ("sd_source_url", "government_source_url"):
                url = (row.get(key) or "").strip()
                if url and not url.startswith(("http://", "https://")):
                    raise ValueError(f"{path.name}: {code}: {key} is not an http(s) URL")
            if row.get("sd_count", "").strip() and not (row.get("sd_source_url") or "").strip():
                raise ValueError(f"{path.name}: {code}: sd_count has no source")
            if row.get("government_count", "").strip() and not (row.get("government_source_url") or "").strip():
                raise ValueError(f"{path.name}: {code}: government_count has no source")
            rows[code] = {
                "sd": parse_count(row.get("sd_count", "")),
                "sd_url": (row.get("sd_source_url") or "").strip(),
                "gov": parse_count(row.get("government_count", "")),
                "gov_url": (row.get("government_source_url") or "").strip(),
                "note": (row.get("note") or "").strip(),
            }
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(sites: list[dict], counts: dict[str, dict]) -> str:
    """The Markdown between the markers: the table, totals and known gaps."""
    by_country: dict[str, Counter] = defaultdict(Counter)
    for props in sites:
        by_country[props.get("country") or "??"][props.get("location_precision") or "none"] += 1
    codes = sorted(set(by_country) | set(counts), key=lambda c: (country_name(c), c))

    header = ["Country", "Sites", *PRECISIONS, "Safeguard Defenders", "Government", "Note"]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---", "---:", *["---:"] * len(PRECISIONS), "---:", "---:", "---"]) + "|",
    ]
    total = Counter()
    sd_min = 0
    sd_open = False
    for code in codes:
        prec = by_country.get(code, Counter())
        n = sum(prec.values())
        total.update(prec)
        row = counts.get(code, {})
        sd, gov = row.get("sd"), row.get("gov")
        if sd:
            sd_min += sd[0]
            sd_open = sd_open or sd[1]
        cells = [
            f"{country_name(code)} ({code})",
            str(n),
            *[str(prec[p]) if prec[p] else "" for p in PRECISIONS],
            show_count(sd, row.get("sd_url", "")),
            show_count(gov, row.get("gov_url", "")),
            _cell(row.get("note", "")),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    n_total = sum(total.values())
    lines.append(
        "| " + " | ".join([
            f"**Total ({len([c for c in codes if by_country.get(c)])} countries)**",
            f"**{n_total}**",
            *[f"**{total[p]}**" if total[p] else "" for p in PRECISIONS],
            f"**{'≥' if sd_open else ''}{sd_min}**",
            "",  # government counts cover different things; no total
            "",
        ]) + " |"
    )

    gaps = []
    for code in codes:
        n = sum(by_country.get(code, Counter()).values())
        row = counts.get(code, {})
        for who, key in (("Safeguard Defenders", "sd"), ("the government", "gov")):
            reported = row.get(key)
            if reported and reported[0] > n:
                gaps.append(
                    f"- {country_name(code)}: {who} reported {show_count(reported)}, "
                    f"the dataset holds {n}."
                )
        if n and code not in counts:
            gaps.append(f"- {country_name(code)}: no reported count recorded in `reported_counts.csv`.")
    unplaced = [p["id"] for p in sites if p.get("location_precision") in ("country", "none")]
    gaps.append(
        f"- {len(unplaced)} sites are known only to their country or have no location: "
        + ", ".join(f"`{i}`" for i in sorted(unplaced)) + "."
    )
    gaps.append(
        "- Safeguard Defenders counts at least 102 stations in 53 countries (December 2022); "
        f"the dataset holds {n_total} sites in {len([c for c in codes if by_country.get(c)])} countries."
    )

    gaps.extend(f"- {text}" for text in KNOWN_GAPS)

    out = [
        "Generated by `python scripts/coverage.py` from `contact_points.geojson` and "
        "`reported_counts.csv` (do not edit by hand; `--check` fails when it is stale). "
        "Counts link to the source of the count; `≥` means the source lists the country "
        "without a number. Sites include some that Safeguard Defenders does not list "
        "(for example the Quebec centres, Belfast, the Australian contact points and the US "
        "overseas Chinese service centres), so a country can hold more sites than the reported count.",
        "",
        *lines,
        "",
        "### Known gaps",
        "",
        *gaps,
    ]
    return "\n".join(out) + "\n"


def splice(readme: str, block: str) -> str:
    if START not in readme or END not in readme:
        raise SystemExit(f"{README}: markers {START} / {END} not found")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{block}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the README table is stale")
    parser.add_argument("--print", action="store_true", dest="print_only", help="print the table only")
    parser.add_argument("--sites", type=Path, default=SITES)
    parser.add_argument("--counts", type=Path, default=COUNTS)
    parser.add_argument("--readme", type=Path, default=README)
    args = parser.parse_args(argv)

    block = render(load_sites(args.sites), load_counts(args.counts))
    if args.print_only:
        sys.stdout.write(block)
        return 0
    current = args.readme.read_text(encoding="utf-8")
    wanted = splice(current, block)
    if args.check:
        if current != wanted:
            print(f"{args.readme}: coverage table is stale; run python scripts/coverage.py", file=sys.stderr)
            return 1
        print(f"{args.readme}: coverage table is up to date")
        return 0
    if current != wanted:
        args.readme.write_text(wanted, encoding="utf-8")
        print(f"{args.readme}: coverage table updated")
    else:
        print(f"{args.readme}: coverage table already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
