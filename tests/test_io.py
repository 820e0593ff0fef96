"""Loading and writing: nothing is lost, writes are atomic, the canonical form is stable."""

from __future__ import annotations

import json
import os

import pytest

import mapkit
from mapkit import io
from mapkit.errors import DataFileError
from tests.conftest import SHIPPED, collection, site


def test_load_keeps_lists_dates_and_unknown_properties(write_data):
    extra = site(id="au-extra", rank=3, tags={"a": [1, 2]}, opened="2022-05")
    path = write_data(collection(site(), extra, custom_member="kept"))
    frame = mapkit.load(path)
    assert list(frame["id"]) == ["au-sydney-test", "au-extra"]
    assert isinstance(frame.loc[0, "sources"], list) and frame.loc[0, "sources"][0]["id"] == "s1"
    assert frame.loc[1, "opened"] == "2022-05"  # a string, not a timestamp
    assert frame.loc[1, "rank"] == 3 and isinstance(frame.loc[1, "rank"], int)
    assert frame.attrs["collection"]["custom_member"] == "kept"
    assert frame.crs.to_epsg() == 4326


def test_round_trip_keeps_every_property_and_member(write_data, tmp_path):
    original = collection(site(), site(id="au-extra", rank=3, tags={"a": [1, 2]}, geometry=None,
                                      location_precision="none"), custom_member={"x": 1})
    path = write_data(original)
    out = tmp_path / "out.geojson"
    io.write_geojson(mapkit.load(path), out)
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["custom_member"] == {"x": 1}
    assert written["license"] == "CC-BY-4.0"
    by_id = {f["id"]: f for f in written["features"]}
    for feature in original["features"]:
        assert by_id[feature["id"]]["properties"] == feature["properties"]
        assert by_id[feature["id"]]["geometry"] == feature["geometry"]
    # writing it again gives the same bytes
    again = tmp_path / "again.geojson"
    io.write_geojson(mapkit.load(out), again)
    assert again.read_bytes() == out.read_bytes()


def test_missing_unknown_property_is_not_invented(write_data, tmp_path):
    path = write_data(collection(site(), site(id="au-extra", rank=3)))
    out = io.write_geojson(mapkit.load(path), tmp_path / "out.geojson")
    features = {f["id"]: f for f in json.loads(out.read_text())["features"]}
    assert "rank" not in features["au-sydney-test"]["properties"]


def test_canonical_form_sorts_and_orders(write_data, tmp_path):
    b, a = site(id="au-b"), site(id="au-a")
    b["properties"] = dict(reversed(list(b["properties"].items())))
    out = io.write_geojson(collection(b, a), tmp_path / "c.geojson")
    data = json.loads(out.read_text())
    assert [f["id"] for f in data["features"]] == ["au-a", "au-b"]
    assert list(data["features"][1]["properties"])[:3] == ["id", "name", "country"]
    assert '"coordinates": [151.209, -33.869]' in out.read_text()


def test_failed_write_leaves_file_untouched(tmp_path):
    target = tmp_path / "data.geojson"
    target.write_text("old contents\n")
    with pytest.raises(ValueError):
        # NaN cannot be written as JSON: the write fails after the temporary file was opened
        io.write_geojson({"type": "FeatureCollection", "features": [{"bad": float("nan")}]}, target)
    assert target.read_text() == "old contents\n"
    assert sorted(os.listdir(tmp_path)) == ["data.geojson"]


@pytest.mark.parametrize("text,expected", [
    ("", "invalid JSON at line 1"),
    ('{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
])
def test_load_errors_name_the_file(tmp_path, text, expected):
    path = tmp_path / "x.geojson"
    path.write_text(text)
    with pytest.raises(DataFileError, match=expected) as info:
        mapkit.load(path)
    assert str(path) in str(info.value)


def test_load_missing_file(tmp_path):
    with pytest.raises(DataFileError, match="no such file"):
        mapkit.load(tmp_path / "missing.geojson")


@pytest.mark.skipif(not SHIPPED.exists(), reason="dataset not written yet")
def test_shipped_dataset_round_trips_byte_for_byte(tmp_path):
    out = io.write_geojson(mapkit.load(SHIPPED), tmp_path / "out.geojson")
    assert out.read_bytes() == SHIPPED.read_bytes()


def test_canonical_dict_rounds_to_precision_and_orders_operators():
    from tests.conftest import OPERATORS

    sites = io.canonical_collection(collection(site(geometry={"type": "Point", "coordinates": [151.2093456, -33.8688]})))
    assert sites["features"][0]["geometry"]["coordinates"] == [151.209, -33.869]
    shuffled = json.loads(json.dumps(OPERATORS))
    props = shuffled["features"][0]["properties"]
    shuffled["features"][0]["properties"] = dict(reversed(list(props.items())))
    ordered = io.canonical_collection(shuffled)["features"][0]["properties"]
    assert list(ordered) == ["id", "name", "city", "province", "sources", "notes"]


# --------------------------------------------------------------------------- streaming reader

_STREAM_DOCUMENTS = [
    '{"type": "FeatureCollection", "features": []}',
    '{}',
    '{"features": [1, "two", null, [3], {"a": {"b": [1.5e3, -0.0, true, false]}}], "type": "FeatureCollection"}',
    '\n\t {"title": "Ünïcödé \\u00e9 \\ud83d\\ude00 😀 中文", "features" : [ {"type": "Feature", "id": "x",'
    ' "properties": {"n": 12345678901234567890, "f": 0.1, "s": "a \\"quoted\\" ] } , string"}} ,'
    ' {"type":"Feature","properties":{}} ] , "version": 123456, "after": {"x": [1, 2]} }\r\n',
    '{"type": "FeatureCollection", "features": {"not": "a list"}}',
    '{"type": "FeatureCollection", "n": 5}',
]


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64, io.FeatureStream.CHUNK])
@pytest.mark.parametrize("text", _STREAM_DOCUMENTS)
def test_feature_stream_reads_what_json_reads(tmp_path, monkeypatch, text, chunk):
    """At any chunk size (multi-byte characters, numbers and strings cut at chunk ends), the
    stream yields the features json.loads finds and keeps every other member."""
    monkeypatch.setattr(io.FeatureStream, "CHUNK", chunk)
    path = tmp_path / "doc.geojson"
    path.write_bytes(text.encode("utf-8"))
    expected = json.loads(text)
    stream = io.FeatureStream(path)
    features = list(stream)
    if isinstance(expected.get("features"), list):
        assert stream.has_features and features == expected["features"]
    else:
        assert not stream.has_features and features == []
    assert stream.members == {k: v for k, v in expected.items() if k != "features" or not stream.has_features
                              and not isinstance(v, list)}


