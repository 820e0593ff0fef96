"""mapkit export: every format written to a real file, read back with GDAL, compared with the data.

Nothing here is mocked: files are written by GDAL (through pyogrio) or mapkit, read back by pyogrio
and geopandas, and opened by Debian's independent GDAL build (ogrinfo) when it is installed. The
failure tests use real failures: a path through a regular file, a read-only mount, and a full disk
(a tiny tmpfs, or a file-size limit where mounting is not allowed).
"""

from __future__ import annotations

import contextlib
import copy
import csv
import json
import math
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pyogrio
import pytest

import mapkit
from mapkit import exports, io
from mapkit.cli import main
from mapkit.errors import ExportError
from mapkit.filters import filter_frame
from tests.conftest import SHIPPED, collection, site

LONG_NOTE = (
    "Reported by several outlets; the host organisation denied any link. "
    + "Le café « Zürich » à Montréal — 鹿特丹华人协会的联络点。" * 8
)
assert len(LONG_NOTE) > 254 and len(LONG_NOTE.encode("utf-8")) > 254


#: Properties whose names some format reserves or that clash with another column: GPKG's fid
#: (a text fid fails there, an integer one becomes the feature id) and geom, PGDUMP's ogc_fid,
#: the Shapefile's truncated column, the fields LIBKML maps to KML elements (networklink would
#: turn the Placemark into a NetworkLink), a character LIBKML writes unescaped, and names equal to
#: a data-model property or a generated column but for case (GPKG, CSV and GDAL fail on them).
RESERVED_EXTRAS = {
    "truncated": "my own truncated note",
    "fid": "F-7",
    "geom": "POINT (1 2), as text",
    "ogc_fid": "row-7",
    "description": "Described by the reporter",
    "timestamp": "2022-10-24",
    "begin": "2016",
    "end": "2022-11",
    "altitudeMode": "relative",
    "tessellate": "yes",
    "extrude": "no",
    "visibility": "hidden",
    "drawOrder": "first",
    "icon": "star.png",
    "networklink": "https://example.org/link",
    "Status": "Open, as the source says",
    "NAME": "Upper-case name",
    "Source_Count": "many",
    "x&y": "ampersand",
}


def fixture_sites() -> list[dict]:
    """Sites that exercise every trap: null geometry, unicode, long text, unknown properties,
    reserved and clashing property names, 2-3 sources and events, a quote, a closed site."""
    rotterdam = site(
        id="nl-rotterdam-fuzhou",
        name="Fuzhou police contact point, Rotterdam 鹿特丹 (café Zürich)",
        country="NL",
        city="Rotterdam",
        address="Witte de Withstraat, Rotterdam",
        location_precision="address",
        status="closed",
        status_date="2022-11-01",
        opened="2018-03",
        closed="2022-11-01",
        operator="fuzhou-psb",
        notes=LONG_NOTE,
        extra_text="Ünïcödé extra 中文",
        extra_int=42,
        extra_obj={"reviewed": True, "by": ["ab", "cd"], "score": 0.5},
        geometry={"type": "Point", "coordinates": [4.47917, 51.92250]},
        events=[
            {"date": "2018-03", "type": "opened", "summary": "Opened, says the report.", "sources": ["s1"]},
            {"date": "2022-10-24", "type": "reported", "summary": "Named by RTL Nieuws.", "sources": ["s2"]},
            {"date": "2022-11-01", "type": "closure_ordered", "summary": "The Dutch government orders it shut.",
             "sources": ["s2", "s3"]},
        ],
        sources=[
            {"id": "s1", "publisher": "Safeguard Defenders", "title": "110 Overseas", "url": "https://example.org/110",
             "published": "2022-09", "accessed": "2026-11-01", "archive_url": "https://web.archive.org/x"},
            {"id": "s2", "publisher": "RTL Nieuws", "title": "Chinese 'politiebureaus' in Nederland",
             "url": "https://example.org/rtl", "published": "2022-10-24", "accessed": "2026-11-01",
             "archive_url": None},
            {"id": "s3", "publisher": "NOS", "title": "Kabinet: politieposten moeten dicht", "url":
             "https://example.org/nos?a=1&b=2", "published": "2022-11-01", "accessed": "2026-11-01",
             "archive_url": None, "language": "nl"},
        ],
    )
    unlocated = site(
        id="ca-unknown-cloud",
        name="Online contact point (no known place)",
        country="CA",
        city=None,
        location_precision="none",
        mode="cloud",
        status="under_investigation",
        status_date="2023-03",
        opened=None,
        operator=None,
        extra_int=7,
        geometry=None,
    )
    haian = site(
        id="it-rome-haian",
        name="Hai'an contact point, Rome",
        country="IT",
        city="Roma",
        status="active",
        status_date="2023-01",
        opened="2016",
        operator="haian-psb",
        host_organization="Associazione «Hai'an»",
        extra_text="second",
        **RESERVED_EXTRAS,
        geometry={"type": "Point", "coordinates": [12.496, 41.903]},
    )
    southern = site(
        id="ar-buenos-aires-x",
        name="Contact point, Buenos Aires",
        country="AR",
        city="Buenos Aires",
        status="reported",
        opened="2021-06",
        geometry={"type": "Point", "coordinates": [-58.382, -34.604]},
    )
    return [site(), rotterdam, unlocated, haian, southern]


@pytest.fixture(scope="module")
def fixture_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "contact_points.geojson"
    data = collection(*fixture_sites(), custom_member={"kept": True})
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


DATASETS = ["fixture", "shipped"]


@pytest.fixture(params=DATASETS)
def dataset(request, fixture_path) -> Path:
    if request.param == "shipped":
        if not SHIPPED.exists():
            pytest.skip(f"{SHIPPED} is not there yet")
        return SHIPPED
    return fixture_path


ALL_FORMATS = [f.name for f in exports.list_formats()]


def target_for(directory: Path, fmt: str, stem: str = "sites") -> Path:
    return directory / (stem + exports.FORMATS[fmt].extensions[0])


def need_pyarrow(fmt: str) -> None:
    if fmt == "parquet":
        pytest.importorskip("pyarrow", reason="GeoParquet needs the 'parquet' extra (pyarrow)")


# --------------------------------------------------------------------------- reading back


