"""Run the stand-in endpoint as a process: ``python -m gatewise.standin --help``."""

from ._cli import main

raise SystemExit(main())
