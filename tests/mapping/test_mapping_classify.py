"""`missionboard classify` and the methods behind it: labels, evidence, determinism, bad input, offline."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from missionboard.errors import InputError, NotFound
from missionboard.mapping.classifier import Mapper
from missionboard.mapping.taxonomy import builtin, resolve
from missionboard.services.mapping import classify_texts

ENERGY = "Solar mini-grids bring clean electricity to rural villages and schools that were off the grid."
WATER = "Programa de agua potable y saneamiento para comunidades rurales de Bolivia."


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def test_builtin_sdg_taxonomy_has_17_goals_and_169_targets_with_official_wording() -> None:
    sdg = builtin("sdg")
    goals = [g for g in sdg.goals if g.parent is None]
    targets = [g for g in sdg.goals if g.parent is not None]
    assert [g.code for g in goals] == [str(n) for n in range(1, 18)]
    assert len(targets) == 169
    seven_two = next(g for g in targets if g.code == "7.2")
    assert seven_two.parent == "7"
    assert seven_two.title.startswith("By 2030, increase substantially the share of renewable energy")
    assert all(g.queries for g in goals)


def test_builtin_eu_missions_taxonomy_has_the_five_missions() -> None:
    codes = [g.code for g in builtin("eu-missions").goals]
    assert codes == ["adaptation", "cancer", "ocean", "cities", "soil"]


def test_classify_assigns_the_obvious_goal_best_first_with_evidence() -> None:
    energy, water = classify_texts("sdg", [ENERGY, WATER])
    assert energy[0].goal == "7"
    assert water[0].goal == "6"
    assert energy == sorted(energy, key=lambda label: -label.score)
    evidence = energy[0].evidence
    assert {"query_terms", "target", "sentences", "methods"} <= set(evidence)
    assert evidence["target"]["code"].startswith("7.")
    assert evidence["sentences"][0]["text"] in ENERGY


def test_query_evidence_quotes_words_that_are_in_the_text() -> None:
    [labels] = classify_texts("sdg", [WATER], method="query")
    assert labels[0].goal == "6"
    terms = labels[0].evidence["query_terms"]
    assert terms and all(term in WATER for term in terms)
    assert labels[0].evidence["methods"] == {"query": pytest.approx(labels[0].score, abs=1e-4)}


def test_results_are_deterministic() -> None:
    texts = [ENERGY, WATER, "A text about nothing in particular."]
    first = [[label.as_dict() for label in labels] for labels in classify_texts("sdg", texts)]
    second = [[label.as_dict() for label in labels] for labels in classify_texts("sdg", texts)]
    assert first == second


def test_each_method_can_be_used_alone() -> None:
    for method in ("query", "semantic", "ensemble"):
        [labels] = classify_texts("sdg", [ENERGY], method=method)
        assert labels and labels[0].goal == "7", method


def test_supervised_method_without_a_model_says_how_to_get_one() -> None:
    with pytest.raises(InputError, match="--retrain"):
        Mapper(builtin("sdg"), method="supervised")


def test_multilingual_snippets_mostly_get_their_goal_first(snippets: list[dict[str, Any]]) -> None:
    results = classify_texts("sdg", [s["text"] for s in snippets])
    hits = sum(
        1 for s, labels in zip(snippets, results, strict=True) if labels and labels[0].goal in s["goals"]
    )
    assert hits / len(snippets) >= 0.7


def test_cli_classify_writes_one_line_per_input_in_order(cli: Any, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": ENERGY}, {"id": 7, "text": WATER}])
    out = tmp_path / "out.jsonl"
    res = cli("classify", "--taxonomy", "sdg", "--input", str(source), "--output", str(out))
    assert res.exit_code == 0, res.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["a", 7]
    assert lines[0]["labels"][0]["goal"] == "7"
    assert set(lines[0]["labels"][0]) == {"goal", "score", "evidence"}
    assert 0 <= lines[0]["labels"][0]["score"] <= 1


def test_cli_classify_to_stdout_needs_no_workspace(cli: Any, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": ENERGY}])
    res = cli(
        "classify",
        "-t",
        "sdg",
        "-i",
        str(source),
        "--method",
        "query",
        workspace=tmp_path / "never-created.db",
    )
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["labels"][0]["goal"] == "7"
    assert not (tmp_path / "never-created.db").exists()


def test_cli_classify_reports_a_malformed_line_with_its_number(cli: Any, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "bad.jsonl", [{"id": 1, "text": ENERGY}, "", '{"id": 2, "text": '])
    res = cli("classify", "-t", "sdg", "-i", str(source))
    assert res.exit_code == 2
    assert "bad.jsonl:3" in res.stderr
    assert "not valid JSON" in res.stderr


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"id": 1, "text": "   "}, "text: is empty"),
        ({"id": 1}, "text: missing"),
        ({"id": 1, "text": 42}, "text: must be a string"),
        ([1, 2], "each line must be an object"),
    ],
)
def test_cli_classify_rejects_bad_records_clearly(cli: Any, tmp_path: Path, row: Any, message: str) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [row])
    res = cli("classify", "-t", "sdg", "-i", str(source))
    assert res.exit_code == 2
    assert "in.jsonl:1" in res.stderr and message in res.stderr


def test_cli_classify_rejects_a_huge_text_and_handles_a_long_one(cli: Any, tmp_path: Path) -> None:
    huge = write_jsonl(tmp_path / "huge.jsonl", [{"id": 1, "text": "energy " * 200_000}])
    res = cli("classify", "-t", "sdg", "-i", str(huge))
    assert res.exit_code == 2 and "the limit is 1,000,000" in res.stderr
    long = write_jsonl(tmp_path / "long.jsonl", [{"id": 1, "text": (ENERGY + " ") * 2_000}])
    res = cli("classify", "-t", "sdg", "-i", str(long))
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["labels"][0]["goal"] == "7"


def test_cli_classify_unknown_taxonomy_is_a_clear_error(cli: Any, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": ENERGY}])
    res = cli("classify", "-t", "sgd", "-i", str(source), workspace=tmp_path / "none.db")
    assert res.exit_code == 2
    assert "unknown taxonomy 'sgd'" in res.stderr
    with pytest.raises(NotFound):
        resolve("mission:nope")


def test_cli_classify_missing_input_file(cli: Any, tmp_path: Path) -> None:
    res = cli("classify", "-t", "sdg", "-i", str(tmp_path / "nope.jsonl"))
    assert res.exit_code == 2 and "no such file" in res.stderr


def test_the_model_loads_offline_from_installed_package_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the network cut and HF_HUB_OFFLINE=1, a fresh process loads the model and classifies."""
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network disabled in this test')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from missionboard.services.mapping import classify_texts\n"
        f"[labels] = classify_texts('sdg', [{ENERGY!r}])\n"
        "print(labels[0].goal)\n"
    )
    env = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "7"
    assert socket.socket.connect is not None


