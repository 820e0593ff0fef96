"""Reading and writing the dataset: GeoJSON <-> GeoDataFrame, canonical form, atomic writes."""

from __future__ import annotations

import gc
import json
import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapkit import schema
from mapkit.errors import DataFileError

from mapkit.schema import DEFAULT_COUNTRIES, DEFAULT_DATA, DEFAULT_OPERATORS  # noqa: E402,F401 (re-exported)

#: Decimals kept in any GeoJSON we write (RFC 7946 §11.2: about 10 cm).
GEOJSON_DECIMALS = 6

_COLLECTION_KEYS_NOT_META = ("type", "features", "crs", "bbox")


# --------------------------------------------------------------------------- reading


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while building millions of small objects.

    JSON trees and per-site dicts hold no reference cycles, yet each allocation burst would
    trigger ever longer collections: at 100,000 sites parsing takes 4 s with it on, 1 s off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_json(path: str | os.PathLike) -> dict:
    """Read a JSON file, raising DataFileError that names the file and the place of a syntax error."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(f"{path}: no such file (give the path of a GeoJSON file)") from None
    except IsADirectoryError:
        raise DataFileError(f"{path}: is a directory, not a GeoJSON file") from None
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise DataFileError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        with gc_paused():
            return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(
            f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}; fix the syntax there"
        ) from None


def collection_metadata(collection: Mapping) -> dict:
    """The foreign members of a FeatureCollection (title, licence, citation, ...)."""
    return {k: v for k, v in collection.items() if k not in _COLLECTION_KEYS_NOT_META}


def frame_from_collection(collection: Mapping, *, source: str | None = None) -> gpd.GeoDataFrame:
    """Turn a FeatureCollection dict into a GeoDataFrame of sites.

    One row per feature, one column per property (every property the data model names, plus every
    other property any feature has), lists and nested objects kept as Python objects, dates as the
    ISO strings they were. Collection foreign members go to ``frame.attrs["collection"]``.
    """
    if not isinstance(collection, Mapping) or collection.get("type") != "FeatureCollection":
        where = source or "data"
        raise DataFileError(f"{where}: not a GeoJSON FeatureCollection (top-level \"type\" must be \"FeatureCollection\")")
    features = collection.get("features")
    if not isinstance(features, list):
        raise DataFileError(f"{source or 'data'}: the FeatureCollection has no \"features\" list")

    records: list[dict] = []
    xs = np.full(len(features), np.nan)
    ys = np.full(len(features), np.nan)
    zs: dict[int, float] = {}
    located = np.zeros(len(features), dtype=bool)
    for i, feature in enumerate(features):
        if not isinstance(feature, Mapping):
            raise DataFileError(f"{source or 'data'}: feature #{i} is not a JSON object")
        props = feature.get("properties")
        props = dict(props) if isinstance(props, Mapping) else {}
        if "id" not in props and feature.get("id") is not None:
            props["id"] = feature["id"]
        records.append(props)
        geometry = feature.get("geometry")
        if isinstance(geometry, Mapping) and geometry.get("type") == "Point":
            coords = geometry.get("coordinates") or []
            if len(coords) >= 2 and all(isinstance(c, (int, float)) for c in coords[:3]):
                xs[i], ys[i] = coords[0], coords[1]
                if len(coords) > 2:
                    zs[i] = coords[2]
                located[i] = True

    columns = list(schema.PROPERTY_ORDER)
    seen = set(columns)
    for record in records:
        for key in record:
            if key not in seen:
                seen.add(key)
                columns.append(key)
    # object dtype everywhere: no NaN upcasting of ints, no datetime parsing, lists stay lists
    data = {col: pd.Series([r.get(col) for r in records], dtype=object) for col in columns}
    geometry = np.full(len(features), None, dtype=object)
    if located.any():
        geometry[located] = shapely.points(xs[located], ys[located])
        for i, z in zs.items():
            geometry[i] = shapely.Point(xs[i], ys[i], z)
    frame = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geometry, crs="EPSG:4326"), crs="EPSG:4326")
    frame.attrs["collection"] = collection_metadata(collection)
    if source is not None:
        frame.attrs["source"] = str(source)
    return frame


def load(path: str | os.PathLike = DEFAULT_DATA) -> gpd.GeoDataFrame:
    """Load a sites GeoJSON file as a GeoDataFrame (see :func:`frame_from_collection`).

    Raises DataFileError for a file that is missing, not JSON or not a FeatureCollection; use
    :func:`mapkit.validate` for everything else.
    """
    collection = read_json(path)
    with gc_paused():
        return frame_from_collection(collection, source=str(path))


# --------------------------------------------------------------------------- writing


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


_PASS_THROUGH = (str, int, bool, list, dict)


def _plain(value):
    """A plain JSON-able value for one cell: NaN and NaT become None, numpy scalars Python ones.

    Lists and dicts (events, sources, nested extras) pass through as they are: they came from
    JSON; anything odd nested inside them is converted when written (see :func:`json_default`).
    """
    kind = type(value)
    if kind in _PASS_THROUGH or value is None:
        return value
    if kind is float:
        return None if value != value else value
    if _is_missing(value) or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def json_default(value):
    """``json.dumps(default=...)`` hook for values nested in lists or dicts of a frame."""
    plain = _plain(value)
    if plain is value:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
    return plain


def _ordered(obj: Mapping, order: Iterable[str]) -> dict:
    """A copy of ``obj`` with the keys in ``order`` first, then the rest sorted."""
    out = {key: obj[key] for key in order if key in obj}
    for key in sorted(k for k in obj if k not in out):
        out[key] = obj[key]
    return out


def _round(value: float, decimals: int) -> float:
    rounded = round(float(value), decimals)
    return 0.0 if rounded == 0 else rounded  # no "-0.0" in files


def geometry_to_json(geom, decimals: int = GEOJSON_DECIMALS) -> dict | None:
    """A Point geometry as a GeoJSON dict with at most ``decimals`` decimals, or None."""
    if geom is None or (not isinstance(geom, shapely.Geometry)) or geom.is_empty:
        return None
    if geom.geom_type != "Point":
        return json.loads(shapely.to_geojson(geom))
    coords = [_round(geom.x, decimals), _round(geom.y, decimals)]
    if geom.has_z:
        coords.append(_round(geom.z, decimals))
    return {"type": "Point", "coordinates": coords}


def feature_properties(row: Mapping, columns: Iterable[str]) -> dict:
    """The properties of one row: named fields always (null if missing), others only if set."""
    named = _NAMED
    props = {}
    for col in columns:
        value = _plain(row[col])
        if value is not None or col in named:
            props[col] = value
    return props


_NAMED = frozenset(schema.PROPERTY_ORDER)


def to_feature_collection(
    frame: gpd.GeoDataFrame,
    *,
    metadata: Mapping | None = None,
    decimals: int = GEOJSON_DECIMALS,
    round_to_precision: bool = False,
) -> dict:
    """The sites of ``frame`` as an RFC 7946 FeatureCollection dict (features in frame order).

    Collection metadata comes from ``frame.attrs["collection"]`` unless ``metadata`` is given.
    With ``round_to_precision``, each point keeps no more decimals than its location precision
    supports (see ``schema.MAX_DECIMALS``).
    """
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    meta = dict(frame.attrs.get("collection", {}) if metadata is None else metadata)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    # column lists and one pass over rows: itertuples and per-cell .iloc are far slower at 100k
    values = [frame[c].tolist() for c in columns]
    named = [c in _NAMED for c in columns]
    geometries = frame.geometry.array
    precisions = frame["location_precision"].tolist() if "location_precision" in frame else None
    with gc_paused():
        features = _features_from_columns(columns, values, named, geometries, precisions,
                                          decimals, round_to_precision)
    return {"type": "FeatureCollection", **meta, "features": features}


def _features_from_columns(columns, values, named, geometries, precisions, decimals, round_to_precision):
    features = []
    for i, row in enumerate(zip(*values)):
        props = {}
        for col, is_named, value in zip(columns, named, row):
            value = _plain(value)
            if value is not None or is_named:
                props[col] = value
        places = decimals
        if round_to_precision and precisions is not None:
            places = min(decimals, schema.MAX_DECIMALS.get(precisions[i], decimals))
        features.append(
            {
                "type": "Feature",
                "id": props.get("id"),
                "geometry": geometry_to_json(geometries[i], places),
                "properties": props,
            }
        )
    return features


def _round_point(geometry, decimals: int):
    if isinstance(geometry, Mapping) and geometry.get("type") == "Point":
        coords = geometry.get("coordinates")
        if isinstance(coords, list) and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in coords):
            return {**geometry, "coordinates": [_round(c, decimals) for c in coords]}
    return geometry


def canonical_feature(feature: Mapping, *, order: Iterable[str] = schema.PROPERTY_ORDER) -> dict:
    """A feature in canonical form: the data model's key order (properties, events, sources),
    and a point with no more decimals than its location precision supports."""
    props = dict(feature.get("properties") or {})
    if isinstance(props.get("events"), list):
        props["events"] = [
            _ordered(e, schema.EVENT_ORDER) if isinstance(e, Mapping) else e for e in props["events"]
        ]
    if isinstance(props.get("sources"), list):
        props["sources"] = [
            _ordered(s, schema.SOURCE_ORDER) if isinstance(s, Mapping) else s for s in props["sources"]
        ]
    out = {"type": "Feature", "id": feature.get("id", props.get("id"))}
    decimals = schema.MAX_DECIMALS.get(props.get("location_precision"), GEOJSON_DECIMALS)
    out["geometry"] = _round_point(feature.get("geometry"), min(decimals, GEOJSON_DECIMALS))
    out["properties"] = _ordered(props, order)
    for key in sorted(k for k in feature if k not in out):
        out[key] = feature[key]
    return out


def _sort_key(feature: Mapping) -> str:
    fid = feature.get("id")
    if fid is None:
        fid = (feature.get("properties") or {}).get("id")
    return "" if fid is None else str(fid)


def is_operators_collection(collection: Mapping) -> bool:
    """True for an operators file (bureaus: a province, no status) rather than sites."""
    features = collection.get("features") or []
    props = [f.get("properties") or {} for f in features[:20] if isinstance(f, Mapping)]
    return bool(props) and all("province" in p and "status" not in p for p in props)


def canonical_collection(collection: Mapping) -> dict:
    """The canonical form of a sites or operators collection: fixed key order, sorted by id."""
    order = schema.OPERATOR_ORDER if is_operators_collection(collection) else schema.PROPERTY_ORDER
    features = [canonical_feature(f, order=order) for f in collection.get("features", [])]
    features.sort(key=_sort_key)
    head = _ordered({k: v for k, v in collection.items() if k != "features"}, schema.COLLECTION_ORDER)
    return {**head, "features": features}


_COORDINATES = re.compile(r'"coordinates": \[\s*([^\[\]]*?)\s*\]')


def dumps(collection: Mapping) -> str:
    """Serialise a collection the way mapkit files are kept: UTF-8, 2-space indent, final newline.

    A point's coordinates stay on one line, so a moved point is a one-line diff.
    """
    text = json.dumps(collection, ensure_ascii=False, indent=2, allow_nan=False, default=json_default)
    text = _COORDINATES.sub(
        lambda m: '"coordinates": [' + ", ".join(n.strip() for n in m.group(1).split(",")) + "]", text
    )
    return text + "\n"


@contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str | None = None):
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename.

    On any exception the temporary file is removed and ``path`` is left exactly as it was.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(
        dir=directory, prefix=f".{path.name}.", suffix=suffix if suffix is not None else ".tmp"
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if path.exists():
            try:
                os.chmod(tmp, path.stat().st_mode & 0o7777)
            except OSError:
                pass
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (temporary file, fsync, rename)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    return path


def write_geojson(
    data: gpd.GeoDataFrame | Mapping,
    path: str | os.PathLike,
    *,
    canonical: bool = True,
    metadata: Mapping | None = None,
) -> Path:
    """Write sites (a frame or a FeatureCollection dict) as GeoJSON, atomically.

    ``canonical`` (the default) writes the form kept in git: features sorted by id, the data
    model's key order, coordinates rounded to what their location precision supports.
    """
    if isinstance(data, gpd.GeoDataFrame):
        collection = to_feature_collection(data, metadata=metadata, round_to_precision=canonical)
    else:
        collection = dict(data)
        if metadata is not None:
            collection = {"type": "FeatureCollection", **metadata, "features": collection.get("features", [])}
    if canonical:
        collection = canonical_collection(collection)
    return write_text_atomic(path, dumps(collection))


def load_operators(path: str | os.PathLike = DEFAULT_OPERATORS) -> gpd.GeoDataFrame:
    """Load the police bureaus file as a GeoDataFrame (one row per operator)."""
    return load(path)
