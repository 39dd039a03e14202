"""`python -m journeystack` runs the command-line interface."""

from journeystack.cli import main

raise SystemExit(main())
