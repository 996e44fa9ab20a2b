"""Quick reads: what the commands that must start in ≤ 0.3 s read from a workspace without SQLAlchemy.

Importing SQLAlchemy, its ORM and the table classes costs a command 0.25–0.45 s on a 2-core machine
before it reads a row, which is more than ``missionboard mission list`` may take in all. On the embedded
default (a SQLite file) these few reads go through the standard library's ``sqlite3`` instead: the same
SQLite library SQLAlchemy's driver uses, so no second one enters the process. The SQL is fixed text
with no values spliced in; ``tests/store/test_quick_reads.py`` checks every read against the ORM's
answer on the same workspace.

``QuickReader.open`` answers None wherever a quick read could differ from the ordinary way: a workspace
on PostgreSQL, a file that is missing or not a SQLite database, a schema that is not the current one
(the ordinary way migrates it or says why it cannot). The caller then opens the workspace as usual.
The module also holds the facts about the schema both ways share (its migration heads, the tables
``info`` counts), so that neither has to import the other to know them.

Beyond ``mission list`` and ``info``, the reader serves ``mission show``, ``export``, ``history`` and
``diff``, the decision log (``decisions``, whole or of one mission's portfolio), ``gate calendar``, ``gate
list``, ``indicators list``, ``ingest runs``, ``rates list``, ``users list`` (never reading a password
hash), the workspace's part of ``taxonomy list``, ``consult list`` and ``learn list`` (also ``--search``
and ``--about``, its subject resolved as ``services.learning`` resolves it): the same
domain models as the ORM's stores give, built from the same stored values (SQLite keeps times as ISO text, naive, and amounts as numbers that
SQLAlchemy hands back as ``Decimal`` with two places), and the same ``NotFound`` messages. A mission's
portfolio is judged by the portfolio rule itself (``domain.portfolio_rule.DEFAULT_RULE.counts`` and
``Mission.link_attribution``) on the mission's links as stored, not by a second copy of it in SQL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from missionboard.errors import NotFound

if TYPE_CHECKING:
    from missionboard.domain.accounts import Account
    from missionboard.domain.consultations import Consultation
    from missionboard.domain.decisions import AppealEntry, DecisionEntry
    from missionboard.domain.gate_calendar import GateCalendar, GateEntry
    from missionboard.domain.indicators import IndicatorInfo
    from missionboard.domain.learning import LearningNote, NoteKind, NoteLink
    from missionboard.domain.missions import Mission, MissionVersion
    from missionboard.domain.records import ImportRun, Rate

SCHEMA_HEADS = frozenset(
    {
        "0002_funding_detail",
        "analytics_0002",
        "consult_0002",
        "landscape_0001",
        "learning_0001",
        "mapping_0002",
        "monitoring_0002",
        "oidc_0001",
        "perf_0001",
        "review_0001",
        "web_0004",
    }
)
"""The heads of the migrations under ``migrations/versions`` (a test checks them against Alembic's own
reading): opening an up-to-date workspace compares its applied heads with these, without loading Alembic."""

COUNTED_TABLES = {
    "missions": "missions",
    "projects": "projects",
    "actors": "actors",
    "participations": "participations",
    "indicators": "indicators",
    "observations": "observations",
    "links": "links",
    "decisions": "decisions",
    "import runs": "import_runs",
    "audit events": "audit_events",
}
"""What ``missionboard info`` counts, in its order: the name it shows → the table."""

BUSY_TIMEOUT_MS = int(os.environ.get("MISSIONBOARD_BUSY_TIMEOUT_MS", "10000"))
"""How long a statement waits for another connection's lock before it fails as busy."""


def read_only_uri(path: str) -> str:
    """A SQLite URI that opens the file at ``path`` without writing anything, not even the WAL's -shm file.

    In a folder this process may write, ``mode=ro``: the file is read as other processes change it.
    Where the folder (or the file) cannot be written, no -shm file can be made and SQLite must be told
    the file is ``immutable``: nobody can change it there.
    """
    real = os.path.realpath(path)
    frozen = not os.access(os.path.dirname(real), os.W_OK) or not os.access(real, os.W_OK)
    if frozen and os.path.exists(f"{real}-wal") and os.path.exists(f"{real}-shm"):
        frozen = False  # SQLite reads the WAL read-only where both of its files are there already
    return f"file:{quote(real)}?{'immutable=1' if frozen else 'mode=ro'}"