def as_json(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return json.loads(value)
    return value


@contextlib.contextmanager
def xlsx_as_text():
    """Read XLSX sheets with the first row as header and every cell as text (GDAL's XLSX driver
    takes these as config options; pyogrio's open options do not reach it)."""
    options = {"OGR_XLSX_HEADERS": "FORCE", "OGR_XLSX_FIELD_TYPES": "STRING"}
    old = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(old)


def restore_long_values(rows: list[dict], path: Path, prop_to_field: dict) -> None:
    """Put the full values from the Shapefile's long-values sidecar back (what a user would do)."""
    long_path = path.with_name(path.name + ".long_values.csv")
    with open(long_path, encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            for row in rows:
                if row["id"] == rec["id"]:
                    row[rec["shp_field"]] = rec["value"]


def read_back(fmt: str, path: Path) -> dict[str, dict]:
    """What a GIS user gets from the file, per site id: status, country, lon/lat, source URLs,
    event dates, and the raw row."""
    import geopandas as gpd

    rename = {}
    if fmt == "parquet":
        frame = gpd.read_parquet(path)
    elif fmt == "xlsx":
        with xlsx_as_text():
            frame = pyogrio.read_dataframe(path, layer="sites")
    elif fmt == "csv":
        frame = pyogrio.read_dataframe(path)
    elif fmt in ("shp", "shp.zip"):
        source = path
        if fmt == "shp.zip":
            unpacked = path.parent / (path.name + ".unzipped")
            with zipfile.ZipFile(path) as zf:
                zf.extractall(unpacked)
            source = unpacked / (path.name[: -len(".zip")])
        frame = pyogrio.read_dataframe(path)  # GDAL reads the .shp.zip itself
        meta = json.loads(source.with_name(source.name + ".meta.json").read_text(encoding="utf-8"))
        rename = {v: k for k, v in meta["field_names"].items()}
    else:
        frame = pyogrio.read_dataframe(path, layer=None if fmt.startswith("geojson") else "sites")
    rows = []
    for record, geom in zip(frame.drop(columns=[frame.geometry.name] if hasattr(frame, "geometry") and
                                       frame.geometry.name in frame else []).to_dict("records"),
                            frame.geometry if "geometry" in frame else [None] * len(frame)):
        record = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}
        record["_geom"] = geom
        rows.append(record)
    if fmt == "kml":  # <name> is read back as the field "Name"
        rename = {"Name": "name"}
    if fmt in ("shp", "shp.zip"):
        restore_long_values(rows, source, rename)
    if rename:
        rows = [{rename.get(k, k): v for k, v in r.items()} for r in rows]
    out = {}
    for row in rows:
        if fmt in ("csv", "xlsx"):
            lon = float(row["longitude"]) if row.get("longitude") not in (None, "") else None
            lat = float(row["latitude"]) if row.get("latitude") not in (None, "") else None
        elif row["_geom"] is not None and not row["_geom"].is_empty:
            lon, lat = row["_geom"].x, row["_geom"].y
        else:
            lon = lat = None
        sources = as_json(row.get("sources")) or []
        events = as_json(row.get("events")) or []
        out[row["id"]] = {
            "status": row.get("status"),
            "country": row.get("country"),
            "lon": lon,
            "lat": lat,
            "urls": [s.get("url") for s in sources],
            "event_dates": [e.get("date") for e in events],
            "row": row,
        }
    return out


def expected(frame) -> dict[str, dict]:
    out = {}
    for _, row in frame.iterrows():
        geom = row.geometry
        out[row["id"]] = {
            "status": row["status"],
            "country": row["country"],
            "lon": None if geom is None else round(geom.x, 6),
            "lat": None if geom is None else round(geom.y, 6),
            "urls": [s.get("url") for s in row["sources"]],
            "event_dates": [e.get("date") for e in row["events"]],
        }
    return out


def assert_same_sites(got: dict, want: dict) -> None:
    assert sorted(got) == sorted(want)
    for site_id, w in want.items():
        g = got[site_id]
        assert g["status"] == w["status"], site_id
        assert g["country"] == w["country"], site_id
        if w["lon"] is None:
            assert g["lon"] is None and g["lat"] is None, site_id
        else:
            assert g["lon"] == pytest.approx(w["lon"], abs=5e-7), site_id
            assert g["lat"] == pytest.approx(w["lat"], abs=5e-7), site_id
        assert g["urls"] == w["urls"], site_id
        assert g["event_dates"] == w["event_dates"], site_id


# --------------------------------------------------------------------------- every format


@pytest.mark.parametrize("fmt", [f for f in ALL_FORMATS if f != "sql"])
def test_round_trip(fmt, dataset, tmp_path, recwarn):
    need_pyarrow(fmt)
    frame = io.load(dataset)
    path = exports.export(frame, target_for(tmp_path, fmt))
    assert path.exists()
    assert_same_sites(read_back(fmt, path), expected(frame))
    gdal_warnings = [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    assert not gdal_warnings, [str(w.message) for w in gdal_warnings]


def test_sql_script_has_every_site_and_jsonb(dataset, tmp_path):
    frame = io.load(dataset)
    path = exports.export(frame, tmp_path / "sites.sql")
    text = path.read_text(encoding="utf-8")
    assert text.count('INSERT INTO "public"."sites" ') == len(frame)
    assert re.search(r'ADD COLUMN "sources" jsonb', text)
    assert re.search(r'ADD COLUMN "events" jsonb', text)
    assert "AddGeometryColumn('public','sites','geom',4326,'POINT',2)" in text
    assert "{'" not in text  # no Python repr anywhere
    for table in ("sources", "events", "mapkit_metadata"):
        assert f'CREATE TABLE "public"."{table}"' in text


def renamed_properties(fmt: str, path: Path) -> dict:
    """The renaming a file records, wherever its format keeps it (sidecar, metadata table, header)."""
    if fmt == "gpkg":
        rows = pyogrio.read_dataframe(path, layer="mapkit_metadata")
        value = dict(zip(rows["key"], rows["value"])).get("export.renamed_properties")
        return json.loads(value) if value else {}
    if fmt == "xlsx":
        with xlsx_as_text():
            rows = pyogrio.read_dataframe(path, layer="metadata")
        value = dict(zip(rows["key"], rows["value"])).get("export.renamed_properties")
        return json.loads(value) if value else {}
    if fmt == "fgb":
        meta = {k.lower(): v for k, v in pyogrio.read_info(path)["layer_metadata"].items()}
        return json.loads(meta[exports.EXPORT_MEMBER]).get("renamed_properties", {})
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return json.loads(pq.read_schema(path).metadata[b"mapkit"]).get("renamed_properties", {})
    if fmt == "shp.zip":
        with zipfile.ZipFile(path) as zf:
            name = next(n for n in zf.namelist() if n.endswith(".meta.json"))
            return json.loads(zf.read(name)).get("renamed_properties", {})
    meta = json.loads(path.with_name(path.name + ".meta.json").read_text(encoding="utf-8"))
    return meta.get("renamed_properties", {})


def same_value(got, want) -> bool:
    """A value read back equals the one written (CSV and XLSX give text, mixed columns JSON text)."""
    if got == want:
        return True
    if isinstance(got, str):
        with contextlib.suppress(ValueError):
            if json.loads(got) == want:
                return True
        return isinstance(want, (int, float)) and not isinstance(want, bool) and got == str(want)
    return False


#: The renamings each format must make in the fixture (RESERVED_EXTRAS), beyond which no
#: property may be renamed.
EXPECTED_RENAMES = {
    "gpkg": {"fid", "geom"},
    "fgb": set(),
    "shp": {"truncated"},
    "shp.zip": {"truncated"},
    "csv": set(),
    "kml": {"description", "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude", "visibility",
            "drawOrder", "icon", "networklink", "x&y"},
    "xlsx": set(),
    "sql": {"ogc_fid", "geom"},
    "parquet": set(),
}
#: Names equal but for case to another column: renamed in every format GDAL writes.
CASE_CLASHES = {"Status", "NAME", "Source_Count"}


@pytest.mark.parametrize("fmt", [f for f in ALL_FORMATS if not f.startswith("geojson") and f != "sql"])
def test_flat_formats_keep_every_property_as_json_text(fmt, fixture_path, tmp_path):
    need_pyarrow(fmt)
    frame = io.load(fixture_path)
    path = exports.export(frame, target_for(tmp_path, fmt))
    got = read_back(fmt, path)
    for feature in json.loads(fixture_path.read_text(encoding="utf-8"))["features"]:
        props = feature["properties"]
        row = got[props["id"]]["row"]
        # nested fields: whole, as JSON text (never a Python repr), with every key of every item
        assert as_json(row["sources"]) == props["sources"]
        assert as_json(row["events"]) == props["events"]
        assert "{'" not in str(row["sources"])
        # convenience columns
        assert int(row["source_count"]) == len(props["sources"])
        assert row["first_source_url"] == props["sources"][0]["url"]
        assert props["sources"][0]["publisher"] in row["sources_text"]
        assert int(row["event_count"]) == len(props["events"])
        # long text, unicode and unknown properties survive
        assert (row["notes"] or None) == props["notes"]
        assert row["name"] == props["name"]
        if "extra_text" in props:
            assert row["extra_text"] == props["extra_text"]
        if "extra_int" in props:
            assert int(row["extra_int"]) == props["extra_int"]
        if "extra_obj" in props:
            assert as_json(row["extra_obj"]) == props["extra_obj"]
    # reserved and clashing names: every value kept, under the name the file records for it
    renamed = renamed_properties(fmt, path)
    want = EXPECTED_RENAMES[fmt] | (CASE_CLASHES if fmt != "parquet" else set())
    assert set(renamed) == want, fmt
    assert all(new.endswith("_property") or fmt == "kml" for new in renamed.values())
    haian = got["it-rome-haian"]["row"]
    for name, value in RESERVED_EXTRAS.items():
        column = renamed.get(name, name)
        assert column in haian, (fmt, name, column)
        assert same_value(haian[column], value), (fmt, name, haian[column])
    assert haian["status"] == "active" and haian["name"] == "Hai'an contact point, Rome"


def test_geojson_is_the_data_exactly(dataset, tmp_path):
    """An unfiltered GeoJSON export is the canonical data: every property, member and point."""
    out = exports.export(io.load(dataset), tmp_path / "sites.geojson")
    written = json.loads(out.read_text(encoding="utf-8"))
    original = io.canonical_collection(json.loads(Path(dataset).read_text(encoding="utf-8")))
    assert written == original
    assert isinstance(written["features"][0]["properties"]["sources"], list)  # real JSON


def rfc7946_problems(text: str) -> list[str]:
    """A small RFC 7946 checker for point collections (right-hand rule is moot for points)."""
    problems = []
    if text.startswith("\ufeff"):
        problems.append("starts with a byte order mark")
    data = json.loads(text)
    if data.get("type") != "FeatureCollection":
        problems.append("not a FeatureCollection")
    if "crs" in data:
        problems.append("has a crs member")
    for member in ("geometry", "properties", "coordinates"):
        if member in data:
            problems.append(f"collection redefines the core member {member!r}")
    if "bbox" in data and len(data["bbox"]) not in (4, 6):
        problems.append("bad bbox")
    for i, feature in enumerate(data.get("features", [])):
        where = f"feature {i} ({feature.get('id')})"
        if feature.get("type") != "Feature":
            problems.append(f"{where}: type is not Feature")
        if "crs" in feature:
            problems.append(f"{where}: has a crs member")
        if "id" in feature and not isinstance(feature["id"], (str, int, float)):
            problems.append(f"{where}: id is not a string or number")
        if "properties" not in feature:
            problems.append(f"{where}: no properties member")
        geometry = feature.get("geometry", "missing")
        if geometry == "missing":
            problems.append(f"{where}: no geometry member")
            continue
        if geometry is None:
            continue
        if geometry.get("type") != "Point":
            problems.append(f"{where}: geometry is not a Point")
            continue
        coords = geometry.get("coordinates")
        if not isinstance(coords, list) or not 2 <= len(coords) <= 3 or not all(
            isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c) for c in coords
        ):
            problems.append(f"{where}: coordinates are not 2 or 3 finite numbers")
            continue
        if not -180 <= coords[0] <= 180 or not -90 <= coords[1] <= 90:
            problems.append(f"{where}: [lon, lat] out of range (swapped?): {coords}")
    for number in re.findall(r'"coordinates":\s*\[([^\]]*)\]', text):
        for part in number.split(","):
            part = part.strip()
            if "." in part and len(part.split(".")[1].rstrip("0")) > 6:
                problems.append(f"more than 6 decimals: {part}")
            if "e" in part.lower():
                problems.append(f"exponent notation: {part}")
    return problems


def test_rfc7946_checker_catches_problems():
    bad = {
        "type": "FeatureCollection", "crs": {"type": "name"},
        "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [-33.8691234567, 151.2]},
                      "properties": {}}],
    }
    problems = rfc7946_problems(json.dumps(bad))
    assert any("crs" in p for p in problems)
    assert any("out of range" in p for p in problems)
    assert any("6 decimals" in p for p in problems)


