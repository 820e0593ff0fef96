"""mapkit stats and mapkit list: counts checked against the data itself, same filters as the map."""

from __future__ import annotations

import csv
import io as _io
import json
from collections import Counter

import pytest

import mapkit
from mapkit import schema
from mapkit.cli import main
from mapkit.errors import FilterError
from mapkit.summary import LIST_COLUMNS, format_rows

from .conftest import SHIPPED, collection, site


def _features(path):
    return [f["properties"] for f in json.loads(path.read_text("utf-8"))["features"]]


def _direct_counts(props_list, by):
    if by == "year":
        return Counter(int(p["opened"][:4]) if p.get("opened") else "unknown" for p in props_list)
    if by == "operator":
        return Counter(p.get("operator") or "(none)" for p in props_list)
    return Counter(p.get(by) for p in props_list)


@pytest.mark.parametrize("by", ["status", "country", "operator", "mode", "year"])
def test_stats_equal_counts_computed_from_the_shipped_data(by):
    rows = mapkit.stats(SHIPPED, by=by)
    got = {r[by]: r["sites"] for r in rows}
    assert got == dict(_direct_counts(_features(SHIPPED), by))
    assert sum(got.values()) == len(_features(SHIPPED))


def test_stats_with_filters_equal_direct_counts_and_the_filtered_frame():
    props = _features(SHIPPED)
    rows = mapkit.stats(SHIPPED, by="country", status=["closed", "under_investigation"])
    expected = Counter(p["country"] for p in props if p["status"] in ("closed", "under_investigation"))
    assert {r["country"]: r["sites"] for r in rows} == dict(expected)
    frame = mapkit.filter_frame(mapkit.load(SHIPPED), status=["closed", "under_investigation"])
    assert sum(r["sites"] for r in rows) == len(frame)


@pytest.fixture
def small(write_data):
    features = [
        site(id="au-sydney-a", status="closed", closed="2023", opened="2018"),
        site(id="au-perth-b", city="Perth", status="active", opened="2022-05", operator=None),
        site(id="nz-auckland-c", country="NZ", city="Auckland", opened=None, mode="unknown",
             geometry={"type": "Point", "coordinates": [174.763, -36.848]}),
        site(id="au-sydney-d", opened="2018-01-02"),
    ]
    return write_data(collection(*features))


def test_stats_orders_and_labels(small):
    assert mapkit.stats(small) == [
        {"status": "active", "sites": 1}, {"status": "reported", "sites": 2}, {"status": "closed", "sites": 1},
    ]
    assert mapkit.stats(small, by="year") == [
        {"year": 2018, "sites": 2}, {"year": 2022, "sites": 1}, {"year": "unknown", "sites": 1},
    ]
    assert mapkit.stats(small, by="operator") == [
        {"operator": "wenzhou-psb", "sites": 3}, {"operator": "(none)", "sites": 1},
    ]
    assert mapkit.stats(small, by="country") == [
        {"country": "AU", "name": "Australia", "sites": 3}, {"country": "NZ", "name": "New Zealand", "sites": 1},
    ]
    assert mapkit.stats(small, by="mode", country="NZ") == [{"mode": "unknown", "sites": 1}]
    assert mapkit.stats(small, by="status", opened_from=2019) == [{"status": "active", "sites": 1}]
    with pytest.raises(FilterError, match="cannot count by 'colour'"):
        mapkit.stats(small, by="colour")


def test_stats_accepts_a_frame_and_a_dict(small):
    frame = mapkit.load(small)
    data = json.loads(small.read_text("utf-8"))
    assert mapkit.stats(frame, by="mode") == mapkit.stats(data, by="mode") == mapkit.stats(small, by="mode")


def test_list_sites_uses_the_map_filters(small):
    rows = mapkit.list_sites(small, country="AU", operator="wenzhou-psb")
    assert [r["id"] for r in rows] == ["au-sydney-a", "au-sydney-d"]  # sorted by id
    assert [r["id"] for r in mapkit.list_sites(small, text="PERTH")] == ["au-perth-b"]
    assert list(rows[0]) == list(LIST_COLUMNS)
    rows = mapkit.list_sites(small, columns=["id", "sources", "events", "closed"], status="closed")
    assert rows == [{"id": "au-sydney-a", "sources": 2, "events": 2, "closed": "2023"}]
    everything = mapkit.list_sites(SHIPPED)
    assert [r["id"] for r in everything] == sorted(p["id"] for p in _features(SHIPPED))