@dataclass(frozen=True)
class MissionSummary:
    """One line of ``missionboard mission list``: a mission's current version, in brief."""

    id: str
    title: str
    owner: str
    status: str
    deadline: dt.date | None
    objectives: int
    version: int


@dataclass(frozen=True)
class StoredTaxonomy:
    """An imported taxonomy as listed: its goals without a parent and those with one (sub-goals)."""

    code: str
    title: str
    goals: int
    children: int


_MISSION_SUMMARIES = """
SELECT m.id, m.title, m.owner, m.status, m.deadline, m.current_version,
       coalesce(json_array_length(v.document, '$.objectives'), 0)
FROM missions AS m
JOIN mission_versions AS v ON v.mission_id = m.id AND v.version = m.current_version
ORDER BY m.id
"""
_COUNTS = {
    "missions": "SELECT count(*) FROM missions",
    "projects": "SELECT count(*) FROM projects",
    "actors": "SELECT count(*) FROM actors",
    "participations": "SELECT count(*) FROM participations",
    "indicators": "SELECT count(*) FROM indicators",
    "observations": "SELECT count(*) FROM observations",
    "links": "SELECT count(*) FROM links",
    "decisions": "SELECT count(*) FROM decisions",
    "import runs": "SELECT count(*) FROM import_runs",
    "audit events": "SELECT count(*) FROM audit_events",
}
"""One statement per entry of ``COUNTED_TABLES`` (a test keeps the two in step)."""
_CURRENT_VERSION = "SELECT current_version FROM missions WHERE id = ?"
_MISSION_VERSIONS = """
SELECT mission_id, version, document, author, created_at, comment, origin
FROM mission_versions WHERE mission_id = ? AND (? IS NULL OR version = ?)
ORDER BY version
"""
_MISSION_YAML = "SELECT yaml_text FROM mission_versions WHERE mission_id = ? AND version = ?"
_DECISIONS = """
SELECT d.id, p.id, p.source, p.source_id, p.title, d.decision, d.rationale, d.evidence, d.by, d.at,
       g.name, dd.decision_id IS NOT NULL, dd.criteria, dd.plan, dd.amount, dd.currency, dd.decided_on
FROM decisions AS d
JOIN projects AS p ON p.id = d.project_id
LEFT JOIN decision_details AS dd ON dd.decision_id = d.id
LEFT JOIN gates AS g ON g.id = dd.gate_id
ORDER BY d.at DESC, d.id DESC
"""
_MISSION_LINKS = "SELECT project_id, goal, status, score FROM links WHERE taxonomy = ?"
"""The links to a mission's taxonomy: which of them put a project in its portfolio is the portfolio rule's
to say (``_portfolio_ids``), not this query's."""
_GATES = """
SELECT g.id, g.project_id, p.source, p.source_id, p.title, g.name, g.due, g.criteria, g.evidence
FROM gates AS g JOIN projects AS p ON p.id = g.project_id
"""
_PROJECT_GATES = _GATES + "WHERE g.project_id = ?\n"
_GATE_DECISIONS = """
SELECT d.id, d.project_id, d.decision, d.by, dd.decided_on, dd.gate_id, dd.criteria,
       EXISTS (SELECT 1 FROM decision_appeals AS a WHERE a.decision_id = d.id AND a.outcome = ?)
FROM decisions AS d JOIN decision_details AS dd ON dd.decision_id = d.id
{where}ORDER BY d.at, d.id
"""
"""The decisions with a detail, oldest first, each with whether an appeal overturned it (the outcome
bound from ``AppealOutcome``): ``where`` is empty or one project's condition."""
_EVERY_GATE_DECISION = _GATE_DECISIONS.format(where="")
_PROJECT_GATE_DECISIONS = _GATE_DECISIONS.format(where="WHERE d.project_id = ?\n")
_PROJECT_BY_ID = "SELECT id, source, source_id FROM projects WHERE id = ?"
_PROJECT_BY_SOURCE = "SELECT id, source, source_id FROM projects WHERE source = ? AND source_id = ?"
_DECISION_EXISTS = "SELECT id FROM decisions WHERE id = ?"
_INDICATORS = "SELECT id, name, unit, source FROM indicators ORDER BY id"
_OBSERVATION_STATISTICS = """
SELECT indicator_id, count(id), min(year), max(year) FROM observations GROUP BY indicator_id
"""
_OBSERVED_GEOGRAPHIES = """
SELECT DISTINCT indicator_id, geography FROM observations ORDER BY indicator_id, geography
"""
_APPEALS = """
SELECT id, decision_id, by, reason, lodged_at, outcome, ruled_by, ruling, ruled_at
FROM decision_appeals ORDER BY id
"""
_IMPORT_RUNS = """
SELECT id, format, source, files, read, inserted, updated, unchanged, rejected, errors, started_at, seconds,
       user, dry_run
FROM import_runs ORDER BY id DESC LIMIT ?
"""
_RATES = """
SELECT currency, reporting_currency, year, rate, source FROM exchange_rates
WHERE ? IS NULL OR reporting_currency = ?
ORDER BY reporting_currency, currency, year
"""
_IMPORTED_TAXONOMIES = """
SELECT t.code, t.title, count(g.id) - count(g.parent), count(g.parent)
FROM taxonomies AS t
LEFT JOIN goals AS g ON g.taxonomy_code = t.code
GROUP BY t.code, t.title
ORDER BY t.code
"""
_CONSULTATIONS = """
SELECT id, mission_id, mission_version, title, purpose, opens_on, closes_on, audience, language, questions,
       status, created_by, created_at, closed_at
FROM consultations WHERE ? IS NULL OR mission_id = ?
ORDER BY created_at DESC, id
"""
_RESPONSE_COUNTS = """
SELECT consultation_id, count(*), count(CASE WHEN hidden THEN 1 END) FROM consultation_responses
GROUP BY consultation_id
"""
_INVITATION_COUNTS = """
SELECT consultation_id, count(*), count(used_at) FROM consultation_invitations GROUP BY consultation_id
"""
_LEARNING_NOTES = """
SELECT id, mission_id, kind, text, author, created_at, round FROM learning_notes
WHERE mission_id = ? AND (? IS NULL OR kind = ?) AND (? IS NULL OR round = ?)
"""
_LEARNING_NOTE_HAS_WORD = "AND lower(text) LIKE '%' || ? || '%' ESCAPE '/'\n"
"""One word of a search (``learn list --search``), as ``LearningStore.notes`` asks for it through
SQLAlchemy's ``contains(…, autoescape=True)``: the word lower-cased, ``/``, ``%`` and ``_`` escaped by ``/``
(``_like_escaped``)."""
_LEARNING_NOTE_IS_ABOUT = """AND id IN (
    SELECT note_id FROM learning_note_links WHERE target_kind = ? AND target_id = ?
)
"""
"""What a note is about (``learn list --about``), as ``LearningStore.notes`` asks for it."""
_LEARNING_NOTES_ORDER = "ORDER BY created_at DESC, id DESC"
_LEARNING_NOTE_LINKS = """
SELECT l.note_id, l.target_kind, l.target_id, p.source, p.source_id
FROM learning_note_links AS l
JOIN learning_notes AS n ON n.id = l.note_id
LEFT JOIN projects AS p ON l.target_kind = 'project' AND p.id = l.target_id
WHERE n.mission_id = ?
ORDER BY l.id
"""
"""A link to a project carries its ``source:source_id`` (the join compares the id as a number)."""
_USERS = "SELECT id, username, display_name, is_admin, is_active FROM users ORDER BY username"
"""Never the password hash: ``users list`` shows no secret, so the quick way does not even read one."""
_ROLES = "SELECT user_id, mission_id, role FROM mission_roles ORDER BY user_id, id"


