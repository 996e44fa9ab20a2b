"""Consultations: how stakeholders and citizens shape a mission draft, and what they said.

A consultation asks a fixed set of questions about one mission version. Participants say which helix
group and level they speak for (and nothing else about themselves); their answers are free text,
ratings of each objective's importance and ambition, and proposals of new objectives or solutions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from pydantic import Field, JsonValue, model_validator

from missionboard.domain.common import DomainModel, NonEmptyText, Slug
from missionboard.domain.missions import HelixType, Level

LANGUAGES: tuple[str, ...] = ("en", "nb", "sv")
"""Languages the participation pages are translated into (gettext catalogues ship with the package)."""

MAX_TEXT = 4000
"""Longest free-text answer or proposal we keep, in characters: long enough for a considered view."""


class ConsultationStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Audience(StrEnum):
    INVITED = "invited"
    """Only holders of an invitation link may respond, once each."""
    PUBLIC = "public"
    """Anyone with the link may respond; flooding limits apply."""


class QuestionKind(StrEnum):
    TEXT = "text"
    """A free-text question."""
    RATING = "rating"
    """Rate every objective's importance and ambition on 1–5 scales."""
    PROPOSAL = "proposal"
    """Propose a new objective or a solution."""


class Question(DomainModel):
    id: Slug
    kind: QuestionKind
    prompt: NonEmptyText
    required: bool = False


class Consultation(DomainModel):
    """One round of consultation on a mission version, run by the mission's owner."""

    id: Slug
    mission_id: Slug
    mission_version: int = Field(ge=1, description="The mission version put to consultation")
    title: NonEmptyText
    purpose: NonEmptyText
    opens_on: dt.date
    closes_on: dt.date
    audience: Audience = Audience.INVITED
    language: str = "en"
    questions: list[Question] = Field(min_length=1)
    status: ConsultationStatus = ConsultationStatus.DRAFT
    created_by: NonEmptyText
    created_at: dt.datetime
    closed_at: dt.datetime | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Consultation:
        if self.closes_on < self.opens_on:
            raise ValueError(f"closes_on {self.closes_on} must not come before opens_on {self.opens_on}")
        if self.language not in LANGUAGES:
            raise ValueError(f"language '{self.language}' is not one of {', '.join(LANGUAGES)}")
        ids = [q.id for q in self.questions]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            raise ValueError(f"question id '{duplicated[0]}' is used twice")
        return self

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def accepts_responses(self, today: dt.date) -> bool:
        return self.status is ConsultationStatus.OPEN and self.opens_on <= today <= self.closes_on


class ProposalKind(StrEnum):
    OBJECTIVE = "objective"
    SOLUTION = "solution"


class Answer(DomainModel):
    question_id: Slug
    text: str = Field(max_length=MAX_TEXT)


class Rating(DomainModel):
    """How important an objective is (1 not at all … 5 essential) and how its ambition feels
    (1 far too timid … 3 about right … 5 unrealistic)."""

    objective_id: Slug
    importance: int | None = Field(default=None, ge=1, le=5)
    ambition: int | None = Field(default=None, ge=1, le=5)


class Proposal(DomainModel):
    kind: ProposalKind
    text: NonEmptyText = Field(max_length=MAX_TEXT)


class Channel(StrEnum):
    INVITED = "invited"
    PUBLIC = "public"
    IMPORTED = "imported"
    """Gathered elsewhere (workshops, paper forms, another survey tool) and imported from CSV."""


class Submission(DomainModel):
    """What a participant sends: only what the synthesis needs, plus their consent."""

    helix: HelixType
    level: Level
    consent: bool
    language: str = "en"
    answers: list[Answer] = Field(default_factory=list)
    ratings: list[Rating] = Field(default_factory=list)
    proposals: list[Proposal] = Field(default_factory=list)