def test_geojson_is_rfc7946(dataset, tmp_path):
    frame = io.load(dataset)
    # a frame in another CRS and with too many decimals still gives RFC 7946 output
    moved = frame.copy()
    moved.geometry = moved.geometry.translate(1e-7, 0)
    moved = moved.to_crs("EPSG:3857")
    for name, data in (("plain", frame), ("reprojected", moved)):
        out = exports.export(data, tmp_path / f"{name}.geojson")
        raw = out.read_bytes()
        text = raw.decode("utf-8")  # UTF-8, or this raises
        assert rfc7946_problems(text) == [], name
        collection_ = json.loads(text)
        assert "crs" not in collection_
        for feature in collection_["features"]:
            assert feature["id"] == feature["properties"]["id"]
        if frame.attrs["collection"].get("title"):
            assert collection_["title"] == frame.attrs["collection"]["title"]


def test_geojson_sequences(fixture_path, tmp_path):
    frame = io.load(fixture_path)
    whole = json.loads(exports.export(frame, tmp_path / "a.geojson").read_text(encoding="utf-8"))
    lines = exports.export(frame, tmp_path / "a.geojsonl").read_bytes()
    records = exports.export(frame, tmp_path / "a.geojsons").read_bytes()
    assert b"\x1e" not in lines
    assert [json.loads(line) for line in lines.decode().splitlines()] == whole["features"]
    assert records.startswith(b"\x1e")
    parts = records.decode().split("\x1e")[1:]
    assert all(p.endswith("\n") for p in parts)
    assert [json.loads(p) for p in parts] == whole["features"]
    # GDAL agrees about what each one is
    for name in ("a.geojsonl", "a.geojsons"):
        assert pyogrio.read_info(tmp_path / name)["driver"] == "GeoJSONSeq"
        assert pyogrio.read_info(tmp_path / name)["features"] == len(frame)
    meta = json.loads((tmp_path / "a.geojsonl.meta.json").read_text(encoding="utf-8"))
    assert meta["collection"]["citation"] == "Test"


# --------------------------------------------------------------------------- metadata everywhere


def collection_meta(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if k not in ("type", "features")}


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_collection_metadata_goes_along(fmt, fixture_path, tmp_path):
    need_pyarrow(fmt)
    want = collection_meta(fixture_path)
    path = exports.export(fixture_path, target_for(tmp_path, fmt))
    spec = exports.FORMATS[fmt]
    if fmt == "geojson":
        got = collection_meta(path)
    elif fmt == "shp.zip":
        with zipfile.ZipFile(path) as zf:
            got = json.loads(zf.read("sites.shp.meta.json"))["collection"]
    elif spec.sidecar:
        got = json.loads(path.with_name(path.name + ".meta.json").read_text(encoding="utf-8"))["collection"]
    elif fmt == "gpkg":
        rows = pyogrio.read_dataframe(path, layer="mapkit_metadata")
        table = dict(zip(rows["key"], rows["value"]))
        got = {k: (v if isinstance(want.get(k), str) else json.loads(v)) for k, v in table.items()
               if not k.startswith("export.")}
        assert pyogrio.read_info(path, layer="sites")["dataset_metadata"]["license"] == want["license"]
        with contextlib.closing(sqlite3.connect(path)) as db:
            identifier, description, last_change = db.execute(
                "select identifier, description, last_change from gpkg_contents where table_name='sites'"
            ).fetchone()
        assert (identifier, description) == (want["title"], want["description"])
        assert last_change.startswith(want["updated"])  # not the time of the export
    elif fmt == "fgb":
        # GDAL metadata keys ignore case: title/description are the header's TITLE/DESCRIPTION
        layer_meta = {k.lower(): v for k, v in pyogrio.read_info(path)["layer_metadata"].items()}
        got = {k: (v if isinstance(want.get(k), str) else json.loads(v)) for k, v in layer_meta.items()
               if k in want}
    elif fmt == "xlsx":
        rows = pyogrio.read_dataframe(path, layer="metadata")  # the header row is recognised
        table = dict(zip(rows["key"], rows["value"]))
        got = {k: (v if isinstance(want.get(k), str) else json.loads(v)) for k, v in table.items()
               if not k.startswith("export.")}
    elif fmt == "sql":
        text = path.read_text(encoding="utf-8")
        for key in ("title", "license", "citation", "version", "updated"):
            assert f"'{key}', '{want[key]}'" in text
        assert want["citation"] in re.search(r"COMMENT ON TABLE .*", text).group(0)
        return
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        got = json.loads(pq.read_schema(path).metadata[b"mapkit"])["collection"]
        assert b"geo" in pq.read_schema(path).metadata  # GeoParquet metadata too
    assert got == want


def test_filtered_export_says_which_filter(fixture_path, tmp_path):
    out = exports.export(fixture_path, tmp_path / "f.geojson", status=["closed"])
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data[exports.EXPORT_MEMBER]["filter"] == {"status": ["closed"]}
    assert data[exports.EXPORT_MEMBER]["sites"] == 1
    # re-exporting that file unfiltered does not carry the old description along
    again = json.loads(exports.export(out, tmp_path / "g.geojson").read_text(encoding="utf-8"))
    assert exports.EXPORT_MEMBER not in again
    meta = json.loads(exports.export(fixture_path, tmp_path / "f.csv", country="NL").with_name(
        "f.csv.meta.json").read_text(encoding="utf-8"))
    assert meta["export"]["filter"] == {"country": ["NL"]}
    assert meta["export"]["filter_text"] == "country=NL"


