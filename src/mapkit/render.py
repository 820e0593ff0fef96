"""The map page: a folium map, our own JavaScript and CSS, and the data embedded once as JSON.

:func:`build_map` returns a :class:`folium.Map`; :func:`save_map` writes it as one self-contained
HTML file. What ends up in the page:

* Leaflet and Leaflet.markercluster, read from the XStatic packages on PyPI and inlined (with their
  images as ``data:`` URIs), never linked from a CDN; folium's own CDN links are switched off per
  element (never with ``add_js_link``, which changes class attributes for every map in the process).
* ``assets/map.css`` and ``assets/map.js`` (real files in this package), inlined.
* One ``<script type="application/json" id="mapkit-data">`` holding the configuration as escaped
  JSON (nothing in the data can end the script element) and, in it, the sites and the country
  outlines as one base64 blob of raw-deflate JSON pieces (:func:`pack_sites`): a "light" part the
  page decodes before it is ready (the properties the map, filters, search and list need, one array
  per property) and "heavy" chunks of rows (events, sources, notes, every other property) it decodes
  only for a popup, a site's details or a download. The page inserts every value as text;
  :func:`page_data` reads the data back from a page.

The page is rendered with a short mark in place of the data, and the data written in its place
(:func:`save_map` writes head, data and tail to the file; no copy of the whole page is made).

The same frame and options give byte-identical HTML: folium's random element ids are replaced by
a counter before rendering, and the data is compressed at a fixed zlib level with no timestamps.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import sys
import zlib
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import folium
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from mapkit import __version__, schema
from mapkit.errors import DataFileError, RenderError
from mapkit.filters import FACETS, FILTER_KEYS, NONE, TEXT_FIELDS, describe, normalize_filters
from mapkit.jsontext import JSONText, escape_lone_surrogates
from mapkit.io import (
    DEFAULT_COUNTRIES,
    DEFAULT_OPERATORS,
    GEOJSON_DECIMALS,
    _plain,
    atomic_path,
    gc_paused,
    geometry_to_json,
    json_default,
    load,
    read_json,
    to_feature_collection,
)

# --------------------------------------------------------------------------- tiles

#: The default basemap: CARTO's "Positron" raster tiles (light_all), drawn from OpenStreetMap data.
#: Chosen because (a) tile.openstreetmap.org refuses requests without a Referer header, and a page
#: opened from file:// (an e-mail attachment, a USB stick) sends none, while CARTO's basemap CDN
#: serves such requests without an API key; (b) the attribution CARTO's terms ask for
#: ("© OpenStreetMap contributors © CARTO", https://carto.com/attributions) is shown on the map;
#: (c) the light style keeps the status colours readable. CARTO's basemap terms allow free use for
#: non-commercial, low-volume maps like this one; anyone publishing at scale should pass their own
#: provider (``tiles=URL``), or ``tiles="none"`` to make the page send no request at all.
DEFAULT_TILES = {
    "url": "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
    "attribution": (
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors '
        '&copy; <a href="https://carto.com/attributions">CARTO</a>'
    ),
    "subdomains": "abcd",
    "max_zoom": 20,
    "name": "CARTO Positron (OpenStreetMap data)",
}

#: Placeholders Leaflet fills in a tile URL template.
_TILE_PLACEHOLDERS = {"s", "z", "x", "y", "r", "-y"}
_TILE_EXAMPLE = "https://tile.example.org/{z}/{x}/{y}.png"

#: Sites located above this many switch from marker clusters (one DOM node per marker, keyboard
#: reachable) to the page's own canvas grid clustering (no DOM node per site; issue 7).
CLUSTER_THRESHOLD = 2000

STATUS_COLORS = {  # Okabe-Ito palette (colour-blind safe); grey for closed
    "active": "#D55E00",
    "under_investigation": "#E69F00",
    "reported": "#0072B2",
    "closed": "#666666",
}
STATUS_LABELS = {
    "active": "Active",
    "reported": "Reported",
    "under_investigation": "Under investigation",
    "closed": "Closed",
}
MODE_LABELS = {"physical": "Office or venue", "cloud": "Online only (cloud)", "unknown": "Unknown"}
PRECISION_LABELS = {
    "address": "address",
    "street": "street",
    "district": "district",
    "city": "city centre",
    "region": "region centre",
    "country": "country centre",
    "none": "unknown",
}


def check_tiles(tiles: str) -> str:
    """Check a ``tiles`` option: ``"default"``, ``"none"`` or an http(s) URL template.

    Returns the option unchanged; raises RenderError saying how to fix a bad one.
    """
    if tiles in ("default", "none"):
        return tiles
    if not isinstance(tiles, str) or not tiles.strip():
        raise RenderError(f"tiles must be 'default', 'none' or a URL template such as {_TILE_EXAMPLE}")
    bad = next((c for c in tiles if c in "\"'<>\\`" or c.isspace() or ord(c) < 32), None)
    if bad is not None:
        raise RenderError(
            f"tile URL {tiles!r} contains {bad!r}; give a plain URL template such as {_TILE_EXAMPLE}"
        )
    parts = urlsplit(tiles)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise RenderError(
            f"tile URL {tiles!r} must start with https:// or http:// (or use 'default' or 'none'); "
            f"for example {_TILE_EXAMPLE}"
        )
    names = re.findall(r"\{([^{}]*)\}", tiles)
    missing = [p for p in ("z", "x", "y") if p not in names and not (p == "y" and "-y" in names)]
    if missing:
        raise RenderError(
            f"tile URL {tiles!r} lacks {', '.join('{' + m + '}' for m in missing)}; "
            f"a template needs {{z}}, {{x}} and {{y}}, e.g. {_TILE_EXAMPLE}"
        )
    unknown = [n for n in names if n not in _TILE_PLACEHOLDERS]
    if unknown:
        raise RenderError(
            f"tile URL {tiles!r} has the unknown placeholder {{{unknown[0]}}}; "
            "Leaflet fills only {s}, {z}, {x}, {y}, {-y} and {r}"
        )
    return tiles


def _tile_layer(tiles: str, attribution: str | None) -> tuple[folium.TileLayer | None, str | None]:
    """The folium tile layer for a ``tiles`` option, and its attribution as plain text."""
    check_tiles(tiles)
    if tiles == "none":
        return None, None
    if tiles == "default":
        spec = DEFAULT_TILES
        layer = folium.TileLayer(
            tiles=spec["url"], attr=spec["attribution"], name=spec["name"], max_zoom=spec["max_zoom"],
            subdomains=spec["subdomains"], control=False,
        )
        return layer, "© OpenStreetMap contributors © CARTO"
    host = urlsplit(tiles).netloc
    text = attribution if attribution else f"Tiles: {host}"
    # Leaflet shows attributions as HTML: ours is text, so escape it.
    layer = folium.TileLayer(tiles=tiles, attr=html.escape(text), name=host, control=False, max_zoom=19)
    return layer, text


# --------------------------------------------------------------------------- third-party assets


def _xstatic(module: str):
    from importlib import import_module

    try:
        return import_module(f"xstatic.pkg.{module}")
    except ModuleNotFoundError:
        raise RenderError(
            f"the package providing xstatic.pkg.{module} is not installed; "
            "reinstall mapkit (pip install -e .) to get its dependencies"
        ) from None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RenderError(f"cannot read the map asset {path} ({exc.strerror}); reinstall mapkit") from None


_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=.*$|/\*# sourceMappingURL=.*?\*/", re.MULTILINE)
_CSS_URL = re.compile(r"url\((['\"]?)(images/[A-Za-z0-9._-]+)\1\)")


def _inline_js(text: str) -> str:
    """JavaScript made safe to sit inside a <script> element."""
    text = _SOURCE_MAP.sub("", text).replace("<!--", "<\\!--")
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)


def _inline_css(text: str, base: Path) -> str:
    """CSS with its ``url(images/...)`` turned into data: URIs, safe inside a <style> element."""

    def data_uri(match: re.Match) -> str:
        image = base / match.group(2)
        mime = "image/svg+xml" if image.suffix == ".svg" else f"image/{image.suffix.lstrip('.')}"
        try:
            payload = base64.b64encode(image.read_bytes()).decode("ascii")
        except OSError:
            raise RenderError(f"cannot read the map image {image}; reinstall mapkit") from None
        return f'url("data:{mime};base64,{payload}")'

    text = _SOURCE_MAP.sub("", _CSS_URL.sub(data_uri, text))
    return re.sub(r"</(style)", r"<\\/\1", text, flags=re.IGNORECASE)


@lru_cache(maxsize=1)
def vendor_assets() -> dict:
    """The third-party CSS and JS inlined into every page, and the credits for them."""
    leaflet = _xstatic("leaflet")
    cluster = _xstatic("leaflet_markercluster")
    lbase, cbase = Path(leaflet.BASE_DIR), Path(cluster.BASE_DIR)
    credits = [
        {"name": "Leaflet", "version": leaflet.VERSION, "license": "BSD-2-Clause",
         "url": "https://leafletjs.com/", "package": "XStatic-Leaflet"},
        {"name": "Leaflet.markercluster", "version": cluster.VERSION, "license": "MIT",
         "url": "https://github.com/Leaflet/Leaflet.markercluster", "package": "XStatic-Leaflet-MarkerCluster"},
    ]
    css = [
        f"/* Leaflet {leaflet.VERSION} (BSD-2-Clause), from the XStatic-Leaflet package */\n"
        + _inline_css(_read(lbase / "leaflet.css"), lbase),
        f"/* Leaflet.markercluster {cluster.VERSION} (MIT), from XStatic-Leaflet-MarkerCluster */\n"
        + _inline_css(_read(cbase / "MarkerCluster.css"), cbase),
    ]
    js = [
        _inline_js(_read(lbase / "leaflet.js")),
        f"/* Leaflet.markercluster {cluster.VERSION} (MIT), from XStatic-Leaflet-MarkerCluster */\n"
        + _inline_js(_read(cbase / "leaflet.markercluster.js")),
    ]
    return {"css": css, "js": js, "credits": credits}


@lru_cache(maxsize=1)
def own_assets() -> dict:
    """``assets/map.css`` and ``assets/map.js`` from this package."""
    base = resources.files("mapkit").joinpath("assets")
    try:
        css = base.joinpath("map.css").read_text("utf-8")
        js = base.joinpath("map.js").read_text("utf-8")
    except OSError as exc:
        raise RenderError(f"the map's own assets are missing ({exc}); reinstall mapkit") from None
    return {"css": re.sub(r"</(style)", r"<\\/\1", css, flags=re.IGNORECASE), "js": _inline_js(js)}


def _assets_html() -> str:
    vendor, own = vendor_assets(), own_assets()
    parts = [f"<style>\n{css}\n</style>" for css in (*vendor["css"], own["css"])]
    parts += [f"<script>\n{js}\n</script>" for js in (*vendor["js"], own["js"])]
    return "\n".join(parts)


# --------------------------------------------------------------------------- data for the page


def script_json(obj) -> str:
    """JSON that can sit inside a <script> element: ``<``, ``>``, ``&``, U+2028/9 escaped.

    Those characters only ever occur inside JSON strings, where ``\\u003c`` etc. mean the same.
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=json_default)
    # chained str.replace runs at C speed; str.translate with a mapping is ~30x slower on
    # the tens of megabytes a large dataset embeds
    for char in "<>&\u2028\u2029":
        if char in text:
            text = text.replace(char, f"\\u{ord(char):04x}")
    # a lone surrogate (possible in a frame made in Python) cannot be written as UTF-8
    return escape_lone_surrogates(text)


