"""A realistic synthetic caseload for demos, screenshots, tests and benchmarks.

No real person is in it. Clients in CBT, psychodynamic and humanistic therapy meet weekly over
months; ORS and SRS are taken every attended session, WAI-SR every fifth from the third,
CORE-10 for CBT clients; goals are rated (GBO). Most clients improve; some stall, some get
worse, some drop out; alliance scores dip, sometimes under the cut-off, around ruptures that
are mostly repaired. A few clients answer the CORE-10 risk item above 0; most of those
answers get a risk review the same day, a few are left waiting so the alert can be seen.
Each client is drawn from its own random stream seeded by (seed, index), so the output
depends only on the seed, the count and the as-of date, and the first ten clients of a
100-client demo are the ten clients of a 10-client demo.
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from alliance_desktop.domain.alerts import MeasurementFact
from alliance_desktop.domain.instruments import CORE_10, ORS, SRS, WAI_SR
from alliance_desktop.domain.risk import find_endorsements
from alliance_desktop.domain.vocabulary import (
    Approach,
    Attendance,
    ClientStatus,
    GoalStatus,
    RuptureKind,
    SessionFormat,
)
from alliance_desktop.services.errors import Conflict, InvalidInput, clients_phrase
from alliance_desktop.services.limits import MAX_DEMO_CLIENTS
from alliance_desktop.services.settings import PracticeSettings, load_practice, save_practice
from alliance_desktop.services.summaries import load_alert_settings, rules_key, summarise_tree
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.records import (
    ClientData,
    GoalData,
    GoalRatingData,
    MeasurementData,
    RiskReviewData,
    RuptureData,
    SessionData,
)

DEMO_SETTING_KEY = "demo_caseload"
_BATCH = 250

GIVEN_NAMES = (
    "Zoë",
    "Łukasz",
    "Ёлка",
    "عائشة",
    "Omar",
    "Siobhán",
    "Mateo",
    "Ingrid",
    "Kwame",
    "Priya",
    "Hiroshi",
    "Amélie",
    "Dmitri",
    "Fatima",
    "Björn",
    "Chiara",
    "Nikolai",
    "Aoife",
    "Tomás",
    "Mei",
    "Olusegun",
    "Agnieszka",
    "Rafael",
    "Yasmin",
    "Jonas",
    "Ana",
    "Emre",
    "Leilani",
    "Ἀθηνᾶ",
    "Noa",
    "Sean",
    "Marta",
    "Kofi",
    "Elif",
    "Gabriel",
    "Hana",
    "Ruth",
    "Samuel",
    "Ines",
    "Viktor",
)
FAMILY_NAMES = (
    "Łukasiewicz",
    "Okafor",
    "Nakamura",
    "Fernández",
    "Novak",
    "Haddad",
    "O'Brien",
    "Schmidt",
    "Kowalczyk",
    "Mensah",
    "Johansson",
    "Rossi",
    "Petrov",
    "Khan",
    "Dubois",
    "Yılmaz",  # noqa: RUF001 - the dotless i is the Turkish spelling
    "Silva",
    "Murphy",
    "Nguyen",
    "Cohen",
    "Andersen",
    "García",
    "Popescu",
    "Ivanova",
    "Smith",
    "Müller",
    "Kim",
    "Adeyemi",
    "Svensson",
    "Costa",
)
CONCERNS = (
    "Low mood since a job loss",
    "Panic attacks on public transport",
    "Grief after the death of a parent",
    "Relationship difficulties and conflict at home",
    "Work stress and poor sleep",
    "Social anxiety at university",
    "Low self-esteem",
    "Health anxiety",
    "Anger that damages relationships",
    "Loneliness after a move",
    "Burn-out as a carer",
    "Intrusive memories after a road accident",
)
GOALS = (
    "Feel less anxious when travelling",
    "Get back to work three days a week",
    "Sleep through the night most nights",
    "Argue less and talk more at home",
    "Understand where the low mood comes from",
    "Go to one social event a week",
    "Grieve without shutting everyone out",
    "Be kinder to myself when I make mistakes",
    "Say no at work without guilt",
    "Stop checking my body for symptoms",
)
TASKS = {
    Approach.CBT: (
        "Thought record twice this week",
        "Graded exposure: two stops on the bus",
        "Activity diary every evening",
        "Behavioural experiment at the meeting",
    ),
    Approach.PSYCHODYNAMIC: (
        "Notice when the old feeling returns",
        "Write down the dream if it comes back",
        "",
    ),
    Approach.HUMANISTIC: (
        "Spend ten minutes a day on something just for me",
        "Notice what I feel before I answer",
        "",
    ),
    Approach.INTEGRATIVE: ("Breathing exercise before work", "Journal after difficult calls"),
    Approach.OTHER: ("",),
}
NOTES = (
    "Reviewed the week and the homework.",
    "Explored the pattern behind Monday's argument.",
    "Client arrived late and was quiet at first; opened up later.",
    "Worked on the goal ladder; agreed the next step.",
    "Talked about the anniversary.",
    "Revisited the formulation together.",
    "Checked in about sleep and appetite.",
)
FEEDBACK = (
    "Helpful to slow down and look at it together.",
    "Felt rushed at the end.",
    "Good to be listened to.",
    "I wasn't sure where we were going today.",
    "The homework made sense this time.",
    "Hard session, but I needed it.",
    "",
)
RUPTURES = {
    RuptureKind.WITHDRAWAL: (
        "Went quiet and changed the subject when the father came up.",
        "Gave short answers and looked at the clock.",
    ),
    RuptureKind.CONFRONTATION: (
        "Said the homework was pointless and therapy is not helping.",
        "Angry that the previous session was cancelled at short notice.",
    ),
}
REPAIRS = (
    "Named the shift and asked about it; client said the topic felt too fast.",
    "Acknowledged my part, agreed to revisit the goals together next week.",
    "Explored the frustration openly; agreed a different task.",
)


@dataclass(frozen=True)
class DemoResult:
    """What a demo run produced."""

    clients: int
    sessions: int
    measurements: int


@dataclass(frozen=True)
class _Trajectory:
    """How one client's scores are meant to move over the course of therapy."""

    ors_start: float
    ors_target: float
    srs_base: float
    always_perfect: bool
    risky: bool
    gbo_start: tuple[float, ...]
    gbo_gain: float


