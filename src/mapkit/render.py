"""The map page: a folium map, our own JavaScript and CSS, and the data embedded once as JSON.

:func:`build_map` returns a :class:`folium.Map`; :func:`save_map` writes it as one self-contained
HTML file. What ends up in the page:

* Leaflet and Leaflet.markercluster, read from the XStatic packages on PyPI and inlined (with their
  images as ``data:`` URIs), never linked from a CDN; folium's own CDN links are switched off per
  element (never with ``add_js_link``, which changes class attributes for every map in the process).
* ``assets/map.css`` and ``assets/map.js`` (real files in this package), inlined.
* One ``<script type="application/json" id="mapkit-data">`` holding the configuration, the country
  outlines and every site with every property, escaped so that nothing in the data can end the
  script element. The page parses it once and inserts every value as text.

The same frame and options give byte-identical HTML: folium's random element ids are replaced by
a counter before rendering.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
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
from mapkit.io import (
    DEFAULT_COUNTRIES,
    DEFAULT_OPERATORS,
    json_default,
    load,
    read_json,
    to_feature_collection,
    write_text_atomic,
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
    return text


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
        features.append(
            {"type": "Feature", "properties": {"iso_a2": props.get("iso_a2"), "name": props.get("name")},
             "geometry": _unwrap(geometry)}
        )
    source = data.get("source") if isinstance(data.get("source"), str) else None
    license_ = data.get("license") if isinstance(data.get("license"), str) else None
    return {"type": "FeatureCollection", "source": source, "license": license_, "features": features}


def _unwrap_ring(ring: list) -> list:
    """A ring for drawing: 2 decimals (about 1 km, finer than 1:50m outlines), no repeated points,
    and longitudes made continuous where the ring crosses the antimeridian (179 -> 181), so a canvas
    does not draw a line across the whole world for Russia or Fiji."""
    out = []
    shift = 0.0
    previous = None
    for point in ring:
        lon = point[0]
        if previous is not None:
            step = lon + shift - previous
            if step > 270:
                shift -= 360
            elif step < -270:
                shift += 360
        previous = lon + shift
        xy = [round(lon + shift, 2) + 0.0, round(point[1], 2) + 0.0]
        if not out or xy != out[-1]:
            out.append(xy)
    if len(out) > 1 and out[0] != out[-1]:
        out.append(out[0])
    return out


def _unwrap(geometry: Mapping) -> Mapping:
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Polygon":
        return {"type": kind, "coordinates": [_unwrap_ring(r) for r in coords]}
    if kind == "MultiPolygon":
        return {"type": kind, "coordinates": [[_unwrap_ring(r) for r in poly] for poly in coords]}
    return geometry


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
    for feature in outlines["features"]:
        props = feature["properties"]
        if props.get("iso_a2") and props.get("name"):
            by_code.setdefault(props["iso_a2"], props["name"])
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
    """Everything the page script needs, as one JSON-able dict (embedded once in the page)."""
    meta = dict(frame.attrs.get("collection") or {})
    sites = to_feature_collection(frame, metadata=meta)
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
        "outlines": outlines,
        "sites": sites,
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
        frame = load(frame)
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
    figure.html.add_child(RawHTML(_BODY.replace("{payload}", script_json(config))), name="mapkit_body")
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


def render_html(m: folium.Map) -> str:
    """The page as a string (self-contained; the same map always renders the same bytes)."""
    figure = _prepare(m)
    text = figure.render()
    # folium forbids zooming the page (user-scalable=no), which keeps low-vision readers from
    # enlarging text on phones; allow it.
    text = _VIEWPORT.sub('<meta name="viewport" content="width=device-width, initial-scale=1">', text, count=1)
    text = text.replace("<html>", '<html lang="en">', 1)
    if not text.endswith("\n"):
        text += "\n"
    if _REMOTE.search(text):
        raise RenderError("the page would load a script or stylesheet from the network; this is a mapkit bug")
    return text


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
    try:
        return write_text_atomic(path, render_html(m))
    except OSError as exc:
        raise RenderError(f"cannot write {path} ({exc.strerror}); check the path and permissions") from None


__all__ = ["build_map", "save_map", "render_html", "check_tiles", "page_config", "script_json",
           "DEFAULT_TILES", "STATUS_COLORS", "CLUSTER_THRESHOLD"]
