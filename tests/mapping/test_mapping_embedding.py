"""The CPU forward pass that remembers per-token layers gives the embedding package's own vectors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from missionboard.mapping.embedding import Embedder, _CachedForward, split_sentences

HERE = Path(__file__).parent


def sentences() -> list[str]:
    texts = [
        json.loads(line)["text"]
        for line in (HERE / "labelled_snippets.jsonl").read_text("utf-8").splitlines()
        if line
    ]
    out = [s for text in texts for s in split_sentences(text)]
    out.append(" ".join(texts))  # one long sentence: cut at the model's 160 pieces
    out.extend(["x", "ok.", "Ǆ ΟΔΟΣ вода nước 2030 CO₂ — “quoted” text"])
    return out


class _SmallStore(_CachedForward):
    _TOKEN_BUDGET = 40  # store of 160 rows: forgotten and refilled many times over these texts


def test_the_cached_forward_pass_gives_the_packages_vectors() -> None:
    embedder = Embedder("cpu")
    texts = sentences()
    ours = embedder.encode(texts)
    theirs = np.asarray(embedder._backend.encode(texts), dtype=np.float32)
    assert ours.shape == theirs.shape == (len(texts), 512)
    assert np.abs(ours - theirs).max() < 1e-5
    assert float((ours * theirs).sum(axis=1).min()) > 0.99999


def test_vectors_do_not_depend_on_what_the_store_remembers() -> None:
    embedder = Embedder("cpu")
    texts = sentences()
    small = _SmallStore(embedder._backend, embedder._tokenizer, capacity=1)
    large = _SmallStore(embedder._backend, embedder._tokenizer)
    assert small._capacity < 200 < large._capacity
    first = small.encode(texts)
    # Equal up to float32 rounding: BLAS may sum a batch of another shape in another order (seen: 1 ulp).
    same = {"rtol": 0, "atol": 1e-6}
    assert np.allclose(first, large.encode(texts), **same)
    assert np.allclose(first, small.encode(texts), **same)  # again, from a store in another state
    assert np.allclose(first, large.encode(texts), **same)