_BROKEN_DOCUMENTS = [
    "",
    "   \n  ",
    '{"type": "FeatureCollection", "features": [}\n',
    '{"type": "FeatureCollection",\n "features": [{"a": 1},\n {"b": 2} {"c": 3}]}',
    '{"type": "FeatureCollection", "features": [{"a": 1},]}',
    '{"type": "FeatureCollection" "features": []}',
    '{"type": "FeatureCollection", features: []}',
    '{"type" "FeatureCollection"}',
    '{"type": "FeatureCollection", "features": [{"a": "unterminated\n',
    '{"type": "FeatureCollection", "features": []} extra',
    '{"type": "FeatureCollection", "features": [\n\n\n   {"a": tru}]}',
    '[1, 2',
    '\ufeff{"type": "FeatureCollection", "features": []}',
]


@pytest.mark.parametrize("chunk", [1, 4, io.FeatureStream.CHUNK])
@pytest.mark.parametrize("text", _BROKEN_DOCUMENTS)
def test_feature_stream_reports_bad_json_where_json_does(tmp_path, monkeypatch, text, chunk):
    monkeypatch.setattr(io.FeatureStream, "CHUNK", chunk)
    path = tmp_path / "bad.geojson"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(DataFileError) as info:
        list(io.FeatureStream(path))
    message = str(info.value)
    assert message.startswith(f"{path}: invalid JSON at line {expected.value.lineno}, column {expected.value.colno}: "), message


def test_feature_stream_names_the_byte_that_is_not_utf8(tmp_path, monkeypatch):
    monkeypatch.setattr(io.FeatureStream, "CHUNK", 3)
    path = tmp_path / "latin1.geojson"
    path.write_bytes('{"type": "FeatureCollection", "features": [{"name": "Zürich"}]}'.encode("latin-1"))
    with pytest.raises(DataFileError, match=r"not UTF-8 text \(invalid start byte at byte 54\)"):
        list(io.FeatureStream(path))


def test_lean_load_keeps_nested_values_as_json_text_that_round_trips(write_data, tmp_path):
    original = collection(site(), site(id="au-extra", tags={"a": [1, 2]}, geometry=None, location_precision="none"))
    path = write_data(original)
    frame = mapkit.load(path)
    lean = mapkit.load(path, nested_as_text=True)
    assert isinstance(lean.loc[0, "sources"], io.JSONText)
    assert lean.loc[0, "sources"].value() == frame.loc[0, "sources"]
    assert lean.loc[1, "tags"] == '{"a":[1,2]}'
    assert lean.loc[0, "name"] == frame.loc[0, "name"]  # plain values stay as they are
    assert io.to_feature_collection(lean) == io.to_feature_collection(frame)


@pytest.mark.parametrize("text,expected", [
    ('{"type": "FeatureCollection", "features": [{"a": 1}], "features": [{"b": 2}]}',
     "line 1, column 55: the member 'features' appears twice"),
    ('{"type": "FeatureCollection", "type": "x", "features": []}', "the member 'type' appears twice"),
    ('{"type": "FeatureCollection",\n "features": [{"a": [1, NaN]}]}', "line 2, column 15: NaN is not JSON"),
    ('{"type": "FeatureCollection", "features": [], "n": -Infinity}', "-Infinity is not JSON"),
])
def test_feature_stream_refuses_what_json_readers_disagree_on(tmp_path, text, expected):
    path = tmp_path / "odd.geojson"
    path.write_text(text)
    with pytest.raises(DataFileError, match=expected):
        mapkit.load(path)


