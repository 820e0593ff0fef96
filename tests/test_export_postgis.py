"""The .sql export loads into a real PostgreSQL + PostGIS server and holds every site.

Needs a server: `pg_env="$(.ci/start-postgis)" && eval "$pg_env"` starts one on 127.0.0.1 and sets
MAPKIT_PG_DSN. Without MAPKIT_PG_DSN these tests are skipped, except under CI (env CI set), where
they fail. They use psql (Debian's postgresql-client), not a Python driver.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mapkit import exports, io
from mapkit.filters import filter_frame
from tests.conftest import SHIPPED, collection
from tests.test_export import fixture_sites  # the same tricky sites as the other export tests

pytestmark = pytest.mark.postgis

TABLES = ("sites", "sources", "events", "mapkit_metadata")


@pytest.fixture(scope="module")
def dsn() -> str:
    value = os.environ.get("MAPKIT_PG_DSN")
    psql = shutil.which("psql")
    problem = None
    if not value:
        problem = 'MAPKIT_PG_DSN is not set; run: pg_env="$(.ci/start-postgis)" && eval "$pg_env"'
    elif psql is None:
        problem = "psql (Debian package postgresql-client) is not installed"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    return value


def psql(dsn: str, *args: str, sql: str | None = None) -> str:
    cmd = ["psql", dsn, "-X", "-q", "-v", "ON_ERROR_STOP=1", *args]
    if sql is not None:
        cmd += ["-At", "-c", sql]
    result = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PGCONNECT_TIMEOUT": "10"})
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def clean(dsn):
    drop = "; ".join(f"DROP TABLE IF EXISTS public.{t} CASCADE" for t in TABLES)
    psql(dsn, sql=drop)
    yield dsn
    psql(dsn, sql=drop)


@pytest.fixture(scope="module")
def fixture_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pgdata") / "contact_points.geojson"
    path.write_text(json.dumps(collection(*fixture_sites()), ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(params=["fixture", "shipped"])
def dataset(request, fixture_path) -> Path:
    if request.param == "shipped":
        if not SHIPPED.exists():
            pytest.skip(f"{SHIPPED} is not there yet")
        return SHIPPED
    return fixture_path


def load_sql(dsn: str, path: Path) -> None:
    psql(dsn, "-f", str(path))


def test_every_site_with_its_point_and_jsonb_sources(clean, dataset, tmp_path):
    dsn = clean
    frame = io.load(dataset)
    path = exports.export(frame, tmp_path / "sites.sql")
    load_sql(dsn, path)
    rows = psql(dsn, sql=(
        "SELECT json_build_object('id', id, 'status', status, 'country', country, "
        "'x', ST_X(geom), 'y', ST_Y(geom), 'srid', ST_SRID(geom), 'type', GeometryType(geom), "
        "'sources', sources, 'events', events, 'sources_type', pg_typeof(sources)::text, "
        "'urls', (SELECT json_agg(s->>'url') FROM jsonb_array_elements(sources) s)) FROM sites ORDER BY id"
    ))
    got = {r["id"]: r for r in map(json.loads, rows.splitlines())}
    assert sorted(got) == sorted(frame["id"])
    for _, row in frame.iterrows():
        db = got[row["id"]]
        assert db["sources_type"] == "jsonb"
        assert db["sources"] == row["sources"]  # every key of every source, as JSON
        assert db["events"] == row["events"]
        assert db["urls"] == [s["url"] for s in row["sources"]]
        assert db["status"] == row["status"] and db["country"] == row["country"]
        if row.geometry is None:
            assert db["x"] is None and db["type"] is None
        else:
            assert db["type"] == "POINT" and db["srid"] == 4326
            assert db["x"] == pytest.approx(round(row.geometry.x, 6), abs=1e-9)
            assert db["y"] == pytest.approx(round(row.geometry.y, 6), abs=1e-9)


def test_related_tables_metadata_and_spatial_query(clean, fixture_path, tmp_path):
    dsn = clean
    frame = io.load(fixture_path)
    load_sql(dsn, exports.export(frame, tmp_path / "sites.sql"))
    n_sources = int(psql(dsn, sql="SELECT count(*) FROM sources"))
    assert n_sources == sum(len(s) for s in frame["sources"])
    joined = psql(dsn, sql=(
        "SELECT count(*) FROM sources JOIN sites ON sites.id = sources.site_id"
    ))
    assert int(joined) == n_sources
    assert psql(dsn, sql="SELECT pg_typeof(sources)::text FROM events LIMIT 1").strip() == "jsonb"
    meta = dict(line.split("|", 1) for line in psql(dsn, sql="SELECT key, value FROM mapkit_metadata").splitlines())
    assert meta["license"] == "CC-BY-4.0" and meta["citation"] == "Test"
    # an unknown nested property is jsonb too, and queryable
    assert psql(dsn, sql="SELECT extra_obj->>'score' FROM sites WHERE id = 'nl-rotterdam-fuzhou'").strip() == "0.5"
    # the spatial index works: sites within 50 km of Rotterdam
    near = psql(dsn, sql=(
        "SELECT id FROM sites WHERE ST_DWithin(geom::geography, ST_MakePoint(4.48, 51.92)::geography, 50000)"
    ))
    assert near.split() == ["nl-rotterdam-fuzhou"]
    comment = psql(dsn, sql="SELECT obj_description('public.sites'::regclass)")
    assert "Cite as: Test" in comment


def test_filtered_script_and_reload(clean, fixture_path, tmp_path):
    dsn = clean
    frame = io.load(fixture_path)
    path = exports.export(frame, tmp_path / "closed.sql", status=["closed", "active"])
    load_sql(dsn, path)
    load_sql(dsn, path)  # loading again replaces the tables: no duplicates
    ids = psql(dsn, sql="SELECT id FROM sites ORDER BY id").split()
    assert ids == sorted(filter_frame(frame, status=["closed", "active"])["id"])