class QuickReader:
    """A read-only connection to a current SQLite workspace; close it (or use ``with``) when done."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._connection = connection
        self.path = path

    @classmethod
    def open(cls, path: Path) -> QuickReader | None:
        """A reader of the SQLite workspace at ``path``, or None where the ordinary way must answer."""
        if not path.is_file():
            return None
        try:
            connection = sqlite3.connect(read_only_uri(str(path)), uri=True, isolation_level=None)
        except sqlite3.Error:
            return None
        try:
            connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS:d}")
            connection.execute("PRAGMA query_only=ON")
            heads = {row[0] for row in connection.execute("SELECT version_num FROM alembic_version")}
        except sqlite3.Error:  # not a database, no alembic_version: the ordinary way says what it is
            connection.close()
            return None
        if heads != SCHEMA_HEADS:
            connection.close()
            return None
        return cls(connection, path)

    def __enter__(self) -> QuickReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._connection.close()

    def schema(self) -> str:
        """The applied migration heads, as ``Workspace.revision`` writes them."""
        return ",".join(sorted(SCHEMA_HEADS))

    def mission_summaries(self) -> list[MissionSummary]:
        """Every mission's current version, by id."""
        with self._snapshot():
            return self._mission_summaries()

    def taxonomies(self) -> tuple[list[MissionSummary], list[StoredTaxonomy]]:
        """What ``taxonomy list`` lists of the workspace, from one snapshot: every mission's current
        version in brief (by id) and every imported taxonomy with its goals and sub-goals (by code)."""
        with self._snapshot():
            missions = self._mission_summaries()
            imported = [
                StoredTaxonomy(code, title, int(goals), int(children))
                for code, title, goals, children in self._connection.execute(_IMPORTED_TAXONOMIES)
            ]
        return missions, imported

    def _mission_summaries(self) -> list[MissionSummary]:
        rows = self._connection.execute(_MISSION_SUMMARIES).fetchall()
        return [
            MissionSummary(
                id=mission_id,
                title=title,
                owner=owner,
                status=status,
                deadline=dt.date.fromisoformat(deadline) if deadline else None,
                objectives=int(objectives),
                version=int(version),
            )
            for mission_id, title, owner, status, deadline, version, objectives in rows
        ]

    def record_counts(self) -> dict[str, int]:
        """Records per kind, in the order of ``COUNTED_TABLES``, all read from one snapshot."""
        with self._snapshot():
            return {
                name: int(self._connection.execute(query).fetchone()[0]) for name, query in _COUNTS.items()
            }

    def mission(self, mission_id: str, version: int | None = None) -> MissionVersion:
        """A mission's current version, or ``version``; ``NotFound`` as ``MissionStore.get`` says it."""
        with self._snapshot():
            return self._mission(mission_id, version)

    def mission_history(self, mission_id: str) -> list[MissionVersion]:
        """Every version of a mission, oldest first."""
        with self._snapshot():
            self._current_version(mission_id)
            rows = self._connection.execute(_MISSION_VERSIONS, (mission_id, None, None)).fetchall()
        return [_mission_version(row) for row in rows]

    def mission_yaml(self, mission_id: str, version: int) -> str:
        """A mission version's YAML text, as it was saved."""
        row = self._connection.execute(_MISSION_YAML, (mission_id, version)).fetchone()
        if row is None or row[0] is None:
            raise NotFound(f"mission '{mission_id}' has no version {version}")
        return str(row[0])

    def decisions(self, mission_id: str | None = None) -> list[DecisionEntry]:
        """Every decision (only those on ``mission_id``'s portfolio where given), newest first, with its
        project, gate, detail and appeals (oldest first); ``NotFound`` for an unknown mission."""
        with self._snapshot():
            wanted = None if mission_id is None else self._portfolio_ids(self._mission(mission_id).mission)
            rows = self._connection.execute(_DECISIONS).fetchall()
            appeal_rows = self._connection.execute(_APPEALS).fetchall()
        if wanted is not None:
            rows = [row for row in rows if row[1] in wanted]
        appeals: dict[int, list[AppealEntry]] = {row[0]: [] for row in rows}
        for appeal in appeal_rows:
            if appeal[1] in appeals:
                appeals[appeal[1]].append(_appeal_entry(appeal))
        return [_decision_entry(row, appeals[row[0]]) for row in rows]

    def indicators(self) -> list[IndicatorInfo]:
        """Every indicator, by id, with how many observations it has, their years and geographies."""
        from missionboard.domain.indicators import IndicatorInfo  # see _mission_version

        with self._snapshot():
            rows = self._connection.execute(_INDICATORS).fetchall()
            statistics = {
                row[0]: (int(row[1]), row[2], row[3])
                for row in self._connection.execute(_OBSERVATION_STATISTICS)
            }
            geographies: dict[str, list[str]] = {}
            for ident, geography in self._connection.execute(_OBSERVED_GEOGRAPHIES):
                geographies.setdefault(ident, []).append(geography)
        return [
            IndicatorInfo(
                ident, name, unit, source, *statistics.get(ident, (0, None, None)), geographies.get(ident, [])
            )
            for ident, name, unit, source in rows
        ]

    def import_runs(self, limit: int = 50) -> list[tuple[int, ImportRun]]:
        """The ``limit`` latest imports, newest first, each with its id (``ingest runs``)."""
        from missionboard.domain.records import ImportRun  # see _mission_version

        rows = self._connection.execute(_IMPORT_RUNS, (limit,)).fetchall()
        return [
            (
                ident,
                ImportRun(
                    format=format_,
                    source=source,
                    files=json.loads(files),
                    read=read,
                    inserted=inserted,
                    updated=updated,
                    unchanged=unchanged,
                    rejected=rejected,
                    errors=json.loads(errors),
                    started_at=dt.datetime.fromisoformat(started_at),
                    seconds=seconds,
                    user=user,
                    dry_run=bool(dry_run),
                ),
            )
            for (
                ident,
                format_,
                source,
                files,
                read,
                inserted,
                updated,
                unchanged,
                rejected,
                errors,
                started_at,
                seconds,
                user,
                dry_run,
            ) in rows
        ]

    def rates(self, reporting_currency: str | None = None) -> list[Rate]:
        """The imported exchange rates (only those into ``reporting_currency`` where given), by reporting
        currency, currency and year (``rates list``)."""
        from missionboard.domain.records import Rate  # see _mission_version

        wanted = reporting_currency or None
        return [
            Rate(currency, reporting, int(year), float(rate), source)
            for currency, reporting, year, rate, source in self._connection.execute(_RATES, (wanted, wanted))
        ]

    def accounts(self) -> list[Account]:
        """Every account, by user name, with its roles (``users list``); no password hash is read."""
        from missionboard.domain.accounts import Account, Role  # see _mission_version

        with self._snapshot():
            users = self._connection.execute(_USERS).fetchall()
            roles: dict[int, dict[str, Role]] = {}
            for user_id, mission_id, role in self._connection.execute(_ROLES):
                roles.setdefault(user_id, {})[mission_id] = Role(role)
        return [
            Account(
                id=ident,
                username=username,
                display_name=display_name or username,
                is_admin=bool(is_admin),
                is_active=bool(is_active),
                roles=roles.get(ident, {}),
            )
            for ident, username, display_name, is_admin, is_active in users
        ]

    def consultations(self, mission_id: str | None = None) -> list[tuple[Consultation, dict[str, int]]]:
        """Every consultation (only ``mission_id``'s where given), newest first, each with its counts as
        ``services.consultations.response_counts`` gives them (``consult list``)."""
        from missionboard.domain.common import utc_aware
        from missionboard.domain.consultations import Audience, Consultation, ConsultationStatus

        with self._snapshot():
            rows = self._connection.execute(_CONSULTATIONS, (mission_id, mission_id)).fetchall()
            responses = {row[0]: row[1:] for row in self._connection.execute(_RESPONSE_COUNTS)}
            invitations = {row[0]: row[1:] for row in self._connection.execute(_INVITATION_COUNTS)}
        listed = []
        for row in rows:
            (ident, mission, version, title, purpose, opens_on, closes_on, audience, language) = row[:9]
            questions, status, created_by, created_at, closed_at = row[9:]
            consultation = Consultation(
                id=ident,
                mission_id=mission,
                mission_version=version,
                title=title,
                purpose=purpose,
                opens_on=dt.date.fromisoformat(opens_on),
                closes_on=dt.date.fromisoformat(closes_on),
                audience=Audience(audience),
                language=language,
                questions=json.loads(questions),
                status=ConsultationStatus(status),
                created_by=created_by,
                created_at=utc_aware(dt.datetime.fromisoformat(created_at)),
                closed_at=utc_aware(dt.datetime.fromisoformat(closed_at)) if closed_at else None,
            )
            received, hidden = responses.get(ident, (0, 0))
            sent, used = invitations.get(ident, (0, 0))
            counts = {"responses": received, "hidden": hidden, "invitations": sent, "invitations_used": used}
            listed.append((consultation, counts))
        return listed

    def learning_notes(
        self,
        mission_id: str,
        kind: NoteKind | None = None,
        round: str | None = None,
        words: Sequence[str] = (),
        about: str | None = None,
    ) -> list[LearningNote]:
        """A mission's learning notes (of ``kind``, of ``round``, with each of ``words`` in the text, any
        case, about ``about``, where given), newest first, with what each is about (``learn list``);
        ``NotFound`` for an unknown mission (as ``MissionStore.get`` says it), decision or project (as
        ``services.learning`` says it)."""
        from missionboard.domain.learning import LearningNote, LinkKind, NoteKind, NoteLink, round_name

        with self._snapshot():
            subject = None
            if about and about.strip():
                subject = self._note_subject(self._mission(mission_id).mission, about)
            else:
                self._current_version(mission_id)
            wanted_kind = None if kind is None else kind.value
            wanted_round = round_name(round)  # after the mission and the subject: what it reports first
            query = _LEARNING_NOTES + _LEARNING_NOTE_HAS_WORD * len(words)
            values = [
                mission_id,
                wanted_kind,
                wanted_kind,
                wanted_round,
                wanted_round,
                *map(_like_escaped, words),
            ]
            if subject is not None:
                query += _LEARNING_NOTE_IS_ABOUT
                values += [subject.kind.value, subject.target]
            rows = self._connection.execute(query + _LEARNING_NOTES_ORDER, values).fetchall()
            link_rows = self._connection.execute(_LEARNING_NOTE_LINKS, (mission_id,)).fetchall()
        links: dict[int, list[NoteLink]] = {}
        for note_id, target_kind, target, source, source_id in link_rows:
            labelled = target_kind == LinkKind.PROJECT.value and target.isdigit() and source is not None
            label = f"{source}:{source_id}" if labelled else ""
            links.setdefault(note_id, []).append(NoteLink(LinkKind(target_kind), target, label))
        return [
            LearningNote(
                id=ident,
                mission=mission,
                kind=NoteKind(note_kind),
                text=text,
                author=author,
                created_at=dt.datetime.fromisoformat(created_at).replace(tzinfo=dt.UTC),
                round=note_round,
                links=tuple(links.get(ident, ())),
            )
            for ident, mission, note_kind, text, author, created_at, note_round in rows
        ]

    def gate_calendar(self, mission_id: str, day: dt.date) -> GateCalendar:
        """The gates of the projects in the mission's portfolio, where each stands on ``day``, as
        ``monitoring.gates.gate_calendar`` draws it; ``NotFound`` for an unknown mission."""
        from missionboard.domain.gate_calendar import GateCalendar

        with self._snapshot():
            portfolio = self._portfolio_ids(self._mission(mission_id).mission)
            gates = [row for row in self._connection.execute(_GATES) if row[1] in portfolio]
            entries = self._gate_entries(gates, _EVERY_GATE_DECISION, (), day)
        return GateCalendar(mission_id, day, entries)

    def project_gates(self, project_ref: str, day: dt.date) -> GateCalendar:
        """One project's gates (``SOURCE:SOURCE_ID`` or its numeric id), where each stands on ``day``, as
        ``monitoring.gates.project_gates`` draws them; ``NotFound`` for an unknown project, as it says it."""
        from missionboard.domain.gate_calendar import GateCalendar

        with self._snapshot():
            project = self._project(project_ref)
            if project is None:
                plain = project_ref.strip().isdigit() or ":" in project_ref
                hint = "" if plain else " (write SOURCE:SOURCE_ID or the numeric id)"
                raise NotFound(f"no project '{project_ref}' in this workspace{hint}")
            project_id = project[0]
            gates = self._connection.execute(_PROJECT_GATES, (project_id,)).fetchall()
            entries = self._gate_entries(gates, _PROJECT_GATE_DECISIONS, (project_id,), day)
        return GateCalendar(None, day, entries)

    def _gate_entries(
        self, gate_rows: Sequence[tuple[Any, ...]], decisions: str, parameters: tuple[Any, ...], day: dt.date
    ) -> list[GateEntry]:
        """Where each of the gates read by ``_GATES`` stands on ``day``, given the decisions with a detail
        that ``decisions`` (with ``parameters``) reads: ``domain.gate_calendar.calendar_entries`` on those
        of the gates' projects."""
        from missionboard.domain.decisions import AppealOutcome
        from missionboard.domain.gate_calendar import GateDecided, ScheduledGate, calendar_entries

        gates = [
            ScheduledGate(
                ident,
                project_id,
                f"{source}:{source_id}",
                title,
                name,
                dt.date.fromisoformat(due),
                json.loads(criteria),
                json.loads(evidence),
            )
            for ident, project_id, source, source_id, title, name, due, criteria, evidence in gate_rows
        ]
        gated = {gate.project_id for gate in gates}
        decided = [
            GateDecided(
                ident,
                project_id,
                kind,
                by,
                dt.date.fromisoformat(decided_on),
                gate_id,
                json.loads(criteria),
                bool(overturned),
            )
            for ident, project_id, kind, by, decided_on, gate_id, criteria, overturned in (
                self._connection.execute(decisions, (AppealOutcome.OVERTURNED.value, *parameters))
            )
            if project_id in gated
        ]
        return calendar_entries(gates, decided, day)

    def _note_subject(self, mission: Mission, about: str) -> NoteLink:
        """What ``learn list --about`` names, resolved as ``services.learning`` resolves it: an objective or
        an outcome of the mission, ``decision:ID`` or a project; ``NotFound`` for a decision or a project
        the workspace lacks, worded as there."""
        from missionboard.domain.learning import LinkKind, NoteLink

        target = about.strip()
        if target in {o.id for o in mission.objectives}:
            return NoteLink(LinkKind.OBJECTIVE, target)
        if target in {o.id for o in mission.outcomes}:
            return NoteLink(LinkKind.OUTCOME, target)
        if target.startswith("decision:"):
            named = target.removeprefix("decision:")
            number = named.strip().lstrip("#")
            from missionboard.domain.common import row_number

            decision = row_number(number)
            row = (
                None
                if decision is None
                else self._connection.execute(_DECISION_EXISTS, (decision,)).fetchone()
            )
            if row is None:
                raise NotFound(f"no decision '{named}' in this workspace")
            return NoteLink(LinkKind.DECISION, str(row[0]))
        project = self._project(target)
        if project is None:
            raise NotFound(
                f"no project '{target}' in this workspace (write SOURCE:SOURCE_ID or the numeric id)"
            )
        ident, source, source_id = project
        return NoteLink(LinkKind.PROJECT, str(ident), f"{source}:{source_id}")

    def _project(self, project_ref: str) -> tuple[int, str, str] | None:
        """The id, source and source id of the project ``project_ref`` names (``SOURCE:SOURCE_ID`` or the
        numeric id), as ``monitoring.progress.find_project`` finds it; None for none."""
        ref = project_ref.strip()
        if ref.isdigit():
            from missionboard.domain.common import row_number

            number = row_number(ref)
            row = None if number is None else self._connection.execute(_PROJECT_BY_ID, (number,)).fetchone()
        elif ":" in ref:
            source, source_id = ref.split(":", 1)
            row = self._connection.execute(_PROJECT_BY_SOURCE, (source.strip(), source_id.strip())).fetchone()
        else:
            return None
        return None if row is None else (int(row[0]), str(row[1]), str(row[2]))

    def _mission(self, mission_id: str, version: int | None = None) -> MissionVersion:
        """``mission`` inside the caller's snapshot."""
        current = self._current_version(mission_id)
        wanted = current if version is None else version
        rows = self._connection.execute(_MISSION_VERSIONS, (mission_id, wanted, wanted)).fetchall()
        if not rows:
            raise NotFound(f"mission '{mission_id}' has no version {wanted} (it has 1…{current})")
        return _mission_version(rows[0])

    def _portfolio_ids(self, mission: Mission) -> set[int]:
        """The projects in the mission's portfolio, as ``ProgressStore.portfolio_ids`` finds them: the links
        to the mission's taxonomy whose goal counts for an objective (``Mission.link_attribution``) and
        that the portfolio rule counts (``domain.portfolio_rule.DEFAULT_RULE``)."""
        from missionboard.domain.mapping import mission_taxonomy
        from missionboard.domain.portfolio_rule import DEFAULT_RULE

        goals = mission.link_attribution()
        return {
            project_id
            for project_id, goal, status, score in self._connection.execute(
                _MISSION_LINKS, (mission_taxonomy(mission.id),)
            )
            if goal in goals and DEFAULT_RULE.counts(status, score)
        }

    def _current_version(self, mission_id: str) -> int:
        row = self._connection.execute(_CURRENT_VERSION, (mission_id,)).fetchone()
        if row is None:
            raise NotFound(f"no mission '{mission_id}' in this workspace (see 'missionboard mission list')")
        return int(row[0])

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """One read transaction: every statement inside sees the same committed state."""
        self._connection.execute("BEGIN")
        try:
            yield
        finally:
            self._connection.execute("COMMIT")


