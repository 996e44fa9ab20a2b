"""The landscape of a mission under /api/v1 (summary tables computed by ``landscape analyze``)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["landscape"])
