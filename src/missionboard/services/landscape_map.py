"""Mapping a whole corpus to a taxonomy (``landscape map``): the use case the interfaces call.

The job itself (readers, chunks, the in-process and Spark engines) lives in ``missionboard.landscape``;
this module is the one door to it, so that the CLI and any other interface see the same names.
"""

from __future__ import annotations

from missionboard.landscape.chunks import Chunk, ChunkDone, Staged
from missionboard.landscape.job import MapEvents, MapReport, map_corpus

__all__ = ["Chunk", "ChunkDone", "MapEvents", "MapReport", "Staged", "map_corpus"]
