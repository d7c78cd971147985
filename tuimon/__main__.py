"""``python -m tuimon`` runs the same entry point as the ``tuimon`` script."""

from tuimon.cli import main

raise SystemExit(main())
