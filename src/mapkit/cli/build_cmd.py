"""``mapkit build``: write the interactive map as one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path

from mapkit.cli.common import add_data_argument, add_filter_options, filters_from_args, info

DEFAULT_OUTPUT = Path("output") / "map.html"
#: Validation errors printed before the build gives up (``mapkit validate`` lists them all).
SHOW_PROBLEMS = 5


def register(sub) -> None:
    parser = sub.add_parser(
        "build",
        help="write the interactive map (one self-contained HTML file)",
        description=(
            "Build the interactive map: one HTML file with the sites, filters, list and download "
            "built in, that works offline from file://. Filters given here select the sites that "
            "go into the file (the reader can filter further on the page). The data is validated "
            "first: with any error (see mapkit validate) no map is written."
        ),
        epilog=(
            "examples: mapkit build -o output/map.html --tiles none; "
            "mapkit build --status active --country NL --title 'Active sites in the Netherlands'"
        ),
    )
    add_data_argument(parser)
    parser.add_argument("-o", "--output", default=str(DEFAULT_OUTPUT), metavar="PATH",
                        help=f"HTML file to write (default: {DEFAULT_OUTPUT}); its directory is created")
    parser.add_argument("--title", metavar="TEXT", help="page title (default: the dataset's title)")
    parser.add_argument("--description", metavar="TEXT", help="one-line description (default: the dataset's)")
    parser.add_argument(
        "--tiles", default="default", metavar="default|none|URL",
        help=("basemap: 'default' (CARTO tiles, works from file://), 'none' (no request leaves the "
              "page; country outlines only) or an http(s) URL template with {z}, {x} and {y}"),
    )
    parser.add_argument("--tiles-attribution", metavar="TEXT", help="attribution shown for a URL template's tiles")
    parser.add_argument("--operators", metavar="PATH", help="police bureaus GeoJSON (default: beside the data)")
    parser.add_argument("--countries", metavar="PATH", help="country outlines GeoJSON (default: beside the data)")
    parser.add_argument("--no-operator-lines", dest="operator_lines", action="store_false",
                        help="do not offer the layer of lines from each police bureau to its sites")
    add_filter_options(parser)
    parser.add_argument("--no-validate", dest="validate", action="store_false",
                        help="build even if the data has validation errors (and skip the check, "
                             "which takes a while for very large files)")
    parser.add_argument("--open", action="store_true", help="open the map in the web browser when written")
    parser.set_defaults(run=run)


def run(args) -> int:
    import gc

    # A one-shot command: the cyclic garbage collector would only walk the millions of objects of a
    # large dataset over and over (about a second at 100,000 sites); the data holds no cycles.
    gc.disable()
    from mapkit.filters import filter_frame
    from mapkit.io import load
    from mapkit.render import check_tiles, save_map

    check_tiles(args.tiles)  # fail before loading anything
    if args.validate and not _valid(args):
        return 1
    # events, sources and the like stay JSON text: the page only embeds them. Repeated keys were
    # refused by the validation (or the checks were skipped on purpose).
    frame = load(args.data, nested_as_text=True, strict=False)
    filters = filters_from_args(args)
    shown = filter_frame(frame, **filters) if filters else frame
    path = save_map(
        shown, args.output, title=args.title, description=args.description, tiles=args.tiles,
        tiles_attribution=args.tiles_attribution, operators=args.operators, countries=args.countries,
        operator_lines=args.operator_lines, prefilter=filters or None,
    )
    unlocated = int(shown.geometry.isna().sum() + (shown.geometry.notna() & shown.geometry.is_empty).sum())
    size = path.stat().st_size
    info(f"wrote {path} ({size / 1024:.0f} KB)")
    selected = f" (selected from {len(frame)})" if filters else ""
    info(f"{len(shown)} sites{selected} ({unlocated} not on the map)")
    if args.open:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())
    return 0


def _valid(args) -> bool:
    """Validate the data file; print the first errors and say how to see them all."""
    from mapkit.validation import validate

    report = validate(args.data, operators=args.operators, countries=args.countries)
    errors = report.errors
    if not errors:
        return True
    info(f"mapkit build: {args.data} has {len(errors)} validation error(s); no map written")
    for problem in errors[:SHOW_PROBLEMS]:
        info(f"  {problem}")
    if len(errors) > SHOW_PROBLEMS:
        info(f"  ... and {len(errors) - SHOW_PROBLEMS} more")
    warnings = len(report.warnings)
    also = f" and {warnings} warning(s)" if warnings else ""
    info(f"run 'mapkit validate {args.data}' for all {len(errors)} error(s){also}; "
         "fix them, or build anyway with --no-validate")
    return False
