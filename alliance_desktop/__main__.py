"""``python -m alliance_desktop``: the same entry point as the ``alliance-desktop`` command."""

import sys

from alliance_desktop.cli import main

sys.exit(main())