# --------------------------------------------------------------------------- format details


def test_gpkg_related_tables(fixture_path, tmp_path):
    frame = io.load(fixture_path)
    path = exports.export(frame, tmp_path / "s.gpkg")
    layers = [name for name, _ in pyogrio.list_layers(path)]
    assert layers == ["sites", "sources", "events", "mapkit_metadata"]
    sources = pyogrio.read_dataframe(path, layer="sources")
    events = pyogrio.read_dataframe(path, layer="events")
    for _, row in frame.iterrows():
        mine = sources[sources["site_id"] == row["id"]].sort_values("position")
        assert list(mine["url"]) == [s["url"] for s in row["sources"]]
        assert list(mine["id"]) == [s["id"] for s in row["sources"]]
        ev = events[events["site_id"] == row["id"]].sort_values("position")
        assert list(ev["date"]) == [e["date"] for e in row["events"]]
        assert [json.loads(s) for s in ev["sources"]] == [e["sources"] for e in row["events"]]
    # an unknown key of one source gets its own column
    assert "nl" in set(sources["language"].dropna())
    # every site joins: no orphan rows
    assert set(sources["site_id"]) <= set(frame["id"])


def test_shapefile_names_encoding_and_long_values(fixture_path, tmp_path):
    frame = io.load(fixture_path)
    path = exports.export(frame, tmp_path / "s.shp")
    assert (tmp_path / "s.cpg").read_text() == "UTF-8"
    fields = pyogrio.read_info(path)["fields"]
    assert all(len(name) <= 10 for name in fields)
    meta = json.loads((tmp_path / "s.shp.meta.json").read_text(encoding="utf-8"))
    names = meta["field_names"]
    assert names["location_precision"] == "loc_prec"
    assert names["host_organization"] == "host_org"
    assert names["first_source_url"] == "src_url1"
    assert set(fields) == set(names.values())
    # the long note is cut in the .dbf (at a character boundary), flagged, and whole in the sidecar
    table = pyogrio.read_dataframe(path).set_index("id")
    note = table.loc["nl-rotterdam-fuzhou", "notes"]
    assert LONG_NOTE.startswith(note) and len(note.encode("utf-8")) <= 254
    assert "notes" in table.loc["nl-rotterdam-fuzhou", "truncated"].split(",")
    with open(tmp_path / "s.shp.long_values.csv", encoding="utf-8", newline="") as fh:
        long_values = {(r["id"], r["property"]): r["value"] for r in csv.DictReader(fh)}
    assert long_values[("nl-rotterdam-fuzhou", "notes")] == LONG_NOTE
    # every cut value is in the sidecar: nothing is cut silently
    for site_id, row in table.iterrows():
        for field_name in filter(None, (row["truncated"] or "").split(",")):
            prop = {v: k for k, v in names.items()}[field_name]
            assert long_values[(site_id, prop)].startswith(row[field_name])
    for site_id in frame["id"]:
        if not table.loc[site_id, "truncated"]:
            continue
    assert meta["long_values"]["count"] == len(long_values)


def test_shapefile_zip_holds_everything(fixture_path, tmp_path):
    path = exports.export(fixture_path, tmp_path / "s.shp.zip")
    with zipfile.ZipFile(path) as zf:
        names = sorted(zf.namelist())
        assert {i.date_time for i in zf.infolist()} == {exports.ZIP_TIME}
    assert names == sorted(["s.cpg", "s.dbf", "s.prj", "s.shp", "s.shx", "s.shp.meta.json",
                            "s.shp.long_values.csv"])
    assert pyogrio.read_info(path)["features"] == 5
    assert not list(tmp_path.glob("s.shp")) and not list(tmp_path.glob("s.dbf"))


def test_kml_keeps_the_site_id(fixture_path, tmp_path):
    path = exports.export(fixture_path, tmp_path / "s.kml")
    text = path.read_text(encoding="utf-8")
    assert '<Placemark id="nl-rotterdam-fuzhou">' in text
    frame = pyogrio.read_dataframe(path)
    assert "id2" not in frame.columns  # GDAL's KML driver would have renamed our id
    assert set(frame["id"]) == set(io.load(fixture_path)["id"])
    assert "<name>Test sites</name>" in text


def test_csv_layout(fixture_path, tmp_path):
    path = exports.export(fixture_path, tmp_path / "s.csv")
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    header = list(rows[0])
    assert header[:3] == ["id", "name", "country"]
    assert header.index("longitude") + 1 == header.index("latitude")
    assert {"events", "sources", *exports.CONVENIENCE_COLUMNS} <= set(header)
    by_id = {r["id"]: r for r in rows}
    assert by_id["ca-unknown-cloud"]["longitude"] == "" and by_id["ca-unknown-cloud"]["latitude"] == ""
    assert float(by_id["nl-rotterdam-fuzhou"]["longitude"]) == 4.47917
    assert by_id["nl-rotterdam-fuzhou"]["opened"] == "2018-03"  # a partial date stays a string
    assert json.loads(by_id["nl-rotterdam-fuzhou"]["sources"])[1]["title"] == "Chinese 'politiebureaus' in Nederland"


def test_xlsx_sheets(fixture_path, tmp_path):
    path = exports.export(fixture_path, tmp_path / "s.xlsx")
    assert [name for name, _ in pyogrio.list_layers(path)] == ["sites", "sources", "events", "metadata"]
    with zipfile.ZipFile(path) as zf:
        assert {i.date_time for i in zf.infolist()} == {exports.ZIP_TIME}
    sources = pyogrio.read_dataframe(path, layer="sources")
    assert len(sources) == sum(len(f["properties"]["sources"]) for f in fixture_sites())


def test_column_clash_keeps_the_property(write_data, tmp_path):
    path = write_data(collection(site(source_count="mine", longitude="west")))
    out = exports.export(path, tmp_path / "c.csv")
    with open(out, encoding="utf-8", newline="") as fh:
        row = next(csv.DictReader(fh))
    assert row["source_count"] == "2"
    assert row["source_count_property"] == "mine"
    assert row["longitude_property"] == "west"
    meta = json.loads(out.with_name("c.csv.meta.json").read_text(encoding="utf-8"))
    assert meta["renamed_properties"] == {"longitude": "longitude_property", "source_count": "source_count_property"}


def test_gpkg_integer_fid_is_not_the_feature_id(write_data, tmp_path):
    """GDAL takes an integer 'fid' column as the GeoPackage feature id; it stays a property."""
    path = write_data(collection(site(fid=7), site(id="au-other", fid=7)))
    out = exports.export(path, tmp_path / "f.gpkg")
    table = pyogrio.read_dataframe(out, layer="sites", fid_as_index=True)
    assert list(table["fid_property"]) == [7, 7]  # two sites with the same value: no clash
    assert sorted(table.index) == [1, 2]
    assert renamed_properties("gpkg", out) == {"fid": "fid_property"}


def test_geometry_property_of_a_python_frame(fixture_path, tmp_path):
    """A frame built in Python can hold a text column named 'geometry' beside its geometry."""
    import geopandas as gpd

    frame = io.load(fixture_path)
    frame = gpd.GeoDataFrame(frame.rename_geometry("location"))
    frame["geometry"] = "text, not a point"
    frame.attrs = {"collection": {"title": "t"}}
    for fmt in ("gpkg", "fgb", "shp", "kml", "parquet"):
        need_pyarrow(fmt)
        path = exports.export(frame, target_for(tmp_path, fmt))
        got = read_back(fmt, path)
        assert set(got) == set(frame["id"]), fmt
        assert renamed_properties(fmt, path)["geometry"] == "geometry_property", fmt
        assert {r["row"]["geometry_property"] for r in got.values()} == {"text, not a point"}, fmt
        assert got["nl-rotterdam-fuzhou"]["lon"] == pytest.approx(4.47917), fmt
    out = exports.export(frame, tmp_path / "g.csv")  # no geometry column in CSV: kept as it is
    assert {r["geometry"] for r in csv.DictReader(open(out, encoding="utf-8"))} == {"text, not a point"}


