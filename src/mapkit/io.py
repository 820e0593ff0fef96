"""Reading and writing the dataset: GeoJSON <-> GeoDataFrame, canonical form, atomic writes."""

from __future__ import annotations

import codecs
import gc
import itertools
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
from mapkit.jsontext import COMPACT_ENCODER, JSONText, lone_surrogate_path  # noqa: F401 (JSONText re-exported)

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


def unreadable(path: Path, exc: OSError) -> DataFileError:
    """The one-line error (what is wrong; the fix) for a data file that cannot be opened or read."""
    if isinstance(exc, FileNotFoundError):
        return DataFileError(f"{path}: no such file; check the path (it is relative to the current directory)")
    if isinstance(exc, IsADirectoryError):
        return DataFileError(f"{path}: is a directory, not a GeoJSON file; give the path of the file in it")
    return DataFileError(f"{path}: cannot be read ({exc.strerror}); check the file and its permissions")


def read_json(path: str | os.PathLike) -> dict:
    """Read a JSON file, raising DataFileError that names the file and the place of a syntax error."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise unreadable(path, exc) from None
    try:
        with gc_paused():
            data = json.loads(text, parse_constant=_not_json, object_pairs_hook=_unique_pairs)
    except json.JSONDecodeError as exc:
        raise DataFileError(
            f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}; correct the syntax there"
        ) from None
    except _NotJSON as exc:
        raise DataFileError(f"{path}: {exc.args[0]} is not JSON; write null or a number") from None
    except _RepeatedKey as exc:
        raise DataFileError(f"{path}: the key {exc.args[0]!r} appears twice in one object, and JSON readers "
                            "differ on which one counts; keep one") from None
    if ("\\ud" in text or "\\uD" in text) and (where := lone_surrogate_path(data)) is not None:
        raise DataFileError(f"{path}: {_LONE_SURROGATE_PROBLEM.format(where=where)}; {_LONE_SURROGATE_FIX}")
    return data


_SPACE = re.compile(r"[ \t\n\r]*")


_LONE_SURROGATE_PROBLEM = "{where} holds a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape), which is not text"
_LONE_SURROGATE_FIX = "remove it, or write the character it stands for"


class _NotJSON(ValueError):
    pass


class _RepeatedKey(ValueError):
    pass


def _not_json(name: str):
    raise _NotJSON(name)


def _unique_pairs(pairs: list) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen = set()
        for key, _value in pairs:
            if key in seen:
                raise _RepeatedKey(key)
            seen.add(key)
    return obj


class FeatureStream:
    """The features of a GeoJSON FeatureCollection file, decoded one at a time.

    Iterating yields each element of the top-level ``features`` array as it is read, so only one
    feature (and a chunk of the file) is in memory at once; every other top-level member is in
    :attr:`members` once iteration is over. Errors are :class:`DataFileError` naming the file and,
    for bad JSON, the line and column, as :func:`read_json` gives them.
    """

    CHUNK = 1 << 20
    #: Text kept ahead of the value being decoded.
    LOOKAHEAD = 1 << 16

    def __init__(self, path: str | os.PathLike, *, strict: bool = True):
        """``strict``: refuse a key repeated in any object (JSON readers differ on which value
        counts); it costs about a sixth of the reading time. A repeated top-level member, NaN,
        Infinity and lone surrogates are always refused."""
        self.path = Path(path)
        #: top-level members other than ``features`` (complete once iteration has ended)
        self.members: dict = {}
        #: whether a ``features`` array was found
        self.has_features = False
        self._decoder = json.JSONDecoder(parse_constant=_not_json, object_pairs_hook=_unique_pairs if strict else None)

    # -- reading ---------------------------------------------------------------------------

    def _open(self):
        try:
            self._fh = open(self.path, "rb")  # noqa: SIM115 (closed in __iter__)
        except OSError as exc:
            raise unreadable(self.path, exc) from None
        self.members = {}
        self.has_features = False
        self._utf8 = codecs.getincrementaldecoder("utf-8")("strict")
        self._bytes_read = 0
        self._eof = False
        self._buf = ""
        self._dropped = 0  # characters read and dropped from the buffer
        self._escapes = False  # whether the text read so far has a \ud800-\udfff style escape
        self._edge = b""  # the last bytes of the previous chunk
        self._chunk = self.CHUNK

    def _more(self) -> bool:
        """Append the next chunk of text to the buffer; False at the end of the file."""
        if self._eof:
            return False
        try:
            data = self._fh.read(self._chunk)
        except OSError as exc:
            raise unreadable(self.path, exc) from None
        pending = len(self._utf8.getstate()[0])
        try:
            text = self._utf8.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            at = self._bytes_read - pending + exc.start
            raise DataFileError(f"{self.path}: not UTF-8 text ({exc.reason} at byte {at}); save it as UTF-8") from None
        self._bytes_read += len(data)
        if not data:
            self._eof = True
        self._buf += text
        if not self._escapes:
            # searched in the bytes (faster than in text); an escape may straddle two chunks
            edge = self._edge + data[:3]
            self._edge = data[-3:] if len(data) >= 3 else (self._edge + data)[-3:]
            if b"\\u" in data or b"\\u" in edge:
                self._escapes = any(e in data or e in edge for e in (b"\\ud", b"\\uD"))
        return bool(data) or bool(text)

    def _drop(self, pos: int) -> int:
        """Forget the buffer before ``pos``; return the new position."""
        if pos < self.CHUNK:
            return pos
        self._dropped += pos
        self._buf = self._buf[pos:]
        return 0

    def _error(self, message: str, pos: int, fix: str = "correct the syntax there") -> DataFileError:
        """A JSON error at buffer position ``pos``, with its line and column in the file."""
        offset = self._dropped + min(pos, len(self._buf))
        line, column = self._line_and_column(offset)
        return DataFileError(f"{self.path}: invalid JSON at line {line}, column {column}: {message}; {fix}")

    def _line_and_column(self, offset: int) -> tuple[int, int]:
        # counted only when there is an error: re-read the text before it (lines are not
        # counted while reading, which would cost a tenth of the reading time)
        line, column, seen = 1, 1, 0
        with open(self.path, encoding="utf-8", errors="replace", newline="") as fh:
            while seen < offset:
                text = fh.read(min(self.CHUNK, offset - seen))
                if not text:
                    break
                seen += len(text)
                newlines = text.count("\n")
                if newlines:
                    line += newlines
                    column = len(text) - text.rfind("\n")
                else:
                    column += len(text)
        return line, column

    def _skip(self, pos: int) -> int:
        """Skip white space from ``pos``, reading on if the buffer ends; the next position."""
        while True:
            pos = _SPACE.match(self._buf, pos).end()
            if pos < len(self._buf) or not self._more():
                return pos

    def _char(self, pos: int) -> str:
        return self._buf[pos] if pos < len(self._buf) else ""

    def _value(self, pos: int):
        """Decode the JSON value at ``pos`` (reading on while it runs past the buffer)."""
        if len(self._buf) - pos < self.LOOKAHEAD and not self._eof:
            # most values are shorter than this: read on now rather than fail at the end of the
            # buffer and decode again (a failure also counts the lines up to it)
            self._more()
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buf, pos)
            except _NotJSON as exc:
                raise self._error(f"{exc.args[0]} is not JSON (in the value that starts here)",
                                  pos, "write null or a number") from None
            except _RepeatedKey as exc:
                raise self._error(f"the key {exc.args[0]!r} appears twice in one object (in the value that "
                                  "starts here), and JSON readers differ on which one counts", pos, "keep one") from None
            except json.JSONDecodeError as exc:
                # only a value cut off by the end of the buffer is worth reading on for (6: a
                # \uXXXX escape cut short); any other error is reported at once
                cut = exc.pos >= len(self._buf) - 6 or exc.msg.startswith("Unterminated string")
                if cut and self._more():
                    self._chunk = min(self._chunk * 2, 64 << 20)  # a long value: read faster
                    continue
                raise self._error(exc.msg, exc.pos) from None
            # a number (or any scalar) that ends with the buffer may go on in the next chunk
            if end < len(self._buf) or self._eof or not self._more():
                self._chunk = self.CHUNK
                # a lone surrogate can only come from a \u escape (UTF-8 cannot store one)
                if self._escapes and (self._buf.find("\\ud", pos, end) >= 0 or self._buf.find("\\uD", pos, end) >= 0):
                    where = lone_surrogate_path(value)
                    if where is not None:
                        raise self._error(_LONE_SURROGATE_PROBLEM.format(where=where or "the value"), pos,
                                          _LONE_SURROGATE_FIX)
                return value, end

    # -- the collection ----------------------------------------------------------------------

    def __iter__(self):
        self._open()
        try:
            yield from self._collection()
        finally:
            self._fh.close()
            self._buf = ""

    def _collection(self):
        pos = self._skip(0)
        if self._char(pos) != "{":
            value, end = self._value(pos)  # a JSON error, or valid JSON that is not an object
            self._trailing(end)
            self.members = {"type": None}
            return
        pos = self._skip(pos + 1)
        if self._char(pos) == "}":
            self._trailing(pos + 1)
            return
        while True:
            if self._char(pos) != '"':
                raise self._error("Expecting property name enclosed in double quotes", pos)
            key_pos = pos
            key, pos = self._value(pos)
            pos = self._skip(pos)
            if self._char(pos) != ":":
                raise self._error("Expecting ':' delimiter", pos)
            pos = self._skip(pos + 1)
            if key in self.members or (key == "features" and self.has_features):
                raise self._error(f"the member {key!r} appears twice, and JSON readers differ on which one counts",
                                  key_pos, "keep one")
            if key == "features" and self._char(pos) == "[":
                self.has_features = True
                pos = yield from self._features(pos + 1)
            else:
                value, pos = self._value(pos)
                self.members[key] = value
            pos = self._drop(self._skip(pos))
            char = self._char(pos)
            if char == "}":
                self._trailing(pos + 1)
                return
            if char != ",":
                raise self._error("Expecting ',' delimiter", pos)
            pos = self._skip(pos + 1)

    def _features(self, pos: int):
        pos = self._skip(pos)
        if self._char(pos) == "]":
            return pos + 1
        while True:
            feature, pos = self._value(pos)
            yield feature
            pos = self._drop(self._skip(pos))
            char = self._char(pos)
            if char == "]":
                return pos + 1
            if char != ",":
                raise self._error("Expecting ',' delimiter", pos)
            pos = self._skip(pos + 1)

    def _trailing(self, pos: int) -> None:
        pos = self._skip(pos)
        if pos < len(self._buf):
            raise self._error("Extra data", pos)

    def check_collection(self) -> None:
        """Raise DataFileError unless what was read is a FeatureCollection with a features list."""
        if self.members.get("type") != "FeatureCollection":
            raise DataFileError(f"{self.path}: not a GeoJSON FeatureCollection (top-level \"type\" must be \"FeatureCollection\")")
        if not self.has_features:
            raise DataFileError(f"{self.path}: the FeatureCollection has no \"features\" list")


def collection_metadata(collection: Mapping) -> dict:
    """The foreign members of a FeatureCollection (title, licence, citation, ...)."""
    return {k: v for k, v in collection.items() if k not in _COLLECTION_KEYS_NOT_META}


_NESTED = frozenset((list, dict))
_NUMBER = frozenset((int, float))
_FEATURE_KEYS = frozenset(("type", "id", "geometry", "properties"))
#: The ``frame.attrs`` key of a :class:`RowExtras`.
ROW_EXTRAS_ATTR = "mapkit_row_extras"


class RowExtras:
    """What a frame has no cell for, by site id: the unnamed properties that were present but null
    (a cell cannot tell null from absent), and the members of a Feature besides type, id, geometry
    and properties. Keyed by site id, so it survives filtering, sorting and re-indexing.

    pandas copies a frame's attrs on every column access; this object, never changed after
    loading, copies as itself.
    """

    __slots__ = ("nulls", "members")

    def __init__(self, nulls: dict[str, set], members: dict[str, dict]):
        self.nulls = nulls  # property -> ids of the sites where it is null
        self.members = members  # site id -> its Feature's foreign members

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self
#: Properties whose values recur from site to site: one string object per distinct value (at
#: 100,000 sites that saves tens of megabytes of identical strings).
_REPEATED = frozenset(("country", "city", "location_precision", "mode", "status", "status_date", "opened",
                       "closed", "operator", "host_organization", "reported_by"))


class FrameBuilder:
    """Builds the sites frame one feature at a time (see :func:`frame_from_collection`).

    Properties are gathered in batches and moved into columns a batch at a time (a list
    comprehension per column beats a Python loop per cell by far at 100,000 sites).
    """

    BATCH = 1024

    def __init__(self, *, source: str | None = None, nested_as_text: bool = False, owned: bool = False):
        """``owned``: the features are the builder's to change (freshly decoded, as in :func:`load`)."""
        self.source = source
        self.nested_as_text = nested_as_text
        self.owned = owned
        self.n = 0
        # every property the data model names, then every other one in the order first seen
        self._columns: dict[str, list] = {name: [] for name in schema.PROPERTY_ORDER}
        self._batch: list[Mapping] = []
        self._rows = 0  # rows already moved into the columns
        self._shared: dict[str, str] = {}
        self._nulls: dict[str, set] = {}  # unnamed property -> ids of the sites where it is null
        self._members: dict[str, dict] = {}  # site id -> the feature's foreign members
        self._other: dict[int, tuple] = {}  # row -> (geometry that is not a 2D/3D point, site id)
        self._nested_keys: list[str] = []  # properties seen holding a list or an object
        self._xs: list[float] = []
        self._ys: list[float] = []
        self._zs: dict[int, tuple] = {}  # row -> (its index in _xs and _ys, z)
        self._located: list[int] = []

    def add(self, feature) -> None:
        """Add one feature (a GeoJSON Feature dict)."""
        i = self.n
        # type(...) is dict first: an ABC isinstance check per feature adds up at 100,000 sites
        if type(feature) is not dict and not isinstance(feature, Mapping):
            raise DataFileError(f"{self.source or 'data'}: feature {i + 1} is not a JSON object; make it a Feature object")
        props = feature.get("properties")
        if type(props) is not dict and not isinstance(props, Mapping):
            props = {}
        if "id" not in props and feature.get("id") is not None:
            props = {**props, "id": feature["id"]}
        elif not self.owned:
            props = dict(props)
        if self.nested_as_text and not _NESTED.isdisjoint(map(type, props.values())):
            # nested values become text as each feature comes in, while it is in the cache; the
            # decoded trees are freed before the next feature is read
            encode = COMPACT_ENCODER.encode
            for key in self._nested_keys:  # the properties that held lists before (events, sources)
                value = props.get(key)
                if type(value) in _NESTED:
                    props[key] = JSONText(encode(value))
            if not _NESTED.isdisjoint(map(type, props.values())):
                for key, value in props.items():
                    if type(value) in _NESTED:
                        self._nested_keys.append(key)
                        props[key] = JSONText(encode(value))
        self._batch.append(props)
        if len(self._batch) >= self.BATCH:
            self._flush()
        if not feature.keys() <= _FEATURE_KEYS and isinstance(props.get("id"), str):
            self._members[props["id"]] = {k: v for k, v in feature.items() if k not in _FEATURE_KEYS}
        geometry = feature.get("geometry")
        if geometry is not None:
            coords = geometry.get("coordinates") if type(geometry) is dict else None
            if type(coords) is list and geometry.get("type") == "Point" and (
                    (len(coords) == 2 and type(coords[0]) in _NUMBER and type(coords[1]) in _NUMBER)
                    or (len(coords) == 3 and all(type(c) in _NUMBER for c in coords))):
                self._located.append(i)
                self._xs.append(coords[0])
                self._ys.append(coords[1])
                if len(coords) > 2:
                    self._zs[i] = (len(self._xs) - 1, coords[2])
            else:  # any other geometry is kept as it is (or refused when it is no geometry)
                self._other[i] = (geometry, props.get("id"))
        self.n = i + 1

    def _flush(self) -> None:
        batch, columns = self._batch, self._columns
        if not batch:
            return
        for props in batch:
            if not props.keys() <= columns.keys():
                for key in props:
                    if key not in columns:
                        columns[key] = [None] * self._rows
        shared = self._shared.setdefault
        for key, column in columns.items():
            values = [props.get(key) for props in batch]
            if key in _REPEATED:  # one string object per distinct value; the copies die here
                values = [shared(v, v) if type(v) is str else v for v in values]
            column.extend(values)
            if key not in _NAMED:
                # an unnamed property that is present but null stays so (absent ones are absent)
                nulls = {props.get("id") for props in batch if key in props and props[key] is None}
                nulls.discard(None)
                if nulls:
                    self._nulls.setdefault(key, set()).update(nulls)
        self._rows += len(batch)
        self._batch = []

    def _shape(self, i: int, geometry, site_id):
        """A geometry other than a plain point, as shapely reads it; DataFileError if it is none."""
        where = f"{self.source or 'data'}: feature {i + 1}" + (f" ({site_id})" if isinstance(site_id, str) else "")
        try:
            if not isinstance(geometry, Mapping):
                raise ValueError("not a JSON object")
            return shapely.from_geojson(json.dumps(geometry, allow_nan=False))
        except (ValueError, TypeError, shapely.errors.GEOSException) as exc:
            reason = " ".join(str(exc).split())[:120]
            raise DataFileError(f"{where}: geometry is not a GeoJSON geometry ({reason}); give a Point "
                                "[longitude, latitude], or null if the site has no location") from None

    def frame(self, metadata: Mapping | None = None) -> gpd.GeoDataFrame:
        """The GeoDataFrame of every feature added (``metadata``: the collection's foreign members)."""
        self._flush()
        n = self.n
        # object dtype everywhere: no NaN upcasting of ints, no datetime parsing, lists stay lists
        data = {name: pd.Series(values, dtype=object, copy=False) for name, values in self._columns.items()}
        geometry = np.full(n, None, dtype=object)
        if self._located:
            located = np.array(self._located, dtype=np.int64)
            geometry[located] = shapely.points(np.array(self._xs, dtype=float), np.array(self._ys, dtype=float))
            for i, (k, z) in self._zs.items():
                geometry[i] = shapely.Point(self._xs[k], self._ys[k], z)
        for i, (other, site_id) in self._other.items():
            geometry[i] = self._shape(i, other, site_id)
        # a property called "geometry" keeps its column; the points get another name
        name = "geometry"
        while name in data:
            name = f"site_{name}"
        data[name] = gpd.GeoSeries(geometry, crs="EPSG:4326")
        # copy=False: no second copy of every column in one consolidated block
        frame = gpd.GeoDataFrame(data, geometry=name, crs="EPSG:4326", copy=False)
        frame.attrs["collection"] = dict(metadata or {})
        if self._nulls or self._members:
            frame.attrs[ROW_EXTRAS_ATTR] = RowExtras(self._nulls, self._members)
        if self.source is not None:
            frame.attrs["source"] = str(self.source)
        return frame


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
    builder = FrameBuilder(source=source)
    with gc_paused():
        for feature in features:
            builder.add(feature)
        return builder.frame(collection_metadata(collection))