def test_round_trip_keeps_null_extras_and_feature_members(write_data, tmp_path):
    """An unnamed property that is null stays null (not dropped), and members of a Feature besides
    type, id, geometry and properties survive load -> write, also after filtering."""
    first = site(extra_null=None, rank=None)
    first["foreign_member"] = {"kept": True}
    second = site(id="au-two", rank=2)
    path = write_data(collection(first, second))
    frame = mapkit.load(path)
    out = io.write_geojson(mapkit.filter_frame(frame, status="reported"), tmp_path / "out.geojson")
    written = {f["id"]: f for f in json.loads(out.read_text(encoding="utf-8"))["features"]}
    assert written["au-sydney-test"]["properties"]["extra_null"] is None
    assert written["au-sydney-test"]["properties"]["rank"] is None
    assert "extra_null" not in written["au-two"]["properties"] and written["au-two"]["properties"]["rank"] == 2
    assert written["au-sydney-test"]["foreign_member"] == {"kept": True}
    assert "foreign_member" not in written["au-two"]
    only_second = io.to_feature_collection(frame[frame["id"] == "au-two"])
    assert "foreign_member" not in only_second["features"][0]


def test_load_keeps_any_geometry_and_a_property_called_geometry(write_data):
    polygon = {"type": "Polygon", "coordinates": [[[150.0, -34.0], [151.0, -34.0], [151.0, -33.0], [150.0, -34.0]]]}
    odd = site(id="au-odd", geometry=None, location_precision="none")
    odd["properties"]["geometry"] = {"drawn": "by hand"}
    frame = mapkit.load(write_data(collection(site(), site(id="au-area", geometry=polygon), odd)))
    features = {f["id"]: f for f in io.to_feature_collection(frame)["features"]}
    assert features["au-area"]["geometry"] == polygon, "kept, not dropped (validate and export refuse it by name)"
    assert features["au-odd"]["properties"]["geometry"] == {"drawn": "by hand"}
    assert features["au-odd"]["geometry"] is None
    assert features["au-sydney-test"]["geometry"]["coordinates"] == [151.209, -33.869]


@pytest.mark.parametrize("geometry", [
    {"type": "Point", "coordinates": ["151.2", "-33.8"]},
    {"type": "Pointy", "coordinates": [1, 2]},
    "151.2,-33.8",
])
def test_load_refuses_what_is_no_geometry_naming_the_site(write_data, geometry):
    with pytest.raises(DataFileError, match=r"feature 2 \(au-bad\): geometry is not a GeoJSON geometry"):
        mapkit.load(write_data(collection(site(), site(id="au-bad", geometry=geometry))))


def test_feature_stream_can_be_read_twice(write_data):
    stream = io.FeatureStream(write_data(collection(site(), site(id="au-two"))))
    assert [f["id"] for f in stream] == [f["id"] for f in stream] == ["au-sydney-test", "au-two"]
    assert stream.members["title"] == "Test sites"


@pytest.mark.parametrize("chunk", [1, 2, 3, 4, 5, 64])
def test_lone_surrogate_found_however_the_chunks_fall(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(io.FeatureStream, "CHUNK", chunk)
    monkeypatch.setattr(io.FeatureStream, "LOOKAHEAD", 1)
    path = tmp_path / "s.geojson"
    for k in range(4):  # move the escape across chunk boundaries
        path.write_text('{"type": "FeatureCollection", "features": [{"a": "' + "x" * k + '\\udc00"}]}')
        with pytest.raises(DataFileError, match="a holds a lone UTF-16 surrogate"):
            list(io.FeatureStream(path))


def test_row_extras_follow_their_site_through_sorting_and_reindexing(write_data):
    first = site(extra_null=None)
    first["foreign_member"] = "first's"
    second = site(id="au-two", extra_null=3)
    second["foreign_member"] = "second's"
    frame = mapkit.load(write_data(collection(first, second)))
    shuffled = frame.sort_values("id", ascending=False).reset_index(drop=True)
    features = {f["id"]: f for f in io.to_feature_collection(shuffled)["features"]}
    assert features["au-sydney-test"]["foreign_member"] == "first's" and features["au-two"]["foreign_member"] == "second's"
    assert features["au-sydney-test"]["properties"]["extra_null"] is None
    assert features["au-two"]["properties"]["extra_null"] == 3


def test_a_syntax_error_is_reported_without_reading_the_rest(tmp_path, monkeypatch):
    monkeypatch.setattr(io.FeatureStream, "CHUNK", 64)
    monkeypatch.setattr(io.FeatureStream, "LOOKAHEAD", 64)
    path = tmp_path / "early.geojson"
    rest = ",".join('{"type": "Feature", "properties": {"n": %d}}' % k for k in range(2000))
    path.write_text('{"type": "FeatureCollection", "features": [{"a": 1,}, ' + rest + "]}")
    stream = io.FeatureStream(path)
    with pytest.raises(DataFileError, match="line 1, column 52: Expecting property name"):
        list(stream)
    assert stream._bytes_read < 1000, "stopped at the error, not at the end of the file"
