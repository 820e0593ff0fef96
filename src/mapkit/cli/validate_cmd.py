"""``mapkit validate``: check data files against the data model."""

from __future__ import annotations

import json

from mapkit.cli.common import add_data_argument
from mapkit.schema import DEFAULT_DATA


def register(sub) -> None:
    parser = sub.add_parser(
        "validate",
        help="check data files against the data model",
        description=(
            "Check GeoJSON files against the data model and print every problem (file, site id, "
            "field, bad value, fix) and a summary line. Exits 1 if there is any error, 0 otherwise "
            "(warnings alone do not fail). The file is never modified."
        ),
        epilog="example: mapkit validate geodata/contact_points.geojson --format json",
    )
    add_data_argument(parser, nargs="*")
    parser.add_argument("--operators", metavar="PATH", help="operators GeoJSON (default: beside the data)")
    parser.add_argument("--countries", metavar="PATH", help="country outlines GeoJSON (default: beside the data)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors and the summary, not warnings")
    parser.set_defaults(run=run)


def run(args) -> int:
    from mapkit.validation import validate_many

    paths = args.paths or [str(DEFAULT_DATA)]
    report = validate_many(paths, operators=args.operators, countries=args.countries)
    if args.format == "json":
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        for problem in report.problems:
            if args.quiet and problem.severity != "error":
                continue
            print(problem)
        print(report.summary())
    return 0 if report.ok else 1