# The domain models are imported by the reads that return them: ``mission list`` and ``info`` need none
# of them, and ``domain.missions`` alone costs them 0.04 s of CPU (measured on the 2-core machine).


def _mission_version(row: tuple[Any, ...]) -> MissionVersion:
    from missionboard.domain.missions import Mission, MissionVersion

    mission_id, version, document, author, created_at, comment, origin = row
    return MissionVersion(
        mission_id=mission_id,
        version=version,
        mission=Mission.model_validate(json.loads(document)),
        author=author,
        created_at=dt.datetime.fromisoformat(created_at),
        comment=comment,
        origin=origin or "",
    )


def _decision_entry(row: tuple[Any, ...], appeals: list[AppealEntry]) -> DecisionEntry:
    from missionboard.domain.common import utc_aware
    from missionboard.domain.decisions import CriterionResult, Decision, DecisionEntry, DecisionKind

    (ident, project_id, source, source_id, title, kind, rationale, evidence, by, at) = row[:10]
    gate, has_detail, criteria, plan, amount, currency, decided_on = row[10:]
    moment = utc_aware(dt.datetime.fromisoformat(at))
    return DecisionEntry(
        id=ident,
        project_id=project_id,
        title=title,
        decision=Decision(
            project=(source, source_id),
            decision=DecisionKind(kind),
            rationale=rationale,
            evidence=json.loads(evidence or "null") or {},
            by=by,
            at=moment,
            gate=gate,
            criteria=tuple(CriterionResult(**c) for c in json.loads(criteria)) if has_detail else (),
            plan=plan if has_detail else None,
            amount=_amount(amount) if has_detail else None,
            currency=currency if has_detail else None,
            on=dt.date.fromisoformat(decided_on) if has_detail else moment.date(),
        ),
        appeals=appeals,
    )


def _appeal_entry(row: tuple[Any, ...]) -> AppealEntry:
    from missionboard.domain.common import utc_aware
    from missionboard.domain.decisions import AppealEntry

    ident, decision, by, reason, lodged_at, outcome, ruled_by, ruling, ruled_at = row
    return AppealEntry(
        id=ident,
        decision=decision,
        by=by,
        reason=reason,
        lodged_at=utc_aware(dt.datetime.fromisoformat(lodged_at)),
        outcome=outcome,
        ruled_by=ruled_by,
        ruling=ruling,
        ruled_at=utc_aware(dt.datetime.fromisoformat(ruled_at)) if ruled_at else None,
    )


def _like_escaped(word: str) -> str:
    """A search word as SQLAlchemy's ``contains(word.lower(), autoescape=True)`` binds it (escape ``/``)."""
    return word.lower().replace("/", "//").replace("%", "/%").replace("_", "/_")


def _amount(value: float | int | str | None) -> Decimal | None:
    """A stored amount as SQLAlchemy's ``Numeric(20, 2)`` gives it back from SQLite: two places."""
    return None if value is None else Decimal(f"{float(value):.2f}")
