"""``python -m pyese``: the command line."""

from pyese.cli import main

raise SystemExit(main())
