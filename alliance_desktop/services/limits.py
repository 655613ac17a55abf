"""Size limits that the command line's argument parser needs before any service is loaded.

Kept apart so ``alliance-desktop --help`` (and every command's argument parsing) does not
import the services that enforce them, and with them SQLAlchemy and the ORM.
"""

from __future__ import annotations

#: The largest demo caseload ``demo --clients N`` makes (the window's demo is smaller).
MAX_DEMO_CLIENTS = 100_000
