"""Importing project files from the browser: upload, a dry run to check them, then confirm."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from missionboard.web.actions import FORMATS
from missionboard.web.figures import clear_caches
from missionboard.web.rendering import check_csrf, render
from missionboard.web.security import require_account, workspace_of

router = APIRouter(include_in_schema=False)


@router.get("/import", response_class=HTMLResponse)
def import_page(request: Request) -> Response:
    require_account(request).require_admin("import files")
    return render(
        request,
        "import.html",
        report=None,
        staged="",
        formats=FORMATS,
    )


@router.post("/import")
async def import_post(request: Request) -> Response:
    form = await request.form()
    upload = form.get("file")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    name = upload.filename if isinstance(upload, UploadFile) and upload.filename else ""
    return await run_in_threadpool(_import, request, form, name, content)


def _import(request: Request, form: FormData, name: str, content: bytes) -> Response:
    from missionboard.web.actions import guess_format, import_upload

    account = check_csrf(request, form)
    account.require_admin("import files")
    staged = str(form.get("staged", ""))
    confirm = form.get("confirm") == "1"
    report, staged = import_upload(
        workspace_of(request),
        account,
        name=name,
        content=content,
        staged=staged,
        format=str(form.get("format", "")) or guess_format(name),
        source=str(form.get("source", "")).strip() or None,
        on_error=str(form.get("on_error", "fail")),
        dry_run=not confirm,
    )
    if confirm:
        clear_caches(request)
    return render(
        request,
        "import.html",
        report=report,
        staged="" if confirm else staged,
        confirmed=confirm,
        format=str(form.get("format", "")) or guess_format(name),
        on_error=str(form.get("on_error", "fail")),
        source=str(form.get("source", "")),
        formats=FORMATS,
    )