@pytest.mark.parametrize("fmt", ["gpkg", "xlsx"])
def test_related_table_keys_that_clash(fmt, write_data, tmp_path):
    """Item keys that are the key columns, GPKG's fid, or another key but for case are renamed in
    the sources/events tables (and kept as they are in the JSON text of the sites table)."""
    sources = [{"id": "s1", "publisher": "ABC", "title": "A", "url": "https://example.org/a", "URL": "upper",
                "site_id": "mine", "position": "first", "fid": 3, "published": "2022"}]
    path = write_data(collection(site(sources=sources)))
    out = exports.export(path, target_for(tmp_path, fmt))
    with xlsx_as_text():
        table = pyogrio.read_dataframe(out, layer="sources")
        sites = pyogrio.read_dataframe(out, layer="sites")
    row = table.iloc[0]
    assert row["site_id"] == "au-sydney-test" and str(row["position"]) == "1"
    assert row["url"] == "https://example.org/a" and row["URL_property"] == "upper"
    assert row["site_id_property"] == "mine" and row["position_property"] == "first"
    assert str(row["fid_property" if fmt == "gpkg" else "fid"]) == "3"
    assert json.loads(sites.iloc[0]["sources"]) == sources
    if fmt == "gpkg":
        rows = pyogrio.read_dataframe(out, layer="mapkit_metadata")
        keys = json.loads(dict(zip(rows["key"], rows["value"]))["export.renamed_item_keys"])
        assert keys == {"sources": {"URL": "URL_property", "site_id": "site_id_property",
                                    "position": "position_property", "fid": "fid_property"}}


def test_mixed_type_property_becomes_json_text(write_data, tmp_path):
    path = write_data(collection(site(rank=3), site(id="au-other", rank="third"), site(id="au-none")))
    out = exports.export(path, tmp_path / "m.gpkg")
    table = pyogrio.read_dataframe(out, layer="sites").set_index("id")
    assert json.loads(table.loc["au-sydney-test", "rank"]) == 3
    assert json.loads(table.loc["au-other", "rank"]) == "third"
    assert table.loc["au-none", "rank"] is None or table.loc["au-none", "rank"] != table.loc["au-none", "rank"]


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_same_data_same_bytes(fmt, fixture_path, tmp_path):
    need_pyarrow(fmt)
    frame = io.load(fixture_path)
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    a = exports.export(frame, target_for(first, fmt))
    b = exports.export(frame, target_for(second, fmt))
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert a.name == b.name


def test_dbf_date_is_the_data_date(fixture_path, tmp_path):
    exports.export(fixture_path, tmp_path / "d.shp")
    header = (tmp_path / "d.dbf").read_bytes()[:4]
    assert (1900 + header[1], header[2], header[3]) == (2026, 11, 23)  # "updated" of the fixture


# --------------------------------------------------------------------------- filters


FILTERS = [
    {"status": ["closed", "active"]},
    {"country": ["NL", "AU"]},
    {"mode": ["cloud"]},
    {"opened_from": 2018},
    {"text": "rotterdam"},
    {"operator": [""]},
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f))
@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv"])
def test_filtered_export_is_the_python_filter(fmt, filters, dataset, tmp_path):
    frame = io.load(dataset)
    want = sorted(filter_frame(frame, **filters)["id"])
    path = exports.export(frame, target_for(tmp_path, fmt), **filters)
    got = sorted(read_back(fmt, path)) if want else []
    if not want:
        assert pyogrio.read_info(path, layer=None if fmt != "gpkg" else "sites")["features"] == 0
    assert got == want


def columns_of(fmt: str, path: Path) -> list[tuple[str, str]]:
    """(name, type) of every column of the sites table as GDAL (or pyarrow) reports it."""
    if fmt == "sql":
        return re.findall(r'ADD COLUMN "([^"]+)" (\w+)', "".join(
            line for line in path.read_text(encoding="utf-8").splitlines(keepends=True) if '"sites"' in line))
    if fmt == "parquet":
        import pyarrow.parquet as pq

        schema = pq.read_schema(path)
        return [(name, str(schema.field(name).type)) for name in schema.names]
    if fmt == "xlsx":  # the header row (GDAL takes a sheet of one row for one row of data)
        with xlsx_as_text():
            pyogrio.set_gdal_config_options({"OGR_XLSX_HEADERS": "DISABLE"})
            first = pyogrio.read_dataframe(path, layer="sites", read_geometry=False).iloc[0]
        return [(name, "text") for name in first]
    if fmt == "kml":  # the <Schema> (GDAL reads no fields for a layer without Placemarks)
        return re.findall(r'<SimpleField name="([^"]+)" type="(\w+)"', path.read_text(encoding="utf-8"))
    layer = "sites" if fmt in ("gpkg", "fgb", "xlsx") else None
    with xlsx_as_text():
        info = pyogrio.read_info(path, layer=layer)
    return list(zip(info["fields"], info["dtypes"]))


@pytest.mark.parametrize("fmt", [f for f in ALL_FORMATS if not f.startswith("geojson")])
def test_empty_and_partial_exports_keep_every_column(fmt, fixture_path, tmp_path):
    """The columns (and their types) come from the whole frame: an export that selects no site
    or a few has the columns of a full one, and the GDAL layers are typed Point even when empty."""
    need_pyarrow(fmt)
    frame = io.load(fixture_path)
    (tmp_path / "full").mkdir()
    want = columns_of(fmt, exports.export(frame, target_for(tmp_path / "full", fmt)))
    assert any(name == "extra_int" for name, _ in want) and any(name == "extra_obj" for name, _ in want)
    if fmt in ("gpkg", "fgb", "parquet"):
        assert ("extra_int", "int64") in want
    for name, filters in (("none", {"country": ["ZW"]}), ("some", {"country": ["IT"]})):
        (tmp_path / name).mkdir()
        path = exports.export(frame, target_for(tmp_path / name, fmt), **filters)
        assert columns_of(fmt, path) == want, (fmt, name)
        if fmt in ("gpkg", "fgb", "shp", "shp.zip"):
            assert pyogrio.read_info(path, layer="sites" if fmt in ("gpkg", "fgb") else None)["geometry_type"] == "Point"
        if fmt == "sql":
            assert "AddGeometryColumn('public','sites','geom',4326,'POINT',2)" in path.read_text(encoding="utf-8")


def test_coordinates_keep_the_decimals_their_precision_supports(write_data, tmp_path):
    """Exports round each point to the decimals its location_precision supports (docs/exports.md)."""
    path = write_data(collection(
        site(id="au-country", location_precision="country", geometry={"type": "Point", "coordinates": [134.123456, -25.987654]}),
        site(id="au-street", location_precision="street", geometry={"type": "Point", "coordinates": [151.2093456, -33.8688123]}),
        site(id="au-address", location_precision="address", geometry={"type": "Point", "coordinates": [151.2093456, -33.8688123]}),
    ))
    want = {"au-country": (134.12, -25.99), "au-street": (151.2093, -33.8688), "au-address": (151.20935, -33.86881)}
    for fmt in ("geojson", "csv", "gpkg"):
        got = read_back(fmt, exports.export(path, target_for(tmp_path, fmt)))
        assert {k: (v["lon"], v["lat"]) for k, v in got.items()} == want, fmt


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_non_point_geometry_is_refused(fmt, fixture_path, tmp_path):
    """A frame built in Python with a polygon (or any non-point) is refused, naming the site; nothing
    is written (GDAL would put a polygon into a Point layer, CSV would leave it without coordinates)."""
    import shapely

    need_pyarrow(fmt)
    frame = io.load(fixture_path)
    polygon = shapely.Point(12.49, 41.9).buffer(0.01)
    frame.loc[frame["id"] == "it-rome-haian", "geometry"] = polygon
    target = target_for(tmp_path, fmt)
    target.write_bytes(b"old\n")
    with pytest.raises(ExportError, match=r"site 'it-rome-haian' has a Polygon geometry; .*Point") as info:
        exports.export(frame, target)
    assert "\n" not in str(info.value)
    frame.loc[frame["id"] == "ar-buenos-aires-x", "geometry"] = shapely.MultiPoint([(1, 2), (3, 4)])
    with pytest.raises(ExportError, match=r"site 'ar-buenos-aires-x' has a MultiPoint geometry \(and 1 more: it-rome-haian\)"):
        exports.export(frame, target)
    assert snapshot(tmp_path) == {target.name: b"old\n"}
    # only the sites exported count: a filter that leaves them out exports the rest
    exports.export(frame, target, country=["NL", "CA"])
    assert set(read_back(fmt, target)) == {"nl-rotterdam-fuzhou", "ca-unknown-cloud"} if fmt != "sql" else True


