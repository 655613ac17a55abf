"""Pure-Python core (stdlib only): instruments, scoring, reliable change and alliance alerts.

The names below are loaded on first use (PEP 562), so importing one module of the domain
(the command line reads ``domain.instruments`` to build its flags) does not import them all.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Where each name of ``__all__`` lives.
_HOMES = {
    "ALERT_RULES_VERSION": "alliance_desktop.domain.alerts",
    "ALLIANCE_INSTRUMENT_IDS": "alliance_desktop.domain.instruments",
    "Alert": "alliance_desktop.domain.alerts",
    "AlertKind": "alliance_desktop.domain.alerts",
    "AlertSettings": "alliance_desktop.domain.alerts",
    "Band": "alliance_desktop.domain.instruments",
    "CORE_10": "alliance_desktop.domain.instruments",
    "ChangeAssessment": "alliance_desktop.domain.change",
    "ChangeClass": "alliance_desktop.domain.change",
    "CutoffComparison": "alliance_desktop.domain.instruments",
    "Cutoffs": "alliance_desktop.domain.change",
    "DomainError": "alliance_desktop.domain.errors",
    "GBO": "alliance_desktop.domain.instruments",
    "INSTRUMENTS": "alliance_desktop.domain.instruments",
    "Instrument": "alliance_desktop.domain.instruments",
    "InstrumentNotFound": "alliance_desktop.domain.errors",
    "Item": "alliance_desktop.domain.instruments",
    "MeasurementFact": "alliance_desktop.domain.alerts",
    "Norms": "alliance_desktop.domain.instruments",
    "ORS": "alliance_desktop.domain.instruments",
    "OUTCOME_INSTRUMENT_IDS": "alliance_desktop.domain.instruments",
    "ReliableChange": "alliance_desktop.domain.change",
    "SRS": "alliance_desktop.domain.instruments",
    "Score": "alliance_desktop.domain.scoring",
    "ScoreMethod": "alliance_desktop.domain.instruments",
    "ScoringError": "alliance_desktop.domain.errors",
    "SessionFact": "alliance_desktop.domain.alerts",
    "Subscale": "alliance_desktop.domain.instruments",
    "TextPack": "alliance_desktop.domain.instruments",
    "WAI_SR": "alliance_desktop.domain.instruments",
    "classify_change": "alliance_desktop.domain.change",
    "clinical_cutoffs": "alliance_desktop.domain.change",
    "evaluate_alerts": "alliance_desktop.domain.alerts",
    "get_instrument": "alliance_desktop.domain.instruments",
    "in_clinical_range": "alliance_desktop.domain.scoring",
    "instrument_from_dict": "alliance_desktop.domain.instruments",
    "instrument_to_dict": "alliance_desktop.domain.instruments",
    "is_below_cutoff": "alliance_desktop.domain.scoring",
    "reliable_change": "alliance_desktop.domain.change",
    "score": "alliance_desktop.domain.scoring",
    "with_text_pack": "alliance_desktop.domain.instruments",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


__all__ = [
    "ALERT_RULES_VERSION",
    "ALLIANCE_INSTRUMENT_IDS",
    "CORE_10",
    "GBO",
    "INSTRUMENTS",
    "ORS",
    "OUTCOME_INSTRUMENT_IDS",
    "SRS",
    "WAI_SR",
    "Alert",
    "AlertKind",
    "AlertSettings",
    "Band",
    "ChangeAssessment",
    "ChangeClass",
    "CutoffComparison",
    "Cutoffs",
    "DomainError",
    "Instrument",
    "InstrumentNotFound",
    "Item",
    "MeasurementFact",
    "Norms",
    "ReliableChange",
    "Score",
    "ScoreMethod",
    "ScoringError",
    "SessionFact",
    "Subscale",
    "TextPack",
    "classify_change",
    "clinical_cutoffs",
    "evaluate_alerts",
    "get_instrument",
    "in_clinical_range",
    "instrument_from_dict",
    "instrument_to_dict",
    "is_below_cutoff",
    "reliable_change",
    "score",
    "with_text_pack",
]
