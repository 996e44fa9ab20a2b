"""Projects beyond the fitted sample are assigned by term profile, all at once (one sparse product per
chunk of projects), and the set a first computation returns is the one later calls read back."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer
from test_shared_themes import add_projects, topics_of  # the same real projects and topics

from missionboard.analytics import theme_sets
from missionboard.analytics.theme_sets import _term_counts, assign_by_profile, shared_themes
from missionboard.store.workspace import Workspace


@pytest.fixture
def small_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fit on 30 projects and read 25 per chunk, so that most projects are assigned by profile."""
    monkeypatch.setattr(theme_sets, "MAX_FIT", 30)
    monkeypatch.setattr(theme_sets, "ASSIGN_CHUNK", 25)


def test_projects_beyond_the_fitted_sample_join_the_theme_of_their_topic(
    workspace: Workspace, small_sample: None
) -> None:
    ids = add_projects(workspace, topics_of(3, 40), start_id=1)
    themes = shared_themes(workspace)
    found = themes.themes_of(np.array(ids))
    assert themes.fitted == 30
    assert len(themes.project_ids) == 120
    per_topic = [set(found[t * 40 : (t + 1) * 40].tolist()) for t in range(3)]
    assert all(len(theme) == 1 for theme in per_topic)
    assert len(set.union(*per_topic)) == 3
    assert 0 not in set.union(*per_topic)


def test_a_read_only_workspace_assigns_every_project_not_only_the_fitted_sample(
    sqlite_url: str, small_sample: None
) -> None:
    ws = Workspace.open(sqlite_url, create=True)
    ids = add_projects(ws, topics_of(3, 40), start_id=1)
    ws.close()
    reader = Workspace.open(sqlite_url, read_only=True)
    try:
        themes = shared_themes(reader)
    finally:
        reader.close()
    assert themes.project_ids.tolist() == ids
    assert int((themes.theme_of == 0).sum()) == 0


def test_the_set_a_first_computation_returns_is_the_one_read_back_later(workspace: Workspace) -> None:
    add_projects(workspace, topics_of(4, 15), start_id=1)
    first = shared_themes(workspace)
    theme_sets._cache.clear()  # as in another process
    again = shared_themes(workspace)
    assert (first.status, again.status) == ("computed", "reused")
    assert first.project_ids.tolist() == again.project_ids.tolist()
    assert first.theme_of.tolist() == again.theme_of.tolist()
    assert first.sizes == again.sizes
    assert first.labels == again.labels
    assert first.distances.tolist() == again.distances.tolist()
    assert first.evidence() == again.evidence()


@pytest.mark.parametrize(
    "text",
    [
        "Hydrogen electrolysis, FUEL-cells & ammonia.",
        "Offshore wind: 15MW turbines (2030); blade_tip x y",
        "Économie circulaire — réemploi des matériaux à Zürich",
        "solar   photovoltaic\tperovskite\nmodule solar solar",
        "«Zürich»—solar,solar;wind\u00a0module (2030) _ a",
        "",
    ],
)
def test_term_counts_split_words_as_the_tfidf_the_themes_were_fitted_with(text: str) -> None:
    vocabulary = sorted(
        {"hydrogen", "fuel", "cells", "15mw", "2030", "blade_tip", "économie", "matériaux", "zürich", "solar"}
        | {"réemploi", "perovskite", "module", "wind"}
    )
    expected = CountVectorizer(vocabulary=vocabulary).transform([text]).toarray()
    assert _term_counts([text], vocabulary).toarray().tolist() == expected.tolist()


def test_a_text_matching_no_profile_term_is_in_no_theme() -> None:
    profiles = [{"battery": 0.8, "lithium": 0.6}, {"wind": 1.0}]
    found = assign_by_profile(profiles, [(1, "Lithium battery recycling"), (2, "Wind farms"), (3, "Dance")])
    assert found == {1: 1, 2: 2, 3: 0}