#: Properties the map needs at once (drawing, filters and their counts, text search, the list and
#: the labels): the "light" part of the page data, decoded before the page is ready. Every other
#: property (events, sources, notes, dates, unknown fields: most of the bytes) is "heavy": packed
#: in chunks of rows that the page decodes only when a popup, details or a download need them.
LIGHT_FIELDS = tuple(dict.fromkeys(
    ("id", *FACETS, *TEXT_FIELDS, "location_precision", "opened", "status_date")
))
#: Rows per heavy chunk: the unit the page decodes to show one site (a few hundred KB of JSON).
HEAVY_CHUNK_ROWS = 250
#: A light part up to this many bytes of JSON is embedded as (escaped) JSON rather than deflated:
#: the page then starts without waiting for the browser's asynchronous decompression (~50 ms
#: of page-ready time for a small map), and parsing that much JSON takes a few milliseconds.
LIGHT_INLINE_BYTES = 1 << 20
#: zlib level for the embedded data (fixed: the same data always gives the same bytes). Level 3
#: is zlib's fastest with lazy-free matching: deflate (in a helper thread) stays well ahead of
#: writing the JSON it compresses; levels 5-6 would save ~20 % of the bytes for 2-3x the time.
COMPRESS_LEVEL = 3
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                            check_circular=False, default=json_default)
_ASCII_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False,
                                  check_circular=False, default=json_default)