def test_taxonomy_yaml_file_can_be_used_directly(tmp_path: Path) -> None:
    path = tmp_path / "energy.yaml"
    path.write_text(
        "code: energy\ntitle: Energy\ngoals:\n"
        "- code: solar\n  title: Solar power\n  queries: ['solar OR photovolta*']\n"
        "- code: wind\n  title: Wind power\n  queries: ['wind NEAR/3 (power OR turbine* OR farm*)']\n",
        encoding="utf-8",
    )
    [labels] = classify_texts(str(path), ["Photovoltaic panels on school roofs."], method="query")
    assert [label.goal for label in labels] == ["solar"]


def test_the_gpu_forward_pass_gives_the_same_vectors_as_the_cpu_one() -> None:
    """`--device cuda` runs the model with PyTorch; checked here on PyTorch's CPU device."""
    pytest.importorskip("torch")
    from missionboard.mapping.embedding import Embedder, _TorchForward

    embedder = Embedder()
    forward = _TorchForward(embedder._backend, device="cpu")
    texts = [ENERGY, WATER, "x", "Dự án cải thiện chất lượng nước sạch. " * 30]
    cpu = embedder.encode(texts)
    torch_vectors = forward.encode(texts, embedder._tokenizer)
    assert (cpu * torch_vectors).sum(axis=1) == pytest.approx([1.0] * len(texts), abs=1e-4)


def test_cuda_without_a_gpu_is_a_clear_error() -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    from missionboard.mapping.embedding import Embedder, ModelUnavailable

    with pytest.raises(ModelUnavailable, match="no CUDA GPU"):
        Embedder(device="cuda")


def test_worker_processes_give_the_same_output_in_the_same_order(snippets: list[dict[str, Any]]) -> None:
    from missionboard.services.mapping import classify_jsonl, make_mapper

    mapper = make_mapper("sdg")
    lines = [json.dumps({"id": s["id"], "text": s["text"]}) for s in snippets]
    alone = list(classify_jsonl(mapper, lines, batch_size=16, workers=1))
    parallel = list(classify_jsonl(mapper, lines, batch_size=16, workers=2))
    assert parallel == alone
    assert [r.id for r in parallel] == [s["id"] for s in snippets]