def test_cli_filters_match_the_library(fixture_path, tmp_path, capsys):
    out = tmp_path / "cli.geojson"
    rc = main(["export", str(fixture_path), "-o", str(out), "--status", "closed", "--status", "active",
               "--country", "nl", "--country", "IT"])
    assert rc == 0
    ids = sorted(f["id"] for f in json.loads(out.read_text(encoding="utf-8"))["features"])
    frame = io.load(fixture_path)
    assert ids == sorted(filter_frame(frame, status=["closed", "active"], country=["NL", "IT"])["id"])
    err = capsys.readouterr().err
    assert "wrote 2 sites" in err and "cli.geojson" in err


def test_mapkit_export_is_the_library_function(fixture_path, tmp_path):
    assert mapkit.export is exports.export
    assert mapkit.export(fixture_path, tmp_path / "x.fgb", format="fgb") == tmp_path / "x.fgb"


def test_format_option_overrides_extension(fixture_path, tmp_path):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = exports.export(fixture_path, tmp_path / "sites.dat", format="GeoPackage")
        zipped = exports.export(fixture_path, tmp_path / "bundle.zip", format="shp.zip")
    assert not caught, [str(w.message) for w in caught]  # staged under the format's own extension
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL notes the non-standard extension on reading
        assert pyogrio.read_info(out, layer="sites")["driver"] == "GPKG"
    assert pyogrio.read_info(f"/vsizip/{zipped}/bundle.shp")["features"] == 5
    with pytest.raises(ExportError, match="end the name in .shp"):
        exports.export(fixture_path, tmp_path / "sites.txt", format="shp")


# --------------------------------------------------------------------------- independent GDAL


def ogrinfo_or_skip() -> str:
    exe = shutil.which("ogrinfo")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("ogrinfo (Debian package gdal-bin) is not installed; .ci/run must install it")
        pytest.skip("ogrinfo (Debian package gdal-bin) is not installed")
    return exe


def ogrinfo_has_driver(exe: str, name: str) -> bool:
    out = subprocess.run([exe, "--formats"], capture_output=True, text=True, check=True).stdout
    return re.search(rf"^\s*{re.escape(name)} ", out, flags=re.M) is not None


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_ogrinfo_opens_every_file(fmt, dataset, tmp_path):
    exe = ogrinfo_or_skip()
    need_pyarrow(fmt)
    if fmt == "sql":
        pytest.skip("a PGDUMP script is not a GDAL data source; tests/test_export_postgis.py loads it")
    if fmt == "parquet" and not ogrinfo_has_driver(exe, "Parquet"):
        pytest.skip("this ogrinfo has no Parquet driver (Debian builds GDAL without Arrow)")
    frame = io.load(dataset)
    path = exports.export(frame, target_for(tmp_path, fmt))
    result = subprocess.run([exe, "-ro", "-so", "-al", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "ERROR" not in result.stderr, result.stderr
    blocks = re.split(r"^Layer name: ", result.stdout, flags=re.M)[1:]
    counts = {b.splitlines()[0].strip(): int(re.search(r"^Feature Count: (\d+)", b, re.M).group(1)) for b in blocks}
    main_layer = "sites" if "sites" in counts else next(iter(counts))
    assert counts[main_layer] == len(frame), result.stdout
    if fmt == "gpkg":
        assert counts["sources"] == sum(len(s) for s in frame["sources"])
        assert counts["events"] == sum(len(e) for e in frame["events"])


# --------------------------------------------------------------------------- progress


@pytest.fixture(scope="module")
def generated_sites(tmp_path_factory) -> Path:
    """3,000 synthetic sites from benchmarks/datagen.py (real-sized text, 1 % without a location)."""
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "datagen.py"
    if not script.exists():
        pytest.skip("benchmarks/datagen.py is not there")
    path = tmp_path_factory.mktemp("generated") / "sites.geojson"
    subprocess.run([sys.executable, str(script), "3000", str(path)], check=True, capture_output=True)
    return path


BAR_FRAME = re.compile(r"mapkit export \S+ \((\d+) sites?\)(?:: ([a-z ]+))? +(\d+)%\|")


def bar_frames(err: str) -> list[tuple[str, int]]:
    """(phase, percent) of every state of the bar drawn on stderr (redrawn after each \\r)."""
    frames = []
    for part in re.split(r"[\r\n]", err):
        match = BAR_FRAME.search(part)
        if match:
            frames.append(((match.group(2) or "").strip(), int(match.group(3))))
    return frames


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "csv", "shp"])
def test_progress_moves_while_preparing_and_writing(fmt, generated_sites, tmp_path, capfd, monkeypatch):
    """The bar steps through preparing and writing: updates below 100 % appear before the end,
    also while the file is written (GDAL layers in chunks, GeoJSON a chunk of features at a time)."""
    monkeypatch.setattr(exports, "PROGRESS_MININTERVAL", 0)  # draw every step
    monkeypatch.setattr(exports, "WRITE_CHUNK_MIN", 500)
    frame = io.load(generated_sites)
    capfd.readouterr()
    exports.export(frame, target_for(tmp_path, fmt), progress=True)
    frames = bar_frames(capfd.readouterr().err)
    percents = [p for _, p in frames]
    assert percents == sorted(percents) and percents[-1] == 100, frames
    assert frames[-1][0] == "done"
    assert len({p for p in percents if 0 < p < 100}) >= 10, frames
    writing = sorted({p for phase, p in frames if phase == "writing" and p < 100})
    assert len(writing) >= 3, frames  # several steps while writing, not one jump at the end
    assert {phase for phase, _ in frames} >= {"preparing", "writing", "done"}


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_progress_adds_up_in_every_format(fmt, fixture_path, tmp_path, capfd, monkeypatch):
    """Each format's phases add up to exactly 100 %: never over, never stuck below at the end."""
    need_pyarrow(fmt)
    monkeypatch.setattr(exports, "PROGRESS_MININTERVAL", 0)
    capfd.readouterr()
    exports.export(fixture_path, target_for(tmp_path, fmt), progress=True)
    frames = bar_frames(capfd.readouterr().err)
    percents = [p for _, p in frames]
    assert percents == sorted(percents), frames
    assert frames[-1] == ("done", 100), frames
    assert all(p <= 100 for p in percents)