def _dump(obj) -> bytes:
    """Compact JSON as UTF-8 bytes (lone surrogates, which UTF-8 cannot hold, written as escapes).

    The data comes from JSON or a frame, so it holds no reference cycles (a cycle would end in
    RecursionError rather than run forever).
    """
    try:
        return _ENCODER.encode(obj).encode("utf-8")
    except UnicodeEncodeError:
        return _ASCII_ENCODER.encode(obj).encode("ascii")


def _plain_column(values: list) -> list:
    """A column's values as JSON-able values, as :func:`mapkit.io.to_feature_collection` gives them."""
    return [_plain(v) for v in values]


def _text_bytes(text: str) -> bytes:
    """JSON text as UTF-8 (a lone surrogate, which only a frame made in Python can hold, escaped)."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return escape_lone_surrogates(text).encode("utf-8")


_TEXT_ONLY = frozenset((JSONText, type(None)))


def _dump_column(values: list) -> bytes:
    kinds = set(map(type, values))
    if JSONText in kinds:
        # values kept as JSON text (load(..., nested_as_text=True)) go in as they are
        if kinds <= _TEXT_ONLY:
            return _text_bytes("[" + ",".join(["null" if v is None else v for v in values]) + "]")
        return b"[" + b",".join(_text_bytes(v) if type(v) is JSONText else _dump_column([v])[1:-1]
                                for v in values) + b"]"
    try:
        return _dump(values)
    except ValueError:  # NaN at the top level of a cell (frames not made by mapkit.load): null
        try:
            return _dump(_plain_column(values))
        except ValueError:
            raise RenderError("the data holds a NaN or infinite number inside a list or object; "
                              "replace it with null") from None
    except RecursionError:
        raise RenderError("the data holds a list or object nested too deeply (or inside itself)") from None


def _points(frame) -> tuple[list, list, dict]:
    """Longitudes and latitudes in millionths of a degree (None where there is no point), and the
    full geometry of the rows that are not plain 2D points.

    ``x / 1e6`` (in Python or JavaScript: a correctly rounded division) is exactly the float the
    GeoJSON export writes, ``round(x, 6)`` (see :func:`mapkit.io.geometry_to_json`).
    """
    import numpy as np
    import shapely

    geoms = np.asarray(frame.geometry.array, dtype=object)
    n = len(geoms)
    if not n:
        return [], [], {}
    kind = shapely.get_type_id(geoms)
    empty = shapely.is_empty(geoms)
    point = (kind == 0) & ~empty
    flat = point & ~shapely.has_z(geoms)
    scale = 10 ** GEOJSON_DECIMALS
    out = []
    for values in (shapely.get_x(geoms), shapely.get_y(geoms)):
        values = np.where(point, values, 0.0)
        scaled = values * scale
        micro = np.rint(scaled)
        # where x * 1e6 lies within float error of a half, rounding it may differ from rounding
        # the decimal value: ask Python's round() there (it rounds the exact decimal)
        for i in np.flatnonzero(np.abs(np.abs(scaled - np.floor(scaled)) - 0.5) < 1e-6).tolist():
            micro[i] = round(round(float(values[i]), GEOJSON_DECIMALS) * scale)
        column = micro.astype(np.int64).tolist()
        for i in np.flatnonzero(~point).tolist():
            column[i] = None
        out.append(column)
    other = {str(i): geometry_to_json(geoms[i]) for i in np.flatnonzero((kind >= 0) & ~empty & ~flat).tolist()}
    return out[0], out[1], other


class _Packer:
    """Collects the page data: one byte blob of raw-deflate pieces, compressed by helper threads
    (zlib releases the GIL) while the main thread writes the next piece's JSON."""

    #: Compressing threads: at 100,000 sites one of them falls behind the main thread.
    WORKERS = 2

    def __init__(self):
        import queue
        import threading

        # bounded: the JSON waiting to be compressed stays a few megabytes
        self._queue: queue.Queue = queue.Queue(maxsize=16)
        self._parts: dict[int, bytes] = {}
        self._count = 0
        self._error: BaseException | None = None
        self._threads = [threading.Thread(target=self._work, name=f"mapkit-deflate-{k}", daemon=True)
                         for k in range(self.WORKERS)]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            index, data = item
            if self._error is None:
                try:
                    self._parts[index] = zlib.compress(data, COMPRESS_LEVEL, -15)
                except BaseException as exc:  # noqa: BLE001 (re-raised in finish)
                    self._error = exc

    def add(self, data: bytes) -> None:
        """Queue one piece (raw JSON bytes) to compress."""
        self._queue.put((self._count, data))
        self._count += 1

    def finish(self) -> tuple[str, list[int]]:
        """The base64 text of all pieces and the byte offset where each piece starts (plus the end)."""
        for _thread in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()
        if self._error is not None:
            raise self._error
        parts = [self._parts.pop(k) for k in range(self._count)]
        offsets = [0]
        for part in parts:
            offsets.append(offsets[-1] + len(part))
        joined = b"".join(parts)
        del parts
        blob = base64.b64encode(joined)
        del joined
        return blob.decode("ascii"), offsets


