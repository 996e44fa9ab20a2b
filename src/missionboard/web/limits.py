"""How large a request body may be, and who may send a large one, decided before a byte of it is read.

Every request may carry ``Settings.body_limit`` bytes (forms, JSON, 2 MiB by default). A few upload
routes accept more (``Settings.import_body_limit`` for admins' imports); their caller is authenticated
and authorised from the headers first, so an anonymous or unauthorised upload is refused unread. The
limit is checked against ``Content-Length`` and again against the bytes actually streamed (a chunked
body has no length), and answers 413.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from missionboard.errors import BadLength, BodyTooLarge


@dataclass(frozen=True)
class Upload:
    """A route that accepts a large body, and the check its caller must pass before any of it is read."""

    method: str
    path: re.Pattern[str]
    limit: int
    authorise: Callable[[Request], None]
    """Raises (LoginRequired, Forbidden …) when the caller may not upload here; runs in a worker thread."""


class BodyLimit:
    """ASGI middleware: refuse oversized bodies with 413 and unauthorised uploads before reading them.

    ``refuse(request, error)`` renders the refusal as the app renders that error anywhere else.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        uploads: Sequence[Upload],
        refuse: Callable[[Request, Exception], Response],
    ) -> None:
        self.app = app
        self.limit = limit
        self.uploads = tuple(uploads)
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        upload = self._upload(scope)
        limit = upload.limit if upload is not None else self.limit
        try:
            if upload is not None:  # first: a stranger learns that they may not, not how much they may
                await run_in_threadpool(upload.authorise, request)
            length = _content_length(scope)
            if length is not None and length > limit:
                raise BodyTooLarge(limit)
        except Exception as exc:  # the caller's error (401, 403, 413 …), shown before the body is read
            await self.refuse(request, exc)(scope, receive, send)
            return

        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as exc:  # read outside the app's error handlers (they answer it otherwise)
            if started:
                raise
            await self.refuse(request, exc)(scope, receive, send)

    def _upload(self, scope: Scope) -> Upload | None:
        for upload in self.uploads:
            if scope["method"] == upload.method and upload.path.fullmatch(scope["path"]):
                return upload
        return None


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            if not text.isascii() or not text.isdigit() or len(text) > 20:
                raise BadLength()
            return int(text)
    return None


__all__ = ["BodyLimit", "Upload"]
