"""One demo workspace, built once, for the tests that only read it."""

from pathlib import Path

import pytest

from missionboard.services.demo.build import build_demo


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "missionboard.db"
    build_demo(path)
    return path
