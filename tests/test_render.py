"""The map page as HTML (no browser): self-contained, deterministic, escaped; tiles; the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import folium
import pytest

import mapkit
from mapkit.cli import main
from mapkit.errors import MapkitError, RenderError
from mapkit.render import build_map, check_tiles, page_data, render_html, save_map
from tests.browser import sample_collection
from tests.conftest import OPERATORS, SHIPPED, collection, site

DATA_TAG = re.compile(r'<script type="application/json" id="mapkit-data">(.*?)</script>', re.S)
PAYLOAD = (
    "<img src=x onerror=\"window.__pwned=1\"></script><script>window.__pwned=2</script><!-- '\" \\ "
    "\u2028\u2029\x85\x1c\x0b\x0c\r\n\t &amp;"
)


def embedded(text: str) -> dict:
    """The configuration embedded in the page, with the sites and outlines unpacked."""
    blocks = DATA_TAG.findall(text)
    assert len(blocks) == 1, "the data must be embedded exactly once"
    assert json.loads(blocks[0])["data"]["blob"], "the sites are in the one data block"
    return page_data(text)


@pytest.fixture
def data(write_data):
    return write_data(sample_collection())


@pytest.fixture
def operators(tmp_path):
    """The fixture's bureaus plus the second one the sample names, so the sample validates."""
    ops = json.loads(json.dumps(OPERATORS))
    fuzhou = json.loads(json.dumps(ops["features"][0]))
    fuzhou["id"] = fuzhou["properties"]["id"] = "fuzhou-psb"
    fuzhou["properties"].update(name="Fuzhou Municipal Public Security Bureau", city="Fuzhou", province="Fujian")
    fuzhou["geometry"]["coordinates"] = [119.296, 26.074]
    ops["features"].append(fuzhou)
    path = tmp_path / "all-operators.geojson"
    path.write_text(json.dumps(ops), encoding="utf-8")
    return path


@pytest.fixture
def page(data, tmp_path):
    return save_map(mapkit.load(data), tmp_path / "out" / "map.html", tiles="none").read_text("utf-8")


def test_self_contained(page):
    tags = re.findall(r"<(?:script|link)\b[^>]*>", page, re.I)
    assert not [t for t in tags if re.search(r"\b(src|href)\s*=", t, re.I)], "no <script src> or <link href> at all"
    assert not re.search(r"<(script|link)[^>]*(src|href)\s*=\s*[\"']?(https?:)?//", page, re.I)
    assert "cdn.jsdelivr" not in page and "code.jquery" not in page and "cdnjs" not in page
    assert "sourceMappingURL" not in page
    assert "url(images/" not in page, "Leaflet's CSS images must be data: URIs"
    assert 'id="mk-panel"' in page and "mapkit.start(map_mapkit" in page
    assert '<html lang="en">' in page and "user-scalable=no" not in page
    for script in re.findall(r"<script>(.*?)</script>", page, re.S):
        assert "<!--" not in script and "</script" not in script.lower()


def test_credits_each_third_party_asset(page):
    credits = {c["name"]: c for c in embedded(page)["credits"]}
    assert credits["Leaflet"]["version"] == "1.9.3" and credits["Leaflet"]["license"] == "BSD-2-Clause"
    assert credits["Leaflet.markercluster"]["license"] == "MIT"
    assert "Natural Earth" in credits
    assert "Leaflet 1.9.3" in page  # the library's own banner is kept


def test_embedded_data_is_every_feature_with_every_property(data, page):
    config = embedded(page)
    assert config["sites"] == mapkit.to_feature_collection(mapkit.load(data))
    assert config["facets"] == ["status", "country", "mode", "operator"]
    assert config["textFields"] == ["name", "city", "address", "host_organization", "operator"]
    assert config["operators"]["wenzhou-psb"]["name"] == "Wenzhou Municipal Public Security Bureau"
    assert config["outlines"]["features"], "country outlines are always embedded"