def load(path: str | os.PathLike = DEFAULT_DATA, *, nested_as_text: bool = False, strict: bool = True) -> gpd.GeoDataFrame:
    """Load a sites GeoJSON file as a GeoDataFrame (see :func:`frame_from_collection`).

    The file is read one feature at a time, so memory holds the frame, not also the file and its
    whole JSON tree. With ``nested_as_text``, lists and objects in properties (events, sources,
    ...) stay as their compact JSON text (:class:`JSONText`): enough for a map, which only passes
    them through, in about a third of the memory at 100,000 sites. ``strict=False`` skips the
    check for keys repeated inside an object (see :class:`FeatureStream`), for a file that was
    just validated.

    Raises DataFileError for a file that is missing, not JSON or not a FeatureCollection; use
    :func:`mapkit.validate` for everything else.
    """
    stream = FeatureStream(path, strict=strict)
    builder = FrameBuilder(source=str(path), nested_as_text=nested_as_text, owned=True)
    with gc_paused():
        for feature in stream:
            builder.add(feature)
        stream.check_collection()
        return builder.frame(collection_metadata(stream.members))


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
    if kind is JSONText:
        return json.loads(value)
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
        _restore_row_extras(frame, features)
    return {"type": "FeatureCollection", **meta, "features": features}


