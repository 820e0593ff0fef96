"""Unit tests for mapkit.sheet: one research-spreadsheet row -> one site Feature."""

from __future__ import annotations

import csv
import json

import pytest

import mapkit
from mapkit import io, schema, sheet
from mapkit.errors import MapkitError, SheetError

from .conftest import OPERATORS



def row(**overrides) -> dict:
    """A small valid row in the research layout (all columns, as csv.DictReader gives them)."""
    base = {
        "id": "au-sydney-wenzhou",
        "city": "Sydney",
        "country": "AU",
        "address_or_area": "",
        "latitude": "-33.8688",
        "longitude": "151.2093",
        "location_precision": "city",
        "mode": "unknown",
        "operating_bureau": "Wenzhou PSB",
        "host_organisation": "",
        "date_opened": "2018",
        "date_opened_precision": "year",
        "status": "reported",
        "status_date": "2022-11-08",
        "events": "2022-10: ABC reveals the contact point [1]; 2022-11-08: AFP says it does not believe it is active [2]",
        "reported_by": "ABC News (2022-10)",
        "sources": (
            "ABC News (Australia)|China establishing overseas police presence|https://example.org/abc|~2022-10 ;; "
            "ABC News (Australia)|AFP tells Senate estimates|https://example.org/afp|2022-11-08"
        ),
        "notes": "",
    }
    base.update(overrides)
    return base


# --------------------------------------------------------------------------- sources


def test_sources_numbered_in_cell_order_with_defaults():
    sources = sheet.parse_sources("P1|Title one|https://a.example/1|2022-11-03 ;; P2|Title two|http://b.example/2|2023")
    assert [s["id"] for s in sources] == ["s1", "s2"]
    first = sources[0]
    assert first == {
        "id": "s1",
        "publisher": "P1",
        "title": "Title one",
        "url": "https://a.example/1",
        "published": "2022-11-03",
        "accessed": sheet.ACCESSED,
        "archive_url": None,
    }
    assert sources[1]["published"] == "2023"


def test_source_tilde_date_is_inferred():
    (source,) = sheet.parse_sources("P|T|https://a.example/x|~2022-11")
    assert source["published"] == "2022-11"
    assert source["date_inferred"] is True


def test_source_nd_is_null_and_not_inferred():
    (source,) = sheet.parse_sources("P|T|https://a.example/x|n.d.")
    assert source["published"] is None
    assert "date_inferred" not in source


def test_bracketed_title_is_a_description():
    (whole,) = sheet.parse_sources("P|[Summary of a report on a station]|https://a.example/x|2022")
    assert whole["title"] == "Summary of a report on a station"
    assert whole["title_is_description"] is True
    (marked,) = sheet.parse_sources("P|[no headline in stored copy] Report on a verdict|https://a.example/y|2025-12")
    assert marked["title"] == "Report on a verdict"
    assert marked["title_is_description"] is True


def test_title_from_url_slug_and_numbered_titles():
    (slug,) = sheet.parse_sources("P|[headline from URL slug] Words from the slug|https://a.example/z|n.d.")
    assert slug["title"] == "Words from the slug" and slug["title_from_url"] is True
    assert "title_is_description" not in slug
    # a leading number in brackets is part of a real headline, not a marker
    (numbered,) = sheet.parse_sources("note|[90]中国秘密警察 5つ目の予想|https://note.example/n|n.d.")
    assert numbered["title"] == "[90]中国秘密警察 5つ目の予想"
    assert "title_is_description" not in numbered


def test_title_may_contain_a_pipe():
    (source,) = sheet.parse_sources("P|Left | right|https://a.example/x|2022")
    assert source["title"] == "Left | right"
    assert source["url"] == "https://a.example/x"


def test_accessed_can_be_set_or_left_out():
    (source,) = sheet.parse_sources("P|T|https://a.example/x|2022", accessed=None)
    assert source["accessed"] is None


@pytest.mark.parametrize(
    "cell, needle",
    [
        ("P|T|https://a.example/x", "has 3 field"),
        ("P|T|javascript:alert(1)|2022", "not an http(s) URL"),
        ("P|T|ftp://a.example/x|2022", "not an http(s) URL"),
        ("|T|https://a.example/x|2022", "publisher is empty"),
        ("P||https://a.example/x|2022", "title is empty"),
        ("P|T|https://a.example/x|2022-13", "month 13"),
        ("P|T|https://a.example/x|Oct 2022", "not a partial date"),
    ],
)
def test_bad_source_entries_raise_sheet_error_naming_row_and_column(cell, needle):
    with pytest.raises(SheetError) as info:
        sheet.parse_sources(cell, row_id="xx-row")
    message = str(info.value)
    assert needle in message
    assert "'xx-row'" in message and "'sources'" in message


