"""Every rejection rule of the data model, each broken by a fixture that breaks just that rule."""

from __future__ import annotations

import hashlib
import json

import pytest

import mapkit
from mapkit.cli import main
from tests.conftest import SHIPPED, collection, site


def rules(report, severity="error"):
    return {p.rule for p in report.problems if p.severity == severity}


def test_valid_fixture_has_no_errors(write_data):
    report = mapkit.validate(write_data(collection(site())))
    assert report.ok, [str(p) for p in report.errors]
    assert report.sites == 1 and report.sources == 2 and report.events == 2


BROKEN = {
    "swapped coordinates": (dict(geometry={"type": "Point", "coordinates": [48.857, 2.352]}, country="FR",
                                 id="fr-paris-x", city="Paris"), "point-outside-country"),
    "latitude out of range": (dict(geometry={"type": "Point", "coordinates": [-33.87, 151.21]}), "latitude"),
    "longitude out of range": (dict(geometry={"type": "Point", "coordinates": [190.0, -33.87]}), "longitude"),
    "javascript url": (dict(sources=[{"id": "s1", "publisher": "ABC", "title": "T", "url": "javascript:alert(1)",
                                      "published": "2022"}], events=[]), "url"),
    "ftp url": (dict(sources=[{"id": "s1", "publisher": "ABC", "title": "T", "url": "ftp://example.org/x",
                               "published": "2022"}], events=[]), "url"),
    "unknown status": (dict(status="gone"), "unknown-status"),
    "unknown mode": (dict(mode="virtual"), "unknown-mode"),
    "unknown precision": (dict(location_precision="rooftop"), "unknown-location_precision"),
    "unknown event type": (dict(events=[{"date": "2022", "type": "raid", "summary": "x", "sources": ["s1"]}]),
                           "unknown-type"),
    "unknown country": (dict(country="ZZ", id="zz-nowhere"), "unknown-country"),
    "lower-case country": (dict(country="au"), "malformed-country"),
    "malformed id": (dict(id="AU Sydney"), "malformed-id"),
    "id without country prefix": (dict(id="nz-sydney"), "id-country"),
    "no source": (dict(sources=[], events=[]), "no-source"),
    "event cites missing source": (dict(events=[{"date": "2022", "type": "reported", "summary": "x",
                                                 "sources": ["s7"]}]), "event-source"),
    "malformed partial date": (dict(opened="2018-5"), "date"),
    "impossible date": (dict(status_date="2022-02-30"), "date"),
    "padded unknown month": (dict(opened="2018-00"), "date"),
    "closed before opened": (dict(status="closed", opened="2019-05", closed="2018"), "closed-before-opened"),
    "closed without date": (dict(status="closed", closed=None), "closed-undated"),
    "unknown operator": (dict(operator="mars-psb"), "unknown-operator"),
    "polygon geometry": (dict(geometry={"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}),
                         "geometry"),
    "duplicate source url": (dict(sources=[
        {"id": "s1", "publisher": "ABC", "title": "T", "url": "https://example.org/a", "published": "2022"},
        {"id": "s2", "publisher": "Q", "title": "U", "url": "https://example.org/a", "published": "2022"}]),
        "duplicate-source-url"),
    "null geometry with a precision": (dict(geometry=None, location_precision="city"), "precision-null-geometry"),
    "point with precision none": (dict(location_precision="none"), "precision-none-point"),
    "javascript archive url": (dict(sources=[{"id": "s1", "publisher": "ABC", "title": "T", "url": "https://example.org/a",
                                              "published": "2022", "archive_url": "javascript:alert(1)"},
                                             {"id": "s2", "publisher": "SBS", "title": "U", "url": "https://example.org/b",
                                              "published": "2022"}]), "url"),
    "repeated source id": (dict(sources=[
        {"id": "s1", "publisher": "ABC", "title": "T", "url": "https://example.org/a", "published": "2022"},
        {"id": "s1", "publisher": "SBS", "title": "U", "url": "https://example.org/b", "published": "2022"}],
        events=[]), "duplicate-source-id"),
    "coordinates not numbers": (dict(geometry={"type": "Point", "coordinates": ["151.2", "-33.8"]}), "coordinates"),
    "one coordinate": (dict(geometry={"type": "Point", "coordinates": [151.2]}), "coordinates"),
    "country null": (dict(country=None), "type"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_each_rule_is_enforced(case, write_data):
    overrides, rule = BROKEN[case]
    feature = site(**overrides)
    path = write_data(collection(feature))
    report = mapkit.validate(path)
    assert rules(report) == {rule}, [str(p) for p in report.problems]
    problem = next(p for p in report.errors if p.rule == rule)
    # every problem names the file, the feature, the field and a fix
    assert problem.file == str(path)
    assert problem.feature and problem.field and problem.fix
    assert str(path) in str(problem) and "fix:" in str(problem)


def test_missing_required_field(write_data):
    feature = site()
    del feature["properties"]["name"]
    report = mapkit.validate(write_data(collection(feature)))
    problem = next(p for p in report.errors if p.rule == "required")
    assert problem.field == "properties.name" and "add 'name'" in problem.fix


def test_duplicate_id(write_data):
    report = mapkit.validate(write_data(collection(site(), site(name="Other"))))
    assert "duplicate-id" in rules(report)


def test_swapped_coordinates_are_named(write_data):
    feature = site(geometry={"type": "Point", "coordinates": [48.857, 2.352]}, country="FR",
                   id="fr-paris-x", city="Paris")
    report = mapkit.validate(write_data(collection(feature)))
    message = next(p.message for p in report.errors if p.rule == "point-outside-country")
    assert "[latitude, longitude]" in message


def test_malformed_json_names_line_and_column(write_data, tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [}\n', encoding="utf-8")
    report = mapkit.validate(path)
    assert not report.ok
    assert "line 1" in str(report.errors[0]) and "column" in str(report.errors[0])


def test_not_a_feature_collection(tmp_path):
    path = tmp_path / "x.geojson"
    path.write_text('{"type": "Feature"}', encoding="utf-8")
    assert "not-collection" in rules(mapkit.validate(path))


def test_all_problems_reported_at_once(write_data):
    feature = site(status="gone", mode="virtual", opened="2018-13",
                   sources=[{"id": "s1", "publisher": "P", "title": "T", "url": "javascript:x", "published": "2022"}],
                   events=[])
    report = mapkit.validate(write_data(collection(feature)))
    assert {"unknown-status", "unknown-mode", "date", "url"} <= rules(report)


def test_warnings_do_not_fail(write_data):
    feature = site(reported_by="Pub", sources=[{"id": "s1", "publisher": "Pub", "title": "T", "url": "https://example.org/a",
                             "published": None}],
                   events=[{"date": "2022", "type": "reported", "summary": "x", "sources": ["s1"]}])
    report = mapkit.validate(write_data(collection(feature)))
    assert report.ok
    assert {"source-undated", "single-source"} <= rules(report, "warning")


def test_too_many_decimals_warns(write_data):
    report = mapkit.validate(write_data(collection(site(geometry={"type": "Point", "coordinates": [151.20931, -33.86882]}))))
    assert "too-many-decimals" in rules(report, "warning")


def test_validation_never_modifies_the_file(write_data):
    path = write_data(collection(site(status="gone")))
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    mapkit.validate(path)
    main(["validate", str(path)])
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_validate_a_frame(write_data):
    frame = mapkit.load(write_data(collection(site())))
    assert mapkit.validate(frame).ok


def test_cli_exit_codes_and_summary(write_data, capsys):
    good = write_data(collection(site()))
    assert main(["validate", str(good)]) == 0
    out = capsys.readouterr().out
    assert "checked 1 sites in 1 countries" in out
    bad = write_data(collection(site(status="gone")), name="bad.geojson")
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "unknown status" in out and "fix:" in out


def test_cli_json_format(write_data, capsys):
    bad = write_data(collection(site(status="gone")), name="bad.geojson")
    assert main(["validate", "--format", "json", str(bad)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False
    assert any(p["rule"] == "unknown-status" and p["feature"] == "au-sydney-test" for p in data["problems"])


def test_cli_missing_file_is_one_line(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.geojson")]) == 1
    captured = capsys.readouterr()
    assert "no such file" in captured.out
    assert "Traceback" not in captured.out + captured.err


@pytest.mark.skipif(not SHIPPED.exists(), reason="dataset not written yet")
def test_shipped_dataset_is_valid():
    report = mapkit.validate(SHIPPED)
    assert report.ok, "\n".join(map(str, report.errors))
    assert report.sites >= 80 and len(report.countries) >= 35


def test_reported_by_must_name_a_source(write_data):
    report = mapkit.validate(write_data(collection(site(reported_by="Safeguard Defenders, 110 Overseas"))))
    assert "reported-by-unsourced" in rules(report)
    ok = site(reported_by="ABC (Australia), October 2022")
    assert "reported-by-unsourced" not in rules(mapkit.validate(write_data(collection(ok))))


def test_properties_id_must_equal_the_feature_id(write_data):
    feature = site()
    feature["properties"]["id"] = "au-other-id"
    report = mapkit.validate(write_data(collection(feature)))
    assert rules(report) == {"id-mismatch"}


def test_precision_finer_than_the_coordinates_warns(write_data):
    report = mapkit.validate(write_data(collection(site(location_precision="address"))))
    assert "precision-too-fine" in rules(report, "warning") and report.ok


def test_messages_say_what_is_wrong(write_data):
    archive = site(sources=[{"id": "s1", "publisher": "ABC", "title": "T", "url": "https://example.org/a",
                             "published": "2022", "archive_url": "javascript:alert(1)"}], events=[])
    point = site(id="au-two", geometry={"type": "Point", "coordinates": [151.2]})
    country = site(id="au-three", country=None)
    report = mapkit.validate(write_data(collection(archive, point, country)))
    by_feature = {p.feature: p for p in report.errors}
    assert by_feature["au-sydney-test"].field == "properties.sources[0].archive_url"
    assert by_feature["au-sydney-test"].message == "not an http(s) URL"
    assert "[longitude, latitude]" in by_feature["au-two"].message and by_feature["au-two"].field == "geometry.coordinates"
    assert by_feature["au-three"].message == "country must be text" and "ISO 3166-1" in by_feature["au-three"].fix
    assert not [p for p in report.problems if "see the data model" in p.fix]


def test_fast_schema_check_agrees_with_jsonschema():
    """The compiled check decides which features jsonschema reads in full: it must never pass a
    feature that jsonschema rejects (mutations of every field, every type)."""
    import copy
    import itertools

    from mapkit import validation

    check = validation._fast_feature_check("contact_points")
    reference = validation._feature_validator("contact_points")
    oddities = [None, "", "x", "2022-13", "2022-02-30", 0, 1.5, -1, True, [], ["x"], {}, {"a": 1},
                "javascript:x", "https://example.org", "AU", "au", "reported", "Point"]
    base = site()
    variants = [base]
    for key in list(base["properties"]) + ["type", "id", "geometry"]:
        for value in oddities:
            feature = copy.deepcopy(base)
            target = feature if key in ("type", "id", "geometry") else feature["properties"]
            target[key] = value
            variants.append(feature)
            missing = copy.deepcopy(base)
            (missing if key in ("type", "id", "geometry") else missing["properties"]).pop(key)
            variants.append(missing)
    for field, value in itertools.product(["date", "type", "summary", "sources"], oddities):
        feature = copy.deepcopy(base)
        feature["properties"]["events"][0][field] = value
        variants.append(feature)
    for field, value in itertools.product(["id", "publisher", "title", "url", "published", "accessed", "archive_url"], oddities):
        feature = copy.deepcopy(base)
        feature["properties"]["sources"][0][field] = value
        variants.append(feature)
    for coords in ([1], [1, 2, 3, 4], ["1", 2], [True, 2], [1, None], "1,2", None):
        feature = copy.deepcopy(base)
        feature["geometry"]["coordinates"] = coords
        variants.append(feature)
    disagreements = []
    for feature in variants:
        try:
            check(feature)
            fast_ok = True
        except Exception:  # noqa: BLE001
            fast_ok = False
        if fast_ok != reference.is_valid(feature):
            disagreements.append(feature)
    assert len(variants) > 400
    assert disagreements == []


@pytest.mark.parametrize("name", ["countries-2026.geojson", "operators-sites.geojson", "contact_points.geojson"])
def test_a_sites_file_is_checked_whatever_its_name_or_extra_properties(write_data, name):
    odd = site(iso_a2="AU", province="NSW", status="gone")
    report = mapkit.validate(write_data(collection(odd, site(id="au-two")), name=name))
    assert report.sites == 2 and "unknown-status" in rules(report)


def test_an_empty_file_is_not_silently_fine(write_data):
    report = mapkit.validate(write_data(collection()))
    assert report.ok and "no-sites" in rules(report, "warning")


@pytest.mark.parametrize("text,words", [
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "id": "au-x", "geometry": null,'
     ' "properties": {"id": "au-x", "status": "gone", "status": "reported"}}]}', "'status' appears twice"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "id": "au-x", "geometry": null,'
     ' "properties": {"id": "au-x", "rank": NaN}}]}', "NaN is not JSON"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "id": "au-x", "geometry": null,'
     ' "properties": {"id": "au-x", "name": "x \\ud800 y"}}]}', "properties.name holds a lone UTF-16 surrogate"),
])
def test_text_that_is_not_plain_json_is_an_error(tmp_path, text, words):
    path = tmp_path / "odd.geojson"
    path.write_text(text, encoding="utf-8")
    report = mapkit.validate(path)
    assert not report.ok and words in report.errors[0].message, report.errors[0]
    assert "line 1" in report.errors[0].message and str(report.errors[0]).count("fix") == 1


def test_repeated_ids_point_at_each_feature(write_data):
    away = site(geometry={"type": "Point", "coordinates": [2.35, 48.86]}, status="gone")
    report = mapkit.validate(write_data(collection(site(), away)))
    labels = {p.feature for p in report.errors if p.rule in ("point-outside-country", "unknown-status")}
    assert labels == {"au-sydney-test (feature 2)"}
    assert "duplicate-id" in rules(report)


def test_a_large_file_is_read_one_feature_at_a_time(write_data, monkeypatch):
    """Validation streams: a file far larger than the reader's chunk validates like a small one."""
    from mapkit import io

    monkeypatch.setattr(io.FeatureStream, "CHUNK", 256)
    sites = [site(id=f"au-site-{k}") for k in range(60)] + [site(id="au-bad", status="gone")]
    report = mapkit.validate(write_data(collection(*sites)))
    assert report.sites == 61 and [p.feature for p in report.errors] == ["au-bad"]


def test_repeated_ids_keep_the_collections_own_problems(write_data):
    report = mapkit.validate(write_data(collection(site(), site(), title=5)))
    assert "duplicate-id" in rules(report) and any(p.field == "title" for p in report.errors)


def test_an_unreadable_operators_file_is_reported_and_the_rest_still_checked(write_data, tmp_path):
    path = write_data(collection(site(status="gone")))
    report = mapkit.validate(path, operators=tmp_path / "missing-operators.geojson")
    by_file = {p.file: p for p in report.errors}
    assert "no such file" in by_file[str(tmp_path / "missing-operators.geojson")].message
    assert "unknown-status" in rules(report)
