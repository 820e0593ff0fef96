"""``mapkit stats``: count sites by status, country, operator, mode or opening year."""

from __future__ import annotations

import argparse

from mapkit.cli.common import add_data_argument, add_filter_options, filters_from_args

EXAMPLES = """\
examples:
  mapkit stats                                  # sites per status in geodata/contact_points.geojson
  mapkit stats --by country --format markdown   # a Markdown table for a report
  mapkit stats --by year --country IT --country ES
  mapkit stats --by operator --status closed --format csv > closed_by_operator.csv

--by year counts the year of 'opened'; sites with no opening date are counted as 'unknown'.
The filters are the map page's and the exports' (AND across options, OR within a repeated one).
Table and Markdown output end with a total row; CSV and JSON are data only.
"""


def register(sub) -> None:
    from mapkit.summary import BY, FORMATS

    parser = sub.add_parser(
        "stats",
        help="count sites by status, country, operator, mode or year",
        description="Count the sites (after the filters) grouped by one field.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_data_argument(parser)
    parser.add_argument("--by", choices=BY, default="status", help="what to count by (default: status)")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    add_filter_options(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    from mapkit.summary import format_rows, stats

    rows = stats(args.data, by=args.by, **filters_from_args(args))
    print(format_rows(rows, format=args.format, total="sites"), end="")
    return 0
