"""The command line: every command registered, --help everywhere, errors as one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mapkit import __version__
from mapkit.cli import COMMANDS, main, make_parser


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