def test_two_builds_are_byte_identical(data, tmp_path):
    one = save_map(mapkit.load(data), tmp_path / "a.html")
    two = save_map(mapkit.load(data), tmp_path / "b.html")
    assert one.read_bytes() == two.read_bytes()
    m = build_map(mapkit.load(data), tiles="none")
    assert render_html(m) == render_html(m), "rendering the same map twice gives the same page"


def test_class_level_assets_untouched(data):
    before = (list(folium.Map.default_js), list(folium.Map.default_css))
    render_html(build_map(mapkit.load(data)))
    assert (folium.Map.default_js, folium.Map.default_css) == before
    assert any("cdn" in url for _name, url in folium.Map.default_js), "folium's class defaults left as they were"


def test_hostile_text_cannot_leave_the_data_block(write_data, tmp_path):
    hostile = site(name=PAYLOAD, city=PAYLOAD, address=PAYLOAD, host_organization=PAYLOAD, notes=PAYLOAD,
                   extra_field=PAYLOAD)
    path = write_data(collection(hostile, title=PAYLOAD, description=PAYLOAD))
    text = save_map(mapkit.load(path), tmp_path / "x.html", tiles="none", title=PAYLOAD).read_text("utf-8")
    block = DATA_TAG.search(text).group(1)
    for bad in ("<", ">", "&", "\u2028", "\u2029"):
        assert bad not in block
    config = embedded(text)
    assert config["title"] == PAYLOAD
    assert config["sites"]["features"][0]["properties"]["name"] == PAYLOAD
    assert config["sites"]["features"][0]["properties"]["extra_field"] == PAYLOAD
    title = re.search(r"<title>(.*?)</title>", text, re.S).group(1)
    assert "<" not in title and ">" not in title, "the <title> is HTML-escaped"
    rest = text.replace(block, "").replace(title, "")
    assert "__pwned" not in rest, "the payload appears nowhere but in the escaped data and title"
    assert text.count('<script type="application/json"') == 1


def test_template_syntax_in_data_is_not_evaluated(write_data, tmp_path):
    jinja = "{{ 7 * 7 }} {% if true %}yes{% endif %} {# c #} ${x} `y`"
    path = write_data(collection(site(name=jinja, notes=jinja), title=jinja))
    text = render_html(build_map(mapkit.load(path), tiles="none", title=jinja))
    config = embedded(text)
    assert config["sites"]["features"][0]["properties"]["name"] == jinja
    assert config["title"] == jinja and config["meta"]["title"] == jinja
    assert "49" not in re.search(r"<title>(.*?)</title>", text, re.S).group(1)


@pytest.mark.parametrize(
    "tiles, fix",
    [
        ("javascript:alert(1)//{z}/{x}/{y}", "https://"),
        ("ftp://tiles.example.org/{z}/{x}/{y}.png", "https://"),
        ("https://tiles.example.org/{z}/{x}.png", "{y}"),
        ("https://tiles.example.org/{z}/{x}/{y}.png?key={apikey}", "unknown placeholder"),
        ('https://tiles.example.org/{z}/{x}/{y}.png"onload="x', "contains"),
        ("https://tiles.example.org/{z}/{x}/{y}.png</script>", "contains"),
        ("//tiles.example.org/{z}/{x}/{y}.png", "https://"),
        ("osm", "https://"),
        ("", "default"),
    ],
)
def test_bad_tiles_rejected_with_a_fix(tiles, fix):
    with pytest.raises(RenderError) as info:
        check_tiles(tiles)
    assert fix in str(info.value)
    assert isinstance(info.value, MapkitError)


def test_tile_options(data, tmp_path):
    frame = mapkit.load(data)
    none = render_html(build_map(frame, tiles="none"))
    assert "L.tileLayer" not in none and "cartocdn" not in none
    default = render_html(build_map(frame))
    assert "basemaps.cartocdn.com" in default and "OpenStreetMap" in default and "CARTO" in default
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    custom = render_html(build_map(frame, tiles=url, tiles_attribution="Example <tiles> & co"))
    assert '"https://tiles.example.org/{z}/{x}/{y}.png"' in custom
    assert "Example \\u0026lt;tiles\\u0026gt; \\u0026amp; co" in custom, "attribution escaped as text"
    with pytest.raises(RenderError):
        build_map(frame, tiles="file:///etc/{z}/{x}/{y}")


