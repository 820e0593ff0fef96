"""The .sql export loads into a real PostgreSQL + PostGIS server and holds every site.

The server: if env MAPKIT_PG_DSN is set (e.g. by ``pg_env="$(.ci/start-postgis)" && eval "$pg_env"``)
the tests use that database. Otherwise a session fixture starts a throwaway cluster itself: initdb
into a temporary directory (as the ``postgres`` OS user when the tests run as root, since the server
refuses to run as root), listening on 127.0.0.1 and a free port only, ``CREATE EXTENSION postgis``,
and stops and deletes it at the end. It needs Debian's ``postgresql`` (initdb, pg_ctl, psql) and
``postgresql-<major>-postgis-3`` (pulled in by the metapackage ``postgresql-postgis``); without
them the tests are skipped, except under CI (env CI set), where they fail. They talk to the server
with the psql CLI, not a Python driver.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from mapkit import exports, io
from mapkit.filters import filter_frame
from tests.conftest import SHIPPED, collection
from tests.test_export import RESERVED_EXTRAS, fixture_sites  # the same tricky sites as the other export tests

pytestmark = pytest.mark.postgis

TABLES = ("sites", "sources", "events", "mapkit_metadata")
#: Where Debian installs the server binaries (initdb and pg_ctl are not on PATH there).
DEBIAN_PG_ROOT = Path("/usr/lib/postgresql")


def skip_or_fail(problem: str):
    if os.environ.get("CI"):
        pytest.fail(problem)
    pytest.skip(problem)


def server_bindir() -> Path | None:
    """The newest Debian PostgreSQL server bin directory, else the one holding initdb on PATH."""
    versions = [p for p in DEBIAN_PG_ROOT.glob("*/bin") if p.parent.name.isdigit()]
    for bindir in sorted(versions, key=lambda p: int(p.parent.name), reverse=True):
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    initdb = shutil.which("initdb")
    if initdb and (Path(initdb).resolve().parent / "pg_ctl").exists():
        return Path(initdb).resolve().parent
    return None


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Throwaway:
    """A PostgreSQL cluster in a temporary directory, run as ``postgres`` when we are root."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.as_user: dict = {}
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                skip_or_fail("the tests run as root and there is no 'postgres' OS user to run the "
                             "server as (Debian's postgresql package creates it)")
            self.as_user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        # not under pytest's tmp_path: its parents are private to root, and the server runs as postgres
        self.root = Path(tempfile.mkdtemp(prefix="mapkit-pg-"))
        if self.as_user:
            os.chown(self.root, self.as_user["user"], self.as_user["group"])
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = None

    def run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(self.bindir / cmd[0]), *cmd[1:]], capture_output=True, text=True, cwd=self.root,
            env={**os.environ, "LC_ALL": "C", "HOME": str(self.root)}, timeout=120, **self.as_user,
        )
        if check and result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stderr}\n{log}")
        return result

    def start(self) -> str:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                 "--locale=C", "--no-sync")
        for attempt in range(3):  # the free port can be taken between finding it and binding it
            self.port = free_port()
            options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
            started = self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                               "-w", "-t", "60", "start", check=attempt == 2)
            if started.returncode == 0:
                break
        admin = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        psql(admin, sql="CREATE DATABASE mapkit")
        dsn = f"postgresql://postgres@127.0.0.1:{self.port}/mapkit"
        created = psql(dsn, sql="CREATE EXTENSION postgis", check=False)
        if created.returncode != 0:
            major = self.bindir.parent.name
            skip_or_fail(f"PostGIS is not installed for PostgreSQL {major} ({created.stderr.strip()}); "
                         f"install the Debian package postgresql-{major}-postgis-3 (or postgresql-postgis)")
        return dsn

    def stop(self) -> None:
        if self.data.exists() and (self.data / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def dsn():
    if shutil.which("psql") is None:
        skip_or_fail("psql (Debian package postgresql-client) is not installed")
    value = os.environ.get("MAPKIT_PG_DSN")
    if value:
        yield value
        return
    bindir = server_bindir()
    if bindir is None:
        skip_or_fail("no PostgreSQL server binaries (initdb, pg_ctl) and MAPKIT_PG_DSN is not set; "
                     "install the Debian packages postgresql and postgresql-postgis, or point "
                     "MAPKIT_PG_DSN at a database with PostGIS")
    server = Throwaway(bindir)
    try:
        yield server.start()
    finally:
        server.stop()


def psql(dsn: str, *args: str, sql: str | None = None, check: bool = True):
    """Run psql; with check (the default) assert it worked and return its output, else return the
    completed process."""
    cmd = ["psql", dsn, "-X", "-q", "-v", "ON_ERROR_STOP=1", *args]
    if sql is not None:
        cmd += ["-At", "-c", sql]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PGCONNECT_TIMEOUT": "10"})
    if not check:
        return result
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


def test_reserved_and_clashing_names_load(clean, fixture_path, tmp_path):
    """ogc_fid and geom (PGDUMP's own columns) and names equal to another but for case load as
    renamed columns holding the values; other names are kept exactly (no laundering)."""
    dsn = clean
    path = exports.export(io.load(fixture_path), tmp_path / "sites.sql")
    load_sql(dsn, path)
    meta = dict(line.split("|", 1) for line in psql(dsn, sql="SELECT key, value FROM mapkit_metadata").splitlines())
    renamed = json.loads(meta["export.renamed_properties"])
    assert renamed == {"ogc_fid": "ogc_fid_property", "geom": "geom_property", "Status": "Status_property",
                       "NAME": "NAME_property", "Source_Count": "Source_Count_property"}
    row = json.loads(psql(dsn, sql="SELECT row_to_json(s) FROM sites s WHERE id = 'it-rome-haian'"))
    for name, value in RESERVED_EXTRAS.items():
        assert row[renamed.get(name, name)] == value, name
    assert row["status"] == "active" and row["source_count"] == 2
    assert isinstance(row["ogc_fid"], int)  # PGDUMP's serial key, not the property


def test_empty_export_creates_the_same_table(clean, fixture_path, tmp_path):
    """An export that selects no site still creates every column, and a POINT geometry column."""
    dsn = clean
    frame = io.load(fixture_path)
    columns_sql = ("SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) "
                   "FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'sites'")
    load_sql(dsn, exports.export(frame, tmp_path / "all.sql"))
    full = psql(dsn, sql=columns_sql)
    load_sql(dsn, exports.export(frame, tmp_path / "none.sql", country=["ZW"]))
    assert psql(dsn, sql="SELECT count(*) FROM sites").strip() == "0"
    assert psql(dsn, sql=columns_sql) == full
    assert "extra_obj jsonb" in full and "extra_int bigint" in full, full
    assert psql(dsn, sql="SELECT type, srid FROM geometry_columns WHERE f_table_name = 'sites'").strip() == "POINT|4326"