def test_empty_sources_cell():
    assert sheet.parse_sources("") == []
    assert sheet.parse_sources(None) == []


# --------------------------------------------------------------------------- events


SOURCES3 = sheet.parse_sources(
    "A|One|https://a.example/1|2022 ;; B|Two|https://a.example/2|2022 ;; C|Three|https://a.example/3|2023"
)


def test_events_split_cite_and_classify():
    events = sheet.parse_events(
        "2022-10-26: RCMP says it is investigating reports [2]; 2023-04-17: FBI arrests two men [1][3]",
        SOURCES3,
    )
    assert events == [
        {"date": "2022-10-26", "type": "investigation", "summary": "RCMP says it is investigating reports",
         "sources": ["s2"]},
        {"date": "2023-04-17", "type": "arrest", "summary": "FBI arrests two men", "sources": ["s1", "s3"]},
    ]


def test_semicolons_inside_a_summary_do_not_split_it():
    text = (
        "2022-11-22: RCMP press release: investigating interference; appeals to public [1][2]; "
        "2023-06-13: Duheme says activities were shut down; investigations continue; more to come [3]"
    )
    events = sheet.parse_events(text, SOURCES3)
    assert [e["date"] for e in events] == ["2022-11-22", "2023-06-13"]
    assert events[0]["summary"] == "RCMP press release: investigating interference; appeals to public"
    assert events[1]["summary"].endswith("investigations continue; more to come")
    assert events[1]["sources"] == ["s3"]


def test_semicolon_before_a_number_that_is_not_a_date_does_not_split():
    events = sheet.parse_events("2022-12: Officers counted; 2019 figures were lower [1]", SOURCES3)
    assert len(events) == 1
    assert events[0]["summary"] == "Officers counted; 2019 figures were lower"


def test_inferred_event_date():
    (event,) = sheet.parse_events("~2023-05: Spokesperson denies any stations [1]", SOURCES3)
    assert event["date"] == "2023-05"
    assert event["date_inferred"] is True
    assert event["type"] == "denial"


def test_citations_inside_a_long_entry_count_and_are_removed():
    (event,) = sheet.parse_events(
        "2024-07-02: Le Monde reports two officers asked to leave [2][3]. The DGSI says the shop was a post [1]",
        SOURCES3,
    )
    assert event["summary"] == "Le Monde reports two officers asked to leave. The DGSI says the shop was a post"
    assert event["sources"] == ["s2", "s3", "s1"]


def test_inline_citation_beyond_the_sources_is_an_error():
    with pytest.raises(SheetError, match=r"cites \[9\]"):
        sheet.parse_events("2024: First part [9]. Second part [1]", SOURCES3, row_id="r")


def test_repeated_citation_is_kept_once():
    (event,) = sheet.parse_events("2022: Something reported [2][2][1]", SOURCES3)
    assert event["sources"] == ["s2", "s1"]


def test_event_citing_a_missing_source_is_an_error():
    with pytest.raises(SheetError) as info:
        sheet.parse_events("2022-10: Reported [1]; 2022-11: Closed [4]", SOURCES3, row_id="xx-row")
    message = str(info.value)
    assert "[4]" in message and "3 source(s)" in message
    assert "'xx-row'" in message and "'events'" in message
    assert "entry 2" in message


def test_event_without_citation_or_date_is_an_error():
    with pytest.raises(SheetError, match="cites no source"):
        sheet.parse_events("2022-10: Reported somewhere", SOURCES3, row_id="r")
    with pytest.raises(SheetError, match="does not start with a date"):
        sheet.parse_events("October 2022: Reported [1]", SOURCES3, row_id="r")
    with pytest.raises(SheetError, match="summary is empty"):
        sheet.parse_events("2022-10: [1]", SOURCES3, row_id="r")


def test_undated_event_is_an_error_unless_allowed():
    with pytest.raises(SheetError, match="has no date"):
        sheet.parse_events("n.d.: Police refuse an FOI request [1]", SOURCES3, row_id="r")
    (event,) = sheet.parse_events("n.d.: Police refuse an FOI request [1]", SOURCES3, allow_undated=True)
    assert event["date"] is None