def test_operators_optional(tmp_path, monkeypatch):
    path = tmp_path / "sites.geojson"
    path.write_text(json.dumps(collection(site())), encoding="utf-8")
    countries = Path(__file__).resolve().parents[1] / "geodata" / "countries.geojson"
    monkeypatch.chdir(tmp_path)  # no operators.geojson beside the data nor in ./geodata
    config = embedded(render_html(build_map(mapkit.load(path), tiles="none", countries=countries)))
    assert config["operators"] == {} and config["operatorLines"] is False
    with pytest.raises(RenderError, match="operators"):
        build_map(mapkit.load(path), countries=countries, operators=tmp_path / "missing.geojson")


def test_countries_required_with_a_fix(data, tmp_path):
    with pytest.raises(RenderError, match="countries="):
        build_map(mapkit.load(data), countries=tmp_path / "nope.geojson")


def test_save_map_refuses_options_for_a_built_map(data, tmp_path):
    m = build_map(mapkit.load(data), tiles="none")
    with pytest.raises(RenderError, match="build_map"):
        save_map(m, tmp_path / "m.html", tiles="default")
    assert save_map(m, tmp_path / "m.html").exists()
    assert save_map(data, tmp_path / "p.html", tiles="none").exists(), "a data path is built too"


def test_cli_build(data, operators, tmp_path, capsys):
    out = tmp_path / "new" / "dir" / "map.html"
    assert main(["build", str(data), "-o", str(out), "--tiles", "none", "--title", "My map",
                 "--operators", str(operators)]) == 0
    err = capsys.readouterr().err
    assert str(out) in err and "8 sites (1 not on the map)" in err
    config = embedded(out.read_text("utf-8"))
    assert config["title"] == "My map" and config["prefilter"] is None and len(config["sites"]["features"]) == 8


def test_cli_build_prefilters_with_the_shared_filter_code(data, operators, tmp_path, capsys):
    out = tmp_path / "map.html"
    args = ["build", str(data), "-o", str(out), "--tiles", "none", "--status", "active", "--status", "reported",
            "--country", "AU", "--operators", str(operators)]
    assert main(args) == 0
    expected = mapkit.filter_frame(mapkit.load(data), status=["active", "reported"], country=["AU"])
    assert f"{len(expected)} sites (selected from 8)" in capsys.readouterr().err
    config = embedded(out.read_text("utf-8"))
    assert [f["id"] for f in config["sites"]["features"]] == list(expected["id"])
    assert config["prefilter"] == {"status": ["active", "reported"], "country": ["AU"]}


def test_cli_build_errors(data, tmp_path, capsys):
    assert main(["build", str(data), "-o", str(tmp_path / "m.html"), "--tiles", "ftp://x/{z}/{x}/{y}"]) == 1
    assert "https://" in capsys.readouterr().err
    assert not (tmp_path / "m.html").exists()
    assert main(["build", str(tmp_path / "missing.geojson"), "-o", str(tmp_path / "m.html")]) == 1
    assert "no such file" in capsys.readouterr().err


@pytest.mark.skipif(not SHIPPED.exists(), reason="the shipped dataset is not there yet")
def test_shipped_data_builds(tmp_path):
    frame = mapkit.load(SHIPPED)
    text = save_map(frame, tmp_path / "map.html").read_text("utf-8")
    assert len(embedded(text)["sites"]["features"]) == len(frame)


def test_operators_fixture_is_used(data, page):
    assert embedded(page)["operators"].keys() == {f["id"] for f in OPERATORS["features"]}


