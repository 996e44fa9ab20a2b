"""docs/cli-reference.md is generated from the command tree: every command, option and JSON key is in it.

When one of these fails, regenerate the page with ``python -m missionboard.cli.reference``; when a
command's JSON changed, first correct ``JSON_OUTPUT`` in ``src/missionboard/cli/reference.py``.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

import missionboard.services.demo
from missionboard.cli import reference
from missionboard.cli.app import main
from missionboard.errors import MissionboardError

COMMANDS = reference.commands()
PAGE = reference.PAGE.read_text(encoding="utf-8") if reference.PAGE.is_file() else ""
REGENERATE = f"regenerate it with '{reference.REGENERATE}'"


def _section(title: str) -> str | None:
    """The text of the page's section on one command, up to the next section; None when it has none."""
    heading = f"## `{title}`\n"
    start = PAGE.find(heading)
    if start < 0:
        return None
    end = PAGE.find("\n## ", start + len(heading))
    return PAGE[start : end if end >= 0 else len(PAGE)]


# --- the page says what the tree holds ------------------------------------------------------------


def test_the_reference_page_is_the_one_the_generator_writes_from_the_commands() -> None:
    assert reference.render(COMMANDS) == PAGE, f"docs/cli-reference.md is out of date: {REGENERATE}"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.title)
def test_every_command_has_a_section_in_the_reference(command: reference.CommandDoc) -> None:
    assert _section(command.title) is not None, (
        f"'{command.title}' is missing from docs/cli-reference.md: {REGENERATE}"
    )


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.title)
def test_every_option_of_a_command_is_in_its_section(command: reference.CommandDoc) -> None:
    rows = " ".join(line for line in (_section(command.title) or "").splitlines() if line.startswith("| `"))
    missing = [
        flag
        for option in command.options
        for flag in option.flags
        if not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", rows)
    ]
    assert missing == [], (
        f"options {missing} of '{command.title}' missing from docs/cli-reference.md: {REGENERATE}"
    )


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.title)
def test_every_argument_of_a_command_is_in_its_section(command: reference.CommandDoc) -> None:
    section = _section(command.title) or ""
    names = [a.names.split()[0] for a in command.arguments]
    missing = [name for name in names if "| `" + name.replace("|", "\\|") not in section]
    assert missing == [], (
        f"arguments {missing} of '{command.title}' missing from docs/cli-reference.md: {REGENERATE}"
    )


@pytest.mark.parametrize("name", sorted(reference.JSON_OUTPUT))
def test_every_json_key_a_command_prints_is_in_its_section(name: str) -> None:
    section = _section(f"missionboard {name}") or ""
    missing = [key for key in reference.JSON_OUTPUT[name].all_keys if f"`{key}`" not in section]
    assert missing == [], (
        f"JSON keys {missing} of 'missionboard {name}' missing from docs/cli-reference.md: {REGENERATE}"
    )


def test_every_command_that_prints_json_declares_its_keys() -> None:
    assert reference.check_json(COMMANDS) == []


def test_a_command_that_prints_json_without_declared_keys_stops_the_generator() -> None:
    app = typer.Typer()

    @app.command("report")
    def report(format: str = typer.Option("text", "--format", help="text or json.")) -> None:
        """A command that is not in JSON_OUTPUT."""

    @app.command("other")
    def other() -> None:
        """A second command, so that the first keeps its name."""

    with pytest.raises(MissionboardError, match="'missionboard report' prints JSON"):
        reference.render(reference.commands(app))


def test_check_exits_1_and_says_how_to_regenerate_when_the_page_is_stale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "cli-reference.md"
    stale.write_text(
        PAGE.replace("## `missionboard rates list`", "## `missionboard rates`"), encoding="utf-8"
    )
    assert reference.main(["--check", "--output", str(stale)]) == 1
    assert reference.REGENERATE in capsys.readouterr().err


def test_check_exits_0_when_the_page_is_current(tmp_path: Path) -> None:
    page = tmp_path / "cli-reference.md"
    assert reference.main(["--output", str(page)]) == 0
    assert reference.main(["--check", "--output", str(page)]) == 0


# --- the declared keys are the ones the commands print --------------------------------------------

