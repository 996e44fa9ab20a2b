"""Project texts sampled for the theme analyses, and the document vectors ``map`` cached for them.

Shared by ``themes`` (diversity, near-duplicates) and ``theme_sets`` (the workspace's shared themes),
which both need them; here so that neither imports the other for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from missionboard.domain.mapping import project_text_of
from missionboard.store.analytics import cached_vectors
from missionboard.store.workspace import Workspace


def joined_text(title: str, abstract: str) -> str:
    """A project's title and abstract as one text, as the instrument phrases are looked for in it."""
    return ". ".join(t for t in (title, abstract) if t)


@dataclass
class TextSample:
    ids: list[int]
    titles: list[str]
    abstracts: list[str]
    texts: list[str]
    funders: list[frozenset[str]]
    population: int

    def subset(self, keep: list[int]) -> TextSample:
        """The sample restricted to the given positions."""
        return TextSample(
            ids=[self.ids[i] for i in keep],
            titles=[self.titles[i] for i in keep],
            abstracts=[self.abstracts[i] for i in keep],
            texts=[self.texts[i] for i in keep],
            funders=[self.funders[i] for i in keep],
            population=self.population,
        )


@dataclass(frozen=True)
class Embeddings:
    """Document vectors that ``map`` cached for (most of) the sampled projects."""

    model: str
    vectors: np.ndarray
    positions: list[int]

    def sample(self, full: TextSample) -> TextSample:
        """The part of ``full`` these vectors belong to, row for row."""
        return full.subset(self.positions)


def cached_embeddings(
    workspace: Workspace, sample: TextSample, *, min_coverage: float = 0.9
) -> Embeddings | None:
    """The mapping area's cached document vectors for the sample, if it has them for ≥ ``min_coverage``.

    Reuses what ``missionboard map`` computed (same text, same hash); nothing is embedded here. Returns
    ``None`` where mapping is not installed, has not run, or covers too few of the sampled projects.
    """
    try:
        from missionboard.mapping.embedding import MODEL_NAME, text_hash
    except ImportError:
        return None
    if not sample.ids:
        return None
    hashes = [text_hash(project_text_of(t, a)) for t, a in zip(sample.titles, sample.abstracts, strict=True)]
    found = cached_vectors(workspace, hashes, model_prefix=MODEL_NAME)
    if not found:
        return None
    model = max(found, key=lambda m: (len(found[m]), m))
    vectors = found[model]
    positions = [i for i, h in enumerate(hashes) if h in vectors]
    if len(positions) < min_coverage * len(hashes):
        return None
    return Embeddings(
        model=model, vectors=np.vstack([vectors[hashes[i]] for i in positions]), positions=positions
    )
