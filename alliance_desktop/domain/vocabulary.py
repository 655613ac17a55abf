"""The fixed vocabularies of a practice record: statuses, approaches, attendance, rupture kinds.

They are StrEnums so their values are the strings stored in the database and in exports.
"""

from __future__ import annotations

import enum


class ClientStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    DISCHARGED = "discharged"


class Approach(enum.StrEnum):
    CBT = "cbt"
    PSYCHODYNAMIC = "psychodynamic"
    HUMANISTIC = "humanistic"
    INTEGRATIVE = "integrative"
    OTHER = "other"


class GoalStatus(enum.StrEnum):
    ACTIVE = "active"
    ACHIEVED = "achieved"
    REVISED = "revised"
    DROPPED = "dropped"


class SessionFormat(enum.StrEnum):
    IN_PERSON = "in_person"
    VIDEO = "video"
    PHONE = "phone"


class Attendance(enum.StrEnum):
    ATTENDED = "attended"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class Respondent(enum.StrEnum):
    CLIENT = "client"
    THERAPIST = "therapist"


class RuptureKind(enum.StrEnum):
    WITHDRAWAL = "withdrawal"
    CONFRONTATION = "confrontation"


#: Words shown to people for each stored value.
APPROACH_LABELS = {
    Approach.CBT: "CBT",
    Approach.PSYCHODYNAMIC: "Psychodynamic",
    Approach.HUMANISTIC: "Humanistic",
    Approach.INTEGRATIVE: "Integrative",
    Approach.OTHER: "Other",
}