def test_sort_events_uses_the_earliest_day():
    events = [{"date": "2022-10-27"}, {"date": "2022-10"}, {"date": "2022"}, {"date": None}, {"date": "2021-12-31"}]
    assert [e["date"] for e in sheet.sort_events(events)] == ["2021-12-31", "2022", "2022-10", "2022-10-27", None]


@pytest.mark.parametrize(
    "summary, expected",
    [
        ("Chinese embassy denies the reports", "denial"),
        ("PRC MFA rejects the allegations", "denial"),
        ("FBI arrests Lu and Chen", "arrest"),
        ("Wang and his wife indicted", "charge"),
        ("Chen pleads guilty to acting as an agent", "conviction"),
        ("FM Hoekstra orders immediate closure", "closure_ordered"),
        ("Irish DFA orders the office to close", "closure_ordered"),
        ("Prosecutor-General confirms investigation", "investigation"),
        ("Police search the building", "investigation"),
        ("Ambassador says the stations have closed", "closed"),
        ("Hai'an police confirm it is operational", "confirmed"),
        ("Inaugurated as a service station", "opened"),
        ("Newspaper reveals the address", "reported"),
        ("Minister says the matter is taken seriously", "statement"),
    ],
)
def test_classify_event(summary, expected):
    assert sheet.classify_event(summary) == expected
    assert sheet.classify_event(summary) in schema.EVENT_TYPES


# --------------------------------------------------------------------------- operators


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("Fuzhou PSB", "fuzhou-psb"),
        ("Fuzhou PSB (Fuzhou branch of the MPS)", "fuzhou-psb"),
        ("Qingtian PSB", "qingtian-psb"),
        ("Qingtian County PSB", "qingtian-psb"),
        ("Lishui PSB (Zhejiang) — disputed, see notes", "lishui-psb"),
        ("Hai'an PSB (Nantong City, Jiangsu)", "haian-psb"),
        ("Wenzhou Public Security Bureau", "wenzhou-psb"),
        ("", None),
        (None, None),
    ],
)
def test_operator_id(cell, expected):
    assert sheet.operator_id(cell) == expected


def test_operator_id_rejects_unparseable_cells():
    with pytest.raises(SheetError, match="operating_bureau"):
        sheet.operator_id("the Wenzhou police", row_id="au-x")


# --------------------------------------------------------------------------- rows


def test_row_to_feature_shape_and_order():
    feature = sheet.row_to_feature(row())
    assert feature["type"] == "Feature"
    assert feature["id"] == "au-sydney-wenzhou"
    assert feature["geometry"] == {"type": "Point", "coordinates": [151.209, -33.869]}
    props = feature["properties"]
    assert list(props) == list(schema.PROPERTY_ORDER)
    assert props["id"] == feature["id"]
    assert props["name"] == "Wenzhou police service station, Sydney"
    assert props["country"] == "AU"
    assert props["address"] is None
    assert props["operator"] == "wenzhou-psb"
    assert props["opened"] == "2018" and props["closed"] is None
    assert props["status_date"] == "2022-11-08"
    assert [e["type"] for e in props["events"]] == ["reported", "statement"]
    assert props["sources"][0]["date_inferred"] is True
    assert props["notes"] is None


def test_country_only_row():
    feature = sheet.row_to_feature(
        row(id="ao-unlocated", city="(not stated)", country="ao", latitude="-11.2027", longitude="17.8739",
            location_precision="country", operating_bureau="", date_opened="", date_opened_precision="",
            events="", reported_by="")
    )
    props = feature["properties"]
    assert props["country"] == "AO"
    assert props["city"] is None
    assert props["operator"] is None
    assert props["name"] == "Reported police service station (place not stated), Angola"
    assert feature["geometry"]["coordinates"] == [17.87, -11.2]
    assert props["events"] == []


def test_qualified_not_stated_city_is_null():
    feature = sheet.row_to_feature(row(city="(not stated; Zagreb mentioned for joint patrols)"))
    assert feature["properties"]["city"] is None


def test_row_without_coordinates_has_null_geometry():
    feature = sheet.row_to_feature(row(latitude="", longitude="", location_precision="none"))
    assert feature["geometry"] is None


