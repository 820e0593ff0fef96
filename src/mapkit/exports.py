"""Exporting sites to the formats GIS tools, spreadsheets and databases read, without losing data.

One entry point, :func:`export` (or :func:`plan_export`, which checks the target before any data is
read, then :meth:`ExportPlan.write`), and one table of formats, :data:`FORMATS` (see
:func:`list_formats`). Every export follows the same rules:

* **Same sites as everywhere.** Filters go through :func:`mapkit.filters.filter_frame`, the function
  the map page and the other commands use, so a filter selects the same sites in every place.
* **Nothing is lost.** Every property survives, known or not. Nested ``events`` and ``sources`` stay
  real JSON where the format has JSON (GeoJSON, GeoJSONSeq); elsewhere they are JSON text, one column
  each (never a Python repr), next to readable convenience columns (``source_count``,
  ``first_source_url``, ``sources_text``, ...). A property whose name the format reserves or that
  clashes with another column (ignoring case, in the formats GDAL writes) is renamed, and the renaming
  is written down (``renamed_properties``). The columns are those of the whole frame, so a filtered or
  empty export has the same columns as a full one. A value a format cannot hold whole (Shapefile's 254
  bytes) is written in full to a sidecar. The collection metadata (title, licence, citation, ...) goes
  into the file where the format has a place for it, otherwise into a ``<file>.meta.json`` sidecar.
* **Points only.** A site is a point (or has no known location); an export refuses a frame with any
  other geometry rather than drop it.
* **Atomic.** Everything is written into a temporary directory beside the target, checked (GDAL
  outputs are reopened and their features counted), then renamed into place (each file atomically;
  see :func:`_commit` for what holds for several files). A failed export leaves any existing file at
  the path byte-identical.
* **Deterministic.** The same data gives the same bytes: features sorted by id, no export time
  stamps; GeoPackage's ``last_change`` and the DBF header date are the dataset's ``updated`` date, and
  the XLSX and ``.shp.zip`` archives carry a fixed entry time.
* **Progress.** Preparing and writing advance a progress bar on stderr (GDAL layers are written in
  chunks where the driver can append: the same rows, and deterministic bytes, though a chunked
  GeoPackage lays out its spatial index differently from a single write); by default it appears only on a
  terminal and only once an export has run for more than :data:`PROGRESS_DELAY` seconds.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import errno
import io as _stdio
import json
import math
import os
import re
import shutil
import stat as _stat
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mapkit import __version__, schema
from mapkit.errors import ExportError, MapkitError
from mapkit.filters import FILTER_KEYS, describe, filter_frame, normalize_filters
from mapkit.jsontext import LONE_SURROGATE, JSONText, lone_surrogate_path

# --------------------------------------------------------------------------- the formats


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its name, file extensions, what writes it and what it keeps."""

    name: str
    extensions: tuple[str, ...]
    label: str
    writer: str  # "mapkit" (written by mapkit itself) or the GDAL driver, or "pyarrow"
    keeps: str
    sidecar: bool = False  # writes <file>.meta.json beside the file
    needs: str | None = None  # an optional extra, e.g. "parquet"
    aliases: tuple[str, ...] = field(default=())


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat(
            "geojson", (".geojson", ".json"), "GeoJSON (RFC 7946)", "mapkit",
            "everything: all properties, events and sources as real JSON, Feature id, null geometry, "
            "collection metadata as foreign members; coordinates rounded to the location precision "
            "(at most 6 decimals)",
        ),
        ExportFormat(
            "geojsonl", (".geojsonl", ".ndjson", ".geojsonseq"), "GeoJSON Sequence, newline-delimited (RFC 8142 without RS)",
            "mapkit", "every feature exactly as in .geojson, one per line; collection metadata in the sidecar",
            sidecar=True, aliases=("geojsonseq", "ndjson"),
        ),
        ExportFormat(
            "geojsons", (".geojsons",), "GeoJSON Text Sequence (RFC 8142, RS-separated)", "mapkit",
            "as .geojsonl, each record starting with the RS character (0x1E), as GDAL does for .geojsons",
            sidecar=True,
        ),
        ExportFormat(
            "gpkg", (".gpkg",), "GeoPackage", "GPKG",
            "table 'sites' (every property; events/sources as JSON text + convenience columns), related "
            "tables 'sources' and 'events' keyed by site_id, collection metadata in 'mapkit_metadata' "
            "and gpkg_metadata", aliases=("geopackage",),
        ),
        ExportFormat(
            "fgb", (".fgb",), "FlatGeobuf", "FlatGeobuf",
            "every property (events/sources as JSON text + convenience columns); collection metadata in "
            "the layer metadata of the header; no spatial index if any site has no location",
            aliases=("flatgeobuf",),
        ),
        ExportFormat(
            "shp", (".shp",), "ESRI Shapefile", "ESRI Shapefile",
            "every property under a documented 10-character field name; .cpg UTF-8; values over 254 "
            "bytes cut in the .dbf and written whole to <file>.long_values.csv; metadata and field-name "
            "map in the sidecar", sidecar=True, aliases=("shapefile",),
        ),
        ExportFormat(
            "shp.zip", (".shp.zip",), "ESRI Shapefile, zipped", "ESRI Shapefile",
            "as .shp, with all its files and sidecars in one zip that GDAL and QGIS open directly",
            sidecar=True, aliases=("shpzip", "zip"),
        ),
        ExportFormat(
            "csv", (".csv",), "CSV (UTF-8, longitude/latitude columns)", "CSV",
            "every property; longitude/latitude columns (empty for a site with no location); "
            "events/sources as JSON text + convenience columns; metadata in the sidecar",
            sidecar=True,
        ),
        ExportFormat(
            "kml", (".kml",), "KML (Google Earth)", "LIBKML",
            "Placemark id = site id, <name> = name, every other property as ExtendedData "
            "(events/sources as JSON text); document name/description from the metadata, the rest in "
            "the sidecar", sidecar=True,
        ),
        ExportFormat(
            "xlsx", (".xlsx",), "Excel workbook", "XLSX",
            "sheets 'sites' (every property, longitude/latitude, JSON text + convenience columns), "
            "'sources', 'events' and 'metadata'", aliases=("excel",),
        ),
        ExportFormat(
            "sql", (".sql",), "PostGIS load script (psql)", "PGDUMP",
            "tables sites (geom Point 4326, events/sources as jsonb), sources, events and "
            "mapkit_metadata in schema public; replaces tables of those names",
            aliases=("postgis", "pgdump"),
        ),
        ExportFormat(
            "parquet", (".parquet", ".geoparquet"), "GeoParquet", "pyarrow",
            "every property (events/sources as JSON text + convenience columns); collection metadata "
            "in the Parquet schema metadata under 'mapkit'", needs="parquet", aliases=("geoparquet",),
        ),
    )
}

#: Layer / table names used in the multi-table formats.
SITES_LAYER = "sites"
SOURCES_LAYER = "sources"
EVENTS_LAYER = "events"
METADATA_LAYER = "mapkit_metadata"

#: Convenience columns added to every flat format (after the JSON text columns).
CONVENIENCE_COLUMNS = (
    "source_count",
    "first_source_url",
    "sources_text",
    "event_count",
    "first_event_date",
    "last_event_date",
    "events_text",
)

#: Shapefile field names (dBASE allows 10 characters) for every column mapkit writes itself.
#: Other properties are cut to 10 characters, made unique with a numeric suffix, and listed in
#: the sidecar's ``field_names``.
SHAPEFILE_FIELDS = {
    "id": "id",
    "name": "name",
    "country": "country",
    "city": "city",
    "address": "address",
    "location_precision": "loc_prec",
    "mode": "mode",
    "status": "status",
    "status_date": "status_dt",
    "opened": "opened",
    "closed": "closed",
    "operator": "operator",
    "host_organization": "host_org",
    "reported_by": "reported",
    "notes": "notes",
    "events": "events",
    "sources": "sources",
    "source_count": "src_count",
    "first_source_url": "src_url1",
    "sources_text": "src_text",
    "event_count": "evt_count",
    "first_event_date": "evt_first",
    "last_event_date": "evt_last",
    "events_text": "evt_text",
    "truncated": "truncated",
}
#: The most bytes a dBASE text field holds.
SHAPEFILE_MAX_BYTES = 254
#: The most characters an Excel cell holds.
XLSX_MAX_CHARS = 32767
#: The foreign member that describes a filtered export in GeoJSON output.
EXPORT_MEMBER = "mapkit_export"
#: Fixed time for archive entries (the earliest a zip can hold), so archives are reproducible.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def list_formats() -> list[ExportFormat]:
    """Every export format, in the order ``mapkit export --list-formats`` shows them."""
    return list(FORMATS.values())


