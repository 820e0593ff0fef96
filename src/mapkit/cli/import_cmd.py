"""``mapkit import``: add or update sites from a spreadsheet (CSV, XLSX) or a GeoJSON file."""

from __future__ import annotations

import argparse
import json
import sys

from mapkit.schema import DEFAULT_DATA, ON_CONFLICT

EXAMPLES = f"""\
examples:
  mapkit import new_sites.csv --dry-run         # show what would change; write nothing
  mapkit import new_sites.csv                   # merge into {DEFAULT_DATA}
  mapkit build                                  # then rebuild the map
  mapkit import corrections.xlsx --sheet 2 --on-conflict fail
  mapkit import other.geojson --into my/sites.geojson --format json

The template is the research table's layout (docs/curating.md): id, city, country,
address_or_area, latitude, longitude, location_precision, mode, operating_bureau,
host_organisation, date_opened, status, status_date, events, reported_by, sources, notes; the
data model's names (address, operator, opened, closed, host_organization, ...) work too, and
any other column becomes a property. sources: 'publisher|title|url|date' entries separated by
' ;; '. events: 'date: summary [n]' entries separated by '; ', [n] = the n-th source.

Rows merge into sites by id; an empty cell keeps what the site has. A row without coordinates
is placed at its city's centre from the bundled GeoNames gazetteer (location_precision city);
an ambiguous or unknown city is reported with its candidates, never guessed: a region column
(state or province) picks one of several. A new city never moves a point placed finer than a
city (address, street, district): give coordinates to move it. The merged data is
validated first: on any problem nothing is written, every problem is printed (row number,
column, fix) and the exit status is 1.
"""


def register(sub) -> None:
    parser = sub.add_parser(
        "import",
        help="add or update sites from a CSV, XLSX or GeoJSON file",
        description=(
            "Merge the sites of a spreadsheet (CSV, XLSX, ODS) or GeoJSON file into the dataset by id, "
            "placing rows without coordinates offline, validating the result and writing it atomically "
            "in canonical form. Prints a summary: added, updated (with the fields), unchanged, rejected."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", help="the .csv, .xlsx, .ods or .geojson file to import")
    parser.add_argument("--into", default=str(DEFAULT_DATA), metavar="PATH",
                        help=f"the sites file to merge into (default: {DEFAULT_DATA}; created if missing)")
    parser.add_argument("--dry-run", action="store_true", help="check and summarise, write nothing")
    parser.add_argument("--on-conflict", choices=ON_CONFLICT, default="update",
                        help="when a cell differs from the site's value: take the file's (update, the default), "
                             "keep the site's (keep), or report it as an error (fail)")
    parser.add_argument("--sheet", metavar="NAME|N", help="the workbook sheet to read (default: the first)")
    parser.add_argument("--gazetteer", metavar="PATH", help="a gazetteer file to use instead of the bundled one")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="summary format (default: text)")
    parser.set_defaults(run=run)


def run(args) -> int:
    from mapkit.errors import ImportFailed
    from mapkit.importer import import_sites

    try:
        summary = import_sites(
            args.file, into=args.into, dry_run=args.dry_run, on_conflict=args.on_conflict,
            gazetteer=args.gazetteer, sheet=args.sheet,
        )
    except ImportFailed as exc:
        summary = getattr(exc, "summary", None)
        if args.format == "json" and summary is not None:
            print(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2, default=str))
        else:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            if summary is not None:
                print(summary)
        print(f"mapkit import: {len(exc.problems)} problem(s); nothing written to {args.into}", file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        print(summary)
        if summary.written:
            print("next: run 'mapkit validate' and 'mapkit build', then review the diff")
    return 0