def pack_sites(frame, outlines: Mapping, *, chunk_rows: int | None = None, inline_bytes: int | None = None) -> dict:
    """The sites (and the drawing outlines) as the page embeds them; :func:`unpack_sites` reverses it.

    Returns ``{"n", "columns", "named", "light", "heavy", "chunkRows", "chunks", "rawBytes",
    "heavyBytes", "lightInline", "blob"}``. ``blob`` is base64 of raw-deflate pieces starting at
    the byte offsets ``chunks`` (the last one is the end):

    * piece 0, the light part: ``{"columns": {name: [value per site]}, "x": [...], "y": [...],
      "geometry": {row: geometry that is not a 2D point}, "outlines": ...}`` (points in millionths
      of a degree, None where there is none). When its JSON is small (:data:`LIGHT_INLINE_BYTES`)
      it is ``lightInline`` instead, and piece 0 is empty;
    * piece k >= 1: rows ``(k - 1) * chunkRows`` on of the ``heavy`` columns, column by column
      (``[[column 1 values], [column 2 values], ...]``).

    Every property of every site is there, as :func:`mapkit.io.to_feature_collection` gives it:
    ``named`` properties always, others only when not null.
    """
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    geometry_name = frame.geometry.name
    columns = [str(c) for c in frame.columns if c != geometry_name]
    if len(set(columns)) != len(columns):
        raise RenderError("the frame has two columns of the same name; rename one")
    named = [c in schema.PROPERTY_ORDER for c in columns]
    light = [c for c in columns if c in LIGHT_FIELDS]
    heavy = [c for c in columns if c not in LIGHT_FIELDS]
    n = len(frame)
    chunk_rows = max(1, int(chunk_rows or HEAVY_CHUNK_ROWS))
    inline_bytes = LIGHT_INLINE_BYTES if inline_bytes is None else inline_bytes
    raw = light_raw = 0
    packer = _Packer()
    switch = sys.getswitchinterval()
    # the helper thread needs the GIL back briefly after each piece; the default 5 ms wait for it
    # would leave it idle most of the time
    sys.setswitchinterval(0.0005)
    try:
        with gc_paused():
            xs, ys, other = _points(frame)
            data = b"".join([
                b'{"columns":{',
                b",".join(_dump(c) + b":" + _dump_column(frame[c].tolist()) for c in light),
                b'},"x":', _dump(xs), b',"y":', _dump(ys), b',"geometry":', _dump(other),
                b',"outlines":', _dump(outlines), b"}",
            ])
            del xs, ys, other
            raw = light_raw = len(data)
            inline = json.loads(data) if light_raw <= inline_bytes else None
            packer.add(b"" if inline is not None else data)
            values = [frame[c].tolist() for c in heavy]
            for start in range(0, n, chunk_rows):
                # one column at a time: short calls, so the helper thread gets the GIL back soon
                data = b"[" + b",".join(_dump_column(col[start:start + chunk_rows]) for col in values) + b"]"
                raw += len(data)
                packer.add(data)
            del values, data
    finally:
        sys.setswitchinterval(switch)
        blob, offsets = packer.finish()
    return {
        "n": n, "columns": columns, "named": named, "light": light, "heavy": heavy,
        "chunkRows": chunk_rows, "chunks": offsets, "rawBytes": raw, "heavyBytes": raw - light_raw,
        "lightInline": inline, "blob": blob,
    }


