"""Checks that keep the shipped data honest (geodata/contact_points.geojson, operators.geojson).

`mapkit validate` already rejects the structural errors (an event citing a missing source, a
URL cited twice in one feature, a `reported_by` that names no source); these tests repeat the
ones that matter most on their own, without the validator, and add what it does not check: every
site has a dated history in order, operators are all defined and all used, source flags are
well formed, and the facts of the founding articles are present.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SITES_PATH = REPO / "geodata" / "contact_points.geojson"
OPERATORS_PATH = REPO / "geodata" / "operators.geojson"

PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
SOURCE_FLAGS = ("date_inferred", "title_is_description", "title_from_url")


def _load(path: Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


SITES = _load(SITES_PATH)
OPERATORS = _load(OPERATORS_PATH)
FEATURES = {f["id"]: f["properties"] for f in SITES["features"]}
IDS = sorted(FEATURES)


def _earliest(date: str) -> tuple[int, int, int]:
    parts = [int(x) for x in date.split("-")]
    return tuple(parts + [1] * (3 - len(parts)))


def _latest(date: str) -> tuple[int, int, int]:
    parts = [int(x) for x in date.split("-")]
    return tuple(parts + [12, 31][len(parts) - 1:])


def test_shipped_data_validates():
    from mapkit.validation import validate

    report = validate(SITES_PATH)
    assert report.errors == [], "\n".join(map(str, report.errors))


@pytest.mark.parametrize("fid", IDS)
def test_site_has_a_dated_history_in_order(fid):
    events = FEATURES[fid]["events"]
    assert events, f"{fid}: no events"
    dates = [e["date"] for e in events]
    assert all(PARTIAL_DATE.match(d) for d in dates), dates
    assert [_earliest(d) for d in dates] == sorted(_earliest(d) for d in dates), f"{fid}: events out of order {dates}"


@pytest.mark.parametrize("fid", IDS)
def test_events_cite_the_sites_own_sources(fid):
    props = FEATURES[fid]
    ids = [s["id"] for s in props["sources"]]
    assert len(ids) == len(set(ids)), f"{fid}: duplicate source ids"
    for event in props["events"]:
        assert event["sources"], f"{fid}: event {event['date']} cites nothing"
        missing = set(event["sources"]) - set(ids)
        assert not missing, f"{fid}: event {event['date']} cites {sorted(missing)}"
        assert len(event["sources"]) == len(set(event["sources"])), f"{fid}: event {event['date']} cites a source twice"


@pytest.mark.parametrize("fid", IDS)
def test_no_url_twice_in_a_site(fid):
    urls = Counter(s["url"] for s in FEATURES[fid]["sources"])
    archives = Counter(s["archive_url"] for s in FEATURES[fid]["sources"] if s.get("archive_url"))
    assert [u for u, n in urls.items() if n > 1] == []
    assert [u for u, n in archives.items() if n > 1] == []


@pytest.mark.parametrize("fid", IDS)
def test_source_fields_are_well_formed(fid):
    for source in FEATURES[fid]["sources"]:
        assert re.fullmatch(r"s\d+", source["id"]), source["id"]
        assert source["url"].startswith(("https://", "http://")), source["url"]
        if source.get("archive_url"):
            assert source["archive_url"].startswith(("https://", "http://"))
        assert source["publisher"].strip() and source["title"].strip()
        published = source.get("published")
        assert published is None or PARTIAL_DATE.match(published), published
        for flag in SOURCE_FLAGS:
            # a flag is present only to say yes; an inferred date must be a date
            assert source.get(flag, True) is True, f"{fid}: {source['id']}.{flag} should be true or absent"
        if source.get("date_inferred"):
            assert published, f"{fid}: {source['id']} has date_inferred but no date"


@pytest.mark.parametrize("fid", IDS)
def test_status_rests_on_the_history(fid):
    props = FEATURES[fid]
    types = {e["type"] for e in props["events"]}
    if props["status"] == "closed":
        assert props.get("closed") or "closed" in types, f"{fid}: closed without a date or event"
    if props["status"] == "under_investigation":
        assert "investigation" in types, f"{fid}: under investigation without an investigation event"
    if props.get("status_date"):
        assert PARTIAL_DATE.match(props["status_date"])
    if props.get("opened") and props.get("closed"):
        # "2022" may be any day of 2022: compare the latest day closed allows
        assert _earliest(props["opened"]) <= _latest(props["closed"])


@pytest.mark.parametrize("fid", IDS)
def test_precision_is_stated_not_implied(fid):
    props = FEATURES[fid]
    if props["location_precision"] in ("country", "none"):
        assert not props.get("city"), f"{fid}: a city is given but the site is placed at country precision"
    if props["location_precision"] in ("city", "region", "country"):
        # a centre placed by hand: at most three decimals
        coords = SITES["features"][IDS.index(fid)]["geometry"]["coordinates"]
        assert all(len(repr(float(c)).split(".")[1]) <= 3 for c in coords), coords


def test_operators_all_defined_and_all_used():
    defined = {f["id"] for f in OPERATORS["features"]}
    used = {p["operator"] for p in FEATURES.values() if p.get("operator")}
    assert sorted(used - defined) == [], "operators used but not defined"
    assert sorted(defined - used) == [], "operators defined but used by no site"
    for feature in OPERATORS["features"]:
        assert feature["properties"]["sources"], f"{feature['id']}: no source"


def test_ids_are_slugs_with_the_country_code():
    for fid, props in FEATURES.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", fid)
        assert fid.startswith(props["country"].lower() + "-")


# The founding articles (shared research notes, seeds.md): their facts must stay in the data.

def _events(fid, type_=None):
    return [e for e in FEATURES[fid]["events"] if type_ is None or e["type"] == type_]


def _urls(fid):
    return {s["url"] for s in FEATURES[fid]["sources"]}


def test_seed_sydney_wenzhou():
    p = FEATURES["au-sydney-wenzhou"]
    assert p["operator"] == "wenzhou-psb"
    assert p["opened"] == "2018"
    assert p["city"] == "Sydney"
    assert p["status"] == "reported"  # host says closed, Wenzhou police say open, AFP doubts it
    assert any(e["date"].startswith("2022-10") for e in _events("au-sydney-wenzhou", "reported"))
    assert any(e["date"] == "2023-08-08" for e in _events("au-sydney-wenzhou", "statement"))
    # the AFP's statements at Senate estimates and after
    assert {"2022-11-08", "2023-05-25"} <= {e["date"] for e in _events("au-sydney-wenzhou", "statement")}
    assert _events("au-sydney-wenzhou", "denial")
    assert any("newsbreak.com" in u for u in _urls("au-sydney-wenzhou"))  # Daily Mail seed article


def test_seed_rydalmere_nantong():
    p = FEATURES["au-rydalmere-nantong"]
    assert p["operator"] == "nantong-psb"
    assert p["opened"] == "2016"
    assert p["status"] == "closed"
    assert p["mode"] == "physical" and p["city"].startswith("Rydalmere")
    assert "Nantong Association" in (p["host_organization"] or "")
    assert p["address"] is None  # no address was reported
    assert _events("au-rydalmere-nantong", "closed")
    assert "https://amp.abc.net.au/article/102683332" in _urls("au-rydalmere-nantong")


def test_seed_haian_cloud():
    p = FEATURES["au-cloud-haian"]
    assert p["operator"] == "haian-psb"
    assert p["mode"] == "cloud"
    assert p["opened"] == "2022-05"
    assert p["status"] == "active" and p["status_date"] == "2023-08"
    assert p["location_precision"] in ("country", "none")
    assert "representative point" in p["notes"] and "no fixed address" in p["notes"]  # placed, and said so
    assert any(e["date"] == "2023-08-04" for e in _events("au-cloud-haian", "confirmed"))
    assert {"https://amp.abc.net.au/article/102683332",
            "https://theepochtimes.com/world/beijing-operates-cloud-based-police-contact-point-in-australia-5452843",
            } <= _urls("au-cloud-haian")


def test_seed_new_york_east_broadway():
    p = FEATURES["us-newyork-fuzhou-eastbroadway"]
    assert p["operator"] == "fuzhou-psb"
    assert "East Broadway" in p["address"]
    assert "ChangLe" in (p["host_organization"] or "")
    assert p["status"] == "closed"
    assert p["opened"] == "2022-02"
    assert "15 February" in p["notes"]  # the Daily Mail's day, kept beside the DOJ's month
    assert any(e["date"].startswith("2022") for e in _events("us-newyork-fuzhou-eastbroadway", "investigation"))
    assert {e["date"] for e in _events("us-newyork-fuzhou-eastbroadway", "arrest")} == {"2023-04-17"}
    assert {e["date"] for e in _events("us-newyork-fuzhou-eastbroadway", "charge")} == {"2023-04-17"}
    assert [e["date"][:7] for e in _events("us-newyork-fuzhou-eastbroadway", "conviction")] == ["2024-12"]
    assert _events("us-newyork-fuzhou-eastbroadway", "denial")