REVIEW_ACTIONS = (
    "Asked about the answer in the session: no current plan or intent. Safety plan agreed.",
    "Talked it through with the client; crisis numbers given and the safety plan updated.",
    "Reviewed with the client; GP informed with consent. Review again next session.",
)


def _clip(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum()) or "client"


class _ClientDrawer:
    """Draws one synthetic client from its own random stream."""

    def __init__(
        self,
        rng: random.Random,
        index: int,
        code_width: int,
        as_of: date,
        review_rng: random.Random | None = None,
    ) -> None:
        self.rng = rng
        # Reviews draw from a stream of their own, so adding them changed no other number.
        self.review_rng = review_rng or random.Random(index)
        self.index = index
        self.code = f"C-{index + 1:0{code_width}d}"
        self.as_of = as_of

    def draw(self) -> ClientData:
        rng = self.rng
        given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
        approach = rng.choices(
            (Approach.CBT, Approach.PSYCHODYNAMIC, Approach.HUMANISTIC, Approach.INTEGRATIVE),
            weights=(40, 25, 25, 10),
        )[0]
        # Recent intakes are more common than old ones (people finish and leave).
        days_ago = int(3 * 365 * rng.random() ** 1.3) + 7
        intake = self.as_of - timedelta(days=days_ago)
        if intake.weekday() >= 5:  # a practice sees clients Monday to Friday
            intake += timedelta(days=7 - intake.weekday())
        age_years = rng.randint(18, 75)
        birth = intake - timedelta(days=age_years * 365 + rng.randint(0, 364))
        planned = {
            Approach.CBT: rng.randint(12, 26),
            Approach.PSYCHODYNAMIC: rng.randint(20, 60),
            Approach.HUMANISTIC: rng.randint(14, 34),
            Approach.INTEGRATIVE: rng.randint(12, 30),
        }[approach]
        course = rng.choices(("responder", "slow", "flat", "worse"), weights=(58, 20, 14, 8))[0]
        dropout_at = rng.randint(2, 7) if rng.random() < 0.15 else None
        paused = rng.random() < 0.05
        client = ClientData(
            code=self.code,
            given_name=given,
            family_name=family,
            approach=approach,
            intake_date=intake,
            date_of_birth=birth,
            email=f"{_ascii(given)}.{_ascii(family)}{self.index}@example.org",
            # Ofcom reserves 07700 900000-900999 for drama: never a real number.
            phone=f"07700 900{rng.randint(0, 999):03d}",
            presenting_concern=rng.choice(CONCERNS),
        )
        goal_count = rng.choice((1, 2, 2, 3))
        client.goals = [
            GoalData(number=n + 1, description=text, agreed_on=intake)
            for n, text in enumerate(rng.sample(GOALS, goal_count))
        ]
        self._sessions(client, planned=planned, course=course, dropout_at=dropout_at, paused=paused)
        self._review_risk(client)
        return client

    def _review_risk(self, client: ClientData) -> None:
        """Review most risk answers the day they are given (as a careful therapist would)."""
        forms = [
            MeasurementFact(
                m.instrument_id, s.number, m.taken_at, tuple(m.item_values), m.instrument_version
            )
            for s in client.sessions
            for m in s.measurements
        ]
        reviewed: set[object] = set()
        for endorsement in find_endorsements(forms):
            if self.review_rng.random() >= 0.85:
                continue  # left waiting: the urgent alert shows in the demo
            covers = [
                e.key
                for e in find_endorsements(forms)
                if e.taken_at <= endorsement.taken_at and e.key not in reviewed
            ]
            reviewed.update(covers)
            client.risk_reviews.append(
                RiskReviewData(
                    reviewed_on=endorsement.taken_at.date(),
                    action=self.review_rng.choice(REVIEW_ACTIONS),
                    risk_ongoing=self.review_rng.random() < 0.3,
                    recorded_at=endorsement.taken_at + timedelta(hours=2),
                    covers=[key.to_dict() for key in covers],
                )
            )

    def _sessions(
        self,
        client: ClientData,
        *,
        planned: int,
        course: str,
        dropout_at: int | None,
        paused: bool,
    ) -> None:
        rng = self.rng
        slot = datetime.combine(
            client.intake_date, time(hour=rng.choice((9, 10, 11, 13, 14, 15, 16, 17)))
        )
        session_format = rng.choices(
            (SessionFormat.IN_PERSON, SessionFormat.VIDEO, SessionFormat.PHONE),
            weights=(70, 25, 5),
        )[0]
        path = self._trajectory(course, len(client.goals))
        pause_cut = self.as_of - timedelta(weeks=rng.randint(3, 8)) if paused else None
        attended = missed_after_dropout = number = week = 0
        last_start: datetime | None = None
        finished = False
        while True:
            start = slot + timedelta(weeks=week)
            week += 1
            if start.date() >= self.as_of or (pause_cut and start.date() >= pause_cut):
                break
            if rng.random() < 0.05:  # holiday week: no appointment booked
                continue
            number += 1
            near_dropout = dropout_at is not None and attended >= dropout_at
            attendance = self._attendance(near_dropout)
            session = SessionData(
                number=number,
                start=start,
                approach=client.approach,
                duration_minutes=50,
                format=session_format,
                attendance=attendance,
            )
            client.sessions.append(session)
            last_start = start
            if near_dropout:
                # Drop-outs stop coming: a couple of missed sessions, then discharge.
                missed_after_dropout += 1
                if missed_after_dropout >= 2:
                    finished = True
                    break
                continue
            if attendance is not Attendance.ATTENDED:
                continue
            attended += 1
            progress = 1 - math.exp(-attended / 5)
            ors_total = _clip(
                path.ors_start + (path.ors_target - path.ors_start) * progress + rng.gauss(0, 1.8),
                0,
                40,
            )
            rupture = rng.random() < (0.09 if path.srs_base < 34 else 0.045)
            srs_total = _clip(path.srs_base + 0.1 * attended + rng.gauss(0, 0.6), 0, 39.6)
            if rupture:
                srs_total -= rng.uniform(3, 7)
            if path.always_perfect:
                srs_total = 40.0
            self._record(
                session,
                client,
                attended=attended,
                ors_total=ors_total,
                srs_total=srs_total,
                rupture=rupture,
                risky=path.risky,
            )
            session.goal_ratings = [
                GoalRatingData(
                    goal.number,
                    round(
                        _clip(
                            path.gbo_start[i] + path.gbo_gain * progress + rng.gauss(0, 0.7), 0, 10
                        )
                    ),
                )
                for i, goal in enumerate(client.goals)
            ]
            if attended >= planned:
                finished = True
                break
        self._close(
            client,
            finished=finished,
            last_start=last_start,
            paused=paused,
            dropped_out=dropout_at is not None,
            course=course,
        )

    def _trajectory(self, course: str, goals: int) -> _Trajectory:
        rng = self.rng
        ors_start = _clip(rng.gauss(19, 5), 4, 34)
        ors_target = {
            "responder": min(38.0, ors_start + rng.uniform(9, 16)),
            "slow": min(36.0, ors_start + rng.uniform(5, 9)),
            "flat": ors_start + rng.uniform(-2, 3),
            "worse": max(2.0, ors_start - rng.uniform(5, 10)),
        }[course]
        return _Trajectory(
            ors_start=ors_start,
            ors_target=ors_target,
            # About one client in eight starts with a weak alliance.
            # SRS has a ceiling effect: most clients rate 36-40 (Duncan et al. 2003).
            srs_base=rng.gauss(32.5, 2) if rng.random() < 0.12 else rng.gauss(37.4, 1.2),
            always_perfect=rng.random() < 0.04,
            # Item 6 above 0 in early CORE-10s: rare, but the one alert that is urgent.
            risky=rng.random() < 0.08,
            gbo_start=tuple(rng.uniform(0.5, 4) for _ in range(goals)),
            gbo_gain={"responder": 6.0, "slow": 4.0, "flat": 1.0, "worse": -0.5}[course],
        )

    def _attendance(self, near_dropout: bool) -> Attendance:
        roll = self.rng.random()
        if near_dropout:
            return Attendance.NO_SHOW if roll < 0.7 else Attendance.CANCELLED
        if roll < 0.06:
            return Attendance.CANCELLED
        if roll < 0.09:
            return Attendance.NO_SHOW
        return Attendance.ATTENDED

    def _record(
        self,
        session: SessionData,
        client: ClientData,
        *,
        attended: int,
        ors_total: float,
        srs_total: float,
        rupture: bool,
        risky: bool,
    ) -> None:
        rng = self.rng
        end = session.start + timedelta(minutes=session.duration_minutes)
        session.notes = rng.choice(NOTES)
        session.tasks_agreed = rng.choice(TASKS[client.approach])
        session.client_feedback = rng.choice(FEEDBACK)
        session.measurements.append(
            MeasurementData(ORS.id, ORS.version, self._four(ors_total), session.start)
        )
        session.measurements.append(
            MeasurementData(
                SRS.id, SRS.version, self._four(srs_total, perfect=srs_total >= 40), end
            )
        )
        if attended >= 3 and (attended - 3) % 5 == 0:
            level = _clip((srs_total / 40) * 5 + rng.gauss(0, 0.3), 1, 5)
            values: list[float | None] = [
                float(round(_clip(level + rng.gauss(0, 0.45), 1, 5))) for _ in range(12)
            ]
            session.measurements.append(MeasurementData(WAI_SR.id, WAI_SR.version, values, end))
        if client.approach is Approach.CBT and (attended - 1) % 6 == 0:
            session.measurements.append(
                MeasurementData(
                    CORE_10.id,
                    CORE_10.version,
                    self._core10(ors_total, risky and attended <= 7),
                    session.start,
                )
            )
        if rupture:
            kind = rng.choice((RuptureKind.WITHDRAWAL, RuptureKind.CONFRONTATION))
            resolved = rng.random() < 0.8
            session.ruptures.append(
                RuptureData(
                    kind=kind,
                    description=rng.choice(RUPTURES[kind]),
                    repair=rng.choice(REPAIRS) if resolved or rng.random() < 0.5 else "",
                    resolved=resolved,
                )
            )

    def _four(self, total: float, *, perfect: bool = False) -> list[float | None]:
        """Four 0-10 dimension scores (one decimal) that add up to about ``total``."""
        if perfect:
            return [10.0, 10.0, 10.0, 10.0]
        share = total / 4
        return [round(_clip(share + self.rng.gauss(0, 0.3), 0, 10), 1) for _ in range(4)]

    def _core10(self, ors_total: float, risky: bool) -> list[float | None]:
        """CORE-10 raw answers consistent with the ORS level (reverse items stored raw)."""
        severity = _clip((40 - ors_total) / 40 * 3.2, 0, 4)
        values: list[float | None] = []
        for item in CORE_10.items:
            problem = round(_clip(severity + self.rng.gauss(0, 0.7), 0, 4))
            if item.risk:
                problem = self.rng.choice((1, 1, 2)) if risky else 0
            values.append(float(4 - problem if item.reverse else problem))
        return values

    def _final_goal_status(self, course: str, index: int, dropped_out: bool) -> GoalStatus:
        """How a goal stood at discharge: met by most who improved, rarely by the others."""
        if dropped_out or course == "worse":
            return GoalStatus.DROPPED
        if course == "responder" or (course == "slow" and index == 0):
            return GoalStatus.ACHIEVED
        return self.rng.choice((GoalStatus.REVISED, GoalStatus.DROPPED, GoalStatus.ACHIEVED))

    def _close(
        self,
        client: ClientData,
        *,
        finished: bool,
        last_start: datetime | None,
        paused: bool,
        dropped_out: bool,
        course: str,
    ) -> None:
        if finished and last_start is not None:
            client.status = ClientStatus.DISCHARGED
            client.discharge_date = last_start.date() + timedelta(days=dropped_out * 14)
            if client.discharge_date >= self.as_of:
                client.discharge_date = last_start.date()
            for index, goal in enumerate(client.goals):
                goal.status = self._final_goal_status(course, index, dropped_out)
                goal.closed_on = client.discharge_date
        elif paused:
            client.status = ClientStatus.PAUSED
        stamp = datetime.combine(client.intake_date, time(8, 30))
        client.created_at = stamp
        client.updated_at = max(stamp, last_start or stamp)