def _inflate(blob: bytes, start: int, end: int):
    return json.loads(zlib.decompress(blob[start:end], -15).decode("utf-8"))


def unpack_sites(packed: Mapping, meta: Mapping | None = None) -> dict:
    """The FeatureCollection and the drawing outlines in page data made by :func:`pack_sites`
    (for tests and tools: the page's JavaScript does the same). Returns ``{"sites", "outlines"}``."""
    blob = base64.b64decode(packed["blob"])
    offsets = packed["chunks"]
    light = packed.get("lightInline") or _inflate(blob, offsets[0], offsets[1])
    n = packed["n"]
    columns = dict(light["columns"])
    heavy = {name: [] for name in packed["heavy"]}
    for k in range(1, len(offsets) - 1):
        chunk = _inflate(blob, offsets[k], offsets[k + 1])
        for name, values in zip(packed["heavy"], chunk):
            heavy[name].extend(values)
    columns.update(heavy)
    features = []
    for i in range(n):
        props = {}
        for name, is_named in zip(packed["columns"], packed["named"]):
            value = columns[name][i]
            if value is not None or is_named:
                props[name] = value
        geometry = light["geometry"].get(str(i))
        if geometry is None and light["x"][i] is not None:
            geometry = {"type": "Point", "coordinates": [light["x"][i] / 1e6, light["y"][i] / 1e6]}
        features.append({"type": "Feature", "id": props.get("id"), "geometry": geometry, "properties": props})
    return {"sites": {"type": "FeatureCollection", **dict(meta or {}), "features": features},
            "outlines": _outlines_geojson(light["outlines"])}


def page_data(text: str) -> dict:
    """The configuration embedded in a page written by :func:`save_map`, with ``sites`` (every
    feature with every property) and ``outlines`` unpacked. Raises RenderError if there is none."""
    blocks = _DATA_BLOCK.findall(text)
    if len(blocks) != 1:
        raise RenderError(f"expected one mapkit-data block in the page, found {len(blocks)}")
    config = json.loads(blocks[0])
    config.update(unpack_sites(config["data"], config.get("meta")))
    return config


_DATA_BLOCK = re.compile(r'<script type="application/json" id="mapkit-data">(.*?)</script>', re.S)


def _beside_data(frame, name: str) -> Path | None:
    source = frame.attrs.get("source")
    if source:
        candidate = Path(source).parent / name
        if candidate.exists():
            return candidate
    return None


def _outlines(countries, frame) -> dict:
    """Country outlines as a small FeatureCollection (geometry, iso_a2 and name only)."""
    if countries is None:
        countries = _beside_data(frame, "countries.geojson") or DEFAULT_COUNTRIES
    if isinstance(countries, (str, os.PathLike)):
        path = Path(countries)
        if not path.exists():
            raise RenderError(
                f"country outlines {path} not found; run the map from the repository root, "
                "or pass countries=PATH (a GeoJSON with iso_a2 and name properties)"
            )
        try:
            data = read_json(path)
        except DataFileError as exc:
            raise RenderError(f"country outlines: {exc}") from None
    elif isinstance(countries, Mapping):
        data = countries
    elif hasattr(countries, "to_json"):
        data = json.loads(countries.to_json(drop_id=True))
    else:
        raise RenderError("countries must be a GeoDataFrame, a GeoJSON dict or a path to a GeoJSON file")
    features = []
    for feature in data.get("features") or []:
        geometry = feature.get("geometry")
        if not geometry:
            continue
        props = feature.get("properties") or {}
        features.append([props.get("iso_a2"), props.get("name"), _pack_geometry(geometry)])
    source = data.get("source") if isinstance(data.get("source"), str) else None
    license_ = data.get("license") if isinstance(data.get("license"), str) else None
    return {"source": source, "license": license_, "features": features}


