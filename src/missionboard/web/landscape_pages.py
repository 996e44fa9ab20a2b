"""A mission's landscape page: who else works on each objective, where our money is thin."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