PTY_EXPORT = """
import sys
import mapkit.exports
mapkit.exports.PROGRESS_DELAY = 0
from mapkit.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("size", [(0, 0), (30, 100)], ids=["unsized", "100-columns"])
def test_progress_on_a_terminal(size, generated_sites, tmp_path):
    """With stderr on a real (pseudo-)terminal the default bar shows by itself once the delay is
    over (patched to 0 here), with updates below 100 % before the end, and is cleared at the end. A
    new pseudo-terminal reports a size of 0 x 0 (tqdm would then draw nothing); a sized one 100 columns."""
    import fcntl
    import pty
    import select
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
    target = tmp_path / "sites.gpkg"
    child = subprocess.Popen([sys.executable, "-c", PTY_EXPORT, "export", str(generated_sites), "-o", str(target)],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    output = b""
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 1)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not data:
                    break
                output += data
            elif child.poll() is not None:
                break
        assert child.wait(timeout=300) == 0, output.decode(errors="replace")
    finally:
        os.close(master)
        if child.poll() is None:
            child.kill()
    err = output.decode("utf-8", errors="replace")
    percents = [p for _, p in bar_frames(err)]
    assert [p for p in percents if 0 < p < 100], err
    assert "mapkit export: wrote 3000 sites" in err
    last_bar = err.rfind("%|")
    assert "\r" in err[last_bar:err.index("mapkit export: wrote")]  # the bar was cleared (leave=False)
    assert pyogrio.read_info(target, layer="sites")["features"] == 3000


def test_no_bar_unless_stderr_is_a_terminal(generated_sites, tmp_path, capfd, monkeypatch):
    """stderr here is a file: no bar by default, even with the delay patched to 0 (logs stay clean)."""
    monkeypatch.setattr(exports, "PROGRESS_DELAY", 0)
    capfd.readouterr()
    exports.export(generated_sites, tmp_path / "quiet.gpkg")
    assert capfd.readouterr().err == ""
    assert main(["export", str(generated_sites), "-o", str(tmp_path / "quiet.csv")]) == 0
    assert capfd.readouterr().err.strip().startswith("mapkit export: wrote 3000 sites")
    exports.export(generated_sites, tmp_path / "never.csv", progress=False)
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("fmt", ["geojson", "geojsonl", "csv", "shp", "shp.zip", "gpkg"])
def test_chunked_writes_give_the_same_file(fmt, fixture_path, tmp_path, monkeypatch):
    """Writing 2 rows at a time (appended GDAL layers, CSV chunks joined, GeoJSON features a chunk
    at a time) gives the bytes of one write; for GeoPackage the same tables and rows (the R-tree's
    nodes are laid out differently), the same from run to run."""
    whole, chunked, again = tmp_path / "whole", tmp_path / "chunked", tmp_path / "again"
    for directory in (whole, chunked, again):
        directory.mkdir()
    exports.export(fixture_path, target_for(whole, fmt))
    monkeypatch.setattr(exports, "WRITE_CHUNK_MIN", 2)
    monkeypatch.setattr(exports, "WRITE_CHUNKS", 10**9)
    monkeypatch.setattr(exports, "PREPARE_CHUNK", 2)
    exports.export(fixture_path, target_for(chunked, fmt))
    exports.export(fixture_path, target_for(again, fmt))
    assert snapshot(chunked) == snapshot(again)
    if fmt != "gpkg":
        assert snapshot(chunked) == snapshot(whole)
        return
    for layer in ("sites", "sources", "events", "mapkit_metadata"):
        a = pyogrio.read_dataframe(target_for(whole, fmt), layer=layer, fid_as_index=True)
        b = pyogrio.read_dataframe(target_for(chunked, fmt), layer=layer, fid_as_index=True)
        assert a.equals(b), layer
    with contextlib.closing(sqlite3.connect(target_for(chunked, fmt))) as db:
        assert db.execute("SELECT last_change FROM gpkg_contents WHERE table_name='sites'").fetchone()[0].startswith("2026-11-23")


def test_geojson_bytes_are_io_dumps(dataset, tmp_path):
    """The GeoJSON written a chunk at a time is byte for byte what mapkit.io.dumps makes of it."""
    out = exports.export(io.load(dataset), tmp_path / "sites.geojson")
    original = io.canonical_collection(json.loads(Path(dataset).read_text(encoding="utf-8")))
    assert out.read_text(encoding="utf-8") == io.dumps(original)


def test_small_export_prints_nothing(fixture_path, tmp_path, capfd):
    exports.export(fixture_path, tmp_path / "q.gpkg")
    assert capfd.readouterr().err == ""


def test_progress_bar_when_asked(fixture_path, tmp_path, capfd):
    exports.export(fixture_path, tmp_path / "q.csv", progress=True)
    assert "mapkit export q.csv" in capfd.readouterr().err


# --------------------------------------------------------------------------- failures


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def test_bad_format_name_leaves_old_file(fixture_path, tmp_path, capsys):
    old = tmp_path / "sites.gpkg"
    old.write_bytes(b"old contents\n")
    before = snapshot(tmp_path)
    rc = main(["export", str(fixture_path), "-o", str(old), "--format", "nope"])
    err = capsys.readouterr().err
    assert rc == 1
    assert "unknown export format 'nope'" in err and str(old) in err and "gpkg" in err
    assert snapshot(tmp_path) == before
    rc = main(["export", str(fixture_path), "-o", str(tmp_path / "sites.xyz")])
    assert rc == 1 and "cannot tell the export format" in capsys.readouterr().err
    with pytest.raises(ExportError):
        exports.export(fixture_path, old, format="nope")
    assert snapshot(tmp_path) == before


def test_unknown_filter_keyword(fixture_path, tmp_path):
    with pytest.raises(ExportError, match="unknown filter 'colour'"):
        exports.export(fixture_path, tmp_path / "x.geojson", colour="red")


def test_path_through_a_file_fails_cleanly(fixture_path, tmp_path, capsys):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file\n")
    rc = main(["export", str(fixture_path), "-o", str(blocker / "sites.gpkg")])
    err = capsys.readouterr().err
    assert rc == 1
    assert "not-a-dir" in err and "not a directory" in err
    assert blocker.read_text() == "a file\n"


def test_directory_as_target(fixture_path, tmp_path, capsys):
    rc = main(["export", str(fixture_path), "-o", str(tmp_path)])
    assert rc == 1
    assert "is a directory" in capsys.readouterr().err


def run_root(*cmd) -> bool:
    return subprocess.run(list(cmd), capture_output=True).returncode == 0


@pytest.fixture
def read_only_dir(tmp_path):
    """A directory with an old export in it, then made read-only by a read-only bind mount
    (which stops root too)."""
    directory = tmp_path / "ro"
    directory.mkdir()
    (directory / "sites.geojson").write_text('{"old": true}\n')
    (directory / "sites.csv").write_text("old,csv\n")
    (directory / "sites.csv.meta.json").write_text("{}\n")
    if not (run_root("mount", "--bind", str(directory), str(directory))):
        pytest.skip("cannot bind-mount here (needs root and mount rights)")
    try:
        if not run_root("mount", "-o", "remount,ro,bind", str(directory)):
            pytest.skip("cannot remount read-only here")
        yield directory
    finally:
        run_root("umount", "-l", str(directory))


@pytest.mark.parametrize("fmt", ["geojson", "csv"])
def test_read_only_directory_leaves_old_files(fmt, read_only_dir, fixture_path, capsys):
    before = snapshot(read_only_dir)
    rc = main(["export", str(fixture_path), "-o", str(read_only_dir / f"sites.{fmt}")])
    err = capsys.readouterr().err
    assert rc == 1
    assert "Read-only file system" in err and "read-only" in err and f"sites.{fmt}" in err
    assert snapshot(read_only_dir) == before


def many_sites(n: int = 400) -> dict:
    features = []
    for i in range(n):
        features.append(site(id=f"au-site-{i:04d}", name=f"Site {i} 中文 café", notes=LONG_NOTE,
                             geometry={"type": "Point", "coordinates": [150 + i / 1000, -33 - i / 1000]}))
    return collection(*features)


@contextlib.contextmanager
def file_size_limit(limit: int):
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


@pytest.fixture(params=["tmpfs", "rlimit"])
def full_disk(request, tmp_path):
    """(directory, context, reason) where writing more than 64 KiB fails: a 64 KiB tmpfs (a disk
    that really fills up; needs mount rights, which root has here), or a 64 KiB file-size limit
    set on this process (the kernel refuses the write with EFBIG)."""
    directory = tmp_path / "tiny"
    directory.mkdir()
    if request.param == "tmpfs":
        if not run_root("mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(directory)):
            pytest.skip("cannot mount a tmpfs here")
        try:
            yield directory, contextlib.nullcontext, "free some space"
        finally:
            run_root("umount", "-l", str(directory))
    else:
        yield directory, lambda: file_size_limit(64 * 1024), None


@pytest.mark.parametrize("fmt", ["geojson", "geojsonl", "gpkg", "shp", "shp.zip", "csv", "xlsx", "sql", "fgb", "kml"])
def test_full_disk_leaves_old_file(fmt, full_disk, tmp_path, capsys):
    directory, limited, reason = full_disk
    data = tmp_path / "many.geojson"
    data.write_text(json.dumps(many_sites(), ensure_ascii=False), encoding="utf-8")
    target = target_for(directory, fmt)
    old = {target.name: b"old export\n"}
    if exports.FORMATS[fmt].sidecar and fmt != "shp.zip":
        old[target.name + ".meta.json"] = b'{"old": true}\n'
    for name, content in old.items():
        (directory / name).write_bytes(content)
    with limited():
        rc = main(["export", str(data), "-o", str(target)])
    err = capsys.readouterr().err
    assert rc == 1, err
    assert str(target) in err and ("left untouched" in err or "nothing was replaced" in err), err
    if reason:
        assert reason in err, err
    assert snapshot(directory) == old  # old files byte-identical, no temporary files left
    assert not [p for p in directory.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_lone_surrogate_names_the_site_and_property(fmt, fixture_path, tmp_path):
    """A string with a lone UTF-16 surrogate (a frame built in Python; mapkit.load refuses such
    files) cannot be written as UTF-8: the one-line error names the site and the property."""
    need_pyarrow(fmt)
    target = target_for(tmp_path, fmt)
    target.write_bytes(b"old\n")
    frame = io.load(fixture_path)
    frame.loc[frame["id"] == "it-rome-haian", "notes"] = "note \ud800 here"
    with pytest.raises(ExportError) as info:
        exports.export(frame, target)
    message = str(info.value)
    assert "site 'it-rome-haian', property 'notes'" in message and "lone UTF-16 surrogate" in message
    assert "\n" not in message and "codec" not in message
    # nested in a source, and in the collection metadata
    frame = io.load(fixture_path)
    i = frame.index[frame["id"] == "nl-rotterdam-fuzhou"][0]
    sources = copy.deepcopy(frame.at[i, "sources"])
    sources[1]["title"] = "half \udc80 pair"
    frame.at[i, "sources"] = sources
    with pytest.raises(ExportError, match=r"site 'nl-rotterdam-fuzhou', property 'sources\[1\]\.title'"):
        exports.export(frame, target)
    frame = io.load(fixture_path)
    frame.attrs["collection"]["citation"] = "Test \ud800"
    with pytest.raises(ExportError, match=r"the collection member 'citation'"):
        exports.export(frame, target)
    assert snapshot(tmp_path) == {target.name: b"old\n"}


def test_cli_checks_the_target_before_reading_the_data(tmp_path, capsys):
    """The format, file name, filters and directory are checked first: with data that does not
    exist, each mistake is still the one reported."""
    missing = str(tmp_path / "no-such-data.geojson")
    cases = [
        (["-o", str(tmp_path / "sites.xyz")], "cannot tell the export format"),
        (["-o", str(tmp_path / "sites.gpkg"), "--format", "nope"], "unknown export format 'nope'"),
        (["-o", str(tmp_path / "sites.txt"), "--format", "shp"], "end the name in .shp"),
        (["-o", str(tmp_path / "no-dir" / "sites.gpkg")], "does not exist"),
        (["-o", str(tmp_path)], "is a directory"),
        (["-o", str(tmp_path / "sites.gpkg"), "--country", "XX"], "XX"),
    ]
    for args, expected_text in cases:
        assert main(["export", missing, *args]) == 1, args
        err = capsys.readouterr().err
        assert expected_text in err and "no-such-data" not in err, (args, err)
        assert len(err.strip().splitlines()) == 1, err
    assert main(["export", missing, "-o", str(tmp_path / "sites.gpkg")]) == 1  # now the data
    assert "no-such-data.geojson" in capsys.readouterr().err


def _export_without_pyarrow(data, out) -> subprocess.CompletedProcess:
    """``mapkit export DATA -o OUT`` in a child Python where pyarrow cannot be imported (as on an
    install without the parquet extra)."""
    code = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "from mapkit.cli import main\n"
        f"sys.exit(main(['export', {str(data)!r}, '-o', {str(out)!r}]))\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_missing_pyarrow_is_reported_before_reading_the_data(tmp_path):
    result = _export_without_pyarrow(tmp_path / "no-such-data.geojson", tmp_path / "x.parquet")
    assert result.returncode == 1
    assert "pip install 'mapkit[parquet]'" in result.stderr and "no-such-data" not in result.stderr


@pytest.mark.parametrize("fmt, blocked", [("csv", "sites.csv.meta.json"), ("shp", "sites.dbf"), ("shp", "sites.shx")])
def test_a_target_that_cannot_be_replaced_stops_before_any_rename(fmt, blocked, fixture_path, tmp_path, capsys):
    """Every staged file is checked against its target before the first rename: a directory where
    a part or sidecar goes leaves every old file as it was (not the first parts replaced)."""
    directory = tmp_path / "out"
    directory.mkdir()
    exports.export(fixture_path, target_for(directory, fmt))
    before = snapshot(directory)
    (directory / blocked).unlink()
    (directory / blocked).mkdir()
    (directory / blocked / "keep.txt").write_text("mine\n")
    before.pop(blocked)
    rc = main(["export", str(fixture_path), "-o", str(target_for(directory, fmt)), "--status", "closed"])
    err = capsys.readouterr().err
    assert rc == 1
    assert blocked in err and "is a directory" in err and "nothing was replaced" in err
    assert snapshot(directory) == before
    assert (directory / blocked / "keep.txt").read_text() == "mine\n"
    assert not [p for p in directory.iterdir() if p.name.startswith(".")]


def test_a_rename_that_fails_puts_the_old_files_back(fixture_path, tmp_path, capsys):
    """A rename the checks cannot foresee (the .shp made immutable, renamed last) fails after
    the other parts were replaced: they are put back, and every old file is byte-identical."""
    directory = tmp_path / "out"
    directory.mkdir()
    exports.export(fixture_path, directory / "sites.shp")
    before = snapshot(directory)
    immutable = directory / "sites.shp"
    if not run_root("chattr", "+i", str(immutable)):
        pytest.skip("cannot make a file immutable here (needs chattr, root and a file system with it)")
    try:
        rc = main(["export", str(fixture_path), "-o", str(directory / "sites.shp"), "--status", "closed"])
    finally:
        run_root("chattr", "-i", str(immutable))
    err = capsys.readouterr().err
    assert rc == 1
    assert "sites.shp" in err and "put back" in err, err
    assert snapshot(directory) == before
    assert not [p for p in directory.iterdir() if p.name.startswith(".")]


def test_missing_pyarrow_says_how_to_install(fixture_path, tmp_path):
    result = _export_without_pyarrow(fixture_path, tmp_path / "x.parquet")
    assert result.returncode == 1
    assert "pip install 'mapkit[parquet]'" in result.stderr
    assert not (tmp_path / "x.parquet").exists()


def test_list_formats(capsys):
    assert main(["export", "--list-formats"]) == 0
    out = capsys.readouterr().out
    for fmt in exports.list_formats():
        assert fmt.name in out and fmt.extensions[0] in out
    assert "mapkit[parquet]" in out


def test_output_required(capsys):
    with pytest.raises(SystemExit) as info:
        main(["export"])
    assert info.value.code == 2
    assert "-o/--output" in capsys.readouterr().err


def test_export_does_not_touch_the_frame(fixture_path, tmp_path):
    frame = io.load(fixture_path)
    before = copy.deepcopy(frame.to_dict("records"))
    for fmt in ("gpkg", "shp", "csv"):
        exports.export(frame, target_for(tmp_path, fmt))
    assert frame.to_dict("records") == before


def test_xlsx_refuses_a_cell_it_cannot_hold(write_data, tmp_path, capsys):
    path = write_data(collection(site(notes="x" * (exports.XLSX_MAX_CHARS + 1))))
    old = tmp_path / "big.xlsx"
    old.write_bytes(b"old\n")
    rc = main(["export", str(path), "-o", str(old)])
    err = capsys.readouterr().err
    assert rc == 1
    assert "32767" in err and "'notes'" in err and ".gpkg" in err
    assert old.read_bytes() == b"old\n"


def test_huge_integer_is_kept_as_json_text(write_data, tmp_path):
    path = write_data(collection(site(big=2**70, small=5)))
    table = pyogrio.read_dataframe(exports.export(path, tmp_path / "h.gpkg"), layer="sites")
    assert json.loads(table.loc[0, "big"]) == 2**70
    assert table.loc[0, "small"] == 5
