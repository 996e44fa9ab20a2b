"""Writes the pages and the API share: each one authorises the caller, then calls the owning service.

Reviewing links, recording decisions and importing files belong to the mapping, monitoring and ingest
services; this module only checks who may do it and hands over. Where a service is not installed the
write is refused with a clear message.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

from missionboard.domain.mapping import mission_of_taxonomy
from missionboard.domain.records import INGEST_FORMATS
from missionboard.errors import InputError, NotFound, Problem
from missionboard.services import decisions as decision_service
from missionboard.services import explorer
from missionboard.services import ingest as ingest_service
from missionboard.services import mapping as mapping_service
from missionboard.services import review as review_service
from missionboard.services.accounts import Account, Role
from missionboard.store.workspace import Workspace

REVIEW_ACTIONS = ("accept", "reject", "reassign")
DECISIONS = ("continue", "pivot", "scale", "stop")
UPLOADS = Path(tempfile.gettempdir()) / "missionboard-uploads"
STAGED = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def authorise_link(account: Account, taxonomy: str) -> None:
    """Links of a mission's taxonomy need the reviewer role on it; other taxonomies need an admin."""
    mission = mission_of_taxonomy(taxonomy)
    if mission is not None:
        account.require(mission, Role.REVIEWER, "review links")
    else:
        account.require_admin(f"review links of the '{taxonomy}' taxonomy")


def _refuse_hidden(workspace: Workspace, account: Account, link: explorer.LinkRecord) -> None:
    """A link of a mission the caller may not see is answered as if it did not exist: a 403 naming the
    mission would tell an outsider that the private mission exists, and which projects it holds."""
    from missionboard.services import missions as mission_service

    mission = mission_of_taxonomy(link["taxonomy"])
    if mission is None or account.is_admin or account.has(mission, Role.VIEWER):
        return
    try:
        public = mission_service.get_mission(workspace, mission).mission.public
    except NotFound:
        public = False
    if not public:
        raise NotFound(f"no link with id {link['id']}")


def reviewable_link(workspace: Workspace, account: Account, link_id: int) -> explorer.LinkRecord:
    """The link, once the account may review it (a hidden mission's link is answered as not found)."""
    with workspace.reading() as session:
        link = explorer.link_record(session, link_id)
    _refuse_hidden(workspace, account, link)
    authorise_link(account, link["taxonomy"])
    return link


def review_many(workspace: Workspace, account: Account, link_ids: list[int], *, action: str) -> None:
    """Accept or reject several links: each one authorised first, then all reviewed in one transaction
    (a failure reviews none)."""
    for link_id in link_ids:
        reviewable_link(workspace, account, link_id)
    mapping_service.review_links(workspace, link_ids, action, user=account.username)


def review(
    workspace: Workspace, account: Account, link_id: int, *, action: str, goal: str | None
) -> dict[str, Any]:
    """Accept, reject or re-assign one link; returns the link as it is afterwards."""
    with workspace.reading() as session:
        link = explorer.link_record(session, link_id)
    _refuse_hidden(workspace, account, link)
    authorise_link(account, link["taxonomy"])
    if action not in REVIEW_ACTIONS:
        raise InputError(Problem("request", None, "action", f"must be one of {', '.join(REVIEW_ACTIONS)}"))
    if action == "reassign" and not goal:
        raise InputError(Problem("request", None, "goal", "re-assigning needs the goal to move the link to"))
    result = mapping_service.review_link(workspace, link_id, action, goal=goal, user=account.username)
    with workspace.reading() as session:
        after: dict[str, Any] = {**explorer.link_record(session, link_id)}
    if result.reassigned_to is not None:
        after["reassigned_to"] = result.reassigned_to.to_dict()
    return after


def decide(
    workspace: Workspace,
    account: Account,
    project_id: int,
    *,
    decision: str,
    rationale: str,
    gate: str | None = None,
    met: Collection[int] = (),
    plan: str | None = None,
    amount: str | float | None = None,
    currency: str | None = None,
) -> None:
    """Record a stage-gate decision; editors of a mission the project serves (or admins) may."""
    _require_on_project(workspace, account, project_id, Role.EDITOR, "record decisions")
    if decision not in DECISIONS:
        raise InputError(Problem("request", None, "decision", f"must be one of {', '.join(DECISIONS)}"))
    if not rationale:
        raise InputError(Problem("request", None, "rationale", "say why: a decision needs a rationale"))
    decision_service.record_decision(
        workspace,
        str(project_id),
        decision,
        rationale,
        account.username,
        gate=gate or None,
        met=met,
        plan=plan or None,
        amount=amount,
        currency=currency or None,
    )