def _restore_row_extras(frame, features: list) -> None:
    """Put back what load kept beside the frame (see :class:`RowExtras`)."""
    extras = frame.attrs.get(ROW_EXTRAS_ATTR)
    if not isinstance(extras, RowExtras) or "id" not in frame:
        return
    ids = frame["id"].tolist()
    for column, null_ids in extras.nulls.items():
        if column not in frame:
            continue
        for feature, site_id, value in zip(features, ids, frame[column].tolist()):
            if type(site_id) is str and site_id in null_ids and _is_missing(value):
                feature["properties"][column] = None
    if extras.members:
        for feature, site_id in zip(features, ids):
            for key, value in (extras.members.get(site_id, {}) if type(site_id) is str else {}).items():
                feature.setdefault(key, value)


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
    precision = props.get("location_precision")
    decimals = schema.MAX_DECIMALS.get(precision, GEOJSON_DECIMALS) if isinstance(precision, str) else GEOJSON_DECIMALS
    out["geometry"] = _round_point(feature.get("geometry"), min(decimals, GEOJSON_DECIMALS))
    out["properties"] = _ordered(props, order)
    for key in sorted(k for k in feature if k not in out):
        out[key] = feature[key]
    return out


def sort_key(feature: Mapping) -> str:
    """The key features are sorted by: the id (the Feature's, else the property), as text."""
    fid = feature.get("id")
    if fid is None:
        fid = (feature.get("properties") or {}).get("id")
    return "" if fid is None else str(fid)


