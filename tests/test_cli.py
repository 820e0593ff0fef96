"""The command line: every command registered, --help everywhere, errors as one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mapkit import __version__
from mapkit.cli import COMMANDS, main, make_parser
from tests.conftest import collection, site

REPO = Path(__file__).resolve().parents[1]


def test_every_command_is_registered():
    parser = make_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == set(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: mapkit " + command in capsys.readouterr().out


def test_version(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert __version__ in capsys.readouterr().out


def test_python_dash_m():
    done = subprocess.run([sys.executable, "-m", "mapkit", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "validate" in done.stdout


def test_library_error_is_one_line_not_a_traceback(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mapkit", "validate", str(tmp_path / "x.geojson")],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr


def _mapkit(*args, cwd=REPO, shell=None):
    command = shell or [sys.executable, "-m", "mapkit", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60, shell=bool(shell))


def _one_line_error(proc) -> str:
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_os_errors_are_one_line(tmp_path):
    data = tmp_path / "sites.geojson"
    data.write_text('{"type": "FeatureCollection", "features": []}\n', encoding="utf-8")
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    line = _one_line_error(_mapkit("build", str(data), "-o", str(blocker / "map.html"), "--tiles", "none", "--no-validate"))
    assert "mapkit build: error:" in line and "a-file" in line
    proc = _mapkit("validate", str(data), "--countries", str(tmp_path / "nope.geojson"))
    assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr
    # filed under the countries file's own name; the sites are still checked
    assert "nope.geojson: error: no such file; fix: check the path" in proc.stdout


@pytest.mark.parametrize("text,words", [
    ('{"type": "FeatureCollection", "features": [1]}', "feature 1 is not a JSON object"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": [1, 2]}]}', "properties is not an object"),
    ('{"type": "FeatureCollection", "features": "oops"}', '"features" is not a list'),
    ('{"type": "FeatureCollection", "features": [], "n": NaN}', "NaN is not JSON"),
])
def test_fmt_refuses_what_has_no_canonical_form(tmp_path, text, words):
    path = tmp_path / "odd.geojson"
    path.write_text(text, encoding="utf-8")
    line = _one_line_error(_mapkit("fmt", str(path)))
    assert words in line
    assert path.read_text(encoding="utf-8") == text, "left as it was"


def test_a_closed_pipe_is_not_an_error():
    proc = _mapkit(shell=f"{sys.executable} -m mapkit list --format csv | head -n 1")
    assert proc.stdout.count("\n") == 1
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def test_fmt_writes_through_a_symlink(tmp_path):
    real = tmp_path / "real.geojson"
    real.write_text('{"features": [], "type": "FeatureCollection"}', encoding="utf-8")
    link = tmp_path / "link.geojson"
    link.symlink_to(real)
    assert _mapkit("fmt", str(link)).returncode == 0
    assert link.is_symlink() and real.read_text(encoding="utf-8").startswith('{\n  "type": "FeatureCollection"')


@pytest.mark.parametrize("args", [
    ["export", "-o", "OUT/x.geojson", "--country", "AU"],
    ["build", "-o", "OUT/x.html", "--tiles", "none", "--no-validate", "--country", "AU"],
    ["build", "-o", "OUT/x.html", "--tiles", "none", "--no-validate", "--text", "x"],
])
def test_a_list_where_one_value_belongs_is_one_line(tmp_path, args):
    data = tmp_path / "listy.geojson"
    data.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "id": "au-x", "geometry": null,'
                    ' "properties": {"id": "au-x", "country": ["AU"], "name": ["a", "b"], "status": "reported"}}]}')
    args = [a.replace("OUT", str(tmp_path)) for a in args]
    line = _one_line_error(_mapkit(args[0], str(data), *args[1:]))
    assert "feature 1 (au-x), field" in line and "not one value" in line and "fix:" in line


def test_missing_values_and_time_stamps_are_single_values(write_data):
    import pandas as pd

    import mapkit

    frame = mapkit.load(write_data(collection(site(), site(id="au-two"))))
    frame["country"] = pd.array(["AU", None], dtype="string")
    frame["opened"] = [pd.Timestamp("2018-01-01"), None]
    assert list(mapkit.filter_frame(frame, country="AU")["id"]) == ["au-sydney-test"]
    assert len(mapkit.filter_frame(frame, text="sydney")) == 2


def test_a_profiler_still_gets_its_results(tmp_path):
    """The command line leaves without the interpreter's teardown, except under a profiler."""
    out = tmp_path / "x.prof"
    data = tmp_path / "sites.geojson"
    data.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), "-m", "mapkit", "list", str(data)],
                          capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0 and out.exists()
