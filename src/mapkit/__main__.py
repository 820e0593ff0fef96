"""Run the mapkit command line: ``python -m mapkit``."""

from mapkit.cli import run

run()