def test_cli_build_refuses_invalid_data(write_data, tmp_path, capsys):
    bad = [site(id=f"au-bad-{k}", status="rumoured", sources=[]) for k in range(4)]
    path = write_data(collection(*bad, site()))
    out = tmp_path / "map.html"
    assert main(["build", str(path), "-o", str(out), "--tiles", "none"]) == 1
    err = capsys.readouterr().err
    assert not out.exists(), "no map is written from data with errors"
    assert "validation error(s); no map written" in err
    assert "au-bad-0" in err and "rumoured" in err
    assert f"mapkit validate {path}" in err and "--no-validate" in err
    report = mapkit.validate(mapkit.load(path))
    assert f"for all {len(report.errors)} error(s)" in err
    assert err.count("  ... and ") == (len(report.errors) > 5)
    assert main(["build", str(path), "-o", str(out), "--tiles", "none", "--no-validate"]) == 0
    assert out.exists() and len(embedded(out.read_text("utf-8"))["sites"]["features"]) == 5


def test_packed_data_round_trips_every_property(write_data, tmp_path, monkeypatch):
    """Deflated light part, many heavy chunks, odd values: the page data unpacks to exactly what
    the GeoJSON export gives."""
    import numpy as np
    import shapely

    monkeypatch.setattr(mapkit.render, "LIGHT_INLINE_BYTES", 0)
    monkeypatch.setattr(mapkit.render, "HEAVY_CHUNK_ROWS", 3)
    odd = site(id="xx-odd", name=None, opened=2019, status="rumoured", events="not a list", extra={"n": [1, 2.5]},
               geometry={"type": "Point", "coordinates": [10.1234567891, -0.00000049]})
    bare = {"type": "Feature", "geometry": None, "properties": {}}
    path = write_data(collection(*[site(id=f"au-{k}", name=f"Site {k} ü \u2028 </script>") for k in range(7)], odd, bare))
    frame = mapkit.load(path)
    frame.loc[0, "notes"] = float("nan")
    frame.loc[1, "city"] = np.nan
    frame["score"] = [None, 1, np.int64(2), np.float64(3.5), None, None, None, None, None]
    frame.loc[2, "geometry"] = shapely.Point(151.2, -33.9, 12.0)
    frame.loc[3, "geometry"] = shapely.box(0, 0, 1, 1)
    text = render_html(build_map(frame, tiles="none"))
    raw = json.loads(DATA_TAG.search(text).group(1))["data"]
    assert raw["lightInline"] is None and len(raw["chunks"]) == 2 + 3, "light deflated, 9 rows in 3 chunks"
    config = embedded(text)
    assert config["sites"] == mapkit.to_feature_collection(frame)
    assert json.dumps(config["sites"]) == json.dumps(mapkit.to_feature_collection(frame)), "same key order too"


def test_lean_frame_gives_the_same_page(write_data, monkeypatch):
    """mapkit build loads events, sources and other nested values as JSON text: the page is the
    same, byte for byte, as from the fully decoded frame (lone surrogates: the same data)."""
    monkeypatch.setattr(mapkit.render, "HEAVY_CHUNK_ROWS", 2)
    sites = [site(id=f"au-{k}", name=f"Site {k} ü </script>", tags={"k": [k, None, "ü"]}) for k in range(5)]
    path = write_data(collection(*sites, site(id="au-plain", events=[])))
    full, lean = mapkit.load(path), mapkit.load(path, nested_as_text=True)
    assert isinstance(lean.loc[0, "events"], mapkit.io.JSONText)
    assert render_html(build_map(lean, tiles="none")) == render_html(build_map(full, tiles="none"))
    assert render_html(build_map(path, tiles="none")) == render_html(build_map(full, tiles="none"))



def test_lone_surrogates_from_python_still_build(write_data, tmp_path):
    """A file with a lone surrogate is refused when read (mapkit.load), but a frame made in Python
    can hold one: the page keeps it, escaped, in light and heavy fields alike."""
    frame = mapkit.load(write_data(collection(site(), site(id="au-two"))))
    frame.loc[0, "name"] = "x \ud800 y"
    frame.at[1, "events"] = [{**frame.at[1, "events"][0], "summary": "lone \udfff"}]
    path = save_map(frame, tmp_path / "odd.html", tiles="none")
    assert embedded(path.read_text("utf-8"))["sites"] == mapkit.to_feature_collection(frame)
