"""``mapkit list``: the sites that the filters keep, one line each."""

from __future__ import annotations

import argparse

from mapkit.cli.common import add_data_argument, add_filter_options, filters_from_args, info

EXAMPLES = """\
examples:
  mapkit list                                   # every site, as an aligned table
  mapkit list --status closed --country NL
  mapkit list --operator wenzhou-psb --format csv > wenzhou.csv
  mapkit list --text "qingtian milan" --format json
  mapkit list --columns id,city,status_date,reported_by --format markdown

The filters are the map page's and the exports' (AND across options, OR within a repeated one).
Lists (events, sources) are shown as their number of entries. The count goes to stderr.
"""


def register(sub) -> None:
    from mapkit.summary import FORMATS, LIST_COLUMNS

    parser = sub.add_parser(
        "list",
        help="list the sites the filters keep",
        description="List the sites (after the filters), sorted by id.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_data_argument(parser)
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    parser.add_argument(
        "--columns", metavar="A,B,...",
        help=f"properties to show, comma-separated (default: {','.join(LIST_COLUMNS)})",
    )
    add_filter_options(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    from mapkit.summary import LIST_COLUMNS, format_rows, list_sites

    columns = [c.strip() for c in (args.columns or "").split(",") if c.strip()] or list(LIST_COLUMNS)
    rows = list_sites(args.data, columns=columns, **filters_from_args(args))
    print(format_rows(rows, format=args.format, columns=columns), end="")
    info(f"{len(rows)} site(s)")
    return 0