def format_for(path: str | os.PathLike, format: str | None = None) -> ExportFormat:
    """The export format for ``path``: ``format`` if given (a name or alias), else from the extension."""
    path = Path(path)
    if format:
        wanted = str(format).strip().lower().lstrip(".")
        for fmt in FORMATS.values():
            if wanted == fmt.name or wanted in fmt.aliases or "." + wanted in fmt.extensions:
                return fmt
        raise ExportError(
            f"{path}: unknown export format {format!r}; use one of: {', '.join(FORMATS)} "
            "(mapkit export --list-formats shows what each keeps)"
        )
    name = path.name.lower()
    # longest extension first, so .shp.zip wins over .zip
    candidates = sorted(
        ((ext, fmt) for fmt in FORMATS.values() for ext in fmt.extensions), key=lambda p: -len(p[0])
    )
    for ext, fmt in candidates:
        if name.endswith(ext) and len(name) > len(ext):
            return fmt
    suffix = "".join(path.suffixes) or "(none)"
    raise ExportError(
        f"{path}: cannot tell the export format from the extension {suffix}; use one of "
        f"{', '.join(ext for f in FORMATS.values() for ext in f.extensions[:1])} or pass --format"
    )



# --------------------------------------------------------------------------- reserved names

#: Columns every flat format gets besides the properties. ``events`` and ``sources`` are the
#: properties themselves (as JSON text): only another spelling of them (``Sources``) is renamed.
GENERATED_COLUMNS = ("events", "sources", *CONVENIENCE_COLUMNS)
#: The coordinate columns of CSV and XLSX.
COORDINATE_COLUMNS = ("longitude", "latitude")
#: Fields GDAL's LIBKML driver maps to KML elements of their own instead of ExtendedData (see
#: GDAL's LIBKML driver documentation, "Fields"); a property of such a name would become, say, the
#: Placemark's <TimeSpan>, its icon or a NetworkLink (losing the point), or be read back as
#: something else. The site's ``name`` is meant to be the Placemark's <name>.
KML_SPECIAL_FIELDS = (
    "name", "description", "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude",
    "visibility", "drawOrder", "icon", "snippet", "heading", "tilt", "roll", "model", "scale_x",
    "scale_y", "scale_z", "networklink", "networklink_refreshvisibility", "networklink_flytoview",
    "networklink_refreshmode", "networklink_refreshinterval", "networklink_viewrefreshmode",
    "networklink_viewrefreshtime", "networklink_viewboundscale", "networklink_viewformat",
    "networklink_httpquery", "camera_longitude", "camera_latitude", "camera_altitude",
    "camera_altitudemode", "photooverlay", "leftfov", "rightfov", "bottomfov", "topfov", "near",
    "shape", "imagepyramid_tilesize", "imagepyramid_maxwidth", "imagepyramid_maxheight",
    "imagepyramid_gridorigin", "OGR_STYLE",
)
#: Per format, the names a property of the sites table may not have besides GENERATED_COLUMNS:
#: the feature id and geometry columns GDAL writes (GPKG ``fid``/``geom``, PGDUMP
#: ``ogc_fid``/``geom``), the Shapefile's ``truncated`` column, CSV/XLSX coordinates, the KML
#: special fields, and ``geometry``, the geometry column of every frame handed to GDAL or pyarrow.
RESERVED_NAMES: dict[str, tuple[str, ...]] = {
    "gpkg": ("fid", "geom", "geometry"),
    "fgb": ("geometry",),
    "shp": ("truncated", "geometry"),
    "shp.zip": ("truncated", "geometry"),
    "csv": COORDINATE_COLUMNS,
    "kml": (*KML_SPECIAL_FIELDS, "geometry"),
    "xlsx": COORDINATE_COLUMNS,
    "sql": ("ogc_fid", "geom", "geometry"),
    "parquet": ("geometry",),
}
#: Per format with ``sources`` and ``events`` tables, the names an item key may not have there
#: (besides ``site_id`` and ``position``, the key columns).
RESERVED_ITEM_KEYS: dict[str, tuple[str, ...]] = {"gpkg": ("fid",), "xlsx": (), "sql": ("ogc_fid",)}
#: Characters LIBKML writes unescaped into a field name (an XML attribute): the file would not parse.
_KML_UNSAFE = re.compile(r'[&<>"]')
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _fold(name: str) -> str:
    """``name`` lower-cased in ASCII only: how SQLite and GDAL compare column names."""
    return str(name).translate(_ASCII_LOWER)


def _renames(
    names: Iterable[str],
    reserved: Iterable[str],
    *,
    ignore_case: bool,
    keep: Iterable[str] = (),
    sanitize: Callable[[str], str] | None = None,
) -> dict[str, str]:
    """Which of ``names`` (in order) must be renamed, and to what: a name in ``reserved`` (unless it
    is exactly one of ``keep``), one equal to an earlier name (ignoring case if ``ignore_case``), or
    one ``sanitize`` changes. The new name is ``<name>_property`` (the sanitized name, if that
    alone is free), with ``_`` added until it is unique."""
    key = _fold if ignore_case else str
    names = list(names)
    keep = set(keep)
    reserved_keys = {key(r) for r in reserved}
    taken = reserved_keys | {key(n) for n in names}
    seen: set[str] = set()
    out: dict[str, str] = {}
    for name in names:
        k = key(name)
        clean = sanitize(name) if sanitize else name
        if clean != name or (name not in keep and (k in reserved_keys or k in seen)):
            candidates = ([clean] if clean != name else []) + [f"{clean}_property"]
            new = next((c for c in candidates if key(c) not in taken), None)
            if new is None:
                new = candidates[-1]
                while key(new) in taken:
                    new += "_"
            out[name] = new
            k = key(new)
            taken.add(k)
        seen.add(k)
    return out


def _kml_safe(name: str) -> str:
    return _KML_UNSAFE.sub("_", str(name))


# --------------------------------------------------------------------------- the entry point


@dataclass(frozen=True)
class ExportPlan:
    """A checked export target: the path, its format and the normalised filters.

    :func:`plan_export` makes one before any data is read (a bad format, directory or filter
    fails at once); :meth:`write` then writes the sites.
    """

    path: Path
    format: ExportFormat
    filters: dict

    def write(self, frame_or_path, *, progress: bool | None = None) -> int:
        """Write the sites (a frame, or the path of a sites GeoJSON) that the filters select;
        return how many were written. ``progress`` as for :func:`export`."""
        if isinstance(frame_or_path, (str, os.PathLike)):
            from mapkit.io import load

            frame = load(frame_or_path)
        else:
            frame = frame_or_path
        _check_target(self.path)  # again: the directory may have gone while the data was read
        selected = filter_frame(frame, **self.filters)
        with _progress(self, len(selected), progress) as tracker:
            job = _Job.prepare(frame, selected, self, tracker)
            writer = _WRITERS[self.format.name]
            with _staging(self.path, job.explain_failure) as stage:
                files = writer(job, stage)
                _verify(job, stage, files)
                _commit(stage, self.path.parent, files, self.path.name)
        return len(job.features)


def plan_export(path: str | os.PathLike, *, format: str | None = None, **filters) -> ExportPlan:
    """Check an export target before any data is read: the format (from ``format`` or the
    extension), the file name, the filters, pyarrow for GeoParquet, and the directory.

    Raises ExportError (or FilterError for a bad filter value) with a one-line message.
    """
    path = Path(path)
    if path.is_dir():
        raise ExportError(f"{path}: is a directory; give a file name, e.g. {path / 'sites.gpkg'}")
    fmt = format_for(path, format)
    if fmt.name == "shp" and not path.name.lower().endswith(".shp"):
        raise ExportError(
            f"{path}: a Shapefile is several files named after the .shp; end the name in .shp, "
            "or use format shp.zip for a single file"
        )
    unknown = sorted(set(filters) - set(FILTER_KEYS))
    if unknown:
        raise ExportError(
            f"{path}: unknown filter {unknown[0]!r}; the filters are: {', '.join(FILTER_KEYS)}"
        )
    chosen = normalize_filters(**filters)
    if fmt.name == "parquet":
        _require_pyarrow(path)
    _check_target(path)
    return ExportPlan(path=path, format=fmt, filters=chosen)


def export(
    frame_or_path,
    path: str | os.PathLike,
    *,
    format: str | None = None,
    progress: bool | None = None,
    **filters,
) -> Path:
    """Write the sites (a frame from :func:`mapkit.load`, or the path of a sites GeoJSON) to ``path``.

    ``format`` is a name from :func:`list_formats` (default: from the extension of ``path``).
    ``filters`` are those of :func:`mapkit.filter_frame` (``status``, ``country``, ``mode``,
    ``operator``, ``opened_from``, ``opened_to``, ``text``). ``progress``: None shows a progress bar
    on stderr when stderr is a terminal and the export has run for more than a second, False
    never, True at once (terminal or not).

    Returns the path written. Raises ExportError (nothing at ``path`` changed) when the export
    cannot be written, FilterError for a bad filter value, DataFileError for unreadable input.
    The target is checked before the data is read (see :func:`plan_export`).
    """
    plan = plan_export(path, format=format, **filters)
    plan.write(frame_or_path, progress=progress)
    return plan.path


# --------------------------------------------------------------------------- preparing rows

