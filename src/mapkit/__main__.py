"""Run the mapkit command line: ``python -m mapkit``."""

from mapkit.cli import main

raise SystemExit(main())