def test_format_rows_every_format():
    rows = [{"status": "active", "sites": 2}, {"status": "closed", "sites": 10}]
    table = format_rows(rows, total="sites")
    assert table.splitlines() == [
        "status  sites", "------  -----", "active      2", "closed     10", "------  -----", "total      12",
    ]
    assert list(csv.DictReader(_io.StringIO(format_rows(rows, format="csv")))) == [
        {"status": "active", "sites": "2"}, {"status": "closed", "sites": "10"},
    ]
    assert json.loads(format_rows(rows, format="json", total="sites")) == rows  # no total in data formats
    md = format_rows([{"name": "a|b", "sites": 1}], format="markdown")
    assert md.splitlines() == ["| name | sites |", "|---|---:|", "| a\\|b | 1 |"]
    assert format_rows([], format="json") == "[]\n"
    assert format_rows([], columns=["id"], format="csv") == "id\n"


def test_cli_stats_and_list(small, capsys):
    assert main(["stats", str(small), "--by", "country", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == ["country,name,sites", "AU,Australia,3", "NZ,New Zealand,1"]
    assert main(["stats", str(small), "--status", "reported", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"status": "reported", "sites": 2}]
    assert main(["list", str(small), "--country", "NZ", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert [r["id"] for r in json.loads(captured.out)] == ["nz-auckland-c"]
    assert "1 site(s)" in captured.err
    assert main(["list", str(small), "--columns", "id,city", "--format", "markdown", "--mode", "cloud"]) == 0
    assert capsys.readouterr().out == "| id | city |\n|---|---|\n"
    assert main(["list", str(small), "--country", "XX"]) == 1
    assert "unknown country 'XX'" in capsys.readouterr().err


def test_every_status_is_known():
    assert {r["status"] for r in mapkit.stats(SHIPPED)} <= set(schema.STATUSES)


# --------------------------------------------------------------------------- a list where one value belongs


@pytest.fixture
def listy(write_data):
    """Sites where the second has "country": ["AU"] (a list where one value belongs)."""
    return write_data(collection(
        site(id="au-sydney-a"),
        site(id="au-perth-b", city="Perth", country=["AU"]),
        site(id="au-sydney-c", status={"reported": True}, operator=["wenzhou-psb", "fuzhou-psb"]),
    ))


def test_stats_and_list_name_a_list_value_instead_of_failing_on_it(listy):
    from mapkit.errors import MapkitError

    import re

    one_line = re.escape(f"{listy}: feature 2 (au-perth-b), field 'country': a list ([\"AU\"]), not one value; "
                         "fix: write one value, e.g. \"AU\" ('mapkit validate' lists every problem)") + "$"
    with pytest.raises(MapkitError, match=one_line):
        mapkit.stats(listy, by="country")
    with pytest.raises(MapkitError, match=one_line):
        mapkit.stats(listy, by="mode", country="AU")  # a filter on the field
    with pytest.raises(MapkitError, match=one_line):
        mapkit.list_sites(listy)  # country is a listed column
    with pytest.raises(MapkitError, match="feature 3 .au-sydney-c., field 'status': an object"):
        mapkit.stats(mapkit.load(listy))
    with pytest.raises(MapkitError, match="^data: feature 3 .au-sydney-c., field 'operator': a list"):
        mapkit.list_sites(json.loads(listy.read_text("utf-8")), columns=["id"], operator="wenzhou-psb")
    # fields neither counted, filtered on nor listed do not matter
    assert mapkit.stats(listy, by="mode") == [{"mode": "physical", "sites": 3}]
    assert [r["id"] for r in mapkit.list_sites(listy, columns=["id", "city"], opened_from=2018)] == [
        "au-perth-b", "au-sydney-a", "au-sydney-c"]
    with pytest.raises(MapkitError, match="field 'operator'"):  # the text search looks in the operator
        mapkit.list_sites(listy, columns=["id", "city"], text="perth")


def _mapkit(*args, cwd):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "mapkit", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("command", [
    ["stats", "--by", "country"],
    ["stats", "--country", "AU"],
    ["list"],
    ["list", "--country", "AU", "--format", "csv"],
])
def test_cli_stats_and_list_on_a_list_value_exit_1_with_one_line(listy, command):
    done = _mapkit(command[0], listy, *command[1:], cwd=listy.parent)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line == (f"mapkit {command[0]}: error: {listy}: feature 2 (au-perth-b), field 'country': a list "
                    "([\"AU\"]), not one value; fix: write one value, e.g. \"AU\" ('mapkit validate' lists every problem)")