MISSION = "circular-construction"
PROJECT = "projects:P-1"
RUNS: list[tuple[str, list[str]]] = [
    ("info", ["info", "--json"]),
    ("mission list", ["mission", "list"]),
    ("mission show", ["mission", "show", MISSION]),
    ("mission history", ["mission", "history", MISSION]),
    ("mission check", ["mission", "check", MISSION]),
    ("story", ["story", MISSION]),
    ("compare", ["compare"]),
    ("rates import", ["rates", "import", "{rates}"]),
    ("rates list", ["rates", "list"]),
    ("ingest csv", ["ingest", "csv", "{projects}"]),
    ("ingest runs", ["ingest", "runs"]),
    ("classify", ["classify", "--taxonomy", "sdg", "--method", "query", "--input", "{texts}"]),
    ("map", ["map", "--mission", MISSION, "--method", "query"]),
    ("review", ["review"]),
    ("taxonomy list", ["taxonomy", "list"]),
    ("taxonomy show", ["taxonomy", "show", "sdg"]),
    ("indicators import", ["indicators", "import", "{indicators}"]),
    ("indicators list", ["indicators", "list"]),
    ("indicators show", ["indicators", "show", "cd_waste_mt"]),
    ("progress import", ["progress", "import", "{progress}"]),
    ("gate add", ["gate", "add", PROJECT, "--name", "G1", "--date", "2030-06-30", "--criterion", "Pilot"]),
    ("gate list", ["gate", "list", PROJECT]),
    ("gate calendar", ["gate", "calendar", MISSION]),
    ("decide", ["decide", PROJECT, "--decision", "continue", "--rationale", "On track"]),
    ("decisions", ["decisions"]),
    ("appeal lodge", ["appeal", "lodge", "1", "--reason", "Too early"]),
    ("appeal rule", ["appeal", "rule", "1", "--outcome", "upheld", "--ruling", "Fair", "--by", "judge"]),
    ("users add", ["users", "add", "bob", "--password", "a-long-secret"]),
    ("users set-role", ["users", "set-role", "bob", MISSION, "viewer"]),
    ("users list", ["users", "list"]),
    (
        "consult open",
        [
            "consult",
            "open",
            MISSION,
            "--title",
            "T",
            "--purpose",
            "P",
            "--closes",
            "2030-01-01",
            "--id",
            "c1",
        ],
    ),
    ("consult list", ["consult", "list"]),
    ("consult show", ["consult", "show", "c1"]),
    ("consult invite", ["consult", "invite", "c1", "--label", "a reader"]),
    ("consult export", ["consult", "export", "c1"]),
    ("consult synthesise", ["consult", "synthesise", "c1"]),
    ("monitor", ["monitor", MISSION]),
]
"""Commands cheap enough to run here, in an order that gives each one something to print. Left out:
``analyze`` (about 2 s of CPU even on one project), ``themes``, ``similar`` and ``duplicates``
(embeddings), and the ``ingest`` formats other than csv, which print the same report."""

FILES = {
    "texts": '{"id": "a", "text": "Solar power and clean water for rural schools"}\n',
    "rates": "currency,reporting_currency,year,rate,source\nSEK,EUR,2024,0.0875,test\n",
    "projects": "id,title,abstract,funder,instrument,budget,currency,start,end,country\n"
    "P-1,Circular concrete,Reuse of demolition concrete,Agency,rd_grant,100000,EUR,2024-01-01,2026-12-31,DK\n",
    "indicators": "indicator,name,unit,year,value,geography,source\n"
    "cd_waste_mt,Construction and demolition waste,Mt,2023,5.1,DK,test\n"
    "cd_waste_mt,Construction and demolition waste,Mt,2024,4.9,DK,test\n",
    "progress": f"project,kind,name,date,planned,actual,unit,completed,note\n"
    f"{PROJECT},milestone,Pilot built,2025-06-30,,,,2025-06-20,\n",
}


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """What each command of RUNS printed with ``--format json``, run in order on one small workspace."""
    folder = tmp_path_factory.mktemp("reference")
    files = {name: folder / f"{name}.{'jsonl' if name == 'texts' else 'csv'}" for name in FILES}
    for name, text in FILES.items():
        files[name].write_text(text, encoding="utf-8")
    workspace = ["--workspace", str(folder / "workspace.db")]
    missions = Path(missionboard.services.demo.__file__).parent / "missions" / f"{MISSION}.yaml"
    assert main([*workspace, "mission", "import", str(missions)]) == 0
    outputs: dict[str, Any] = {}
    capture = pytest.MonkeyPatch()
    for name, argv in RUNS:
        args = [a.format(**{k: str(v) for k, v in files.items()}) for a in argv]
        if reference.JSON_OUTPUT[name].when == "--format json":
            args += ["--format", "json"]
        outputs[name] = _run([*workspace, *args], folder / f"{name}.json", capture)
    yield outputs


def _run(argv: list[str], out: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run the command with stdout sent to a file (the fixture is module-wide, so capsys is not at hand)."""
    with out.open("w", encoding="utf-8") as sink:
        monkeypatch.setattr(sys, "stdout", sink)
        try:
            code = main(argv)
        finally:
            monkeypatch.undo()
    text = out.read_text(encoding="utf-8")
    assert code == 0, f"missionboard {' '.join(argv)} exited {code}: {text}"
    return json.loads(text)


@pytest.mark.parametrize("name", [name for name, _ in RUNS])
def test_a_command_prints_every_json_key_the_reference_declares(printed: dict[str, Any], name: str) -> None:
    data = printed[name]
    first = data[0] if isinstance(data, list) and data else data
    missing = [k for k in reference.JSON_OUTPUT[name].keys if k not in first]
    assert missing == [], (
        f"'missionboard {name}' no longer prints {missing}: correct JSON_OUTPUT, then regenerate"
    )


@pytest.mark.parametrize("name", [name for name, _ in RUNS])
def test_a_command_prints_no_json_key_the_reference_leaves_out(printed: dict[str, Any], name: str) -> None:
    data = printed[name]
    first = data[0] if isinstance(data, list) and data else data
    extra = [k for k in first if k not in reference.JSON_OUTPUT[name].all_keys]
    assert extra == [], (
        f"'missionboard {name}' prints {extra}, which JSON_OUTPUT lacks: add them, then regenerate"
    )


@pytest.mark.parametrize("name", [name for name, _ in RUNS])
def test_a_command_prints_the_shape_the_reference_declares(printed: dict[str, Any], name: str) -> None:
    is_list = reference.JSON_OUTPUT[name].shape.startswith("a list")
    assert isinstance(printed[name], list if is_list else dict)
