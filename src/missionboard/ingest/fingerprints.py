"""Fingerprints of input rows, so that a re-import can skip an unchanged row before parsing it.

A project remembers the fingerprint of the row it was last written from (``projects.row_hash``). A
fingerprint covers everything a row's project is made of: the row's cells, its partner rows, the
file's header, the mapping, the source and the code that turns a row into a project (the source text
of the modules below, so that a new version re-reads every row once). Equal fingerprints therefore
mean an equal record, and the content hash would say "unchanged" too; the hash is BLAKE2b over
``repr`` of the cells, a tenth of the cost of parsing the row. Rows of older workspaces have no
fingerprint (NULL): their first re-import compares content hashes as before and stores one.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import missionboard

VERSION = "1"
"""Bumped when the fingerprint's layout changes."""

ROW_CODE = (
    "missionboard.domain.common",
    "missionboard.domain.missions",
    "missionboard.domain.portfolio",
    "missionboard.ingest.base",
    "missionboard.ingest.fingerprints",
    "missionboard.ingest.generic",
    "missionboard.ingest.tabular",
    "missionboard.store.portfolio",
)
"""The modules whose code decides what a row becomes."""

DIGEST_SIZE = 16
"""Bytes of the BLAKE2b digest: 32 hexadecimal characters, the width of ``projects.row_hash``."""


@cache
def code_stamp() -> str:
    """A digest of the source text of ``ROW_CODE`` (the package version where a source is not a file)."""
    digest = hashlib.blake2b(missionboard.__version__.encode(), digest_size=DIGEST_SIZE)
    for name in ROW_CODE:
        module = importlib.import_module(name)
        path = Path(getattr(module, "__file__", "") or "")
        if path.suffix == ".py" and path.is_file():
            digest.update(path.read_bytes())
        else:
            digest.update(name.encode())
    return digest.hexdigest()


def file_prefix(source: str, header: Sequence[str], settings: str) -> bytes:
    """What every row of one file shares: layout version, code, source, header and reading settings
    (the mapping as JSON)."""
    return repr((VERSION, code_stamp(), source, list(header), settings)).encode("utf-8", "surrogatepass")


def row_fingerprint(prefix: bytes, cells: Sequence[str], extra: str = "") -> str:
    """The fingerprint of one row: its file's prefix, its cells and ``extra`` (its partner rows)."""
    digest = hashlib.blake2b(prefix, digest_size=DIGEST_SIZE)
    digest.update(repr((cells, extra)).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()