def _require_on_project(
    workspace: Workspace, account: Account, project_id: int, role: Role, doing: str
) -> list[str]:
    """The missions the project serves, once the caller holds ``role`` on one of them (or is an admin)."""
    with workspace.reading() as session:
        explorer.project_detail(session, project_id)
        missions = explorer.projects_missions(session, project_id)
    if not (account.is_admin or any(account.has(m, role) for m in missions)):
        account.require_admin(f"{doing} on a project outside your missions (needs the {role.value} role)")
    return missions


def schedule_gate(
    workspace: Workspace,
    account: Account,
    project_id: int,
    *,
    name: str,
    due: str,
    criteria: list[str],
    evidence: list[str],
) -> None:
    """Schedule a stage-gate for a project; editors of a mission the project serves (or admins) may."""
    _require_on_project(workspace, account, project_id, Role.EDITOR, "schedule gates")
    try:
        day = dt.date.fromisoformat(due.strip())
    except ValueError:
        raise InputError(
            Problem("request", None, "due", f"'{due}' is not a date: write YYYY-MM-DD")
        ) from None
    decision_service.schedule_gate(
        workspace, str(project_id), name, day, criteria, evidence, user=account.username
    )


def lodge_appeal(workspace: Workspace, account: Account, decision_id: int, *, reason: str) -> int:
    """Lodge an appeal against a decision; editors of a mission the project serves (or admins) may.
    Returns the project's id."""
    project_id = decision_service.decision_project(workspace, decision_id)
    _require_on_project(workspace, account, project_id, Role.EDITOR, "appeal decisions")
    decision_service.lodge_appeal(workspace, decision_id, reason, user=account.username)
    return project_id


def rule_appeal(workspace: Workspace, account: Account, appeal_id: int, *, outcome: str, ruling: str) -> int:
    """Rule on an appeal; owners of a mission the project serves (or admins) may, but not who decided.
    Returns the project's id."""
    project_id = decision_service.appeal_project(workspace, appeal_id)
    _require_on_project(workspace, account, project_id, Role.OWNER, "rule on appeals")
    decision_service.rule_appeal(workspace, appeal_id, outcome, ruling, user=account.username)
    return project_id


def _stage(name: str, content: bytes) -> str:
    if not content:
        raise InputError(Problem(name or "", None, "file", "choose a file to upload; this one is empty"))
    # no size check here: the app refuses a body over Settings.import_body_limit before reading it
    _forget_old_uploads()
    token = secrets.token_urlsafe(24)
    folder = UPLOADS / token
    folder.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name).name or "upload")[:120] or "upload"
    (folder / safe).write_bytes(content)
    return token


def _forget_old_uploads(max_age: float = 24 * 3600) -> None:
    """Uploads that were checked but never confirmed are removed after a day."""
    import shutil
    import time

    if not UPLOADS.is_dir():
        return
    cutoff = time.time() - max_age
    for folder in UPLOADS.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


def _staged_file(token: str) -> Path:
    if not STAGED.match(token):
        raise InputError(Problem("request", None, "staged", "unknown upload; upload the file again"))
    try:
        files = sorted((UPLOADS / token).glob("*"))
    except FileNotFoundError:  # another confirmation of the same upload imported it and removed it meanwhile
        files = []
    if not files:
        raise InputError(Problem("request", None, "staged", "the upload has expired; upload the file again"))
    return files[0]