#: Outline coordinates are drawn at 1/100 degree (about 1 km: finer than 1:50m outlines).
_OUTLINE_SCALE = 100


def _pack_ring(ring: list) -> list:
    """A ring for drawing as a flat list of integer steps in 1/100 degree, ``[x0, y0, dx1, dy1, ...]``:
    no repeated points, and longitudes made continuous where the ring crosses the antimeridian
    (179 -> 181), so a canvas does not draw a line across the whole world for Russia or Fiji."""
    import numpy as np

    if not ring:
        return []
    xy = np.array([p[:2] for p in ring], dtype=float)
    lon = xy[:, 0]
    step = np.diff(lon)
    turn = np.where(step > 270, -360.0, np.where(step < -270, 360.0, 0.0))
    xy[1:, 0] += np.cumsum(turn)
    q = np.rint(xy * _OUTLINE_SCALE).astype(np.int64)
    keep = np.ones(len(q), dtype=bool)
    keep[1:] = (q[1:] != q[:-1]).any(axis=1)
    q = q[keep]
    if len(q) > 1 and (q[0] != q[-1]).any():
        q = np.vstack([q, q[:1]])
    steps = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return steps.ravel().tolist()


def _pack_geometry(geometry: Mapping):
    """A (multi)polygon as a list of polygons of packed rings; any other geometry as it is."""
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Polygon":
        return [[_pack_ring(r) for r in coords]]
    if kind == "MultiPolygon":
        return [[_pack_ring(r) for r in poly] for poly in coords]
    return geometry


def _unpack_ring(flat: list) -> list:
    out = []
    x = y = 0
    for k in range(0, len(flat), 2):
        x += flat[k]
        y += flat[k + 1]
        out.append([x / _OUTLINE_SCALE, y / _OUTLINE_SCALE])
    return out


def _outlines_geojson(packed: Mapping) -> dict:
    """The drawing outlines as a GeoJSON FeatureCollection (what the page draws)."""
    features = []
    for iso_a2, name, geometry in packed["features"]:
        if isinstance(geometry, list):
            geometry = {"type": "MultiPolygon",
                        "coordinates": [[_unpack_ring(r) for r in poly] for poly in geometry]}
        features.append({"type": "Feature", "properties": {"iso_a2": iso_a2, "name": name}, "geometry": geometry})
    return {"type": "FeatureCollection", "source": packed.get("source"), "license": packed.get("license"),
            "features": features}


def _operators(operators, frame) -> dict:
    """Operator bureaus by id: name, city, province and [lon, lat] (empty if none are known)."""
    if operators is None:
        operators = _beside_data(frame, "operators.geojson")
        if operators is None and DEFAULT_OPERATORS.exists():
            operators = DEFAULT_OPERATORS
        if operators is None:
            return {}
    if isinstance(operators, (str, os.PathLike)):
        try:
            operators = load(operators)
        except DataFileError as exc:
            raise RenderError(f"operators: {exc}") from None
    if isinstance(operators, Mapping):
        collection = dict(operators)
    else:
        collection = to_feature_collection(operators)
    out = {}
    for feature in collection.get("features") or []:
        props = feature.get("properties") or {}
        oid = props.get("id", feature.get("id"))
        if oid is None:
            continue
        geometry = feature.get("geometry")
        coords = geometry.get("coordinates") if isinstance(geometry, Mapping) else None
        out[str(oid)] = {
            "name": props.get("name"),
            "city": props.get("city"),
            "province": props.get("province"),
            "lonlat": list(coords[:2]) if coords else None,
        }
    return out


def _country_names(outlines: dict, codes) -> dict:
    import pycountry

    by_code = {}
    for iso_a2, name, _geometry in outlines["features"]:
        if iso_a2 and name:
            by_code.setdefault(iso_a2, name)
    names = {}
    for code in sorted({c for c in codes if isinstance(c, str) and c}):
        name = by_code.get(code)
        if name is None:
            country = pycountry.countries.get(alpha_2=code)
            name = getattr(country, "common_name", None) or (country.name if country else code)
        names[code] = name
    return names


