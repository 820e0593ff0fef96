"""Options and helpers shared by several commands (defined once, used everywhere)."""

from __future__ import annotations

import argparse
import sys

from mapkit import schema
from mapkit.filters import FILTER_KEYS
from mapkit.schema import DEFAULT_DATA


def add_data_argument(parser: argparse.ArgumentParser, *, nargs=None) -> None:
    """The positional DATA argument (default: the shipped dataset)."""
    if nargs == "*":
        parser.add_argument(
            "paths", nargs="*", metavar="PATH", help=f"GeoJSON files to check (default: {DEFAULT_DATA})"
        )
    else:
        parser.add_argument(
            "data", nargs="?", default=str(DEFAULT_DATA), metavar="DATA",
            help=f"sites GeoJSON file (default: {DEFAULT_DATA})",
        )


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    """The filter options: the same names as the keyword arguments of mapkit.filter_frame."""
    group = parser.add_argument_group("filters (AND across options, OR within a repeated one)")
    group.add_argument("--status", action="append", choices=schema.STATUSES, metavar="S",
                       help=f"keep sites with this status (repeatable): {', '.join(schema.STATUSES)}")
    group.add_argument("--country", action="append", metavar="CC",
                       help="keep sites in this country, ISO 3166-1 alpha-2 (repeatable)")
    group.add_argument("--mode", action="append", choices=schema.MODES, metavar="M",
                       help=f"keep sites of this mode (repeatable): {', '.join(schema.MODES)}")
    group.add_argument("--operator", action="append", metavar="O",
                       help="keep sites run by this bureau id, e.g. wenzhou-psb (repeatable)")
    group.add_argument("--opened-from", type=int, metavar="YEAR", help="keep sites opened in or after YEAR")
    group.add_argument("--opened-to", type=int, metavar="YEAR", help="keep sites opened in or before YEAR")
    group.add_argument("--text", metavar="T", help="keep sites whose name, city, address, host or operator contain every word")


def filters_from_args(args: argparse.Namespace) -> dict:
    """The filter keyword arguments given on the command line."""
    return {key: getattr(args, key) for key in FILTER_KEYS if getattr(args, key, None) not in (None, [])}


def info(message: str) -> None:
    """A progress or summary line for people (stderr, so stdout stays clean for data)."""
    print(message, file=sys.stderr)
