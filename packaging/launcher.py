"""The bundle's entry point: the same ``main()`` as the ``alliance-desktop`` command.

PyInstaller needs a script to start from; this is it. Everything else is in the package.
"""

import sys

from alliance_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