def page_config(
    frame,
    *,
    title: str | None = None,
    description: str | None = None,
    tiles: str = "default",
    tiles_attribution: str | None = None,
    operators=None,
    countries=None,
    operator_lines: bool = True,
    prefilter: Mapping | None = None,
    cluster_threshold: int = CLUSTER_THRESHOLD,
) -> dict:
    """Everything the page script needs, as one JSON-able dict (embedded once in the page).

    The sites and the country outlines are in ``data`` (see :func:`pack_sites`; :func:`page_data`
    reads them back from a page).
    """
    meta = dict(frame.attrs.get("collection") or {})
    outlines = _outlines(countries, frame)
    ops = _operators(operators, frame)
    _layer, tiles_text = _tile_layer(tiles, tiles_attribution)
    credits = list(vendor_assets()["credits"])
    credits.append({"name": "Natural Earth", "version": "", "license": outlines.get("license") or "public domain",
                    "url": "https://www.naturalearthdata.com/",
                    "package": "country outlines" + (f": {outlines['source']}" if outlines.get("source") else "")})
    if tiles_text:
        credits.append({"name": "Basemap tiles", "version": "", "license": tiles_text, "url": None,
                        "package": "loaded from the provider when online"})
    chosen = normalize_filters(**prefilter) if prefilter else {}
    return {
        "title": title if title is not None else (meta.get("title") or "Reported sites"),
        "description": description if description is not None else (meta.get("description") or ""),
        "meta": meta,
        "prefilter": chosen or None,
        "prefilterText": describe(chosen) if chosen else None,
        "facets": list(FACETS),
        "filterKeys": list(FILTER_KEYS),
        "textFields": list(TEXT_FIELDS),
        "none": NONE,
        "statuses": [
            {"value": s, "label": STATUS_LABELS.get(s, s), "color": STATUS_COLORS.get(s, "#444444")}
            for s in schema.STATUSES
        ],
        "modes": [{"value": m, "label": MODE_LABELS.get(m, m)} for m in schema.MODES],
        "precisions": PRECISION_LABELS,
        "approximate": list(schema.APPROXIMATE_PRECISIONS),
        "countries": _country_names(outlines, frame["country"] if "country" in frame else []),
        "operators": ops,
        "operatorLines": bool(operator_lines) and bool(ops),
        "clusterThreshold": int(cluster_threshold),
        "tiles": tiles if tiles in ("default", "none") else "custom",
        "credits": credits,
        "generator": f"mapkit {__version__}, folium {folium.__version__}",
        "data": pack_sites(frame, outlines),
    }


# --------------------------------------------------------------------------- the folium map


class MapkitPage(MacroElement):
    """Starts the page script once folium has created the Leaflet map."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            mapkit.start({{ this._parent.get_name() }}, document.getElementById("mapkit-data"));
        {% endmacro %}
        """
    )

    def __init__(self):
        super().__init__()
        self._name = "MapkitPage"


class RawHTML(Element):
    """An element that renders its text verbatim.

    branca's ``Element(text)`` compiles ``text`` as a Jinja template: data containing ``{{ ... }}``
    or ``{% ... %}`` would be evaluated, and compiling megabytes of JSON is slow. This one never is.
    """

    def __init__(self, text: str):
        super().__init__()
        self._name = "RawHTML"
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


#: Where the page data goes. The page is rendered with this short mark (the data can be tens of
#: megabytes, and folium's Jinja templates and our checks need not see it), and the data is written
#: in its place. Nothing else can contain it: data is escaped JSON (no "<") and the title HTML-escaped.
_PAYLOAD_MARK = "<!--mapkit:page-data-->"


class PageData(RawHTML):
    """The body's own elements and the data block; renders the data as :data:`_PAYLOAD_MARK`."""

    def __init__(self, payload: str):
        super().__init__(_BODY.replace("{payload}", _PAYLOAD_MARK))
        self._name = "PageData"
        self.payload = payload


_BODY = """<header id="mk-header" class="mk-header"></header>
<aside id="mk-panel" class="mk-panel" aria-label="Filters and list of sites"></aside>
<noscript><p class="mk-noscript">This map needs JavaScript to show the sites.</p></noscript>
<script type="application/json" id="mapkit-data">{payload}</script>"""


