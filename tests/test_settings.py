"""The settings are read from ``MISSIONBOARD_<NAME>`` variables, the name in any case, each validated as its
field's type; a value given when the object is made wins over the environment. (They were read by
pydantic-settings with ``env_prefix="MISSIONBOARD_"``; ``settings.py`` now reads them itself, with the
same results, so that a command need not import pydantic-settings at its start.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from missionboard.settings import DEFAULT_WORKSPACE, MiB, Settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``MISSIONBOARD_*`` variable of the machine running the tests is read."""
    for name in list(os.environ):
        if name.upper().startswith("MISSIONBOARD_"):
            monkeypatch.delenv(name)


def test_without_a_variable_each_setting_has_its_default() -> None:
    settings = Settings()
    assert (settings.workspace, settings.database_url, settings.body_limit) == (
        DEFAULT_WORKSPACE,
        None,
        2 * MiB,
    )


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("MISSIONBOARD_WORKSPACE", "/srv/board.db", "workspace", Path("/srv/board.db")),
        ("missionboard_workspace", "lower.db", "workspace", Path("lower.db")),
        ("MissionBoard_Debug", "yes", "debug", True),
        ("MISSIONBOARD_DEBUG", "0", "debug", False),
        ("MISSIONBOARD_BODY_LIMIT", "4096", "body_limit", 4096),
        ("MISSIONBOARD_USER", "", "user", ""),
        (
            "MISSIONBOARD_DATABASE_URL",
            "postgresql+psycopg://h/db",
            "database_url",
            "postgresql+psycopg://h/db",
        ),
        ("MISSIONBOARD_OIDC_ISSUER", " https://id.example.org/ ", "oidc_issuer", "https://id.example.org"),
        ("MISSIONBOARD_PUBLIC_BASE_URL", "", "public_base_url", None),
    ],
)
def test_a_variable_is_read_as_its_fields_type(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str, expected: object
) -> None:
    monkeypatch.setenv(variable, value)
    assert getattr(Settings(), field) == expected


def test_a_secret_from_the_environment_stays_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISSIONBOARD_OIDC_CLIENT_SECRET", "s3cret")
    secret = Settings().oidc_client_secret
    assert secret is not None
    assert secret.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(Settings())


def test_a_given_value_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISSIONBOARD_WORKSPACE", "from-environment.db")
    assert Settings(workspace="given.db").workspace == Path("given.db")


def test_a_variable_of_no_setting_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISSIONBOARD_NO_SUCH_SETTING", "1")
    assert not hasattr(Settings(), "no_such_setting")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MISSIONBOARD_BODY_LIMIT", "0"),
        ("MISSIONBOARD_BODY_LIMIT", "lots"),
        ("MISSIONBOARD_DEBUG", "maybe"),
        ("MISSIONBOARD_OIDC_ISSUER", "ftp://id.example.org"),
    ],
)
def test_a_bad_value_in_the_environment_fails_naming_its_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as failed:
        Settings()
    assert failed.value.errors()[0]["loc"] == (variable.lower().removeprefix("missionboard_"),)


def test_reading_the_settings_imports_neither_pydantic_settings_nor_asyncio() -> None:
    code = "import json, sys; from missionboard.settings import Settings; Settings(); print(json.dumps(list(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    loaded = {name.partition(".")[0] for name in json.loads(done.stdout)}
    assert not loaded & {"pydantic_settings", "asyncio"}