class Response(DomainModel):
    """A stored submission. ``hidden`` responses are kept for the record but left out of the synthesis."""

    id: int
    consultation_id: Slug
    channel: Channel
    helix: HelixType
    level: Level
    language: str = "en"
    answers: list[Answer] = Field(default_factory=list)
    ratings: list[Rating] = Field(default_factory=list)
    proposals: list[Proposal] = Field(default_factory=list)
    consented_at: dt.datetime
    submitted_at: dt.datetime
    hidden: bool = False
    hidden_reason: str | None = None
    adopted: list[int] = Field(
        default_factory=list, description="Indexes of proposals turned into mission edits"
    )


class Invitation(DomainModel):
    """An e-mail-less invitation: the owner hands out the link; only a hash of its token is stored."""

    id: int
    consultation_id: Slug
    label: str = Field(default="", description="Who the owner gave it to, in the owner's words")
    helix: HelixType | None = None
    created_at: dt.datetime
    used_at: dt.datetime | None = None


# --- synthesis -----------------------------------------------------------------------------------


class Quote(DomainModel):
    response_id: int
    text: NonEmptyText
    helix: HelixType
    level: Level


class ThemeSummary(DomainModel):
    """A cluster of what people said, with who said it."""

    label: NonEmptyText
    keywords: list[str] = Field(default_factory=list)
    size: int = Field(ge=0)
    quotes: list[Quote] = Field(default_factory=list, description="The most representative passages")
    by_helix: dict[HelixType, int] = Field(default_factory=dict)
    by_level: dict[Level, int] = Field(default_factory=dict)


class Match(DomainModel):
    code: str
    title: str
    score: float


class ProposalSummary(DomainModel):
    response_id: int
    index: int = Field(ge=0, description="Position of the proposal within its response")
    kind: ProposalKind
    text: NonEmptyText
    helix: HelixType
    level: Level
    objectives: list[Match] = Field(default_factory=list, description="Best-matching mission objectives")
    sdgs: list[Match] = Field(default_factory=list, description="Best-matching Sustainable Development Goals")
    adopted: bool = False


class GroupRating(DomainModel):
    n: int = Field(ge=0)
    mean: float | None = None


class RatingSummary(DomainModel):
    """One objective on one criterion: overall and per group, and whether groups disagree."""

    objective_id: Slug
    objective_title: str
    criterion: str = Field(description="'importance' or 'ambition'")
    n: int = Field(ge=0)
    mean: float | None = None
    distribution: dict[int, int] = Field(default_factory=dict, description="Count of each score 1–5")
    by_helix: dict[HelixType, GroupRating] = Field(default_factory=dict)
    by_level: dict[Level, GroupRating] = Field(default_factory=dict)
    spread: float = Field(0.0, description="Largest gap between group means (groups with enough answers)")
    disagreement: bool = False


class Synthesis(DomainModel):
    consultation_id: Slug
    mission_id: Slug
    responses: int = Field(ge=0, description="Responses counted (hidden ones excluded)")
    hidden: int = Field(ge=0)
    by_helix: dict[HelixType, int] = Field(default_factory=dict)
    by_level: dict[Level, int] = Field(default_factory=dict)
    themes: list[ThemeSummary] = Field(default_factory=list)
    proposals: list[ProposalSummary] = Field(default_factory=list)
    ratings: list[RatingSummary] = Field(default_factory=list)
    generated_at: dt.datetime


# --- submission rules ------------------------------------------------------------------------------

MAX_LINKS = 3
"""More links than this in one answer or proposal reads as spam: considered views rarely need them."""

MAX_PROPOSALS = 10
"""Proposals one response may carry."""

MIN_REPEAT_LENGTH = 20
"""Texts at least this long (after normalising) count as repeated when sent twice from one client."""

TOO_MANY_LINKS = "links"
"""The code of the problem "more than ``MAX_LINKS`` links", by which a page shows it in its language."""

REPEATED = "repeated"
"""The code of the problem "repeats word for word a response already sent from here"."""


