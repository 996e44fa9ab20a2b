"""Portfolio ingest: one reader module per format, turning files into domain records.

Readers yield :class:`~missionboard.ingest.base.Record` (a project with its participants) or a
:class:`~missionboard.errors.Problem` for each rejected record; the engine (``engine.py``) checks,
de-duplicates and hands batches to the portfolio repository (``store/portfolio.py``).
"""
