"""mapkit import: spreadsheet rows to sites, merged by id, validated first, nothing lost."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

import mapkit
from mapkit import io
from mapkit.cli import main
from mapkit.errors import DataFileError, ImportFailed, MapkitError
from mapkit.gazetteer import Gazetteer

from .conftest import SHIPPED, collection, site

HEADER = [
    "id", "city", "country", "address_or_area", "latitude", "longitude", "location_precision", "mode",
    "operating_bureau", "host_organisation", "date_opened", "date_opened_precision", "status", "status_date",
    "events", "reported_by", "sources", "notes",
]

SRC_ABC = "ABC News|Police station found in Perth|https://example.org/perth|2023-02-01"
SRC_SBS = "SBS|Second look at Perth|https://example.org/perth-2|~2023-03"


def row(**cells) -> dict:
    base = {h: "" for h in HEADER}
    base.update(cells)
    return base


NEW = row(
    id="au-perth-wenzhou", city="Perth", country="AU", latitude="-31.95224", longitude="115.8614",
    location_precision="city", mode="physical", operating_bureau="Wenzhou PSB", date_opened="2019",
    date_opened_precision="year", status="reported", status_date="2023-02-01",
    events="2023-02-01: ABC News reports the site [1]; ~2023-03: SBS names the host [2][1]",
    reported_by="ABC News (2023-02-01)", sources=f"{SRC_ABC} ;; {SRC_SBS}",
)
UPDATE = row(
    id="au-sydney-test", country="AU", status="under_investigation", status_date="2023-03",
    events="2023-03: AFP says it is investigating [1]",
    sources="ABC|AFP investigates|https://example.org/c|2023-03",
)
GEOCODED = row(
    id="au-rydalmere-nantong", city="Rydalmere", country="AU", mode="physical", status="reported",
    status_date="2023-08", reported_by="The Epoch Times",
    events="2023-08: The Epoch Times reports a Nantong-linked site in Rydalmere [1]",
    sources="The Epoch Times|Nantong station in Sydney|https://example.org/rydalmere|2023-08",
)
AMBIGUOUS = row(
    id="au-croydon-unknown", city="Croydon", country="AU", status="reported", status_date="2023",
    sources="Blog|A post|https://example.org/croydon|2023",
)
BROKEN_URL = row(
    id="au-hobart-x", city="Hobart", country="AU", latitude="-42.88", longitude="147.33",
    location_precision="city", status="reported", status_date="2023",
    sources="Blog|A post|javascript:alert(1)|2023",
)
BAD_DATE = row(
    id="au-darwin-x", city="Darwin", country="AU", latitude="-12.46", longitude="130.84",
    location_precision="city", status="reported", status_date="2023-13-01",
    sources="Blog|A post|https://example.org/darwin|2023",
)
DUPLICATE = dict(NEW, notes="the same id again")


def write_csv(path, rows, header=HEADER, delimiter=","):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def features_by_id(path):
    return {f["id"]: f for f in json.loads(path.read_text("utf-8"))["features"]}


@pytest.fixture
def target(write_data):
    """A valid sites file (two sites; one has a property no spreadsheet column names)."""
    existing = site(internal_ref="case 17", host_organization="Sydney Friendship Society (alleged)")
    other = site(id="nz-auckland-test", country="NZ", city="Auckland",
                 geometry={"type": "Point", "coordinates": [174.763, -36.848]})
    path = write_data(collection(existing, other))
    mapkit.fmt(path)
    return path


def test_new_updated_and_geocoded_sites(target, tmp_path):
    sheet = write_csv(tmp_path / "sites.csv", [NEW, UPDATE, GEOCODED])
    summary = mapkit.import_sites(sheet, into=target)
    assert summary.added == ["au-perth-wenzhou", "au-rydalmere-nantong"]
    assert summary.updated == {"au-sydney-test": ["status", "status_date", "sources", "events"]}
    assert summary.unchanged == [] and summary.rejected == [] and summary.written

    data = features_by_id(target)
    assert list(data) == sorted(data)  # canonical: sorted by id
    new = data["au-perth-wenzhou"]
    assert new["geometry"]["coordinates"] == [115.861, -31.952]  # rounded to city precision
    props = new["properties"]
    assert props["operator"] == "wenzhou-psb" and props["opened"] == "2019"
    assert props["name"] == "Wenzhou police service station, Perth"
    assert [s["id"] for s in props["sources"]] == ["s1", "s2"]
    assert props["sources"][1]["published"] == "2023-03" and props["sources"][1]["date_inferred"] is True
    assert [e["sources"] for e in props["events"]] == [["s1"], ["s2", "s1"]]

    updated = data["au-sydney-test"]["properties"]
    assert updated["status"] == "under_investigation" and updated["status_date"] == "2023-03"
    assert updated["internal_ref"] == "case 17"  # a property no column names is kept
    assert updated["host_organization"] == "Sydney Friendship Society (alleged)"  # not in the row: kept
    assert updated["city"] == "Sydney" and updated["opened"] == "2018"
    assert [s["id"] for s in updated["sources"]] == ["s1", "s2", "s3"]  # new source appended
    assert updated["sources"][2]["url"] == "https://example.org/c"
    assert [e["date"] for e in updated["events"]] == ["2022-10", "2022-11-08", "2023-03"]
    assert updated["events"][-1]["sources"] == ["s3"]
    assert data["au-sydney-test"]["geometry"] == {"type": "Point", "coordinates": [151.209, -33.869]}

    placed = data["au-rydalmere-nantong"]
    assert placed["properties"]["location_precision"] == "city"
    assert placed["geometry"]["coordinates"] == [151.038, -33.815]  # GeoNames 2150768
    assert "GeoNames 2150768" in summary.placed["au-rydalmere-nantong"]

    assert data["nz-auckland-test"] == features_by_id(target)["nz-auckland-test"]
    assert mapkit.fmt(target, check=True) is True
    assert mapkit.validate(target).ok


def test_every_problem_reported_at_once_and_target_byte_identical(target, tmp_path):
    rows = [NEW, UPDATE, GEOCODED, AMBIGUOUS, BROKEN_URL, BAD_DATE, DUPLICATE]
    sheet = write_csv(tmp_path / "sites.csv", rows)
    before = target.read_bytes()
    with pytest.raises(ImportFailed) as info:
        mapkit.import_sites(sheet, into=target)
    assert target.read_bytes() == before
    problems = info.value.problems
    where = {(p.row, p.column) for p in problems}
    # rows as a spreadsheet numbers them: the header is row 1
    assert (5, "city") in where  # ambiguous Croydon
    assert (6, "sources") in where  # javascript: URL
    assert (7, "status_date") in where  # month 13
    assert (8, "id") in where  # duplicate of row 2
    assert all(p.file == str(sheet) for p in problems)
    by_row = {p.row: p for p in problems}
    assert "ambiguous" in by_row[5].message
    assert "Victoria" in by_row[5].message and "New South Wales" in by_row[5].message
    assert "latitude and longitude" in by_row[5].fix
    assert "http" in by_row[6].message and by_row[6].site == "au-hobart-x"
    assert "month 13" in by_row[7].message
    assert "row 2" in by_row[8].message
    summary = info.value.summary
    assert summary.rejected == [
        "row 5 (au-croydon-unknown)", "row 6 (au-hobart-x)", "row 7 (au-darwin-x)", "row 8 (au-perth-wenzhou)",
    ]
    assert not summary.written
    text = str(info.value)
    assert "nothing written" in text and "row 7 (au-darwin-x), column 'status_date'" in text


def test_validation_problems_of_the_merged_data_name_row_and_column(target, tmp_path):
    bad = dict(NEW, operating_bureau="Nowhere PSB", latitude="48.85", longitude="2.35")  # Paris, not AU
    sheet = write_csv(tmp_path / "sites.csv", [UPDATE, bad])
    before = target.read_bytes()
    with pytest.raises(ImportFailed) as info:
        mapkit.import_sites(sheet, into=target)
    assert target.read_bytes() == before
    where = {(p.row, p.column, p.rule) for p in info.value.problems}
    assert (3, "operating_bureau", "unknown-operator") in where
    assert (3, "latitude/longitude", "point-outside-country") in where


def test_dry_run_writes_nothing(target, tmp_path):
    sheet = write_csv(tmp_path / "sites.csv", [NEW, UPDATE])
    before = target.read_bytes()
    summary = mapkit.import_sites(sheet, into=target, dry_run=True)
    assert summary.added == ["au-perth-wenzhou"] and "au-sydney-test" in summary.updated
    assert not summary.written and "dry run" in str(summary)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["contact_points.geojson", "operators.geojson", "countries.geojson", "sites.csv"]
    )  # no temporary file left either


def test_reimport_changes_nothing(target, tmp_path):
    sheet = write_csv(tmp_path / "sites.csv", [NEW, UPDATE, GEOCODED])
    mapkit.import_sites(sheet, into=target)
    once = target.read_bytes()
    mtime = target.stat().st_mtime_ns
    summary = mapkit.import_sites(sheet, into=target)
    assert summary.added == [] and summary.updated == {}
    assert summary.unchanged == ["au-perth-wenzhou", "au-rydalmere-nantong", "au-sydney-test"]
    assert not summary.written and "no changes" in str(summary)
    assert target.read_bytes() == once and target.stat().st_mtime_ns == mtime


def test_on_conflict_keep_and_fail(target, tmp_path):
    change = row(id="au-sydney-test", status="active", notes="New note", city="Sydney CBD")
    sheet = write_csv(tmp_path / "sites.csv", [change])
    before = target.read_bytes()

    with pytest.raises(ImportFailed) as info:
        mapkit.import_sites(sheet, into=target, on_conflict="fail")
    assert target.read_bytes() == before
    conflicts = {p.column: p for p in info.value.problems}
    assert set(conflicts) == {"status", "city"}  # notes was empty: filling it is no conflict
    assert "reported" in conflicts["status"].message and conflicts["status"].row == 2

    summary = mapkit.import_sites(sheet, into=target, on_conflict="keep")
    assert summary.kept == {"au-sydney-test": ["city", "status"]}
    assert summary.updated == {"au-sydney-test": ["notes"]}
    props = features_by_id(target)["au-sydney-test"]["properties"]
    assert props["status"] == "reported" and props["city"] == "Sydney" and props["notes"] == "New note"


def test_update_keeps_the_point_unless_the_place_changes(target, tmp_path):
    moved = row(id="au-sydney-test", city="Rydalmere")  # no coordinates: placed again
    write_csv(tmp_path / "a.csv", [moved])
    summary = mapkit.import_sites(tmp_path / "a.csv", into=target)
    assert summary.updated == {"au-sydney-test": ["city", "geometry"]}
    assert features_by_id(target)["au-sydney-test"]["geometry"]["coordinates"] == [151.038, -33.815]
    finer = row(id="au-sydney-test", location_precision="street")  # finer, without coordinates
    write_csv(tmp_path / "b.csv", [finer])
    with pytest.raises(ImportFailed, match="coordinates"):
        mapkit.import_sites(tmp_path / "b.csv", into=target)


def test_region_column_decides_an_ambiguous_city_and_stays_a_property(target, tmp_path):
    rows = [dict(AMBIGUOUS, region="Victoria")]
    header = [*HEADER, "region"]
    sheet = write_csv(tmp_path / "sites.csv", rows, header=header)
    summary = mapkit.import_sites(sheet, into=target)
    assert summary.added == ["au-croydon-unknown"]
    feature = features_by_id(target)["au-croydon-unknown"]
    assert feature["geometry"]["coordinates"] == [145.283, -37.8]
    assert feature["properties"]["region"] == "Victoria"


def test_data_model_column_names_extra_columns_semicolons_and_a_country_only_row(target, tmp_path):
    header = ["ID", "Name", "Country", "City", "Address", "Status", "Status date", "Opened", "Operator",
              "Host organization", "Sources", "Tip line", "Mode", "State"]
    rows = [
        {"ID": "au-perth-x", "Name": "Custom name", "Country": "au", "City": "Perth", "Address": "12 Hay St",
         "Status": "Under investigation", "Status date": "2023-05-14 00:00:00", "Opened": "2020-07",
         "Operator": "wenzhou-psb", "Host organization": "A club", "Sources": SRC_ABC, "Tip line": "1800 123",
         "Mode": "", "State": "Western Australia"},  # a state column picks Perth, WA over Perth, Tasmania
        {"ID": "nz-unlocated", "Country": "NZ", "City": "(not stated)", "Status": "reported",
         "Status date": "2022", "Sources": SRC_SBS},
    ]
    sheet = write_csv(tmp_path / "sites.csv", rows, header=header, delimiter=";")
    summary = mapkit.import_sites(sheet, into=target)
    assert summary.added == ["au-perth-x", "nz-unlocated"]
    data = features_by_id(target)
    props = data["au-perth-x"]["properties"]
    assert props["name"] == "Custom name" and props["address"] == "12 Hay St"
    assert props["status"] == "under_investigation" and props["status_date"] == "2023-05-14"
    assert props["host_organization"] == "A club" and props["Tip line"] == "1800 123"
    assert props["mode"] == "unknown" and props["country"] == "AU"
    assert props["State"] == "Western Australia"  # the region column is kept as a property
    assert data["au-perth-x"]["geometry"]["coordinates"] == [115.861, -31.952]  # GeoNames 2063523
    country_only = data["nz-unlocated"]
    assert country_only["properties"]["location_precision"] == "country"
    assert country_only["properties"]["city"] is None
    assert len(str(country_only["geometry"]["coordinates"][0]).split(".")[1]) <= 2
    assert mapkit.validate(target).ok  # the point is inside New Zealand


def test_xlsx_import_equals_csv_import(target, tmp_path):
    import pandas as pd
    import pyogrio

    rows = [NEW, UPDATE, GEOCODED]
    frame = pd.DataFrame(rows, columns=HEADER)
    xlsx = tmp_path / "sites.xlsx"
    pyogrio.write_dataframe(frame, xlsx, driver="XLSX", layer="new sites")
    other = tmp_path / "copy.geojson"
    shutil.copy(target, other)
    via_xlsx = mapkit.import_sites(xlsx, into=target)
    via_csv = mapkit.import_sites(write_csv(tmp_path / "sites.csv", rows), into=other)
    assert via_xlsx.added == via_csv.added and via_xlsx.updated == via_csv.updated
    assert target.read_bytes() == other.read_bytes()
    again = mapkit.import_sites(xlsx, into=target, sheet="new sites")
    assert again.unchanged == ["au-perth-wenzhou", "au-rydalmere-nantong", "au-sydney-test"]
    with pytest.raises(DataFileError, match="no sheet named 'nope'"):
        mapkit.import_sites(xlsx, into=target, sheet="nope")


def test_xlsx_problems_carry_spreadsheet_row_numbers(target, tmp_path):
    import pandas as pd
    import pyogrio

    frame = pd.DataFrame([NEW, BAD_DATE], columns=HEADER)
    xlsx = tmp_path / "sites.xlsx"
    pyogrio.write_dataframe(frame, xlsx, driver="XLSX", layer="sites")
    with pytest.raises(ImportFailed) as info:
        mapkit.import_sites(xlsx, into=target)
    assert [(p.row, p.column) for p in info.value.problems] == [(3, "status_date")]


def test_geojson_import_and_export_round_trip(target, tmp_path):
    # a GeoJSON file of sites merges like a spreadsheet
    extra = site(id="au-hobart-new", city="Hobart", geometry={"type": "Point", "coordinates": [147.327, -42.882]})
    source = tmp_path / "incoming.geojson"
    source.write_text(json.dumps(collection(extra)), encoding="utf-8")
    summary = mapkit.import_sites(source, into=target)
    assert summary.added == ["au-hobart-new"]
    # mapkit export to CSV, imported into an empty file, gives back the same sites
    exported = tmp_path / "export.csv"
    mapkit.export(mapkit.load(target), exported)
    fresh = tmp_path / "fresh.geojson"
    result = mapkit.import_sites(exported, into=fresh)
    assert result.created and sorted(result.added) == sorted(features_by_id(target))
    assert any("derives" in n for n in result.notes)
    assert features_by_id(fresh) == features_by_id(target)


def test_gazetteer_can_be_replaced(target, tmp_path):
    tiny = Gazetteer.from_places([
        {"geonameid": 1, "name": "Rydalmere", "country": "AU", "population": 5, "latitude": -30.0, "longitude": 150.0},
    ])
    sheet = write_csv(tmp_path / "sites.csv", [GEOCODED])
    mapkit.import_sites(sheet, into=target, gazetteer=tiny, dry_run=True)
    summary = mapkit.import_sites(sheet, into=target, gazetteer=tiny)
    assert features_by_id(target)["au-rydalmere-nantong"]["geometry"]["coordinates"] == [150.0, -30.0]
    assert "GeoNames 1" in summary.placed["au-rydalmere-nantong"]


def test_file_level_problems(target, tmp_path):
    before = target.read_bytes()
    no_id = write_csv(tmp_path / "a.csv", [{"city": "Perth"}], header=["city"])
    with pytest.raises(ImportFailed, match="no 'id' column"):
        mapkit.import_sites(no_id, into=target)
    twice = tmp_path / "b.csv"
    twice.write_text("id,address,address_or_area,,\nau-sydney-test,x,y,,lost\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as info:
        mapkit.import_sites(twice, into=target)
    messages = " | ".join(str(p) for p in info.value.problems)
    assert "both 'address' and 'address_or_area'" in messages
    assert "row 2" in messages and "no name" in messages
    latin1 = tmp_path / "c.csv"
    latin1.write_bytes("id,city\nau-x,Montréal\n".encode("latin-1"))
    with pytest.raises(DataFileError, match="UTF-8"):
        mapkit.import_sites(latin1, into=target)
    with pytest.raises(DataFileError, match="no such file"):
        mapkit.import_sites(tmp_path / "missing.csv", into=target)
    with pytest.raises(MapkitError, match="on_conflict"):
        mapkit.import_sites(no_id, into=target, on_conflict="merge")
    with pytest.raises(DataFileError, match="operators"):
        mapkit.import_sites(no_id, into=target.parent / "operators.geojson")
    assert target.read_bytes() == before


def test_cli_import(target, tmp_path, capsys):
    sheet = write_csv(tmp_path / "sites.csv", [NEW, GEOCODED])
    before = target.read_bytes()
    assert main(["import", str(sheet), "--into", str(target), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "added: 2 (au-perth-wenzhou, au-rydalmere-nantong)" in out and "dry run" in out
    assert target.read_bytes() == before
    assert main(["import", str(sheet), "--into", str(target), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["written"] is True
    assert main(["import", str(sheet), "--into", str(target)]) == 0
    assert "unchanged: 2" in capsys.readouterr().out
    bad = write_csv(tmp_path / "bad.csv", [BAD_DATE, AMBIGUOUS])
    after = target.read_bytes()
    assert main(["import", str(bad), "--into", str(target)]) == 1
    captured = capsys.readouterr()
    assert "row 2 (au-darwin-x), column 'status_date'" in captured.err
    assert "row 3 (au-croydon-unknown), column 'city'" in captured.err
    assert "nothing written" in captured.err
    assert target.read_bytes() == after


def test_shipped_dataset_imports_into_itself_unchanged(tmp_path):
    for name in ("contact_points.geojson", "operators.geojson", "countries.geojson"):
        shutil.copy(SHIPPED.parent / name, tmp_path / name)
    target = tmp_path / "contact_points.geojson"
    summary = mapkit.import_sites(SHIPPED, into=target)
    assert summary.added == [] and summary.updated == {}
    assert len(summary.unchanged) == len(io.read_json(SHIPPED)["features"])
    assert target.read_bytes() == SHIPPED.read_bytes()


def test_spreadsheet_row_to_map_in_two_commands(target, tmp_path):
    sheet = write_csv(tmp_path / "sites.csv", [NEW, GEOCODED])
    page = tmp_path / "map.html"
    assert main(["import", str(sheet), "--into", str(target)]) == 0
    assert main(["build", str(target), "-o", str(page), "--tiles", "none"]) == 0
    html = page.read_text("utf-8")
    assert "au-perth-wenzhou" in html and "au-rydalmere-nantong" in html


def test_failed_import_creates_no_file(target, tmp_path):
    new_target = tmp_path / "new.geojson"
    sheet = write_csv(tmp_path / "sites.csv", [NEW, BAD_DATE])
    with pytest.raises(ImportFailed):
        mapkit.import_sites(sheet, into=new_target)
    assert not new_target.exists()
    ok = write_csv(tmp_path / "ok.csv", [NEW])
    summary = mapkit.import_sites(ok, into=new_target)
    assert summary.created and summary.written and list(features_by_id(new_target)) == ["au-perth-wenzhou"]


# --------------------------------------------------------------------------- a precise point is never lost


@pytest.fixture
def precise(write_data):
    """A sites file with one site whose point was placed by hand to district precision."""
    hand_placed = site(id="au-sydney-district", location_precision="district",
                       geometry={"type": "Point", "coordinates": [151.207, -33.873]})
    path = write_data(collection(hand_placed))
    mapkit.fmt(path)
    return path


def test_a_new_city_spelling_keeps_a_point_finer_than_a_city(precise, tmp_path):
    sheet = write_csv(tmp_path / "a.csv", [{"id": "au-sydney-district", "city": "Rydalmere"}], header=["id", "city"])
    summary = mapkit.import_sites(sheet, into=precise)
    assert summary.updated == {"au-sydney-district": ["city"]} and summary.placed == {}
    feature = features_by_id(precise)["au-sydney-district"]
    assert feature["geometry"]["coordinates"] == [151.207, -33.873]  # not the gazetteer's Rydalmere
    assert feature["properties"]["location_precision"] == "district"
    assert feature["properties"]["city"] == "Rydalmere"
    [kept] = [w for w in summary.warnings if w.rule == "point-kept"]
    assert (kept.row, kept.column, kept.severity) == (2, "city", "warning")
    assert "city changed; point kept" in kept.message and kept.fix == "give longitude/latitude to move it"
    assert f"{sheet}, row 2 (au-sydney-district), column 'city': warning: city changed; point kept" in str(summary)
    assert mapkit.validate(precise).ok
    # the same file again: nothing changes, nothing to warn about
    again = mapkit.import_sites(sheet, into=precise)
    assert again.unchanged == ["au-sydney-district"] and not [w for w in again.warnings if w.rule == "point-kept"]


def test_coordinates_or_a_stated_city_precision_move_a_precise_point(precise, tmp_path):
    header = ["id", "city", "latitude", "longitude"]
    moved = write_csv(tmp_path / "a.csv", [{"id": "au-sydney-district", "city": "Rydalmere",
                                             "latitude": "-33.81512", "longitude": "151.03841"}], header=header)
    summary = mapkit.import_sites(moved, into=precise, dry_run=True)
    assert summary.updated == {"au-sydney-district": ["city", "geometry"]}
    assert not [w for w in summary.warnings if w.rule == "point-kept"]
    # saying the site is only known to its city lets the gazetteer place it
    coarser = write_csv(tmp_path / "b.csv", [{"id": "au-sydney-district", "city": "Rydalmere",
                                               "location_precision": "city"}],
                        header=["id", "city", "location_precision"])
    summary = mapkit.import_sites(coarser, into=precise)
    assert summary.updated == {"au-sydney-district": ["city", "location_precision", "geometry"]}
    assert features_by_id(precise)["au-sydney-district"]["geometry"]["coordinates"] == [151.038, -33.815]


def test_respelling_markham_keeps_the_hand_placed_district_point(tmp_path):
    # the reviewer's case, on the shipped data
    for name in ("contact_points.geojson", "operators.geojson", "countries.geojson"):
        shutil.copy(SHIPPED.parent / name, tmp_path / name)
    target = tmp_path / "contact_points.geojson"
    before = features_by_id(target)["ca-markham-fuzhou-commercial"]
    assert before["properties"]["location_precision"] == "district"
    sheet = tmp_path / "markham.csv"
    sheet.write_text("id,city\nca-markham-fuzhou-commercial,Markham\n", encoding="utf-8")
    summary = mapkit.import_sites(sheet, into=target)
    assert summary.updated == {"ca-markham-fuzhou-commercial": ["city"]}
    after = features_by_id(target)["ca-markham-fuzhou-commercial"]
    assert after["geometry"] == before["geometry"]
    assert after["properties"] == {**before["properties"], "city": "Markham"}
    assert any(w.rule == "point-kept" and w.site == "ca-markham-fuzhou-commercial" for w in summary.warnings)


# --------------------------------------------------------------------------- namesakes are never guessed


def _new_row(site_id, city, country, **cells):
    return row(id=site_id, city=city, country=country, status="reported", status_date="2023",
               sources=f"Blog|A post|https://example.org/{site_id}|2023", **cells)


def test_namesakes_are_reported_with_candidates_not_picked_by_population(target, tmp_path):
    sheet = write_csv(tmp_path / "sites.csv", [
        _new_row("au-perth-new", "Perth", "AU"),  # 2,384,371 people against 2,907: still two places
        _new_row("de-frankfurt-new", "Frankfurt", "DE"),  # am Main and (Oder)
    ])
    before = target.read_bytes()
    with pytest.raises(ImportFailed) as info:
        mapkit.import_sites(sheet, into=target)
    assert target.read_bytes() == before
    perth, frankfurt = info.value.problems
    assert (perth.row, perth.column, perth.rule) == (2, "city", "place-ambiguous")
    assert "Perth, Western Australia (AU-08), population 2,384,371, lat -31.952 lon 115.861, GeoNames 2063523" \
        in perth.message
    assert "Perth, Tasmania (AU-06), population 2,907, lat -41.572 lon 147.171, GeoNames 2153391" in perth.message
    assert "add a region column naming the state or province ('Western Australia', 'Tasmania')" in perth.fix
    assert "latitude and longitude" in perth.fix
    assert [p.geonameid for p in perth.candidates] == [2063523, 2153391]
    assert "Hesse" in frankfurt.message and "Brandenburg" in frankfurt.message
    assert [p.name for p in frankfurt.candidates] == ["Frankfurt am Main", "Frankfurt (Oder)"]
    as_json = info.value.summary.problems[0].to_dict()["candidates"]
    assert as_json[0] == {"geonameid": 2063523, "name": "Perth", "country": "AU", "admin1": "08",
                          "admin1_name": "Western Australia", "population": 2384371,
                          "latitude": -31.952, "longitude": 115.861}


def test_a_region_column_picks_one_namesake_and_a_wrong_region_lists_them(target, tmp_path):
    header = [*HEADER, "province"]
    wrong = write_csv(tmp_path / "a.csv", [_new_row("au-perth-new", "Perth", "AU", province="Queensland")], header=header)
    with pytest.raises(ImportFailed) as info:
        mapkit.import_sites(wrong, into=target)
    [problem] = info.value.problems
    assert problem.rule == "place-unknown" and "Queensland" in problem.message
    assert "correct the region (the candidates are in: Western Australia, Tasmania)" in problem.fix
    right = write_csv(tmp_path / "b.csv", [_new_row("au-perth-new", "Perth", "AU", province="Tasmania")], header=header)
    summary = mapkit.import_sites(right, into=target)
    assert "GeoNames 2153391" in summary.placed["au-perth-new"] and "the only match in 'Tasmania'" in summary.placed["au-perth-new"]
    feature = features_by_id(target)["au-perth-new"]
    assert feature["geometry"]["coordinates"] == [147.171, -41.572]
    assert feature["properties"]["location_precision"] == "city" and feature["properties"]["province"] == "Tasmania"


def test_cli_json_summary_lists_the_candidates(target, tmp_path, capsys):
    sheet = write_csv(tmp_path / "sites.csv", [_new_row("de-frankfurt-new", "Frankfurt", "DE")])
    assert main(["import", str(sheet), "--into", str(target), "--format", "json"]) == 1
    [problem] = json.loads(capsys.readouterr().out)["problems"]
    assert [(c["name"], c["admin1_name"]) for c in problem["candidates"]] == [
        ("Frankfurt am Main", "Hesse"), ("Frankfurt (Oder)", "Brandenburg")]


# --------------------------------------------------------------------------- GeoJSON input of the wrong shape


def _geojson(path, *features):
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}), encoding="utf-8")
    return path


def test_geojson_properties_that_are_not_an_object_are_one_line_errors(target, tmp_path):
    before = target.read_bytes()
    good = site(id="au-hobart-new", city="Hobart", geometry={"type": "Point", "coordinates": [147.327, -42.882]})
    for bad in (["a", "b"], "text", 7):
        source = _geojson(tmp_path / "in.geojson", good, {"type": "Feature", "id": "au-bad", "geometry": None,
                                                           "properties": bad})
        with pytest.raises(DataFileError) as info:
            mapkit.import_sites(source, into=target)
        message = str(info.value)
        assert "\n" not in message
        assert message.startswith(f"{source}: feature 2 (au-bad), field 'properties': a JSON ")
        assert "not an object; fix: write properties as an object" in message
    assert target.read_bytes() == before


def test_a_target_feature_the_merge_cannot_read_is_a_one_line_error(write_data, tmp_path):
    target = write_data(collection(site(), site(id="au-perth-test", city="Perth")))
    data = json.loads(target.read_text("utf-8"))
    data["features"][1]["properties"] = ["not", "an", "object"]
    target.write_text(json.dumps(data), encoding="utf-8")
    before = target.read_bytes()
    sheet = write_csv(tmp_path / "a.csv", [{"id": "au-sydney-test", "notes": "x"}], header=["id", "notes"])
    with pytest.raises(DataFileError) as info:
        mapkit.import_sites(sheet, into=target)
    message = str(info.value)
    assert "\n" not in message and target.read_bytes() == before
    assert message.startswith(f"{target}: feature 2 (au-perth-test), field 'properties': a JSON list, not an object")
    assert "'mapkit validate' lists every problem" in message
    data["features"][1] = site(id="au-perth-test", city="Perth", location_precision=["city"])
    target.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DataFileError, match="feature 2 .au-perth-test., field 'location_precision': a JSON list"):
        mapkit.import_sites(sheet, into=target)


def test_geojson_values_of_the_wrong_shape_are_row_problems(target, tmp_path):
    def feature(site_id, **overrides):
        return site(id=site_id, city="Hobart", geometry={"type": "Point", "coordinates": [147.327, -42.882]},
                    **overrides)

    sources = feature("au-a")["properties"]["sources"]
    source = _geojson(
        tmp_path / "in.geojson",
        feature("au-a", sources="s1 and s2"),
        feature("au-b", events=["reported"]),
        feature("au-c", sources=[{**sources[0], "url": ["https://example.org/a"]}, sources[1]]),
        feature("au-d", events=[{"date": ["2022"], "type": "reported", "summary": "x", "sources": ["s1"]}]),
        feature("au-e", events=[{"date": "2022", "type": "reported", "summary": "x", "sources": "s1"}]),
        feature("au-f", country=["AU"], location_precision={"value": "city"}),
        {**feature("au-g"), "geometry": {"type": "Point", "coordinates": [147.3]}},
    )
    before = target.read_bytes()
    with pytest.raises(ImportFailed) as info:
        mapkit.import_sites(source, into=target)
    assert target.read_bytes() == before
    got = [(p.row, p.site, p.column) for p in info.value.problems]
    assert got == [(1, "au-a", "sources"), (2, "au-b", "events"), (3, "au-c", "sources"), (4, "au-d", "events"),
                   (5, "au-e", "events"), (6, "au-f", "country"), (6, "au-f", "location_precision"),
                   (7, "au-g", "geometry")]
    messages = [p.message for p in info.value.problems]
    assert messages[0] == "sources is a JSON string, not a list of source objects"
    assert messages[1] == "event 1 is a JSON string, not an object"
    assert messages[2] == "source 1: url is a JSON list, not text"
    assert messages[4] == 'event 1: sources is a JSON string, not a list of source ids such as ["s1"]'
    assert messages[5] == "country is a JSON list, not one value"
    assert messages[7] == "the Point has no [longitude, latitude] numbers"
    assert all(p.fix for p in info.value.problems)


def test_geojson_nulls_of_a_new_site_are_kept(target, tmp_path):
    new = site(id="au-hobart-new", city="Hobart", geometry={"type": "Point", "coordinates": [147.327, -42.882]},
               tip_line=None, region=None, case_number=7)
    # for a site that exists, null means "not stated here": its value stays
    known = site(internal_ref=None, host_organization=None)
    source = _geojson(tmp_path / "in.geojson", new, known)
    summary = mapkit.import_sites(source, into=target)
    assert summary.added == ["au-hobart-new"]
    data = features_by_id(target)
    props = data["au-hobart-new"]["properties"]
    assert "tip_line" in props and props["tip_line"] is None
    assert "region" in props and props["region"] is None
    assert props["case_number"] == 7
    assert data["au-sydney-test"]["properties"]["internal_ref"] == "case 17"
    assert data["au-sydney-test"]["properties"]["host_organization"] == "Sydney Friendship Society (alleged)"
    assert mapkit.import_sites(source, into=target).unchanged == ["au-hobart-new", "au-sydney-test"]
    # a GeoJSON file imported into a new file gives back its sites, null properties and all
    fresh = tmp_path / "fresh.geojson"
    mapkit.import_sites(source, into=fresh)
    assert features_by_id(fresh)["au-hobart-new"] == data["au-hobart-new"]


def test_a_region_property_that_is_not_text_is_kept(target, tmp_path):
    new = site(id="au-hobart-new", city="Hobart", geometry={"type": "Point", "coordinates": [147.327, -42.882]},
               region=6)
    mapkit.import_sites(_geojson(tmp_path / "in.geojson", new), into=target)
    assert features_by_id(target)["au-hobart-new"]["properties"]["region"] == 6


def test_a_validation_error_about_the_whole_file_is_never_dropped(target, tmp_path, monkeypatch):
    from mapkit import validation

    real = validation.validate

    def validate(data, **kwargs):
        report = real(data, **kwargs)
        report.problems.append(validation.Problem("error", "<data>", None, "", None,
                                                  "the countries file is broken", "rebuild it", "json"))
        return report

    monkeypatch.setattr(validation, "validate", validate)
    sheet = write_csv(tmp_path / "a.csv", [{"id": "au-sydney-test", "notes": "x"}], header=["id", "notes"])
    before = target.read_bytes()
    with pytest.raises(ImportFailed) as info:
        mapkit.import_sites(sheet, into=target)
    assert target.read_bytes() == before
    [problem] = info.value.problems
    assert problem.file == str(target) and problem.message == "the countries file is broken"


# --------------------------------------------------------------------------- the command, as a process


def _mapkit(*args, cwd):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "mapkit", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_bad_geojson_input_or_target_exit_1_with_one_line(target, tmp_path):
    source = _geojson(tmp_path / "in.geojson", {"type": "Feature", "id": "au-bad", "geometry": None,
                                                 "properties": ["a"]})
    before = target.read_bytes()
    done = _mapkit("import", source, "--into", target, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith(f"mapkit import: error: {source}: feature 1 (au-bad), field 'properties': a JSON list")
    assert "fix:" in line
    assert target.read_bytes() == before
    # the same for a target that is broken that way
    data = json.loads(target.read_text("utf-8"))
    data["features"][0]["properties"] = "text"
    broken = tmp_path / "broken.geojson"
    broken.write_text(json.dumps(data), encoding="utf-8")
    sheet = write_csv(tmp_path / "a.csv", [{"id": "au-sydney-test", "notes": "x"}], header=["id", "notes"])
    done = _mapkit("import", sheet, "--into", broken, cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith(f"mapkit import: error: {broken}: feature 1 (au-sydney-test), field 'properties'")
