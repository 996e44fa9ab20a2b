"""The landscape summary tables (per mission objective: activity by year, organisation, country and field)."""

from __future__ import annotations