def build_map(
    frame,
    *,
    title: str | None = None,
    description: str | None = None,
    tiles: str = "default",
    tiles_attribution: str | None = None,
    operators=None,
    countries=None,
    operator_lines: bool = True,
    prefilter: Mapping | None = None,
    cluster_threshold: int = CLUSTER_THRESHOLD,
) -> folium.Map:
    """Build the interactive map of ``frame`` (a GeoDataFrame from :func:`mapkit.load`, or a path).

    ``tiles``: ``"default"`` (CARTO basemap tiles, work from file://), ``"none"`` (no request leaves
    the page) or an http(s) URL template with ``{z}``, ``{x}``, ``{y}`` (``tiles_attribution`` is then
    shown as text). Country outlines (``countries``: GeoDataFrame, GeoJSON dict or path; default
    ``countries.geojson`` beside the data, else ``geodata/countries.geojson``) are always drawn.
    ``operators`` (GeoDataFrame or path; default ``operators.geojson`` beside the data, else
    ``geodata/operators.geojson``, tolerated if absent) names the bureaus and, with
    ``operator_lines``, offers a layer of lines from each bureau to its sites. ``prefilter``: the
    filters the sites were already selected with (shown on the page and in downloads).
    """
    if isinstance(frame, (str, os.PathLike)):
        frame = load(frame, nested_as_text=True)  # the page only passes events and sources through
    if "geometry" not in getattr(frame, "columns", ()) and not hasattr(frame, "geometry"):
        raise RenderError("build_map needs a GeoDataFrame of sites (from mapkit.load) or a path to one")
    config = page_config(
        frame, title=title, description=description, tiles=tiles, tiles_attribution=tiles_attribution,
        operators=operators, countries=countries, operator_lines=operator_lines, prefilter=prefilter,
        cluster_threshold=cluster_threshold,
    )
    m = folium.Map(location=None, tiles=None, zoom_start=2, control_scale=True, prefer_canvas=True)
    m._id = "mapkit"
    # the map's own zoom limits (folium passes max_zoom only to a tile layer; marker clusters
    # need the map to have one even with tiles="none")
    m.options["min_zoom"] = 1
    m.options["max_zoom"] = 18
    m.options["zoom_snap"] = 0.25
    m.options["world_copy_jump"] = True
    layer, _text = _tile_layer(tiles, tiles_attribution)
    if layer is not None:
        layer.add_to(m)
    MapkitPage().add_to(m)
    figure = m.get_root()
    figure.title = html.escape(config["title"])
    figure.header.add_child(RawHTML(_assets_html()), name="mapkit_assets")
    figure.html.add_child(PageData(script_json(config)), name="mapkit_body")
    return m


def _walk(element):
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def _prepare(m: folium.Map) -> Figure:
    """Switch off every CDN link and give every element a deterministic id."""
    figure = m.get_root()
    if not isinstance(figure, Figure):
        raise RenderError("the map is not attached to a folium Figure; build it with mapkit.build_map")
    counter = 0
    for element in _walk(figure):
        if hasattr(element, "default_js"):
            element.default_js = []  # per instance: the class attribute is left alone
        if hasattr(element, "default_css"):
            element.default_css = []
        if element is figure or element is m:
            continue
        counter += 1
        element._id = f"{counter:04d}"
    return figure


_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>')
_REMOTE = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", re.IGNORECASE)


def _render_parts(m: folium.Map) -> tuple[str, str, str]:
    """The page as (head, data, tail): head + data + tail is the whole page."""
    figure = _prepare(m)
    data = [e for e in figure.html._children.values() if isinstance(e, PageData)]
    if len(data) != 1:
        raise RenderError("the map has no page data (or more than one); build it with mapkit.build_map")
    text = figure.render()
    # folium forbids zooming the page (user-scalable=no), which keeps low-vision readers from
    # enlarging text on phones; allow it.
    text = _VIEWPORT.sub('<meta name="viewport" content="width=device-width, initial-scale=1">', text, count=1)
    text = text.replace("<html>", '<html lang="en">', 1)
    if not text.endswith("\n"):
        text += "\n"
    if _REMOTE.search(text):
        raise RenderError("the page would load a script or stylesheet from the network; this is a mapkit bug")
    head, mark, tail = text.partition(_PAYLOAD_MARK)
    if not mark or _PAYLOAD_MARK in tail:
        raise RenderError("the page data mark is missing or repeated in the page; this is a mapkit bug")
    return head, data[0].payload, tail


def render_html(m: folium.Map) -> str:
    """The page as a string (self-contained; the same map always renders the same bytes)."""
    return "".join(_render_parts(m))


def save_map(map_or_frame, path: str | os.PathLike, **build_kwargs) -> Path:
    """Write the map as one self-contained HTML file, atomically; return its path.

    ``map_or_frame`` is a map from :func:`build_map`, or a frame (or data path) that is built with
    ``build_kwargs``. The directory is created if missing.
    """
    if isinstance(map_or_frame, folium.Map):
        if build_kwargs:
            raise RenderError(
                f"save_map got build options ({', '.join(sorted(build_kwargs))}) for a map that is already "
                "built; pass them to build_map, or give save_map the frame instead"
            )
        m = map_or_frame
    else:
        m = build_map(map_or_frame, **build_kwargs)
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RenderError(f"cannot create the directory {path.parent} ({exc.strerror}); choose another -o path") from None
    head, data, tail = _render_parts(m)
    try:
        with atomic_path(path) as tmp:
            with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
                for part in (head, data, tail):
                    fh.write(part)
                fh.flush()
                os.fsync(fh.fileno())
        return path
    except OSError as exc:
        raise RenderError(f"cannot write {path} ({exc.strerror}); check the path and permissions") from None


__all__ = ["build_map", "save_map", "render_html", "check_tiles", "page_config", "page_data", "pack_sites",
           "unpack_sites", "script_json", "DEFAULT_TILES", "STATUS_COLORS", "CLUSTER_THRESHOLD"]
