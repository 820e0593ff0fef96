"""Exporting sites to the formats GIS tools, spreadsheets and databases read, without losing data.

One entry point, :func:`export`, and one table of formats, :data:`FORMATS` (see
:func:`list_formats`). Every export follows the same rules:

* **Same sites as everywhere.** Filters go through :func:`mapkit.filters.filter_frame`, the function
  the map page and the other commands use, so a filter selects the same sites in every place.
* **Nothing is lost.** Every property survives, known or not. Nested ``events`` and ``sources`` stay
  real JSON where the format has JSON (GeoJSON, GeoJSONSeq); elsewhere they are JSON text, one column
  each (never a Python repr), next to readable convenience columns (``source_count``,
  ``first_source_url``, ``sources_text``, ...). A value a format cannot hold whole (Shapefile's 254
  bytes) is written in full to a sidecar. The collection metadata (title, licence, citation, ...) goes
  into the file where the format has a place for it, otherwise into a ``<file>.meta.json`` sidecar.
* **Atomic.** Everything is written into a temporary directory beside the target, checked (GDAL
  outputs are reopened and their features counted), then renamed into place. A failed export leaves
  any existing file at the path byte-identical.
* **Deterministic.** The same data gives the same bytes: features sorted by id, no export time
  stamps; GeoPackage's ``last_change`` and the DBF header date are the dataset's ``updated`` date, and
  the XLSX and ``.shp.zip`` archives carry a fixed entry time.
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
            "collection metadata as foreign members; at most 6 decimals",
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


# --------------------------------------------------------------------------- the entry point


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
    on stderr only once an export has taken more than a second, False never, True at once.

    Returns the path written. Raises ExportError (nothing at ``path`` changed) when the export
    cannot be written, FilterError for a bad filter value, DataFileError for unreadable input.
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
    if fmt.name == "parquet":
        _require_pyarrow(path)
    _check_target(path)

    if isinstance(frame_or_path, (str, os.PathLike)):
        from mapkit.io import load

        frame = load(frame_or_path)
    else:
        frame = frame_or_path
    chosen = normalize_filters(**filters)
    selected = filter_frame(frame, **chosen)
    job = _Job.prepare(selected, path, fmt, chosen, metadata=frame.attrs.get("collection", {}))
    writer = _WRITERS[fmt.name]
    with _progress_bar(job, progress) as bar:
        job.bar = bar
        with _staging(path) as stage:
            files = writer(job, stage)
            _verify(job, stage, files)
            _commit(stage, path.parent, files, path.name)
    return path


# --------------------------------------------------------------------------- preparing rows


def _json_text(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _kind(values: Iterable) -> str:
    """The column type for a list of plain values: str, bool, int, float, or json (anything else)."""
    kinds = set()
    for value in values:
        if value is None:
            continue
        if isinstance(value, bool):
            kinds.add("bool")
        elif isinstance(value, int):
            kinds.add("int" if -(2**63) <= value < 2**63 else "json")  # beyond int64: JSON text
        elif isinstance(value, float):
            kinds.add("float" if math.isfinite(value) else "json")
        elif isinstance(value, str):
            kinds.add("str")
        else:
            kinds.add("json")
    if not kinds:
        return "str"
    if kinds == {"int", "float"}:
        return "float"
    if len(kinds) == 1:
        return kinds.pop()
    return "json"


@dataclass
class _Column:
    name: str  # the property (or generated column) name
    kind: str  # str, bool, int, float, json
    values: list


def _typed_columns(records: list[Mapping], names: Iterable[str], *, json_always=()) -> list[_Column]:
    columns = []
    for name in names:
        values = [r.get(name) for r in records]
        kind = "json" if name in json_always else _kind(values)
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
    bar: object = None
    notes: dict = field(default_factory=dict)  # format-specific additions to the sidecar

    @classmethod
    def prepare(cls, frame, path: Path, fmt: ExportFormat, chosen: dict, metadata: Mapping) -> _Job:
        from mapkit.io import canonical_collection, to_feature_collection

        meta = {k: v for k, v in dict(metadata or {}).items() if k != EXPORT_MEMBER}
        collection = canonical_collection(to_feature_collection(frame, metadata=meta))
        info = {
            "format": fmt.name,
            "file": path.name,
            "sites": len(collection["features"]),
            "filter": chosen,
            "filter_text": describe(chosen),
            "exported_by": f"mapkit {__version__}",
        }
        return cls(
            path=path,
            format=fmt,
            collection=collection,
            features=collection["features"],
            metadata={k: v for k, v in collection.items() if k not in ("type", "features")},
            export_info=info,
            filtered=bool(chosen),
        )

    @property
    def main(self) -> str:
        """The main file's name while staged: the format's own extension, whatever the target is
        called (GDAL picks options by extension, and warns about a GeoPackage named otherwise)."""
        if self.format.name == "shp":
            return self.path.name
        return "export" + self.format.extensions[0]

    def tick(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    # ---- flat rows shared by every format that has no nested JSON

    def flat_columns(self, *, coordinates: bool = False) -> list[_Column]:
        """One column per property (nested ones as JSON text), convenience columns, and optionally
        longitude/latitude; generated names never hide a property (a clash renames the property)."""
        records = []
        for feature in self.features:
            props = dict(feature["properties"])
            records.append(props)
            self.tick()
        names: list[str] = []
        seen = set()
        for props in records:
            for key in props:
                if key not in seen:
                    seen.add(key)
                    names.append(key)
        nested = {"events", "sources"}
        scalar_names = [n for n in names if n not in nested]
        generated = set(CONVENIENCE_COLUMNS) | ({"longitude", "latitude"} if coordinates else set())
        renamed = {}
        for name in scalar_names:
            if name in generated:
                new = f"{name}_property"
                while new in seen or new in generated:
                    new += "_"
                renamed[name] = new
        if renamed:
            self.notes["renamed_properties"] = renamed
            for props in records:
                for old, new in renamed.items():
                    if old in props:
                        props[new] = props.pop(old)
            scalar_names = [renamed.get(n, n) for n in scalar_names]
        columns = _typed_columns(records, scalar_names)
        if coordinates:
            lon, lat = [], []
            for feature in self.features:
                geometry = feature.get("geometry") or {}
                coords = geometry.get("coordinates") if geometry.get("type") == "Point" else None
                lon.append(coords[0] if coords else None)
                lat.append(coords[1] if coords else None)
            at = next((i + 1 for i, c in enumerate(columns) if c.name == "location_precision"), 1)
            columns[at:at] = [_Column("longitude", "float", lon), _Column("latitude", "float", lat)]
        for name in ("events", "sources"):
            columns.append(_Column(name, "json", [
                None if r.get(name) is None else _json_text(r.get(name)) for r in records
            ]))
        extra = [_convenience(r) for r in records]
        for name in CONVENIENCE_COLUMNS:
            kind = "int" if name.endswith("_count") else "str"
            columns.append(_Column(name, kind, [e[name] for e in extra]))
        self.notes["json_columns"] = [c.name for c in columns if c.kind == "json"]
        return columns

    def related_columns(self, key: str) -> list[_Column]:
        """The rows of ``sources`` or ``events``, one per item, keyed by site_id and position."""
        order = schema.SOURCE_ORDER if key == "sources" else schema.EVENT_ORDER
        records = []
        for feature in self.features:
            site_id = feature["properties"].get("id", feature.get("id"))
            items = feature["properties"].get(key)
            if not isinstance(items, list):
                continue
            for position, item in enumerate(items, start=1):
                row = dict(item) if isinstance(item, Mapping) else {"value": item}
                records.append({"site_id": site_id, "position": position, **{
                    (f"{k}_" if k in ("site_id", "position") else k): v for k, v in row.items()
                }})
        names = ["site_id", "position", *order]
        names += sorted({k for r in records for k in r} - set(names))
        # "sources" inside an event is a list of source ids: JSON text
        return _typed_columns(records, names, json_always=("sources",) if key == "events" else ())

    def metadata_rows(self) -> list[tuple[str, str]]:
        """(key, value) rows: collection metadata (values as text, JSON text if not a string),
        then the export description under ``export.*``."""
        rows = []
        for key, value in self.metadata.items():
            rows.append((key, value if isinstance(value, str) else _json_text(value)))
        for key, value in self.export_info.items():
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
    import geopandas as gpd
    import shapely

    geometries = []
    for feature in job.features:
        geometry = feature.get("geometry")
        geometries.append(shapely.geometry.shape(geometry) if geometry else None)
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
_LOSSY_WARNING = re.compile(r"truncat|not (?:successfully )?written|could not|cannot|lost|failed|invalid", re.I)


def _write_layer(frame, target: Path, *, driver: str, layer: str, append: bool = False, **options):
    """pyogrio.write_dataframe; a GDAL warning that means data was changed on the way becomes an
    ExportError, any other is passed on."""
    import pyogrio

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


def _metadata_strings(job: _Job) -> dict[str, str]:
    out = {}
    for key, value in job.metadata.items():
        out[str(key)] = value if isinstance(value, str) else _json_text(value)
    out[EXPORT_MEMBER] = _json_text(job.export_info)
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


def _write_geojson(job: _Job, stage: Path) -> list[str]:
    from mapkit.io import dumps

    collection = job.collection
    if job.filtered:
        head = {k: v for k, v in collection.items() if k != "features"}
        collection = {**head, EXPORT_MEMBER: job.export_info, "features": collection["features"]}
    text = dumps(collection)
    job.tick(len(job.features))
    (stage / job.main).write_text(text, encoding="utf-8", newline="\n")
    return [job.main]


def _write_geojsonseq(job: _Job, stage: Path, *, rs: bool) -> list[str]:
    prefix = "\x1e" if rs else ""
    with open(stage / job.main, "w", encoding="utf-8", newline="\n") as fh:
        for feature in job.features:
            fh.write(prefix + json.dumps(feature, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n")
            job.tick()
    return [_write_sidecar(job, stage), job.main]


def _write_gpkg(job: _Job, stage: Path) -> list[str]:
    target = stage / job.main
    sites = _geo_frame(job, job.flat_columns())
    stamp = job.updated_date.strftime("%Y-%m-%dT00:00:00.000Z")
    with _gdal_config({"OGR_CURRENT_DATE": stamp}):
        _write_layer(
            sites, target, driver="GPKG", layer=SITES_LAYER, GEOMETRY_NAME="geom", VERSION="1.2",
            IDENTIFIER=_text(job.metadata.get("title")) or SITES_LAYER,
            DESCRIPTION=_text(job.metadata.get("description")),
            dataset_metadata=_metadata_strings(job),
        )
        for layer, key in ((SOURCES_LAYER, "sources"), (EVENTS_LAYER, "events")):
            _write_layer(_pandas_frame(job.related_columns(key)), target, driver="GPKG", layer=layer, append=True)
        meta = _pandas_frame([
            _Column("key", "str", [k for k, _ in job.metadata_rows()]),
            _Column("value", "str", [v for _, v in job.metadata_rows()]),
        ])
        _write_layer(meta, target, driver="GPKG", layer=METADATA_LAYER, append=True)
    job.tick()
    return [job.main]


def _write_fgb(job: _Job, stage: Path) -> list[str]:
    frame = _geo_frame(job, job.flat_columns())
    located = all(f.get("geometry") for f in job.features)
    _write_layer(
        frame, stage / job.main, driver="FlatGeobuf", layer=SITES_LAYER,
        SPATIAL_INDEX="YES" if located and job.features else "NO",
        TITLE=_text(job.metadata.get("title")), DESCRIPTION=_text(job.metadata.get("description")),
        layer_metadata=_metadata_strings(job),
    )
    job.tick()
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
    date = job.updated_date.isoformat()
    _write_layer(
        frame, stage / f"{stem}.shp", driver="ESRI Shapefile", layer=stem,
        ENCODING="UTF-8", DBF_DATE_LAST_UPDATE=date, SPATIAL_INDEX="NO",
    )
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
    job.tick()
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
    _write_layer(frame, stage / job.main, driver="CSV", layer=SITES_LAYER, LINEFORMAT="LF")
    job.tick()
    return [_write_sidecar(job, stage), job.main]


def _write_kml(job: _Job, stage: Path) -> list[str]:
    frame = _geo_frame(job, job.flat_columns())
    _write_layer(
        frame, stage / job.main, driver="LIBKML", layer=SITES_LAYER,
        NAME=_text(job.metadata.get("title")) or SITES_LAYER,
        DESCRIPTION=_text(job.metadata.get("description")),
    )
    job.notes["kml"] = (
        "each Placemark's id attribute is the site id (GDAL reads it back as the field 'id'); "
        "<name> is the site name; other properties are ExtendedData/SchemaData fields"
    )
    job.tick()
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
    for n, (sheet, columns) in enumerate(layers):
        _write_layer(_pandas_frame(columns), raw, driver="XLSX", layer=sheet, append=n > 0)
    # GDAL stamps the zip entries with the current time: repack with a fixed one
    with zipfile.ZipFile(raw) as zin:
        members = [(name, zin.read(name)) for name in zin.namelist()]
    _write_zip(stage / job.main, members)
    raw.unlink()
    job.tick()
    return [job.main]


def _write_sql(job: _Job, stage: Path) -> list[str]:
    parts = []
    title = _text(job.metadata.get("title"))
    citation = _text(job.metadata.get("citation"))
    license_ = _text(job.metadata.get("license"))
    comment = " ".join(p for p in (f"{title}." if title else "", f"Licence: {license_}." if license_ else "",
                                   f"Cite as: {citation}" if citation else "") if p)
    sites = _geo_frame(job, job.flat_columns())
    # every JSON text column (events, sources, nested extra properties) becomes jsonb
    jsonb = [n for n in job.notes["json_columns"] if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n)]
    layers = [
        (SITES_LAYER, sites, {"GEOMETRY_NAME": "geom", "SRID": "4326", "DESCRIPTION": comment,
                              "COLUMN_TYPES": ",".join(f"{n}=jsonb" for n in jsonb)}),
        (SOURCES_LAYER, _pandas_frame(job.related_columns("sources")), {}),
        (EVENTS_LAYER, _pandas_frame(job.related_columns("events")), {"COLUMN_TYPES": "sources=jsonb"}),
        (METADATA_LAYER, _pandas_frame([
            _Column("key", "str", [k for k, _ in job.metadata_rows()]),
            _Column("value", "str", [v for _, v in job.metadata_rows()]),
        ]), {}),
    ]
    for layer, frame, options in layers:
        part = stage / f"{layer}.part.sql"
        _write_layer(frame, part, driver="PGDUMP", layer=layer, LINEFORMAT="LF", **options)
        parts.append(part)
    header = (
        f"-- {title or 'mapkit sites'}: {len(job.features)} sites ({job.export_info['filter_text']}).\n"
        f"-- Written by mapkit {__version__} with GDAL's PGDUMP driver. Load with:\n"
        f"--   psql -v ON_ERROR_STOP=1 -d DATABASE -f {job.path.name}\n"
        "-- Needs the postgis extension (CREATE EXTENSION postgis). Replaces the tables "
        f"{SITES_LAYER}, {SOURCES_LAYER}, {EVENTS_LAYER} and {METADATA_LAYER} in schema public.\n"
    )
    with open(stage / job.main, "w", encoding="utf-8", newline="\n") as out:
        out.write(header)
        for part in parts:
            data = part.read_bytes()
            # PGDUMP does not report a failed write (e.g. a full disk): a script cut short has no
            # final COMMIT
            if not data.endswith(b"COMMIT;\n"):
                raise ExportError(
                    f"GDAL's PGDUMP driver stopped writing the {part.name.split('.')[0]} table early "
                    "(is the disk full?)"
                )
            out.write(data.decode("utf-8"))
            part.unlink()
    job.tick()
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

    frame = _geo_frame(job, job.flat_columns())
    raw = stage / ("raw-" + job.main)
    frame.to_parquet(raw, index=False)
    table = pq.read_table(raw)
    meta = dict(table.schema.metadata or {})
    meta[b"mapkit"] = _json_text({"collection": job.metadata, "export": job.export_info, **job.notes}).encode()
    pq.write_table(table.replace_schema_metadata(meta), stage / job.main)
    raw.unlink()
    job.tick()
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
def _staging(path: Path):
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
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            count = pyogrio.read_info(main, layer=layer, force_feature_count=True)["features"] \
                if job.format.name != "sql" else _count_sql_rows(main)
    except Exception as exc:
        message = re.sub(re.escape(str(stage)) + r"/?[^\s;:,]*", "the temporary file", " ".join(str(exc).split()))
        raise ExportError(
            f"{job.path}: the written file cannot be read back ({message}); "
            "nothing was replaced; is the disk full?"
        ) from None
    if count != expected:
        raise ExportError(
            f"{job.path}: the written file holds {count} sites, not {expected}; nothing was replaced; "
            "is the disk full?"
        )


def _count_sql_rows(path: Path) -> int:
    text = path.read_text(encoding="utf-8")
    return len(re.findall(rf'^INSERT INTO "public"\."{SITES_LAYER}" ', text, flags=re.M)) + sum(
        _copy_rows(block) for block in re.findall(
            rf'^COPY "public"\."{SITES_LAYER}" .*?\n(.*?)^\\\.$', text, flags=re.M | re.S
        )
    )


def _copy_rows(block: str) -> int:
    return block.count("\n")


def _commit(stage: Path, parent: Path, files: list[str], main_name: str) -> None:
    """Rename the staged files into place, the main file last (under ``main_name``); keep an
    existing file's mode."""
    umask = os.umask(0)
    os.umask(umask)
    for i, name in enumerate(files):
        staged = stage / name
        final = parent / (main_name if i == len(files) - 1 else name)
        try:
            mode = final.stat().st_mode & 0o7777 if final.exists() else 0o666 & ~umask
            os.chmod(staged, mode)
            os.replace(staged, final)
        except OSError as exc:
            raise ExportError(_oserror_message(final, exc, "move the export into place")) from None


# --------------------------------------------------------------------------- progress


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass


@contextlib.contextmanager
def _progress_bar(job: _Job, progress: bool | None):
    if progress is False:
        yield _NoBar()
        return
    from tqdm import tqdm

    # mapkit's own writers step once per feature; the others once per row while building the
    # columns, then once for the write itself
    total = len(job.features) + (0 if job.format.writer == "mapkit" else 1)
    bar = tqdm(
        total=total, desc=f"mapkit export {job.path.name}", unit="row", file=sys.stderr,
        delay=0 if progress else 1, leave=False, dynamic_ncols=True,
    )
    try:
        yield bar
    finally:
        bar.close()
