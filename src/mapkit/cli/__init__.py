"""The ``mapkit`` command line: a thin shell over the library, one command per function."""

from __future__ import annotations

import argparse
import os
import sys
from importlib import import_module

from mapkit import __version__
from mapkit.errors import MapkitError

#: command name -> module under mapkit.cli that defines ``register(subparsers)``
COMMANDS = {
    "validate": "validate_cmd",
    "build": "build_cmd",
    "export": "export_cmd",
    "import": "import_cmd",
    "fmt": "fmt_cmd",
    "stats": "stats_cmd",
    "list": "list_cmd",
}


def make_parser() -> argparse.ArgumentParser:
    """The argument parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="mapkit",
        description="Validate, map and export the dataset of reported overseas Chinese police sites.",
        epilog="Run 'mapkit COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"mapkit {__version__}")
    sub = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for module in COMMANDS.values():
        try:
            command = import_module(f"mapkit.cli.{module}")
        except ModuleNotFoundError as exc:
            # a command still being written must not take the others down; tests/test_cli.py
            # checks that every command in COMMANDS is registered
            if exc.name != f"mapkit.cli.{module}":
                raise
            continue
        command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 failure, 2 usage error)."""
    parser = make_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except MapkitError as exc:
        text = str(exc)
        # one problem: one line; a list of problems (an import's rows) keeps its lines
        message = " ".join(text.split()) if "\n" not in text else text
        print(f"mapkit {args.command}: error: {message}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # the reader went away (`mapkit list | head`): stop quietly, as other commands do
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (so that a final flush has nowhere to fail)
        except OSError:
            pass
        return 141
    except OSError as exc:
        # the operating system refused (permissions, a full disk, a missing file given by an option)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"mapkit {args.command}: error: {where}{exc.strerror or exc}; check the path and its permissions",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"mapkit {args.command}: interrupted", file=sys.stderr)
        return 130


def run() -> None:
    """The ``mapkit`` console script and ``python -m mapkit``: run :func:`main`, then leave at once.

    A one-shot command need not free every object it made: at 100,000 sites the interpreter's
    teardown takes a quarter of a second after the work is done. Every file is written and closed
    by then; standard output and error are flushed here.
    """
    code = main()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)  # a profiler or coverage writes its results at the normal exit
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # a closed pipe, a full disk: the command's own output is what failed
            code = code or 1
    os._exit(code)