#: Sites converted (and progress ticked) at a time while preparing.
PREPARE_CHUNK = 500
#: GDAL layers are written (appended) in chunks of at least this many rows ...
WRITE_CHUNK_MIN = 2000
#: ... and in about this many chunks for a large export.
WRITE_CHUNKS = 20


def _write_chunk_rows(rows: int) -> int:
    return max(WRITE_CHUNK_MIN, -(-rows // WRITE_CHUNKS), 1)


def _chunks(items: list, size: int = PREPARE_CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _json_text(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _cell_kind(value) -> str | None:
    """The column type one value needs: str, bool, int, float, json, or None for a missing value.
    Takes plain JSON values (as in a feature) and frame cells (numpy scalars, NaN, NaT, pd.NA,
    time stamps, JSON text) alike, judging each as its JSON form would be judged."""
    if value is None:
        return None
    kind = type(value)
    if kind is str:
        return "str"
    if kind is bool:
        return "bool"
    if kind is int:
        return "int" if -(2**63) <= value < 2**63 else "json"  # beyond int64: JSON text
    if kind is float:
        if value != value:
            return None
        return "float" if math.isfinite(value) else "json"
    if isinstance(value, JSONText):
        return "json"
    if isinstance(value, str):
        return "str"
    if isinstance(value, (list, tuple, Mapping)):
        return "json"
    module = kind.__module__.split(".")[0]
    if module == "numpy" and hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return _cell_kind(value.item())
    if module == "pandas" and repr(value) in ("<NA>", "NaT"):
        return None
    if hasattr(value, "isoformat"):
        return "str"
    return "json"


def _kinds(values: list) -> set[str]:
    """The kinds of ``values`` (missing ones left out)."""
    types = set(map(type, values))
    if types <= {str, type(None)}:  # by far the most common column: no per-value look
        return {"str"} if str in types else set()
    return {k for k in map(_cell_kind, values) if k is not None}


def _kind_of(kinds: set[str]) -> str:
    """One column type for a set of kinds: mixed ints and floats are float, other mixes JSON text."""
    if not kinds:
        return "str"
    if kinds == {"int", "float"}:
        return "float"
    if len(kinds) == 1:
        return next(iter(kinds))
    return "json"


@dataclass
class _Column:
    name: str  # the column name (a property, possibly renamed, or a generated column)
    kind: str  # str, bool, int, float, json
    values: list


def _typed_columns(records: list[Mapping], names: Iterable[str], *, json_always=(),
                   more_kinds: Mapping[str, set] | None = None) -> list[_Column]:
    """One column per name; ``more_kinds``: kinds seen for a name elsewhere (in the sites a filter
    left out), so a filtered export types its columns as a full one does."""
    columns = []
    for name in names:
        values = [r.get(name) for r in records]
        if name in json_always:
            kind = "json"
        else:
            kind = _kind_of(_kinds(values) | set((more_kinds or {}).get(name, ())))
        if kind == "json":
            values = [None if v is None else _json_text(v) for v in values]
        columns.append(_Column(name, kind, values))
    return columns


def _text(value) -> str:
    return "" if value is None else str(value)


def _convenience(props: Mapping) -> dict:
    sources = props.get("sources")
    sources = sources if isinstance(sources, list) else []
    events = props.get("events")
    events = events if isinstance(events, list) else []
    source_dicts = [s for s in sources if isinstance(s, Mapping)]
    event_dicts = [e for e in events if isinstance(e, Mapping)]
    urls = [s.get("url") for s in source_dicts if isinstance(s.get("url"), str)]
    dates = sorted(
        (e["date"] for e in event_dicts if schema.is_partial_date(e.get("date"))), key=schema.earliest_day
    )

    def source_line(s: Mapping) -> str:
        head = ": ".join(p for p in (_text(s.get("publisher")), _text(s.get("title"))) if p)
        if s.get("published"):
            head = f"{head} ({s['published']})" if head else f"({s['published']})"
        return " ".join(p for p in (head, _text(s.get("url"))) if p)

    def event_line(e: Mapping) -> str:
        head = " ".join(p for p in (_text(e.get("date")), _text(e.get("type"))) if p)
        return ": ".join(p for p in (head, _text(e.get("summary"))) if p)

    return {
        "source_count": len(sources),
        "first_source_url": urls[0] if urls else None,
        "sources_text": "; ".join(source_line(s) for s in source_dicts) or None,
        "event_count": len(events),
        "first_event_date": dates[0] if dates else None,
        "last_event_date": dates[-1] if dates else None,
        "events_text": "; ".join(event_line(e) for e in event_dicts) or None,
    }


_NESTED = ("events", "sources")


def _check_points(selected, path: Path) -> None:
    """Refuse any geometry but a point (or none): the data model has points only, and a GDAL layer
    typed Point, the CSV coordinate columns and the map would each handle another one differently."""
    if not len(selected):
        return
    geoms = selected.geometry
    types = geoms.geom_type
    bad = (types.notna() & (types != "Point") & ~geoms.is_empty).to_numpy()
    if not bad.any():
        return
    found = sorted(zip((str(v) for v in (selected["id"] if "id" in selected else selected.index)[bad]),
                       types[bad]))  # in the order the sites are written
    ids, kinds = [i for i, _ in found], [k for _, k in found]
    more = ""
    if len(ids) > 1:
        more = f" (and {len(ids) - 1} more: {', '.join(ids[1:6])}{', ...' if len(ids) > 6 else ''})"
    raise ExportError(
        f"{path}: site {ids[0]!r} has a {kinds[0]} geometry{more}; every site is a Point, or has "
        "geometry null when its location is not known; replace it with a point (e.g. its centroid) "
        "or null; nothing was written"
    )


def _frame_kinds(frame, names: Iterable[str]) -> dict[str, set]:
    """The kinds of every value of the named columns in the whole frame."""
    return {name: _kinds(frame[name].tolist()) for name in names if name in frame}


def _item_schema(values: Iterable) -> dict[str, set]:
    """Key -> kinds of the items of ``sources`` or ``events`` values (lists, or JSON text)."""
    out: dict[str, set] = {}
    for items in values:
        if isinstance(items, JSONText):
            items = items.value()
        if not isinstance(items, list):
            continue
        for item in items:
            row = item if isinstance(item, Mapping) else {"value": item}
            for key, value in row.items():
                kind = _cell_kind(value)
                kinds = out.setdefault(key, set())
                if kind is not None:
                    kinds.add(kind)
    return out


@dataclass
class _Job:
    """Everything a writer needs: the features, their flat form, the metadata and the target."""

    path: Path
    format: ExportFormat
    collection: dict  # the RFC 7946 FeatureCollection (canonical, features sorted by id)
    features: list[dict]
    metadata: dict  # collection foreign members (title, licence, ...)
    export_info: dict  # format, filter, count, mapkit version
    filtered: bool
    progress: _Progress
    names: list[str] = field(default_factory=list)  # every property of the frame, in column order
    frame_kinds: dict = field(default_factory=dict)  # property -> kinds in the sites left out
    item_names: dict = field(default_factory=dict)  # "sources"/"events" -> item keys, in order
    item_kinds: dict = field(default_factory=dict)  # "sources"/"events" -> key -> kinds (left out)
    renamed: dict = field(default_factory=dict)  # property -> column name (this format)
    renamed_items: dict = field(default_factory=dict)  # "sources"/"events" -> key -> column name
    notes: dict = field(default_factory=dict)  # format-specific additions to the sidecar

    @classmethod
    def prepare(cls, frame, selected, plan: ExportPlan, progress: _Progress) -> _Job:
        from mapkit.io import canonical_collection, canonical_feature, features_kind, sort_key, to_feature_collection

        path, fmt, chosen = plan.path, plan.format, plan.filters
        _check_points(selected, path)
        if selected.crs is not None and not selected.crs.equals("EPSG:4326"):
            selected = selected.to_crs("EPSG:4326")
        meta = {k: v for k, v in dict(frame.attrs.get("collection") or {}).items() if k != EXPORT_MEMBER}
        head = canonical_collection({"type": "FeatureCollection", **meta, "features": []})
        del head["features"]
        columns = [c for c in frame.columns if c != frame.geometry.name]

        # the canonical features (as mapkit.io.canonical_collection makes them), a chunk at a time
        progress.start("preparing")
        features: list[dict] = []
        order = None
        for start in range(0, len(selected), PREPARE_CHUNK):
            part = to_feature_collection(selected.iloc[start:start + PREPARE_CHUNK], metadata={})["features"]
            if order is None:  # as canonical_collection tells, from the first features
                order = schema.OPERATOR_ORDER if features_kind(part) == "operators" else schema.PROPERTY_ORDER
            features.extend(canonical_feature(f, order=order) for f in part)
            progress.tick(len(part))
        features.sort(key=sort_key)
        if order is None:  # nothing selected: the columns tell
            order = schema.OPERATOR_ORDER if "province" in columns and "status" not in columns else schema.PROPERTY_ORDER

        info = {
            "format": fmt.name,
            "file": path.name,
            "sites": len(features),
            "filter": chosen,
            "filter_text": describe(chosen),
            "exported_by": f"mapkit {__version__}",
        }
        job = cls(
            path=path,
            format=fmt,
            collection={**head, "features": features},
            features=features,
            metadata={k: v for k, v in head.items() if k != "type"},
            export_info=info,
            filtered=bool(chosen),
            progress=progress,
        )
        if fmt.writer == "mapkit":
            return job

        # the columns: every property of the whole frame (not only of the sites selected), the data
        # model's first, so a filtered or empty export has the columns of a full one
        job.names = [n for n in order if n in columns] + sorted((c for c in columns if c not in order), key=str)
        subset = len(selected) < len(frame)
        if subset:
            job.frame_kinds = _frame_kinds(frame, [n for n in job.names if n not in _NESTED])
        reserved = (*GENERATED_COLUMNS, *RESERVED_NAMES.get(fmt.name, ()))
        job.renamed = _renames(
            job.names, reserved, ignore_case=fmt.writer != "pyarrow",
            keep={*_NESTED, *(("name",) if fmt.name == "kml" else ())},
            sanitize=_kml_safe if fmt.name == "kml" else None,
        )
        if job.renamed:
            job.notes["renamed_properties"] = dict(job.renamed)
        if fmt.name in RESERVED_ITEM_KEYS:
            for key in _NESTED:
                seen = _item_schema(f["properties"].get(key) for f in features)
                if subset and key in frame:
                    everywhere = _item_schema(frame[key].tolist())
                    job.item_kinds[key] = everywhere
                    seen = {**everywhere, **{k: seen[k] | everywhere.get(k, set()) for k in seen}}
                item_order = schema.SOURCE_ORDER if key == "sources" else schema.EVENT_ORDER
                job.item_names[key] = [*item_order, *sorted((k for k in seen if k not in item_order), key=str)]
                renamed = _renames(job.item_names[key], ("site_id", "position", *RESERVED_ITEM_KEYS[fmt.name]),
                                   ignore_case=True)
                if renamed:
                    job.renamed_items[key] = renamed
            if job.renamed_items:
                job.notes["renamed_item_keys"] = dict(job.renamed_items)
        return job

    @property
    def main(self) -> str:
        """The main file's name while staged: the format's own extension, whatever the target is
        called (GDAL picks options by extension, and warns about a GeoPackage named otherwise)."""
        if self.format.name == "shp":
            return self.path.name
        return "export" + self.format.extensions[0]

    # ---- flat rows shared by every format that has no nested JSON

    def flat_columns(self, *, coordinates: bool = False) -> list[_Column]:
        """One column per property of the frame (nested ones as JSON text, renamed where the format
        reserves the name), the convenience columns, and optionally longitude/latitude."""
        self.progress.start("columns")
        names = [n for n in self.names if n not in _NESTED]
        values: dict[str, list] = {n: [] for n in names}
        nested: dict[str, list] = {n: [] for n in _NESTED}
        extra: dict[str, list] = {n: [] for n in CONVENIENCE_COLUMNS}
        lon: list = []
        lat: list = []
        for chunk in _chunks(self.features):
            props = [f["properties"] for f in chunk]
            for name in names:
                values[name].extend([p.get(name) for p in props])
            for name in _NESTED:
                nested[name].extend([None if p.get(name) is None else _json_text(p.get(name)) for p in props])
            for p in props:
                for name, value in _convenience(p).items():
                    extra[name].append(value)
            if coordinates:
                for feature in chunk:
                    geometry = feature.get("geometry") or {}
                    coords = geometry.get("coordinates") if geometry.get("type") == "Point" else None
                    lon.append(coords[0] if coords else None)
                    lat.append(coords[1] if coords else None)
            self.progress.tick(len(chunk))
        columns = []
        for name in names:
            column = values[name]
            kind = _kind_of(_kinds(column) | self.frame_kinds.get(name, set()))
            if kind == "json":
                column = [None if v is None else _json_text(v) for v in column]
            columns.append(_Column(self.renamed.get(name, name), kind, column))
        if coordinates:
            at = names.index("location_precision") + 1 if "location_precision" in names else 1
            columns[at:at] = [_Column("longitude", "float", lon), _Column("latitude", "float", lat)]
        for name in _NESTED:
            columns.append(_Column(name, "json", nested[name]))
        for name in CONVENIENCE_COLUMNS:
            columns.append(_Column(name, "int" if name.endswith("_count") else "str", extra[name]))
        self.notes["json_columns"] = [c.name for c in columns if c.kind == "json"]
        return columns

    def related_columns(self, key: str) -> list[_Column]:
        """The rows of ``sources`` or ``events``, one per item, keyed by site_id and position; the
        columns are the item keys of the whole frame (renamed where they clash)."""
        self.progress.start(f"{key} table")
        rename = self.renamed_items.get(key, {})
        records = []
        for chunk in _chunks(self.features):
            for feature in chunk:
                site_id = feature["properties"].get("id", feature.get("id"))
                items = feature["properties"].get(key)
                if not isinstance(items, list):
                    continue
                for position, item in enumerate(items, start=1):
                    row = item if isinstance(item, Mapping) else {"value": item}
                    records.append({"site_id": site_id, "position": position,
                                    **{rename.get(k, k): v for k, v in row.items()}})
            self.progress.tick(len(chunk))
        keys = self.item_names.get(key) or list(schema.SOURCE_ORDER if key == "sources" else schema.EVENT_ORDER)
        names = ["site_id", "position", *(rename.get(k, k) for k in keys)]
        more = {rename.get(k, k): kinds for k, kinds in self.item_kinds.get(key, {}).items()}
        # "sources" inside an event is a list of source ids: JSON text
        return _typed_columns(records, names, json_always=("sources",) if key == "events" else (),
                              more_kinds=more)

    def export_record(self) -> dict:
        """The export description as kept inside a file: ``export_info`` plus any renaming."""
        out = dict(self.export_info)
        for key in ("renamed_properties", "renamed_item_keys"):
            if key in self.notes:
                out[key] = self.notes[key]
        return out

    def metadata_rows(self) -> list[tuple[str, str]]:
        """(key, value) rows: collection metadata (values as text, JSON text if not a string),
        then the export description under ``export.*``."""
        rows = []
        for key, value in self.metadata.items():
            rows.append((key, value if isinstance(value, str) else _json_text(value)))
        for key, value in self.export_record().items():
            rows.append((f"export.{key}", value if isinstance(value, str) else _json_text(value)))
        return rows

    def sidecar(self) -> dict:
        out = {"collection": self.metadata, "export": self.export_info}
        out.update(self.notes)
        return out

    @property
    def updated_date(self) -> _dt.date:
        """The dataset's ``updated`` date (earliest day of a partial date), else 1970-01-01."""
        value = self.metadata.get("updated")
        try:
            return schema.earliest_day(str(value)[:10])
        except (ValueError, TypeError):
            return _dt.date(1970, 1, 1)

    def explain_failure(self, exc: BaseException) -> str | None:
        """A one-line message for a failed write that the data explains (a lone surrogate), else None."""
        if not isinstance(exc, UnicodeError) and "surrogate" not in str(exc):
            return None
        where = _find_surrogate(self)
        if where is None:
            return None
        return (
            f"{self.path}: {where} holds a lone UTF-16 surrogate (half of a pair with no other half), "
            "which is not text and cannot be written as UTF-8; remove it or write the character it "
            "stands for; nothing was written, any existing file there was left untouched"
        )


def _find_surrogate(job: _Job) -> str | None:
    """Where the first lone surrogate is: 'site 'x', property 'notes'' or a collection member."""
    for feature in job.features:
        site_id = feature.get("id", (feature.get("properties") or {}).get("id"))
        for key, value in (feature.get("properties") or {}).items():
            if LONE_SURROGATE.search(str(key)):
                return f"site {site_id!r}: the property name {str(key)!r}"
            found = lone_surrogate_path(value, str(key))
            if found:
                return f"site {site_id!r}, property {found!r}"
        for key, value in feature.items():
            if key not in ("type", "properties", "geometry"):
                found = lone_surrogate_path(value, str(key))
                if found:
                    return f"site {site_id!r}, feature member {found!r}"
    for key, value in job.metadata.items():
        found = lone_surrogate_path(value, str(key))
        if found:
            return f"the collection member {found!r}"
    found = lone_surrogate_path(job.export_info, "export")
    if found:
        return f"the export description {found!r} (the file name?)"
    return None


# --------------------------------------------------------------------------- frames for GDAL


def _pandas_frame(columns: list[_Column], *, rename: Mapping[str, str] | None = None):
    import pandas as pd

    dtype = {"str": object, "json": object, "bool": "boolean", "int": "Int64", "float": "Float64"}
    data = {}
    for col in columns:
        name = (rename or {}).get(col.name, col.name)
        data[name] = pd.Series(col.values, dtype=dtype[col.kind])
    return pd.DataFrame(data)


def _geo_frame(job: _Job, columns: list[_Column], *, rename=None):
    """The columns with the sites' points (every geometry is a Point or null, see _check_points)."""
    import geopandas as gpd
    import numpy as np
    import shapely

    geometries = np.full(len(job.features), None, dtype=object)
    flat, xs, ys = [], [], []
    for i, feature in enumerate(job.features):
        geometry = feature.get("geometry")
        if not geometry:
            continue
        coords = geometry["coordinates"]
        if len(coords) == 2:
            flat.append(i)
            xs.append(coords[0])
            ys.append(coords[1])
        else:
            geometries[i] = shapely.Point(*coords)
    if flat:
        geometries[np.array(flat, dtype=np.int64)] = shapely.points(np.array(xs, dtype=float), np.array(ys, dtype=float))
    frame = _pandas_frame(columns, rename=rename)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometries, crs="EPSG:4326"), crs="EPSG:4326")


@contextlib.contextmanager
def _gdal_config(options: Mapping[str, str]):
    from pyogrio import get_gdal_config_option, set_gdal_config_options

    old = {key: get_gdal_config_option(key) for key in options}
    set_gdal_config_options(dict(options))
    try:
        yield
    finally:
        set_gdal_config_options(old)


#: GDAL warnings that mean data was changed on the way (a value cut, a feature or field dropped).
_LOSSY_WARNING = re.compile(r"truncat|not (?:successfully )?written|could not|cannot|lost|failed|invalid|laundered", re.I)


def _write_layer(frame, target: Path, *, driver: str, layer: str, append: bool = False, **options):
    """pyogrio.write_dataframe; a GDAL warning that means data was changed on the way becomes an
    ExportError, any other is passed on. A frame with geometries makes a layer typed Point (also
    when it is empty or every site is unlocated)."""
    import pyogrio

    import geopandas as gpd

    if isinstance(frame, gpd.GeoDataFrame):
        options = {"geometry_type": "Point", "promote_to_multi": False, **options}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pyogrio.write_dataframe(frame, target, driver=driver, layer=layer, append=append, **options)
    for warning in caught:
        message = " ".join(str(warning.message).split())
        if issubclass(warning.category, RuntimeWarning) and _LOSSY_WARNING.search(message):
            raise ExportError(
                f"GDAL ({driver}) warned while writing layer {layer!r}: {message}; nothing was "
                "written, since the file would not hold the data as given"
            )
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)


def _write_in_chunks(job: _Job, frame, target: Path, *, driver: str, layer: str, **options) -> None:
    """Write ``frame`` as one layer, appending a chunk of rows at a time (the first call creates the
    layer with ``options``), and tick the progress per chunk."""
    rows = len(frame)
    size = _write_chunk_rows(rows)
    for start in range(0, max(rows, 1), size):
        part = frame.iloc[start:start + size]
        _write_layer(part, target, driver=driver, layer=layer, append=start > 0, **(options if start == 0 else {}))
        job.progress.tick(len(part))


def _metadata_strings(job: _Job) -> dict[str, str]:
    out = {}
    for key, value in job.metadata.items():
        out[str(key)] = value if isinstance(value, str) else _json_text(value)
    out[EXPORT_MEMBER] = _json_text(job.export_record())
    return out


# --------------------------------------------------------------------------- writers
# Each writer gets the job and a staging directory, writes the files there under their final
# names, and returns those names, the main file last.


def _sidecar_name(job: _Job) -> str:
    return f"{job.path.name}.meta.json"


def _write_sidecar(job: _Job, stage: Path, name: str | None = None) -> str:
    name = name or _sidecar_name(job)
    text = json.dumps(job.sidecar(), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    (stage / name).write_text(text, encoding="utf-8", newline="\n")
    return name


_EMPTY_FEATURES = '"features": []\n}\n'


def _write_geojson(job: _Job, stage: Path) -> list[str]:
    """The collection as mapkit.io.dumps writes it, a chunk of features at a time."""
    from mapkit.io import dumps

    head = {k: v for k, v in job.collection.items() if k != "features"}
    if job.filtered:
        head[EXPORT_MEMBER] = job.export_info
    empty = dumps({**head, "features": []})
    assert empty.endswith(_EMPTY_FEATURES), "mapkit.io.dumps no longer ends a collection with its features"
    job.progress.start("writing")
    with open(stage / job.main, "w", encoding="utf-8", newline="\n") as fh:
        if not job.features:
            fh.write(empty)
            return [job.main]
        fh.write(empty[: -len(_EMPTY_FEATURES)] + '"features": [')
        # json.dumps(indent=2) puts each feature of the array on lines indented by 4 spaces
        separator = "\n"
        for chunk in _chunks(job.features):
            fh.write(separator + ",\n".join("    " + dumps(f)[:-1].replace("\n", "\n    ") for f in chunk))
            separator = ",\n"
            job.progress.tick(len(chunk))
        fh.write("\n  ]\n}\n")
    return [job.main]


def _write_geojsonseq(job: _Job, stage: Path, *, rs: bool) -> list[str]:
    prefix = "\x1e" if rs else ""
    job.progress.start("writing")
    with open(stage / job.main, "w", encoding="utf-8", newline="\n") as fh:
        for chunk in _chunks(job.features):
            fh.write("".join(
                prefix + json.dumps(f, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"
                for f in chunk
            ))
            job.progress.tick(len(chunk))
    return [_write_sidecar(job, stage), job.main]


def _write_gpkg(job: _Job, stage: Path) -> list[str]:
    target = stage / job.main
    columns = job.flat_columns()
    sources, events = job.related_columns("sources"), job.related_columns("events")
    stamp = job.updated_date.strftime("%Y-%m-%dT00:00:00.000Z")
    with _gdal_config({"OGR_CURRENT_DATE": stamp}):
        job.progress.start("writing")
        # appended a chunk at a time: the same rows and tables as one write; only the R-tree's
        # node layout differs (it is as deterministic)
        _write_in_chunks(
            job, _geo_frame(job, columns), target, driver="GPKG", layer=SITES_LAYER, GEOMETRY_NAME="geom",
            VERSION="1.2", IDENTIFIER=_text(job.metadata.get("title")) or SITES_LAYER,
            DESCRIPTION=_text(job.metadata.get("description")), dataset_metadata=_metadata_strings(job),
        )
        job.progress.start("writing tables")
        for layer, table in ((SOURCES_LAYER, sources), (EVENTS_LAYER, events)):
            _write_layer(_pandas_frame(table), target, driver="GPKG", layer=layer, append=True)
            job.progress.tick(len(job.features) // 2)
        meta = _pandas_frame([
            _Column("key", "str", [k for k, _ in job.metadata_rows()]),
            _Column("value", "str", [v for _, v in job.metadata_rows()]),
        ])
        _write_layer(meta, target, driver="GPKG", layer=METADATA_LAYER, append=True)
    return [job.main]


def _write_fgb(job: _Job, stage: Path) -> list[str]:
    frame = _geo_frame(job, job.flat_columns())
    located = all(f.get("geometry") for f in job.features)
    job.progress.start("writing")  # FlatGeobuf cannot append: one write
    _write_layer(
        frame, stage / job.main, driver="FlatGeobuf", layer=SITES_LAYER,
        SPATIAL_INDEX="YES" if located and job.features else "NO",
        TITLE=_text(job.metadata.get("title")), DESCRIPTION=_text(job.metadata.get("description")),
        layer_metadata=_metadata_strings(job),
    )
    return [job.main]


def _shapefile_names(columns: list[_Column]) -> dict[str, str]:
    """Column name -> dBASE field name (at most 10 characters, unique ignoring case)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        name = SHAPEFILE_FIELDS.get(col.name)
        if name is None:
            base = re.sub(r"[^A-Za-z0-9_]", "_", col.name)[:10] or "field"
            name, n = base, 1
            while name.lower() in used or name.lower() in {v.lower() for v in SHAPEFILE_FIELDS.values()}:
                suffix = f"_{n}"
                name, n = base[: 10 - len(suffix)] + suffix, n + 1
        out[col.name] = name
        used.add(name.lower())
    return out


def _cut_utf8(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def _set_dbf_date(path: Path, day: _dt.date) -> None:
    """Set the last-update date in a .dbf header (bytes 1-3: years since 1900, month, day): GDAL
    sets it to today when it appends to the file, whatever DBF_DATE_LAST_UPDATE said."""
    with open(path, "r+b") as fh:
        fh.seek(1)
        fh.write(bytes((day.year - 1900, day.month, day.day)))


def _write_shapefile_files(job: _Job, stage: Path, stem: str) -> list[str]:
    columns = job.flat_columns()
    ids = [f["properties"].get("id", f.get("id")) for f in job.features]
    long_rows = []
    cut_fields: list[list[str]] = [[] for _ in job.features]
    names = _shapefile_names(columns + [_Column("truncated", "str", [])])
    for col in columns:
        if col.kind not in ("str", "json"):
            continue
        for i, value in enumerate(col.values):
            if isinstance(value, str) and len(value.encode("utf-8")) > SHAPEFILE_MAX_BYTES:
                long_rows.append((ids[i], col.name, names[col.name], value))
                col.values[i] = _cut_utf8(value, SHAPEFILE_MAX_BYTES)
                cut_fields[i].append(names[col.name])
    columns.append(_Column("truncated", "str", [",".join(c) or None for c in cut_fields]))
    frame = _geo_frame(job, columns, rename=names)
    job.progress.start("writing")
    _write_in_chunks(
        job, frame, stage / f"{stem}.shp", driver="ESRI Shapefile", layer=stem,
        ENCODING="UTF-8", DBF_DATE_LAST_UPDATE=job.updated_date.isoformat(), SPATIAL_INDEX="NO",
    )
    _set_dbf_date(stage / f"{stem}.dbf", job.updated_date)
    long_name = f"{stem}.shp.long_values.csv"
    buffer = _stdio.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "property", "shp_field", "value"])
    writer.writerows(long_rows)
    (stage / long_name).write_text(buffer.getvalue(), encoding="utf-8", newline="")
    job.notes["field_names"] = {col.name: names[col.name] for col in columns}
    job.notes["long_values"] = {
        "file": long_name,
        "limit_bytes": SHAPEFILE_MAX_BYTES,
        "count": len(long_rows),
        "note": "values longer than the .dbf holds are cut there (at a character boundary), listed in "
        "the 'truncated' field, and written whole to this file (id, property, shp_field, value)",
    }
    sidecar = _write_sidecar(job, stage, f"{stem}.shp.meta.json")
    files = [f"{stem}{ext}" for ext in (".cpg", ".dbf", ".prj", ".shx")]
    return [long_name, sidecar, *files, f"{stem}.shp"]


def _write_shp(job: _Job, stage: Path) -> list[str]:
    return _write_shapefile_files(job, stage, job.path.name[: -len(".shp")])


def _write_shp_zip(job: _Job, stage: Path) -> list[str]:
    name = job.path.name
    stem = name[: -len(".shp.zip")] if name.lower().endswith(".shp.zip") else (Path(name).stem or "sites")
    inner = stage / "contents"
    inner.mkdir()
    files = _write_shapefile_files(job, inner, stem)
    job.progress.start("zipping")
    _write_zip(stage / job.main, [(name, (inner / name).read_bytes()) for name in sorted(files)])
    shutil.rmtree(inner)
    return [job.main]


def _write_zip(target: Path, members: list[tuple[str, bytes]]) -> None:
    """A zip with a fixed entry time and mode, so the same files give the same bytes."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, data)


def _write_csv(job: _Job, stage: Path) -> list[str]:
    frame = _pandas_frame(job.flat_columns(coordinates=True))
    target = stage / job.main
    job.progress.start("writing")
    rows = len(frame)
    size = _write_chunk_rows(rows)
    if rows <= size:
        _write_layer(frame, target, driver="CSV", layer=SITES_LAYER, LINEFORMAT="LF")
        return [_write_sidecar(job, stage), job.main]
    # GDAL's CSV driver reopens an appended file with every column as text (and would then quote
    # numbers): write each chunk as a file of its own and join them under one header instead
    part = stage / ("part-" + job.main)
    _write_layer(frame.iloc[0:0], part, driver="CSV", layer=SITES_LAYER, LINEFORMAT="LF")
    header = part.read_bytes()
    part.unlink()
    with open(target, "wb") as out:
        out.write(header)
        for start in range(0, rows, size):
            chunk = frame.iloc[start:start + size]
            _write_layer(chunk, part, driver="CSV", layer=SITES_LAYER, LINEFORMAT="LF")
            data = part.read_bytes()
            part.unlink()
            if not data.startswith(header):
                raise ExportError("GDAL's CSV driver wrote a chunk under another header line")
            out.write(data[len(header):])
            job.progress.tick(len(chunk))
    return [_write_sidecar(job, stage), job.main]


def _write_kml(job: _Job, stage: Path) -> list[str]:
    frame = _geo_frame(job, job.flat_columns())
    job.progress.start("writing")  # LIBKML cannot append: one write
    _write_layer(
        frame, stage / job.main, driver="LIBKML", layer=SITES_LAYER,
        NAME=_text(job.metadata.get("title")) or SITES_LAYER,
        DESCRIPTION=_text(job.metadata.get("description")),
    )
    job.notes["kml"] = (
        "each Placemark's id attribute is the site id (GDAL reads it back as the field 'id'); "
        "<name> is the site name; other properties are ExtendedData/SchemaData fields"
    )
    return [_write_sidecar(job, stage), job.main]


def _write_xlsx(job: _Job, stage: Path) -> list[str]:
    raw = stage / ("raw-" + job.main)
    layers = [
        (SITES_LAYER, job.flat_columns(coordinates=True)),
        (SOURCES_LAYER, job.related_columns("sources")),
        (EVENTS_LAYER, job.related_columns("events")),
        ("metadata", [
            # a number in the first data row lets GDAL tell the header row from the data
            _Column("position", "int", list(range(1, len(job.metadata_rows()) + 1))),
            _Column("key", "str", [k for k, _ in job.metadata_rows()]),
            _Column("value", "str", [v for _, v in job.metadata_rows()]),
        ]),
    ]
    for sheet, columns in layers:
        for col in columns:
            for i, value in enumerate(col.values):
                if isinstance(value, str) and len(value) > XLSX_MAX_CHARS:
                    raise ExportError(
                        f"{job.path}: sheet {sheet!r} row {i + 2}, column {col.name!r} holds "
                        f"{len(value)} characters, more than an Excel cell can ({XLSX_MAX_CHARS}); "
                        "export to .gpkg, .csv or .geojson instead, which keep it whole"
                    )
    # the XLSX driver rewrites the whole workbook on every append: one write per sheet
    job.progress.start("writing")
    for n, (sheet, columns) in enumerate(layers):
        _write_layer(_pandas_frame(columns), raw, driver="XLSX", layer=sheet, append=n > 0)
        job.progress.tick(len(job.features) // len(layers))
    # GDAL stamps the zip entries with the current time: repack with a fixed one
    with zipfile.ZipFile(raw) as zin:
        members = [(name, zin.read(name)) for name in zin.namelist()]
    empty = {sheet: [c.name for c in columns] for sheet, columns in layers if not any(len(c.values) for c in columns)}
    _write_zip(stage / job.main, _xlsx_add_headers(members, empty))
    raw.unlink()
    return [job.main]


def _xlsx_column(index: int) -> str:
    """The letters of a 0-based column number: 0 -> A, 25 -> Z, 26 -> AA."""
    letters, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _xlsx_add_headers(members: list[tuple[str, bytes]], headers: Mapping[str, list[str]]) -> list[tuple[str, bytes]]:
    """GDAL's XLSX driver writes no header row on a sheet without rows (an empty export): add it,
    as inline strings, to the sheets named in ``headers``."""
    if not headers:
        return members
    from html import unescape
    from xml.sax.saxutils import escape

    files = dict(members)
    rels = files["xl/_rels/workbook.xml.rels"].decode("utf-8")
    targets = dict(re.findall(r'<Relationship Id="([^"]+)" Type="[^"]*/worksheet" Target="([^"]+)"', rels))
    wanted = {}
    for sheet, rid in re.findall(r'<sheet name="([^"]*)"[^>]*? r:id="([^"]+)"', files["xl/workbook.xml"].decode("utf-8")):
        if unescape(sheet) in headers and rid in targets:
            wanted["xl/" + targets[rid]] = headers[unescape(sheet)]
    out = []
    for name, data in members:
        if name in wanted:
            cells = "".join(f'<c r="{_xlsx_column(i)}1" t="inlineStr">\n<is><t>{escape(str(h))}</t></is>\n</c>\n'
                            for i, h in enumerate(wanted[name]))
            data = data.decode("utf-8").replace("<sheetData>\n</sheetData>",
                                                f'<sheetData>\n<row r="1">\n{cells}</row>\n</sheetData>', 1).encode("utf-8")
        out.append((name, data))
    return out


def _write_sql(job: _Job, stage: Path) -> list[str]:
    parts = []
    title = _text(job.metadata.get("title"))
    citation = _text(job.metadata.get("citation"))
    license_ = _text(job.metadata.get("license"))
    comment = " ".join(p for p in (f"{title}." if title else "", f"Licence: {license_}." if license_ else "",
                                   f"Cite as: {citation}" if citation else "") if p)
    columns = job.flat_columns()
    sources, events = job.related_columns("sources"), job.related_columns("events")
    # every JSON text column (events, sources, nested extra properties) becomes jsonb
    jsonb = [n for n in job.notes["json_columns"] if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n)]
    job.progress.start("writing")  # PGDUMP cannot append: one write per table
    layers = [
        (SITES_LAYER, _geo_frame(job, columns), {
            "GEOMETRY_NAME": "geom", "SRID": "4326", "DESCRIPTION": comment,
            "COLUMN_TYPES": ",".join(f"{n}=jsonb" for n in jsonb)}),
        (SOURCES_LAYER, _pandas_frame(sources), {}),
        (EVENTS_LAYER, _pandas_frame(events), {"COLUMN_TYPES": "sources=jsonb"}),
        (METADATA_LAYER, _pandas_frame([
            _Column("key", "str", [k for k, _ in job.metadata_rows()]),
            _Column("value", "str", [v for _, v in job.metadata_rows()]),
        ]), {}),
    ]
    for n, (layer, frame, options) in enumerate(layers):
        part = stage / f"{layer}.part.sql"
        # LAUNDER=NO: column names exactly as the properties (PGDUMP would lower-case them and
        # replace '-' and '#', which can make two columns one)
        _write_layer(frame, part, driver="PGDUMP", layer=layer, LINEFORMAT="LF", LAUNDER="NO", **options)
        parts.append(part)
        job.progress.tick(len(job.features) if n == 0 else 0)
    job.progress.start("joining")
    header = (
        f"-- {title or 'mapkit sites'}: {len(job.features)} sites ({job.export_info['filter_text']}).\n"
        f"-- Written by mapkit {__version__} with GDAL's PGDUMP driver. Load with:\n"
        f"--   psql -v ON_ERROR_STOP=1 -d DATABASE -f {job.path.name}\n"
        "-- Needs the postgis extension (CREATE EXTENSION postgis). Replaces the tables "
        f"{SITES_LAYER}, {SOURCES_LAYER}, {EVENTS_LAYER} and {METADATA_LAYER} in schema public.\n"
    )
    with open(stage / job.main, "wb") as out:
        out.write(header.encode("utf-8"))
        for part in parts:
            data = part.read_bytes()
            # PGDUMP does not report a failed write (e.g. a full disk): a script cut short has no
            # final COMMIT
            if not data.endswith(b"COMMIT;\n"):
                raise ExportError(
                    f"GDAL's PGDUMP driver stopped writing the {part.name.split('.')[0]} table early "
                    "(is the disk full?)"
                )
            out.write(data)  # GDAL writes UTF-8 with LF line ends (LINEFORMAT=LF): copied as is
            part.unlink()
            job.progress.tick(len(job.features) // len(parts))
    return [job.main]


def _require_pyarrow(path: Path) -> None:
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise ExportError(
            f"{path}: GeoParquet export needs pyarrow, which is not installed; "
            "install it with: pip install 'mapkit[parquet]'"
        ) from None


def _write_parquet(job: _Job, stage: Path) -> list[str]:
    import pyarrow.parquet as pq

    import pyarrow as pa

    columns = job.flat_columns()
    frame = _geo_frame(job, columns)
    job.progress.start("writing")
    raw = stage / ("raw-" + job.main)
    frame.to_parquet(raw, index=False)
    table = pq.read_table(raw)
    # a text column with no value (say, in an empty export) would be typed null: give it its type
    arrow = {"str": pa.string(), "json": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
    kinds = {c.name: c.kind for c in columns}
    for i, column in enumerate(table.schema):
        if pa.types.is_null(column.type) and column.name in kinds:
            kind = arrow[kinds[column.name]]
            table = table.set_column(i, pa.field(column.name, kind), pa.nulls(len(table), kind))
    meta = dict(table.schema.metadata or {})
    meta[b"mapkit"] = _json_text({"collection": job.metadata, "export": job.export_info, **job.notes}).encode()
    pq.write_table(table.replace_schema_metadata(meta), stage / job.main)
    raw.unlink()
    return [job.main]


_WRITERS: dict[str, Callable[[_Job, Path], list[str]]] = {
    "geojson": _write_geojson,
    "geojsonl": lambda job, stage: _write_geojsonseq(job, stage, rs=False),
    "geojsons": lambda job, stage: _write_geojsonseq(job, stage, rs=True),
    "gpkg": _write_gpkg,
    "fgb": _write_fgb,
    "shp": _write_shp,
    "shp.zip": _write_shp_zip,
    "csv": _write_csv,
    "kml": _write_kml,
    "xlsx": _write_xlsx,
    "sql": _write_sql,
    "parquet": _write_parquet,
}


# --------------------------------------------------------------------------- staging and commit


def _oserror_message(path: Path, exc: OSError, doing: str) -> str:
    reason = exc.strerror or str(exc)
    fixes = {
        errno.ENOSPC: "free some space on that disk or export elsewhere",
        errno.EDQUOT: "free some space (disk quota exceeded) or export elsewhere",
        errno.EFBIG: "the file is larger than this system allows; export elsewhere",
        errno.EACCES: "choose a directory you can write to",
        errno.EPERM: "choose a directory you can write to",
        errno.EROFS: "the file system is read-only; choose another directory",
        errno.ENOTDIR: "a part of the path is a file, not a directory; fix the path",
        errno.ENOENT: "create the directory first or fix the path",
        errno.EISDIR: "a directory is in the way; move it or export elsewhere",
    }
    fix = fixes.get(exc.errno, "check the path and the disk")
    return f"{path}: cannot {doing} ({reason}); {fix}. Any existing file there was left untouched"


def _check_target(path: Path) -> None:
    if path.is_dir():
        raise ExportError(f"{path}: is a directory; give a file name, e.g. {path / 'sites.gpkg'}")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise ExportError(f"{path}: the directory {parent} does not exist; create it first or fix the path")
    if not parent.is_dir():
        raise ExportError(f"{path}: {parent} is a file, not a directory; fix the path")


@contextlib.contextmanager
def _staging(path: Path, explain: Callable[[BaseException], str | None] = lambda exc: None):
    """A temporary directory beside ``path``, removed at the end; any failure inside becomes an
    ExportError naming ``path`` (``explain`` may word it from the data, e.g. a lone surrogate)."""
    parent = path.parent if str(path.parent) else Path(".")
    try:
        # no dots from the file name in the directory name: GDAL's /vsizip/ (XLSX) takes a path
        # part like ".sites.xlsx.tmp" for an archive
        safe = re.sub(r"[^A-Za-z0-9_-]", "_", path.name)
        stage = Path(tempfile.mkdtemp(prefix=f".mapkit-export-{safe}-", suffix="-tmp", dir=parent))
    except OSError as exc:
        raise ExportError(_oserror_message(path, exc, f"create a temporary file in {parent}")) from None
    try:
        yield stage
    except OSError as exc:
        raise ExportError(_oserror_message(path, exc, "write the export")) from None
    except ExportError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise ExportError(f"{path}: {exc}; any existing file there was left untouched") from None
    except MapkitError:
        raise
    except Exception as exc:  # GDAL and pyarrow errors: say what and where, keep the old file
        explained = explain(exc)
        if explained:
            raise ExportError(explained) from None
        message = " ".join(str(exc).split()) or type(exc).__name__
        message = re.sub(re.escape(str(stage)) + r"/?[^\s;:,]*", "the temporary file", message)
        free = _free_bytes(parent)
        if free is not None and free < 1024 * 1024:
            message += f" (only {free} bytes free on that disk: it looks full; free some space or export elsewhere)"
        elif "No space left" in message:
            message += " (the disk is full; free some space or export elsewhere)"
        raise ExportError(
            f"{path}: writing {path.name} failed: {message}; any existing file there was left untouched"
        ) from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _free_bytes(directory: Path) -> int | None:
    try:
        stat = os.statvfs(directory)
    except OSError:
        return None
    return stat.f_bavail * stat.f_frsize


def _fsync(target: Path) -> None:
    with open(target, "rb") as fh:
        os.fsync(fh.fileno())


def _verify(job: _Job, stage: Path, files: list[str]) -> None:
    """Reopen what GDAL wrote and count the features; fsync every file (a full disk shows here)."""
    for name in files:
        _fsync(stage / name)
    if job.format.writer in ("mapkit", "pyarrow"):
        return
    import pyogrio

    main = stage / files[-1]
    expected = len(job.features)
    # CSV and Shapefile name their one layer after the file; the others use mapkit's layer names
    layer = None if job.format.name in ("csv", "shp", "shp.zip") else SITES_LAYER
    # the first row of each XLSX sheet is the header, even when nothing but text tells it
    config = {"OGR_XLSX_HEADERS": "FORCE"} if job.format.name == "xlsx" else {}
    try:
        with warnings.catch_warnings(), _gdal_config(config):
            warnings.simplefilter("ignore")
            count = pyogrio.read_info(main, layer=layer, force_feature_count=True)["features"] \
                if job.format.name != "sql" else _count_sql_rows(main)
    except Exception as exc:
        message = re.sub(re.escape(str(stage)) + r"/?[^\s;:,]*", "the temporary file", " ".join(str(exc).split()))
        raise ExportError(
            f"{job.path}: the written file cannot be read back ({message}); "
            "nothing was replaced; is the disk full?"
        ) from None
    if job.format.name == "xlsx" and expected == 0 and count == 1 and _xlsx_only_header(main):
        count = 0  # GDAL reads a sheet of one row as one row of data, never as a header alone
    if count != expected:
        raise ExportError(
            f"{job.path}: the written file holds {count} sites, not {expected}; nothing was replaced; "
            "is the disk full?"
        )


def _xlsx_only_header(path: Path) -> bool:
    """True if the sites sheet holds just its header row (an empty export)."""
    import pyogrio

    with warnings.catch_warnings(), _gdal_config({"OGR_XLSX_HEADERS": "DISABLE", "OGR_XLSX_FIELD_TYPES": "STRING"}):
        warnings.simplefilter("ignore")
        rows = pyogrio.read_dataframe(path, layer=SITES_LAYER, read_geometry=False)
    return len(rows) == 1 and rows.iloc[0, 0] == "id"


def _count_sql_rows(path: Path) -> int:
    text = path.read_text(encoding="utf-8")
    return len(re.findall(rf'^INSERT INTO "public"\."{SITES_LAYER}" ', text, flags=re.M)) + sum(
        block.count("\n") for block in re.findall(
            rf'^COPY "public"\."{SITES_LAYER}" .*?\n(.*?)^\\\.$', text, flags=re.M | re.S
        )
    )


def _cannot_replace(final: Path) -> str | None:
    """Why a staged file could not be renamed over ``final``, if that can be told beforehand."""
    try:
        info = os.lstat(final)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot be looked at ({exc.strerror})"
    if _stat.S_ISDIR(info.st_mode):
        return "is a directory, which the export cannot replace; move it away or export elsewhere"
    try:
        directory = os.stat(final.parent)
    except OSError as exc:
        return f"its directory cannot be looked at ({exc.strerror})"
    if directory.st_mode & _stat.S_ISVTX and os.geteuid() not in (0, info.st_uid, directory.st_uid):
        return ("belongs to another user in a directory with the sticky bit set (as /tmp), so it "
                "cannot be replaced; remove it or export elsewhere")
    return None


def _commit(stage: Path, parent: Path, files: list[str], main_name: str) -> None:
    """Rename the staged files into place, the main file last (under ``main_name``); keep an
    existing file's mode.

    What is atomic: each file is replaced by one rename(2) on the same file system, so a reader
    sees the old file or the new one, never a part-written one. Several files (a Shapefile's parts,
    a sidecar) are not replaced as one: before the first rename every target is checked (none may
    be a directory or another user's file in a sticky directory), and if a rename still fails, the
    files already replaced are put back from hard links to the old ones kept in the staging
    directory. What remains: a reader may see new and old parts side by side for the moments the
    renames take, and a crash (power loss, kill -9) in that moment leaves them so; since the main
    file is renamed last, a new main file means every part is new.
    """
    moves = [(stage / name, parent / (main_name if i == len(files) - 1 else name)) for i, name in enumerate(files)]
    for _, final in moves:
        problem = _cannot_replace(final)
        if problem:
            raise ExportError(f"{final}: {problem}; nothing was replaced, any existing files there were left untouched")
    umask = os.umask(0)
    os.umask(umask)
    for staged, final in moves:
        try:
            mode = final.stat().st_mode & 0o7777 if final.exists() else 0o666 & ~umask
            os.chmod(staged, mode)
        except OSError as exc:
            raise ExportError(_oserror_message(final, exc, "move the export into place")) from None
    # the old files, kept (as hard links, no copy) until every rename has worked
    backups: dict[int, Path | None] = {}
    if len(moves) > 1:
        for i, (_, final) in enumerate(moves):
            if not os.path.lexists(final):
                continue
            keep = stage / f".old-{i}"
            try:
                os.link(final, keep, follow_symlinks=False)
                backups[i] = keep
            except OSError:
                backups[i] = None  # cannot be put back if a later rename fails
    done: list[int] = []
    for i, (staged, final) in enumerate(moves):
        try:
            os.replace(staged, final)
        except OSError as exc:
            lost = _put_back(moves, done, backups)
            message = _oserror_message(final, exc, "move the export into place")
            if lost:
                message = message.replace(
                    "Any existing file there was left untouched",
                    f"{', '.join(str(p) for p in lost)} had been replaced already and could not be put back",
                )
            elif done:
                message += "; the files moved before it were put back"
            raise ExportError(message) from None
        done.append(i)
    try:
        fd = os.open(parent, os.O_RDONLY)
        try:
            os.fsync(fd)  # the renames themselves reach the disk
        finally:
            os.close(fd)
    except OSError:
        pass


def _put_back(moves, done: list[int], backups: dict[int, Path | None]) -> list[Path]:
    """Undo the renames in ``done``; return the targets that could not be restored."""
    lost = []
    for i in reversed(done):
        final = moves[i][1]
        try:
            if i not in backups:
                os.unlink(final)  # there was no file there before
            elif backups[i] is not None:
                os.replace(backups[i], final)
            else:
                lost.append(final)
        except OSError:
            lost.append(final)
    return lost


# --------------------------------------------------------------------------- progress

#: Seconds an export runs before the automatic progress bar appears (``progress=None``).
PROGRESS_DELAY = 1.0
#: Least seconds between two redraws of the bar.
PROGRESS_MININTERVAL = 0.1

#: The phases of each format's export and their weights (about the time one site takes in each,
#: relative to the others), so the bar moves at an even pace. Each phase counts every site once.
_PHASES: dict[str, tuple[tuple[str, int], ...]] = {
    "geojson": (("preparing", 3), ("writing", 3)),
    "geojsonl": (("preparing", 3), ("writing", 1)),
    "geojsons": (("preparing", 3), ("writing", 1)),
    "gpkg": (("preparing", 3), ("columns", 2), ("sources table", 1), ("events table", 1), ("writing", 2),
             ("writing tables", 1)),
    "fgb": (("preparing", 3), ("columns", 2), ("writing", 1)),
    "shp": (("preparing", 3), ("columns", 2), ("writing", 4)),
    "shp.zip": (("preparing", 3), ("columns", 2), ("writing", 4), ("zipping", 3)),
    "csv": (("preparing", 3), ("columns", 2), ("writing", 3)),
    "kml": (("preparing", 3), ("columns", 2), ("writing", 7)),
    # GDAL's XLSX driver is slow, and rewrites the workbook for every sheet added
    "xlsx": (("preparing", 3), ("columns", 2), ("sources table", 1), ("events table", 1), ("writing", 40)),
    "sql": (("preparing", 3), ("columns", 2), ("sources table", 1), ("events table", 1), ("writing", 4),
            ("joining", 4)),
    "parquet": (("preparing", 3), ("columns", 2), ("writing", 1)),
}


class _Progress:
    """Moves a bar (or nothing) through an export's phases: each phase steps once per site,
    times its weight; starting a phase completes the one before."""

    def __init__(self, bar, label: str, sites: int, phases: tuple[tuple[str, int], ...]):
        self.bar = bar
        self.label = label
        self.sites = sites
        self.weights = dict(phases)
        self.phase: str | None = None
        self._weight = 0
        self._done = 0

    def start(self, phase: str) -> None:
        self._complete()
        self.phase = phase
        self._weight = self.weights.get(phase, 0)
        self._done = 0
        if self.bar is not None:
            # no refresh here: the bar shows at the next step, once its delay is over
            self.bar.set_description_str(f"{self.label}: {phase}", refresh=False)

    def tick(self, sites: int = 1) -> None:
        sites = min(sites, self.sites - self._done)
        if sites <= 0:
            return
        self._done += sites
        if self.bar is not None and self._weight:
            self.bar.update(sites * self._weight)

    def _complete(self) -> None:
        if self.phase is not None:
            self.tick(self.sites - self._done)

    def finish(self) -> None:
        self._complete()
        if self.bar is not None:
            self.bar.set_description_str(f"{self.label}: done", refresh=False)


def _bar_width(stream) -> dict:
    """tqdm's size options: the terminal's width as it changes, or 80 x 24 on a terminal that
    reports no size (a new pseudo-terminal says 0 x 0, and tqdm would then print nothing)."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, ValueError, OSError):
        return {}  # not a terminal: tqdm's default
    if size.columns > 0 and size.lines > 0:
        return {"dynamic_ncols": True}
    return {"ncols": size.columns or 80, "nrows": size.lines or 24}


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


@contextlib.contextmanager
def _progress(plan: ExportPlan, sites: int, progress: bool | None):
    """The progress of one export: a tqdm bar on stderr when ``progress`` is True, or when it is
    None and stderr is a terminal (shown once the export has run PROGRESS_DELAY seconds)."""
    phases = _PHASES[plan.format.name]
    label = f"mapkit export {plan.path.name} ({sites} site{'' if sites == 1 else 's'})"
    bar = None
    if sites and (progress or (progress is None and _is_terminal(sys.stderr))):
        from tqdm import tqdm

        bar = tqdm(
            total=sites * sum(weight for _, weight in phases), desc=label, file=sys.stderr,
            delay=0 if progress else PROGRESS_DELAY, leave=bool(progress),
            mininterval=PROGRESS_MININTERVAL, miniters=1,  # steps are chunks: look at the clock at each
            bar_format="{desc} {percentage:3.0f}%|{bar}| {elapsed}<{remaining}", **_bar_width(sys.stderr),
        )
    tracker = _Progress(bar, label, sites, phases)
    try:
        yield tracker
        tracker.finish()
    finally:
        if bar is not None:
            bar.close()