def test_duplicate_urls_are_merged_and_citations_renumbered():
    sources = (
        "A|One|https://a.example/1|n.d. ;; B|Two|https://a.example/2|2022 ;; "
        "A (copy)|One again|https://a.example/1|2022-10"
    )
    feature = sheet.row_to_feature(row(sources=sources, events="2022-10: Reported [3]; 2022-11: Said [2][1]"))
    props = feature["properties"]
    assert [s["url"] for s in props["sources"]] == ["https://a.example/1", "https://a.example/2"]
    assert props["sources"][0]["published"] == "2022-10"  # the duplicate filled the missing date
    assert [e["sources"] for e in props["events"]] == [["s1"], ["s2", "s1"]]


def test_events_come_out_sorted():
    feature = sheet.row_to_feature(row(events="2022-11-08: Later [2]; 2022-10: Earlier [1]"))
    assert [e["date"] for e in feature["properties"]["events"]] == ["2022-10", "2022-11-08"]


def test_extra_columns_become_properties_and_empty_ones_are_skipped():
    feature = sheet.row_to_feature(row(confidence="low", reviewer=" ", source_sheet="v2"))
    props = feature["properties"]
    assert props["confidence"] == "low" and props["source_sheet"] == "v2"
    assert "reviewer" not in props
    assert list(props)[-2:] == ["confidence", "source_sheet"]


def test_extra_column_may_not_shadow_a_property():
    with pytest.raises(SheetError, match="rename the column"):
        sheet.row_to_feature(row(operator="wenzhou-psb"))


def test_optional_date_closed_and_name_columns():
    feature = sheet.row_to_feature(row(status="closed", date_closed="2022-10", name="Custom name"))
    assert feature["properties"]["closed"] == "2022-10"
    assert feature["properties"]["name"] == "Custom name"


@pytest.mark.parametrize(
    "overrides, column, needle",
    [
        ({"id": ""}, None, "row without an id"),
        ({"country": "Australia"}, "country", "two-letter"),
        ({"id": "sydney-wenzhou"}, "id", "start with the country code"),
        ({"id": "AU-Sydney"}, "id", "lower-case"),
        ({"status": "shut"}, "status", "not one of"),
        ({"mode": "online"}, "mode", "not one of"),
        ({"location_precision": "exact"}, "location_precision", "not one of"),
        ({"latitude": "north"}, "latitude", "not a number"),
        ({"latitude": "151.2", "longitude": "-33.8"}, "latitude", "swapped"),
        ({"longitude": ""}, "latitude", "both latitude and longitude"),
        ({"date_opened": "2018-05", "date_opened_precision": "year"}, "date_opened_precision", "make them agree"),
        ({"date_opened": "spring 2018"}, "date_opened", "not a partial date"),
        ({"sources": ""}, "sources", "no source"),
        ({"events": "2022: Something [7]"}, "events", "cites [7]"),
    ],
)
def test_row_errors_name_row_column_and_fix(overrides, column, needle):
    with pytest.raises(SheetError) as info:
        sheet.row_to_feature(row(**overrides))
    message = str(info.value)
    assert needle in message
    if column:
        assert f"'{column}'" in message
        assert "row '" in message
    assert isinstance(info.value, MapkitError)


def test_converted_row_validates_and_round_trips(tmp_path):
    feature = sheet.row_to_feature(row())
    collection = {"type": "FeatureCollection", "title": "t", "features": [feature]}
    (tmp_path / "operators.geojson").write_text(json.dumps(OPERATORS), encoding="utf-8")
    path = io.write_geojson(collection, tmp_path / "sites.geojson")
    report = mapkit.validate(path)
    assert report.ok, "\n".join(map(str, report.errors))
    again = io.write_geojson(mapkit.load(path), tmp_path / "again.geojson")
    assert again.read_bytes() == path.read_bytes()


# --------------------------------------------------------------------------- the research tables


def _research_rows():
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "shared" / "research"
    rows = []
    for name in ("sites.csv", "sites-add.csv"):
        path = folder / name
        if path.is_file():
            with open(path, encoding="utf-8", newline="") as fh:
                rows.extend(csv.DictReader(fh))
    return rows


def test_every_research_row_parses():
    rows = _research_rows()
    if not rows:
        pytest.skip("research tables not available")
    for research_row in rows:
        feature = sheet.row_to_feature(research_row, allow_undated=True)
        assert feature["id"] == research_row["id"]
        assert feature["properties"]["sources"]