def draw_client(seed: int, index: int, code_width: int, as_of: date) -> ClientData:
    """The ``index``-th demo client for ``seed`` (independent of how many are drawn)."""
    rng = random.Random(f"alliance-demo:{seed}:{index}")
    reviews = random.Random(f"alliance-demo-reviews:{seed}:{index}")
    return _ClientDrawer(rng, index, code_width, as_of, reviews).draw()


#: The demo's practice details (a demo report must never pass for a real one).
DEMO_PRACTICE = PracticeSettings(
    practice_name="Demo practice (made-up clients)", clinician_name="Demo Clinician"
)


def generate_demo(
    db: Database,
    clients: int,
    seed: int = 1,
    as_of: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DemoResult:
    """Fill an empty database with ``clients`` synthetic clients.

    Raises:
        InvalidInput: the count is out of range.
        Conflict: the database already has clients (a demo never mixes with real records).
    """
    if isinstance(clients, bool) or not isinstance(clients, int):
        raise InvalidInput("The number of demo clients must be a whole number.")
    if not 1 <= clients <= MAX_DEMO_CLIENTS:
        raise InvalidInput(
            f"The number of demo clients must be between 1 and {MAX_DEMO_CLIENTS:,}; got {clients}."
        )
    existing = repository.count_clients(db)
    if existing:
        if is_demo_database(db):
            raise Conflict(
                f"{db.path} already holds a demo caseload of {clients_phrase(existing)} "
                "(perhaps from an interrupted run). Delete that file and run demo again, "
                "or use a new --db."
            )
        raise Conflict(
            f"{db.path} already holds {clients_phrase(existing)}; a demo caseload is only "
            "written to an empty database, so it never mixes with real records. "
            "Use --db with a new file."
        )
    as_of = as_of or date.today()
    settings = load_alert_settings(db)
    key = rules_key(settings)
    width = max(4, len(str(clients)))
    # Mark the file as demo data before the first client is written, so even an interrupted
    # run leaves a database that every screen labels as made up.
    repository.set_setting(
        db, DEMO_SETTING_KEY, {"clients": clients, "seed": seed, "as_of": as_of.isoformat()}
    )
    # Its reports are headed like a real practice's, and say the clients are made up.
    if not load_practice(db).practice_name:
        save_practice(db, DEMO_PRACTICE)
    sessions = measurements = 0
    for batch_start in range(0, clients, _BATCH):
        batch = [
            draw_client(seed, i, width, as_of)
            for i in range(batch_start, min(clients, batch_start + _BATCH))
        ]
        summaries = [summarise_tree(c, settings, key) for c in batch]
        repository.insert_client_trees(db, batch, summaries)
        sessions += sum(len(c.sessions) for c in batch)
        measurements += sum(len(s.measurements) for c in batch for s in c.sessions)
        if progress is not None:
            progress(min(clients, batch_start + _BATCH), clients)
    return DemoResult(clients, sessions, measurements)


def is_demo_database(db: Database) -> bool:
    """True when the database was filled by ``generate_demo`` (made-up clients only)."""
    return repository.get_setting(db, DEMO_SETTING_KEY) is not None
