"""The instrument registry is the one place that knows instruments (issue 19).

Outside ``domain/``, code reads instruments from the registry and never names one: no
string that is an instrument id or a ``session add`` flag, and no import of a built-in
definition by name. Two modules are let off on purpose, each for a stated reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

from alliance_desktop.domain.instruments import (
    ALLIANCE_INSTRUMENT_IDS,
    CLI_FLAGS,
    DEFAULT_PLAN,
    GOALS_ID,
    INSTRUMENTS,
    OUTCOME_INSTRUMENT_IDS,
    QUESTIONNAIRE_IDS,
    instrument_from_dict,
    instrument_to_dict,
)

PACKAGE = Path(__file__).resolve().parents[3] / "alliance_desktop"
#: Modules that must name instruments, and why.
ALLOWED = {
    # Demo data is made up for particular questionnaires (their ranges and habits).
    "services/demo.py",
    # Its expected answers are written out by hand for one instrument, so they are checks.
    "selftest.py",
}
#: The names of the built-in definitions in ``domain/instruments.py``.
DEFINITION_NAMES = {"WAI_SR", "SRS", "ORS", "CORE_10", "PHQ_9", "GAD_7", "GBO"}


def _stray_ids(path: Path) -> list[str]:
    ids = set(INSTRUMENTS) | set(CLI_FLAGS)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in ids:
            found.append(f"line {node.lineno}: {node.value!r}")
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module == "alliance_desktop.domain.instruments"
        ):
            found += [
                f"line {node.lineno}: import {a.name}"
                for a in node.names
                if a.name in DEFINITION_NAMES
            ]
        elif isinstance(node, ast.Attribute) and node.attr in DEFINITION_NAMES:
            found.append(f"line {node.lineno}: .{node.attr}")
    return found


def test_no_instrument_is_named_outside_the_domain() -> None:
    stray = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("domain/") or relative in ALLOWED:
            continue
        found = _stray_ids(path)
        if found:
            stray[relative] = found
    assert stray == {}


def test_the_check_finds_a_stray_id(tmp_path: Path) -> None:
    """The check above can fail: a module naming an instrument is caught three ways."""
    module = tmp_path / "stray.py"
    module.write_text(
        "from alliance_desktop.domain.instruments import SRS\n"
        "FLAG = 'phq9'\n"
        "import alliance_desktop.domain.instruments as i\n"
        "X = i.GAD_7\n",
        encoding="utf-8",
    )
    assert _stray_ids(module) == ["line 1: import SRS", "line 2: 'phq9'", "line 4: .GAD_7"]


def test_the_lists_are_read_from_the_definitions() -> None:
    ordered = list(INSTRUMENTS.values())
    assert [i.order for i in ordered] == sorted(i.order for i in ordered)
    assert tuple(i.id for i in ordered if i.kind == "alliance") == ALLIANCE_INSTRUMENT_IDS
    assert tuple(i.id for i in ordered if i.kind == "outcome") == OUTCOME_INSTRUMENT_IDS
    assert (*OUTCOME_INSTRUMENT_IDS, *ALLIANCE_INSTRUMENT_IDS) == QUESTIONNAIRE_IDS
    assert INSTRUMENTS[GOALS_ID].kind == "goals"
    assert set(CLI_FLAGS.values()) == {i.id for i in ordered if i.cli_flag}
    assert "PHQ-9" in OUTCOME_INSTRUMENT_IDS and "GAD-7" in OUTCOME_INSTRUMENT_IDS
    assert CLI_FLAGS["phq9"] == "PHQ-9" and CLI_FLAGS["gad7"] == "GAD-7"
    assert set(DEFAULT_PLAN) == {"ORS", "SRS", "WAI-SR", GOALS_ID}  # unchanged for users


def test_every_definition_survives_its_plain_form() -> None:
    for instrument in INSTRUMENTS.values():
        assert instrument_from_dict(instrument_to_dict(instrument)) == instrument
