"""Risk reviews and acknowledgements on a real database: stored, summarised, listed first,
exported, imported and carried through a backup and restore.

Every test passes ``now``: nothing here reads the wall clock.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alliance_desktop.domain.alerts import AlertKind
from alliance_desktop.domain.vocabulary import Approach, ClientStatus
from alliance_desktop.services import clients, sessions
from alliance_desktop.services.alerts import (
    AlertRef,
    acknowledge_alert,
    pending_endorsements,
    record_risk_review,
)
from alliance_desktop.services.backups import back_up, restore_from
from alliance_desktop.services.errors import Conflict, InvalidInput
from alliance_desktop.services.summaries import client_row, list_clients
from alliance_desktop.services.transfer import export_document, export_json, import_json
from alliance_desktop.storage import repository
from alliance_desktop.storage.backup import KdfParams
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.records import ClientFields
from tests.keyed import open_database
from tests.records import CLEAN, ENDORSED, record

NOW = datetime(2026, 11, 25, 16, 0)  # a fixed Wednesday afternoon
INTAKE = date(2026, 9, 1)
FAST = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)  # tests only


def _client(db: Database, code: str = "C-1", born: date | None = None) -> int:
    fields = ClientFields(code, "Zoë", "Łukasiewicz", Approach.CBT, INTAKE, date_of_birth=born)
    return clients.create_client(db, fields, today=NOW.date()).client_id


def _session(db: Database, cid: int, day: date, **measures: list[Any]) -> None:
    record(db, cid, day, NOW, **measures)


def _alerts(db: Database, cid: int) -> list[dict[str, Any]]:
    row = client_row(db, cid)
    assert row is not None and row.summary is not None
    return list(row.summary.alerts or [])


def test_a_risk_answer_stays_urgent_after_a_clean_form_until_a_review(new_db: Database) -> None:
    cid = _client(new_db)
    _session(new_db, cid, date(2026, 11, 4), CORE_10=ENDORSED)
    _session(new_db, cid, date(2026, 11, 11), CORE_10=CLEAN)
    (risk,) = [a for a in _alerts(new_db, cid) if a["kind"] == "risk"]
    assert risk["severity"] == "urgent" and risk["session_number"] == 1
    with pytest.raises(InvalidInput, match="cannot be acknowledged"):
        acknowledge_alert(new_db, cid, AlertRef.from_dict(risk), now=NOW)

    change = record_risk_review(
        new_db,
        cid,
        reviewed_on=date(2026, 11, 12),
        action="Safety plan reviewed with the client",
        risk_ongoing=False,
        now=NOW,
    )
    assert change.client_id == cid
    assert not [a for a in _alerts(new_db, cid) if a["kind"] in ("risk", "risk_ongoing")]
    tree = repository.load_client_tree(new_db, cid)
    assert tree is not None and pending_endorsements(tree) == []
    (review,) = tree.risk_reviews
    assert review.covers and review.covers[0]["item"] == 6 and review.covers[0]["value"] == 2


def test_a_review_is_refused_with_one_message_and_nothing_stored(new_db: Database) -> None:
    cid = _client(new_db)
    _session(new_db, cid, date(2026, 11, 4), CORE_10=ENDORSED)
    cases = [
        ({"reviewed_on": date(2026, 11, 26)}, "in the future"),
        ({"reviewed_on": date(2026, 8, 1)}, "before C-1's intake"),
        ({"reviewed_on": date(2026, 11, 3)}, "date the review on or after that day"),
        ({"action": "   "}, "Say what was done"),
        ({"action": "x" * 4001}, "4,000 characters"),
    ]
    for change, words in cases:
        arguments = {"reviewed_on": date(2026, 11, 5), "action": "Reviewed", **change}
        with pytest.raises(InvalidInput, match=words):
            record_risk_review(new_db, cid, risk_ongoing=True, now=NOW, **arguments)
    tree = repository.load_client_tree(new_db, cid)
    assert tree is not None and tree.risk_reviews == []
    assert _alerts(new_db, cid)[0]["kind"] == "risk"
    with pytest.raises(Conflict, match="no longer exists"):
        record_risk_review(
            new_db, 999, reviewed_on=date(2026, 11, 5), action="x", risk_ongoing=False, now=NOW
        )


def test_an_incomplete_core10_is_stored_and_its_risk_answer_alerts(new_db: Database) -> None:
    cid = _client(new_db)
    incomplete = [None, None, 3, 1, 1, 3, 1, None, 1, 1]  # three missing: no score
    _session(new_db, cid, date(2026, 11, 4), CORE_10=incomplete)
    tree = repository.load_client_tree(new_db, cid)
    assert tree is not None
    assert tree.sessions[0].measurements[0].item_values == incomplete  # kept as answered
    (risk,) = [a for a in _alerts(new_db, cid) if a["kind"] == "risk"]
    assert "rated 3 (Often) at session 1" in risk["reason"]
    listed = sessions.session_to_json(tree.sessions[0])["measurements"][0]
    assert listed["incomplete"] is True and listed["total"] is None
    record = clients.client_record(new_db, cid)
    assert record.sessions[0].results["CORE-10"].incomplete
    assert record.charts.chart("CORE-10") is None  # nothing to plot


def test_acknowledge_hides_until_a_newer_rating_fires_again(new_db: Database) -> None:
    cid = _client(new_db)
    _session(new_db, cid, date(2026, 11, 4), SRS=[9.5, 9.5, 9.5, 9.5])
    _session(new_db, cid, date(2026, 11, 11), SRS=[9.5, 9.5, 9.3, 9.5])  # 37.8: dropped 0.2
    _session(new_db, cid, date(2026, 11, 18), SRS=[9, 9, 9, 8.9])  # 35.9: under and dropped
    (alliance,) = [a for a in _alerts(new_db, cid) if a["instrument_id"] == "SRS"]
    assert alliance["kinds"][:2] == ["under_cutoff", "dropped"]  # one line, both reasons
    acknowledge_alert(
        new_db, cid, AlertRef.from_dict(alliance), note="Discussed in session 4", now=NOW
    )
    assert not [a for a in _alerts(new_db, cid) if a["instrument_id"] == "SRS"]
    (row,) = [r for r in list_clients(new_db) if r.client_id == cid]
    assert row.summary is not None and row.summary.top_severity in (None, "info")
    # Acknowledging the same alert twice: it is no longer shown, so it is refused.
    with pytest.raises(Conflict, match="changed since it was shown"):
        acknowledge_alert(new_db, cid, AlertRef.from_dict(alliance), now=NOW)
    _session(new_db, cid, date(2026, 11, 25), SRS=[9, 9, 9, 8.8])  # fires again
    (again,) = [a for a in _alerts(new_db, cid) if a["instrument_id"] == "SRS"]
    assert again["session_number"] == 4
    record = clients.client_record(new_db, cid)
    (line,) = [h for h in record.history if h[1] == "acknowledgement"]
    assert "Discussed in session 4" in line[2] and "35.9" in line[2]


def test_urgent_comes_first_in_the_summary_and_after_discharge(new_db: Database) -> None:
    cid = _client(new_db)
    _session(new_db, cid, date(2026, 11, 4), CORE_10=ENDORSED, SRS=[8, 8, 8, 8])
    row = client_row(new_db, cid)
    assert row is not None and row.summary is not None
    assert row.summary.top_severity == "urgent" and row.summary.alert_count >= 2
    clients.discharge_client(new_db, cid, date(2026, 11, 20))
    (row,) = [r for r in list_clients(new_db, ClientStatus.DISCHARGED, include_alerts=True)]
    assert row.summary is not None and row.summary.top_severity == "urgent"


def _with_review_and_ack(db: Database) -> int:
    cid = _client(db, born=date(2010, 5, 1))
    _session(db, cid, date(2026, 11, 4), CORE_10=ENDORSED, SRS=[9.5] * 4)
    _session(db, cid, date(2026, 11, 11), SRS=[9, 9, 9, 8])
    record_risk_review(
        db,
        cid,
        reviewed_on=date(2026, 11, 5),
        action="Safety plan reviewed; GP informed",
        risk_ongoing=True,
        now=NOW,
    )
    (alliance,) = [a for a in _alerts(db, cid) if a["instrument_id"] == "SRS"]
    acknowledge_alert(db, cid, AlertRef.from_dict(alliance), note="Talked it through", now=NOW)
    return cid


def test_reviews_and_acknowledgements_round_trip_through_export_and_import(
    new_db: Database, tmp_path: Path
) -> None:
    cid = _with_review_and_ack(new_db)
    before = _alerts(new_db, cid)
    assert [a["kind"] for a in before] == ["risk_ongoing"]  # reviewed, ongoing; SRS acked
    export_json(new_db, tmp_path / "export.json")
    document = json.loads((tmp_path / "export.json").read_text(encoding="utf-8"))
    assert document["format_version"] == 2
    (client,) = document["clients"]
    assert client["risk_reviews"][0]["action"] == "Safety plan reviewed; GP informed"
    assert client["alert_acknowledgements"][0]["note"] == "Talked it through"
    copy = open_database(tmp_path / "copy.db")
    try:
        import_json(copy, tmp_path / "export.json", today=NOW.date())
        (copied,) = list_clients(copy, include_alerts=True)
        assert copied.summary is not None and copied.summary.alerts == before
        again = export_document(copy)
        for doc in (document, again):
            doc.pop("exported_at")
        assert again["clients"] == document["clients"]
    finally:
        copy.close()


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("risk_reviews", [{"reviewed_on": "2026-11-05"}], "risk_reviews[0].action is missing"),
        (
            "risk_reviews",
            [{"reviewed_on": "2999-01-01", "action": "x", "recorded_at": "2026-11-05T10:00"}],
            "is in the future",
        ),
        (
            "risk_reviews",
            [
                {
                    "reviewed_on": "2026-11-05",
                    "action": "x",
                    "recorded_at": "2026-11-05T10:00",
                    "covers": [{"item": 6}],
                }
            ],
            "covers[0] must be an object with instrument_id",
        ),
        (
            "risk_reviews",
            [
                {
                    "reviewed_on": "2026-11-05",
                    "action": "x",
                    "recorded_at": "2026-11-05T10:00",
                    "covers": [
                        {
                            "instrument_id": "CORE-10",
                            "taken_at": "2026-11-04T10:00:00+00:00",
                            "item": 6,
                            "value": 2,
                        }
                    ],
                }
            ],
            "covers[0].taken_at has a time zone",
        ),
        ("alert_acknowledgements", [{"kinds": ["nope"]}], "kinds must list alert kinds"),
    ],
)
def test_bad_reviews_or_acknowledgements_in_a_file_are_refused_by_place(
    new_db: Database, tmp_path: Path, field: str, value: Any, words: str
) -> None:
    cid = _with_review_and_ack(new_db)
    assert cid
    export_json(new_db, tmp_path / "export.json")
    document = json.loads((tmp_path / "export.json").read_text(encoding="utf-8"))
    document["clients"][0][field] = value
    (tmp_path / "bad.json").write_text(json.dumps(document), encoding="utf-8")
    target = open_database(tmp_path / "target.db")
    try:
        with pytest.raises(InvalidInput, match=re.escape(words)):
            import_json(target, tmp_path / "bad.json", today=NOW.date())
        assert repository.count_clients(target) == 0
    finally:
        target.close()


def test_a_version_1_export_without_reviews_still_imports(new_db: Database, tmp_path: Path) -> None:
    cid = _client(new_db)
    _session(new_db, cid, date(2026, 11, 4), CORE_10=ENDORSED)
    document = export_document(new_db)
    document["format_version"] = 1
    for client in document["clients"]:
        del client["risk_reviews"], client["alert_acknowledgements"]
    (tmp_path / "v1.json").write_text(json.dumps(document), encoding="utf-8")
    copy = open_database(tmp_path / "copy.db")
    try:
        import_json(copy, tmp_path / "v1.json", today=NOW.date())
        (row,) = list_clients(copy, include_alerts=True)
        assert row.summary is not None and row.summary.top_severity == "urgent"
    finally:
        copy.close()


def test_reviews_and_acknowledgements_survive_a_backup_and_restore(
    db_path: Path, tmp_path: Path
) -> None:
    db = open_database(db_path)
    try:
        cid = _with_review_and_ack(db)
        before = repository.load_client_tree(db, cid)
        stick = tmp_path / "stick"
        stick.mkdir()
        made = back_up(db, stick, "correct horse battery", kdf=FAST, now=NOW)
        # A later change the restore must undo.
        record_risk_review(
            db,
            cid,
            reviewed_on=date(2026, 11, 20),
            action="Risk no longer ongoing",
            risk_ongoing=False,
            now=NOW + timedelta(minutes=5),
        )
    finally:
        db.close()
    restore_from(made.path, "correct horse battery", db_path)
    restored = open_database(db_path)
    try:
        after = repository.load_client_tree(restored, cid)
        assert after is not None and before is not None
        assert after.risk_reviews == before.risk_reviews
        assert after.acknowledgements == before.acknowledgements
        assert [a["kind"] for a in _alerts(restored, cid)] == [AlertKind.RISK_ONGOING.value]
    finally:
        restored.close()


def test_an_unreviewed_risk_answer_survives_deleting_or_editing_its_session(
    new_db: Database, tmp_path: Path
) -> None:
    """Deleting the session, unticking the CORE-10 or retyping item 6 keeps the answer."""
    cid = _client(new_db)
    _session(new_db, cid, date(2026, 11, 4), CORE_10=ENDORSED)
    _session(new_db, cid, date(2026, 11, 11), CORE_10=[1, 3, 3, 1, 1, 4, 1, 1, 1, 1])
    tree = repository.load_client_tree(new_db, cid)
    assert tree is not None
    first, second = tree.sessions
    # Retype item 6 of the first session as 0 and save: the 2 it held stays pending.
    first.measurements[0].item_values[5] = 0
    sessions.save_session(new_db, cid, first, session_id=first.session_id, now=NOW)
    # Delete the second session outright.
    sessions.delete_session(new_db, cid, second.session_id or 0)
    after = repository.load_client_tree(new_db, cid)
    assert after is not None and len(after.sessions) == 1
    assert sorted((r.value, r.session_number) for r in after.removed_risk_answers) == [
        (2.0, 1),
        (4.0, 2),
    ]
    (risk,) = [a for a in _alerts(new_db, cid) if a["kind"] == "risk"]
    assert (
        "rated 4 (Most or all of the time) at session 2 (2026-11-11), since removed"
        in (risk["reason"])
    )
    assert "and 1 earlier risk answer not yet reviewed" in risk["reason"]
    # They travel with an export, and a review covers them like any other answer.
    export_json(new_db, tmp_path / "e.json")
    copy = open_database(tmp_path / "copy.db")
    try:
        import_json(copy, tmp_path / "e.json", today=NOW.date())
        (row,) = list_clients(copy, include_alerts=True)
        assert row.summary is not None and row.summary.top_severity == "urgent"
    finally:
        copy.close()
    record_risk_review(
        new_db,
        cid,
        reviewed_on=date(2026, 11, 12),
        action="Both answers talked through; the 4 was entered in error",
        risk_ongoing=False,
        now=NOW,
    )
    assert not [a for a in _alerts(new_db, cid) if a["kind"] == "risk"]
    # A reviewed answer removed later is not kept again: nothing is pending.
    sessions.delete_session(new_db, cid, after.sessions[0].session_id or 0)
    final = repository.load_client_tree(new_db, cid)
    assert final is not None and len(final.removed_risk_answers) == 2
    assert not [a for a in _alerts(new_db, cid) if a["kind"] == "risk"]


def test_a_review_never_covers_an_answer_it_was_not_shown(new_db: Database) -> None:
    from alliance_desktop.services.alerts import review_context

    cid = _client(new_db)
    _session(new_db, cid, date(2026, 11, 4), CORE_10=ENDORSED)
    context = review_context(new_db, cid)  # the dialog opens and lists one answer
    assert len(context.keys) == 1 and "rated 2 at session 1 (2026-11-04)" in context.waiting[0]
    _session(new_db, cid, date(2026, 11, 18), CORE_10=[1, 3, 3, 1, 1, 4, 1, 1, 1, 1])  # meanwhile
    with pytest.raises(Conflict, match="recorded after this review was opened"):
        record_risk_review(
            new_db,
            cid,
            reviewed_on=date(2026, 11, 20),
            action="Reviewed",
            risk_ongoing=False,
            now=NOW,
            shown=context.keys,
        )
    tree = repository.load_client_tree(new_db, cid)
    assert tree is not None and tree.risk_reviews == []
    # Dated before the new answer, the same review covers only what was shown.
    record_risk_review(
        new_db,
        cid,
        reviewed_on=date(2026, 11, 5),
        action="Reviewed",
        risk_ongoing=False,
        now=NOW,
        shown=context.keys,
    )
    (risk,) = [a for a in _alerts(new_db, cid) if a["kind"] == "risk"]
    assert "rated 4 (Most or all of the time) at session 2" in risk["reason"]


def test_two_forms_of_one_measure_cannot_share_a_moment(new_db: Database) -> None:
    """A risk answer is known by its moment: a second form at the same minute is refused."""
    cid = _client(new_db)
    _session(new_db, cid, date(2026, 11, 4), CORE_10=ENDORSED)
    tree = repository.load_client_tree(new_db, cid)
    assert tree is not None
    document = {
        "start": "2026-11-04T14:00",
        "measurements": [
            {
                "instrument_id": "CORE-10",
                "item_values": ENDORSED,
                "taken_at": "2026-11-04T10:00",  # the first session's form's moment
            }
        ],
    }
    with pytest.raises(InvalidInput, match="cannot share a moment"):
        sessions.record_session(new_db, cid, sessions.parse_session(document, tree), now=NOW)