FORMATS = INGEST_FORMATS
GUESS = {".csv": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xml": "iati", ".json": "360giving"}


def guess_format(name: str) -> str:
    return GUESS.get(Path(name).suffix.lower(), "csv")


def import_upload(
    workspace: Workspace,
    account: Account,
    *,
    name: str,
    content: bytes,
    staged: str,
    format: str,
    source: str | None,
    on_error: str,
    dry_run: bool,
) -> tuple[dict[str, Any], str]:
    """Dry-run an uploaded file (staging it) or import a staged one; returns (report, staged token).

    A dry run that finds bad records returns their problems in the report instead of raising, so the
    page can show them beside the confirm button.
    """
    account.require_admin("import files")
    ingest_files = ingest_service.ingest_files
    if format not in FORMATS:
        raise InputError(Problem(name, None, "format", f"must be one of {', '.join(FORMATS)}"))
    if on_error not in ("fail", "skip"):
        raise InputError(Problem(name, None, "on_error", "must be 'fail' or 'skip'"))
    token = staged or _stage(name, content)
    if not dry_run:
        return _import_staged(workspace, account, token, format, source, on_error, ingest_files), token
    path = _staged_file(token)
    try:
        run = ingest_files(
            workspace,
            format,
            [path],
            source=source,
            dry_run=True,
            on_error=on_error,
            user=account.username,
        )
    except InputError as exc:
        _discard(UPLOADS / token)  # nothing to confirm
        return {
            "file": path.name,
            "format": format,
            "ok": False,
            "problems": [p.as_dict() for p in exc.problems],
        }, ""
    from missionboard.services.ingest import run_report

    return run_report(run), token


def _import_staged(
    workspace: Workspace,
    account: Account,
    token: str,
    format: str,
    source: str | None,
    on_error: str,
    ingest_files: Any,
) -> dict[str, Any]:
    """Import a staged upload exactly once: it is claimed first by an atomic rename, so a second confirm
    (a double click, two tabs) finds it gone instead of importing it again. A failed import puts it back."""
    from missionboard.services.ingest import run_report

    _staged_file(token)  # a clear error for an unknown or expired upload
    claimed = UPLOADS / f".claimed-{token}-{secrets.token_hex(4)}"
    try:
        (UPLOADS / token).rename(claimed)
    except FileNotFoundError as exc:
        raise InputError(
            Problem(
                "request", None, "staged", "this upload was imported already (or expired); upload it again"
            )
        ) from exc
    path = sorted(claimed.glob("*"))[0]
    try:
        run = ingest_files(
            workspace, format, [path], source=source, dry_run=False, on_error=on_error, user=account.username
        )
    except BaseException:
        try:
            claimed.rename(UPLOADS / token)  # the user may correct the options and confirm again
        except OSError:
            _discard(claimed)
        raise
    _discard(claimed)
    return run_report(run)


def discard_upload(token: str) -> None:
    """Remove a staged upload nobody will confirm (the API's dry runs)."""
    if STAGED.match(token):
        _discard(UPLOADS / token)


def _discard(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


# --- the review queue together: comments and assigned queues ---------------------------------------


def comment_on_link(workspace: Workspace, account: Account, link_id: int, *, text: str) -> int:
    """Comment on a link; reviewers of its mission (admins for other taxonomies) may, and a hidden
    mission's link is answered as not found. Returns the link's id."""
    reviewable_link(workspace, account, link_id)
    review_service.comment(workspace, link_id, text, user=account.username)
    return link_id


def _refuse_hidden_mission(workspace: Workspace, account: Account, mission_id: str) -> None:
    """A mission the caller may not see is answered as if it did not exist (as ``_refuse_hidden``)."""
    from missionboard.services import missions as mission_service

    if account.is_admin or account.has(mission_id, Role.VIEWER):
        return
    if not mission_service.get_mission(workspace, mission_id).mission.public:
        raise NotFound(f"no mission '{mission_id}' in this workspace (see 'missionboard mission list')")


def assign_queue(
    workspace: Workspace, account: Account, mission_id: str, *, assignee: str, goal: str | None
) -> review_service.ReviewAssignment:
    """Assign a mission's review queue (or one goal's) to a reviewer; its editors, owners and admins may."""
    _refuse_hidden_mission(workspace, account, mission_id)
    account.require(mission_id, Role.EDITOR, "assign review queues")
    if not assignee:
        raise InputError(Problem("request", None, "assignee", "choose whom to assign the queue to"))
    return review_service.assign(workspace, mission_id, assignee, goal=goal or None, user=account.username)


def finish_assignment(
    workspace: Workspace, account: Account, assignment_id: int
) -> review_service.ReviewAssignment:
    """Mark an assigned queue done; the assignee may, and the mission's editors, owners and admins."""
    found = review_service.assignment(workspace, assignment_id)
    try:
        _refuse_hidden_mission(workspace, account, found.mission_id)
    except NotFound:
        raise NotFound(f"no review assignment with id {assignment_id}") from None
    if found.assignee != account.username:
        account.require(found.mission_id, Role.EDITOR, "finish a colleague's review assignment")
    return review_service.finish(workspace, assignment_id, user=account.username)