#: Features looked at to tell sites, operators and country outlines apart.
KIND_SAMPLE = 20


def features_kind(features: Iterable) -> str:
    """'sites', 'operators' or 'countries', from a collection's first features (see :data:`KIND_SAMPLE`).

    Country outlines: every feature is a (Multi)Polygon with an ``iso_a2`` property. Operators:
    every feature has a ``province`` and no ``status``. Anything else is sites, so a sites file
    is never taken for another kind because of its name or one odd property.
    """
    sample = [f for f in itertools.islice(features, KIND_SAMPLE) if isinstance(f, Mapping)]
    if not sample:
        return "sites"
    props = [f.get("properties") if isinstance(f.get("properties"), Mapping) else {} for f in sample]
    shapes = [f.get("geometry") for f in sample]
    if all("iso_a2" in p for p in props) and all(
            isinstance(g, Mapping) and g.get("type") in ("Polygon", "MultiPolygon") for g in shapes):
        return "countries"
    if all("province" in p and "status" not in p for p in props):
        return "operators"
    return "sites"


def collection_kind(collection: Mapping) -> str:
    """'sites', 'operators' or 'countries' (see :func:`features_kind`)."""
    features = collection.get("features")
    return features_kind(features if isinstance(features, list) else [])


def is_operators_collection(collection: Mapping) -> bool:
    """True for an operators file (bureaus: a province, no status) rather than sites."""
    return collection_kind(collection) == "operators"


def canonical_collection(collection: Mapping) -> dict:
    """The canonical form of a sites or operators collection: fixed key order, sorted by id."""
    order = schema.OPERATOR_ORDER if is_operators_collection(collection) else schema.PROPERTY_ORDER
    features = [canonical_feature(f, order=order) for f in collection.get("features", [])]
    features.sort(key=sort_key)
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
    if path.is_symlink():
        path = path.resolve()  # write the file the link points to; keep the link
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