class SubmissionProblem(NamedTuple):
    """One thing wrong with a submission: the field, an English message, and a stable ``code`` for the
    problems a participation page translates (``TOO_MANY_LINKS``, ``REPEATED``; empty for the others)."""

    field: str
    message: str
    code: str = ""


_LINK = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\[url", re.ASCII)


def count_links(text: str) -> int:
    """Web links in ``text`` (http(s)://, www. and BBCode [url])."""
    return len(_LINK.findall(text))


def normalised_text(text: str) -> str:
    """The text as compared for verbatim repeats: case and whitespace do not matter."""
    return " ".join(text.casefold().split())


def default_questions() -> list[Question]:
    """Free-text views, ratings of the objectives and proposals: what every consultation asks by default."""
    return [
        Question(id="views", kind=QuestionKind.TEXT, prompt="What do you think of this mission?"),
        Question(
            id="objectives",
            kind=QuestionKind.RATING,
            prompt="How important is each objective, and how ambitious is its target?",
        ),
        Question(
            id="proposals",
            kind=QuestionKind.PROPOSAL,
            prompt="Propose a new objective or a solution the mission should pursue.",
        ),
    ]


def submission_texts(submission: Submission | Response) -> list[tuple[str, str]]:
    """Every free text in a submission with the field it came from (``answers.<id>``, ``proposals[i]``)."""
    texts = [(f"answers.{a.question_id}", a.text) for a in submission.answers]
    texts += [(f"proposals[{i}]", p.text) for i, p in enumerate(submission.proposals)]
    return texts


def submission_problems(
    consultation: Consultation,
    objective_ids: Sequence[str],
    submission: Submission,
    *,
    check_spam: bool = True,
) -> list[SubmissionProblem]:
    """What is wrong with a submission, as (field, message, code) triples; empty when it may be stored.

    ``objective_ids`` are the objectives of the mission version under consultation.
    """
    problems: list[SubmissionProblem] = []
    if not submission.consent:
        problems.append(
            SubmissionProblem("consent", "please agree to how your response is used before sending it")
        )
    if submission.language not in LANGUAGES:
        problems.append(
            SubmissionProblem("language", f"'{submission.language}' is not one of {', '.join(LANGUAGES)}")
        )
    kinds = {q.kind for q in consultation.questions}
    seen: set[str] = set()
    for answer in submission.answers:
        question = consultation.question(answer.question_id)
        field = f"answers.{answer.question_id}"
        if question is None or question.kind is not QuestionKind.TEXT:
            problems.append(
                SubmissionProblem(
                    field, f"this consultation has no free-text question '{answer.question_id}'"
                )
            )
        elif answer.question_id in seen:
            problems.append(SubmissionProblem(field, "is answered twice"))
        seen.add(answer.question_id)
    answered = {a.question_id for a in submission.answers if a.text.strip()}
    for question in consultation.questions:
        if question.required and question.kind is QuestionKind.TEXT and question.id not in answered:
            problems.append(SubmissionProblem(f"answers.{question.id}", "is required"))
    if submission.ratings and QuestionKind.RATING not in kinds:
        problems.append(SubmissionProblem("ratings", "this consultation does not ask for ratings"))
    known = set(objective_ids)
    rated: set[str] = set()
    for rating in submission.ratings:
        field = f"ratings.{rating.objective_id}"
        if rating.objective_id not in known:
            problems.append(SubmissionProblem(field, f"the mission has no objective '{rating.objective_id}'"))
        elif rating.objective_id in rated:
            problems.append(SubmissionProblem(field, "is rated twice"))
        rated.add(rating.objective_id)
    if submission.proposals and QuestionKind.PROPOSAL not in kinds:
        problems.append(SubmissionProblem("proposals", "this consultation does not ask for proposals"))
    if len(submission.proposals) > MAX_PROPOSALS:
        problems.append(SubmissionProblem("proposals", f"at most {MAX_PROPOSALS} proposals per response"))
    for field, text in submission_texts(submission):
        if len(text) > MAX_TEXT:
            problems.append(
                SubmissionProblem(field, f"is {len(text)} characters long; at most {MAX_TEXT} are kept")
            )
        if check_spam and count_links(text) > MAX_LINKS:
            message = f"has more than {MAX_LINKS} links; please keep to {MAX_LINKS} or fewer"
            problems.append(SubmissionProblem(field, message, TOO_MANY_LINKS))
    return problems


def repeated_fields(submission: Submission, earlier: Sequence[Response]) -> list[str]:
    """Fields of ``submission`` whose text repeats verbatim a text of an ``earlier`` response."""
    before = {
        normalised_text(text)
        for response in earlier
        for _, text in submission_texts(response)
        if len(normalised_text(text)) >= MIN_REPEAT_LENGTH
    }
    return [field for field, text in submission_texts(submission) if normalised_text(text) in before]


# --- reporting back ----------------------------------------------------------------------------------


class ProposalOutcome(StrEnum):
    """What became of a proposal, as the report-back tells participants."""

    ADOPTED = "adopted"
    """Taken into the mission (marked on its response when adopted)."""
    CONSIDERED = "considered"
    """Taken into account, though not adopted as written."""
    DECLINED = "declined"
    """Not taken up; the reason says why."""
    OPEN = "open"
    """Not answered yet."""


ANSWERABLE = (ProposalOutcome.ADOPTED, ProposalOutcome.CONSIDERED, ProposalOutcome.DECLINED)
MAX_REASON = 2000
MAX_SUMMARY = 5000


@dataclass(frozen=True)
class ProposalAnswer:
    """The organisers' answer to one proposal."""

    response_id: int
    index: int
    outcome: ProposalOutcome
    reason: str
    answered_by: str
    answered_at: dt.datetime


@dataclass(frozen=True)
class ReportedProposal:
    """One proposal as the report-back shows it: what was proposed, and what became of it and why."""

    response_id: int
    index: int
    kind: ProposalKind
    text: str
    outcome: ProposalOutcome
    reason: str

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "response_id": self.response_id,
            "index": self.index,
            "kind": self.kind.value,
            "text": self.text,
            "outcome": self.outcome.value,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ReportBack:
    """What a closed consultation's organisers did with its input, as participants are told."""

    consultation_id: str
    title: str
    mission_title: str
    responses: int
    summary: str | None
    published_at: dt.datetime | None
    published_by: str | None
    proposals: tuple[ReportedProposal, ...]

    @property
    def published(self) -> bool:
        return self.published_at is not None

    def count(self, outcome: ProposalOutcome) -> int:
        return sum(1 for p in self.proposals if p.outcome is outcome)

    def of(self, outcome: ProposalOutcome) -> list[ReportedProposal]:
        return [p for p in self.proposals if p.outcome is outcome]

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "consultation": self.consultation_id,
            "title": self.title,
            "mission": self.mission_title,
            "responses": self.responses,
            "summary": self.summary,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "published_by": self.published_by,
            "counts": {o.value: self.count(o) for o in ProposalOutcome},
            "proposals": [p.to_dict() for p in self.proposals],
        }


def reported_proposals(
    responses: Sequence[Response], answers: Mapping[tuple[int, int], ProposalAnswer]
) -> tuple[ReportedProposal, ...]:
    """Every proposal of the visible responses with its outcome: adopted where its response marks it
    (the organisers' note as the reason, if any), else the organisers' answer, else open."""
    out: list[ReportedProposal] = []
    for response in responses:
        if response.hidden:
            continue
        for index, proposal in enumerate(response.proposals):
            answer = answers.get((response.id, index))
            if index in response.adopted:
                outcome, reason = ProposalOutcome.ADOPTED, answer.reason if answer else ""
            elif answer is not None and answer.outcome is not ProposalOutcome.ADOPTED:
                outcome, reason = answer.outcome, answer.reason
            else:
                outcome, reason = ProposalOutcome.OPEN, ""
            out.append(ReportedProposal(response.id, index, proposal.kind, proposal.text, outcome, reason))
    return tuple(out)
