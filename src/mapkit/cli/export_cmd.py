"""``mapkit export``: write the (filtered) sites to a GIS, spreadsheet or database format."""

from __future__ import annotations

import argparse
import textwrap

from mapkit.cli.common import add_data_argument, add_filter_options, filters_from_args, info

EXAMPLES = """\
examples:
  mapkit export -o output/sites.gpkg                       # GeoPackage for QGIS/ArcGIS
  mapkit export -o output/sites.csv --status active        # spreadsheet of active sites
  mapkit export -o output/nl.geojson --country NL          # RFC 7946 GeoJSON, one country
  mapkit export -o output/sites.sql                        # PostGIS: psql -d DB -f output/sites.sql
  mapkit export geodata/contact_points.geojson -o out.dat --format kml
  mapkit export --list-formats                             # every format and what it keeps

The format comes from the extension of -o unless --format is given. Writes are atomic: if the
export fails, any existing file at the path is left as it was. Formats that cannot hold the
collection metadata (licence, citation, ...) get a <file>.meta.json beside the file.
"""


def register(sub) -> None:
    parser = sub.add_parser(
        "export",
        help="export the sites to GeoJSON, GeoPackage, Shapefile, CSV, KML, XLSX, SQL, ...",
        description=textwrap.fill(
            "Export the sites, or the ones the filters select (the same filters as the map), to a "
            "format GIS tools, spreadsheets and databases read. Nothing is lost: every property is "
            "kept, events and sources as JSON (or JSON text plus readable columns in flat formats), "
            "and the dataset's licence and citation go with the file.",
            width=78,
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_data_argument(parser)
    parser.add_argument("-o", "--output", metavar="PATH", help="file to write; its extension picks the format")
    parser.add_argument("--format", metavar="F",
                        help="format name, overriding the extension (see --list-formats)")
    parser.add_argument("--list-formats", action="store_true", help="list the formats and what each keeps, then exit")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress bar on stderr (default: only on a terminal, once an export "
                        "has run for a second; --progress shows it at once, even in a log)")
    add_filter_options(parser)
    parser.set_defaults(run=run, _parser=parser)


def format_table() -> str:
    """The --list-formats text: name, extensions, label and what each keeps."""
    from mapkit.exports import list_formats

    lines = []
    for fmt in list_formats():
        extras = []
        if fmt.sidecar:
            extras.append("+ <file>.meta.json")
        if fmt.needs:
            extras.append(f"needs pip install 'mapkit[{fmt.needs}]'")
        head = f"{fmt.name:<9} {', '.join(fmt.extensions):<28} {fmt.label}"
        if extras:
            head += f" ({'; '.join(extras)})"
        lines.append(head)
        lines.extend(textwrap.wrap(fmt.keeps, width=96, initial_indent=" " * 10, subsequent_indent=" " * 10))
    return "\n".join(lines)


def run(args) -> int:
    if args.list_formats:
        print(format_table())
        return 0
    if not args.output:
        args._parser.error("-o/--output PATH is required (or use --list-formats)")
    from mapkit.exports import plan_export
    from mapkit.filters import describe

    # the format, file name, filters, pyarrow and directory first: a mistake there fails at once,
    # not after the data has been read
    plan = plan_export(args.output, format=args.format, **filters_from_args(args))
    count = plan.write(args.data, progress=args.progress)
    path, fmt = plan.path, plan.format
    if fmt.name == "shp.zip":
        extra = ", metadata inside the zip"
    elif fmt.sidecar:
        extra = f", metadata in {path.name}.meta.json"
    else:
        extra = ""
    sites = "1 site" if count == 1 else f"{count} sites"
    info(f"mapkit export: wrote {sites} ({describe(plan.filters)}) to {path} as {fmt.label}{extra}")
    return 0
