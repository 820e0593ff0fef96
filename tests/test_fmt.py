"""mapkit fmt: canonical formatting, idempotent, --check, on real files."""

from __future__ import annotations

import json
import shutil

import pytest

import mapkit
from mapkit import io
from mapkit.cli import main
from mapkit.errors import DataFileError

from .conftest import GEODATA, SHIPPED, collection, site


def _messy(tmp_path):
    """A valid collection written non-canonically: reversed features, shuffled keys, events out
    of order, too many decimals, an extra property, 4-space indent."""
    a = site(id="au-sydney-a", extra_field={"z": 1, "a": 2})
    b = site(id="au-sydney-b", geometry={"type": "Point", "coordinates": [151.2093456, -33.8688123]})
    b["properties"]["events"].reverse()
    b["properties"]["events"].append(
        {"sources": ["s1"], "summary": "Same day as the first.", "type": "statement", "date": "2022-10-01"}
    )
    data = collection(b, a)
    data["features"][0]["properties"] = dict(reversed(list(data["features"][0]["properties"].items())))
    path = tmp_path / "contact_points.geojson"
    path.write_text(json.dumps(data, indent=4), encoding="utf-8")
    return path, data


def test_fmt_formats_and_keeps_every_value(tmp_path):
    path, before = _messy(tmp_path)
    assert mapkit.fmt(path) is False  # it was not canonical
    after = json.loads(path.read_text("utf-8"))
    assert [f["id"] for f in after["features"]] == ["au-sydney-a", "au-sydney-b"]
    a, b = after["features"]
    assert list(a["properties"])[:3] == ["id", "name", "country"]
    assert list(a["properties"])[-1] == "extra_field"  # extra property kept, after the named ones
    assert a["properties"]["extra_field"] == {"z": 1, "a": 2}
    assert b["geometry"]["coordinates"] == [151.209, -33.869]  # city precision: 3 decimals
    dates = [e["date"] for e in b["properties"]["events"]]
    assert dates == ["2022-10", "2022-10-01", "2022-11-08"]  # earliest day; stable on ties
    # nothing lost: same features and properties, up to order and rounding
    by_id = {f["id"]: f for f in before["features"]}
    for feature in after["features"]:
        old = by_id[feature["id"]]["properties"]
        new = feature["properties"]
        assert set(old) == set(new)
        for key in old:
            if key == "events":  # reordered, every event kept
                canon = lambda events: sorted(json.dumps(e, sort_keys=True) for e in events)  # noqa: E731
                assert canon(old[key]) == canon(new[key])
            else:
                assert json.dumps(old[key], sort_keys=True) == json.dumps(new[key], sort_keys=True)
    assert path.read_text("utf-8").endswith("}\n")


def test_fmt_twice_equals_fmt_once(tmp_path):
    path, _ = _messy(tmp_path)
    mapkit.fmt(path)
    once = path.read_bytes()
    assert mapkit.fmt(path) is True
    assert path.read_bytes() == once
    assert mapkit.fmt(path, check=True) is True


def test_check_fails_on_reordered_file_and_writes_nothing(tmp_path):
    path = tmp_path / "contact_points.geojson"
    shutil.copy(SHIPPED, path)
    assert mapkit.fmt(path, check=True) is True
    data = json.loads(path.read_text("utf-8"))
    data["features"].reverse()
    path.write_text(io.dumps(data), encoding="utf-8")
    reordered = path.read_bytes()
    assert mapkit.fmt(path, check=True) is False
    assert path.read_bytes() == reordered
    assert mapkit.fmt(path) is False
    assert path.read_bytes() == SHIPPED.read_bytes()


def test_check_fails_on_events_out_of_order(tmp_path):
    feature = site()
    feature["properties"]["events"].reverse()
    path = tmp_path / "contact_points.geojson"
    path.write_text(io.dumps(io.canonical_collection(collection(feature))), encoding="utf-8")
    assert mapkit.fmt(path, check=True) is False


@pytest.mark.parametrize("name", ["contact_points.geojson", "operators.geojson"])
def test_shipped_files_are_canonical(name):
    assert mapkit.fmt(GEODATA / name, check=True) is True


def test_countries_file_is_skipped(tmp_path, capsys):
    path = tmp_path / "countries.geojson"
    shutil.copy(GEODATA / "countries.geojson", path)
    before = path.read_bytes()
    assert mapkit.fmt(path) is True
    assert path.read_bytes() == before
    assert main(["fmt", str(path)]) == 0
    assert "skipped" in capsys.readouterr().err


def test_cli_check_names_each_file_and_exits_1(tmp_path, capsys):
    good = tmp_path / "operators.geojson"
    shutil.copy(GEODATA / "operators.geojson", good)
    bad, _ = _messy(tmp_path)
    assert main(["fmt", "--check", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert str(bad) in out and str(good) not in out
    assert main(["fmt", str(good), str(bad)]) == 0
    assert main(["fmt", "--check", str(good), str(bad)]) == 0


def test_bad_files_are_clear_errors(tmp_path, capsys):
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(DataFileError, match="line 1"):
        mapkit.fmt(path)
    assert path.read_text("utf-8").endswith("[")
    path.write_text('{"type": "Feature"}', encoding="utf-8")
    assert main(["fmt", str(path)]) == 1
    assert "FeatureCollection" in capsys.readouterr().err
