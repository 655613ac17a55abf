"""Small helpers that record a client's sessions through the services, for tests.

Every helper takes ``now``: nothing here reads the wall clock.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from alliance_desktop.services import sessions
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database

#: CORE-10 answers with item 6 ("I made plans to end my life") at 2 (Sometimes), and at 0.
ENDORSED = [1, 3, 3, 1, 1, 2, 1, 1, 1, 1]
CLEAN = [1, 3, 3, 1, 1, 0, 1, 1, 1, 1]


def record(db: Database, client_id: int, day: date, now: datetime, **measures: list[Any]) -> None:
    """Record an attended session at 10:00 on ``day`` with these forms.

    Keyword names are instrument ids with ``_`` for ``-``: ``CORE_10=[…]``, ``SRS=[…]``.
    """
    tree = repository.load_client_tree(db, client_id)
    assert tree is not None
    document = {
        "start": f"{day.isoformat()}T10:00",
        "measurements": [
            {"instrument_id": name.replace("_", "-"), "item_values": values}
            for name, values in measures.items()
        ],
    }
    sessions.record_session(db, client_id, sessions.parse_session(document, tree), now=now)
