"""One client with 500 weekly sessions, shared by the editor and chart benchmarks.

``SETUP`` is the start of a benchmark child's code (a ``str.format`` template with ``home``,
``path`` and ``sessions``): it starts an offscreen QApplication, opens a fresh database and
stores the client with ORS and SRS every session, WAI-SR every fourth and a rupture every
twentieth, leaving ``app``, ``db`` and ``client_id`` defined.
"""

SESSIONS = 500

SETUP = (
    """
import json, os, statistics, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["ALLIANCE_HOME"] = {home!r}
from datetime import date, datetime, timedelta
from pathlib import Path
from PySide6.QtWidgets import QApplication
from alliance_desktop.domain.vocabulary import Approach
from alliance_desktop.services.summaries import refresh_summaries
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import open_database
from benchmarks import PASSPHRASE
from alliance_desktop.domain.vocabulary import RuptureKind
from alliance_desktop.storage.records import (
    ClientData, GoalData, MeasurementData, RuptureData, SessionData,
)

app = QApplication([])
app.setStyle("Fusion")
db = open_database(Path({path!r}), passphrase=PASSPHRASE)
"""
    + """
first = datetime.now().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(
    weeks={sessions} + 1
)
client = ClientData("B-500", "Bench", "Client", Approach.CBT, first.date())
client.goals = [GoalData(1, "A goal", first.date())]
for n in range(1, {sessions} + 1):
    start = first + timedelta(weeks=n - 1)
    measures = [
        MeasurementData("ORS", "2000", [5.0, 6.0, 5.5, 6.0], start),
        MeasurementData(
            "SRS", "3", [9.0, 9.0, 8.5 + (n % 7) / 5, 9.0 - (n % 11) / 4],
            start + timedelta(minutes=50),
        ),
    ]
    if n % 4 == 0:
        measures.append(MeasurementData("WAI-SR", "2006", [4.0] * 12, start))
    session = SessionData(n, start, Approach.CBT, measurements=measures)
    if n % 20 == 0:
        session.ruptures.append(
            RuptureData(RuptureKind.WITHDRAWAL, "Went quiet", "Asked about it", True)
        )
    client.sessions.append(session)
repository.insert_client_trees(db, [client])
refresh_summaries(db)
client_id = next(r.client_id for r in repository.list_client_rows(db) if r.code == "B-500")

"""
)
#: Only the part that stores the 500-session client in an open ``db`` (no Qt): it needs
#: ``sessions`` and the imports at the top of ``SETUP``.
BUILD_CLIENT = SETUP[SETUP.index("\nfirst = datetime.now()") :]
