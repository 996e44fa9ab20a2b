"""Strategies for broken and hostile inputs, and the one rule every parser is held to."""

from __future__ import annotations

import codecs
import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from missionboard.errors import InputError

SCALE = float(os.environ.get("MISSIONBOARD_FUZZ_SCALE", "1"))
"""Multiplies every test's examples: the suite runs the fast set; ``MISSIONBOARD_FUZZ_SCALE=25`` hunts."""


def fuzz(examples: int) -> settings:
    """Hypothesis settings for one fuzz test: ``examples`` (times SCALE), no deadline (a shared CI
    machine is slow at times), no complaint about slow data generation."""
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


CONTROL = "".join(chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32), 127, 0x85, 0x2028, 0xFEFF, 0xFFFE])
NASTY_TEXT = [
    "\x00", "\ufeff", "\r", "\r\n", "\t", "\u2028", "\ud7ff", "\uffff", "\U0010ffff", "é", "İ", "ß", "\u0301",
    "99999-99-99", "2024-13-45", "2023-02-30", "0000-00-00", "1e309", "-1e309", "nan", "inf", "1" * 5000,
    "-0", "9" * 40, "0x1F", "1_000", "١٢٣", "Ⅻ", "", " ", "null", "~", "true", "&", "<", "]]>", "&amp;",
    "%", "'", '"', "\\", "=cmd|' /C calc'!A0", "\u202e", "a" * 10_000,
]  # fmt: skip
"""Values that broke parsers elsewhere: encodings, numbers, dates, markup and invisible characters."""


def nasty_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Short text mixing arbitrary characters (surrogates excluded: files hold bytes) and the nasties."""
    pieces = st.one_of(
        st.sampled_from(NASTY_TEXT),
        st.text(st.characters(exclude_categories=["Cs"]), max_size=max_size),
        st.text(st.sampled_from(CONTROL + "ab1 ,;:-[]{}()\"'#&*!|>%@`\n"), max_size=max_size),
    )
    return st.lists(pieces, max_size=4).map("".join)


def encoded(text: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    """Text written as a file is: UTF-8 (with or without BOM), UTF-16, Latin-1 or cp1252 where the
    characters allow, or truncated mid-character."""

    def encode(value: str, how: str) -> bytes:
        if how == "utf-8-sig":
            return codecs.BOM_UTF8 + value.encode("utf-8")
        if how in ("latin-1", "cp1252"):
            return value.encode(how, errors="replace")
        if how == "cut":
            data = value.encode("utf-8")
            return data[: max(0, len(data) - 1)]
        return value.encode(how, errors="surrogatepass")

    return st.tuples(text, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252", "cut"])).map(
        lambda pair: encode(*pair)
    )


@st.composite
def mutated(draw: st.DrawFn, seed: bytes, insertions: list[bytes] | None = None) -> bytes:
    """A valid sample with a few bytes flipped, deleted, duplicated, cut or with hostile bytes put in."""
    data = bytearray(seed)
    extra = insertions or [
        b"\x00",
        b"\xff",
        b"\xef\xbb\xbf",
        b"\r",
        b'"',
        b"\n",
        b";",
        b",",
        b"<",
        b"&",
        b"'",
    ]
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "delete", "insert", "duplicate", "truncate", "nasty"]))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif action == "insert":
            data[at:at] = draw(st.sampled_from(extra))
        elif action == "duplicate":
            end = min(len(data), at + draw(st.integers(1, 64)))
            data[at:at] = data[at:end]
        elif action == "truncate":
            del data[at:]
        else:
            data[at:at] = draw(st.sampled_from(NASTY_TEXT)).encode("utf-8", errors="surrogatepass")
    return bytes(data)


@contextlib.contextmanager
def precise_or_correct(file: str | None = None) -> Iterator[list[InputError]]:
    """The rule: the body either succeeds or raises an InputError whose problems each carry a
    one-line message (and name ``file`` when given). Any other exception fails the test."""
    caught: list[InputError] = []
    try:
        yield caught
    except InputError as exc:
        caught.append(exc)
        assert exc.problems
        for problem in exc.problems:
            assert problem.message.strip()
            assert len(problem.message) < 2000
            assert "Traceback" not in problem.message
            if file is not None:
                assert problem.file == file


def parsed_or_refused(parse: Callable[[], Any], file: str | None = None) -> Any:
    """``parse()``'s result, or None when it raised a precise InputError."""
    with precise_or_correct(file):
        return parse()
    return None
