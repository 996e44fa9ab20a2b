"""The balanced per-goal SDG sets (issue 17, item 1): the data files are valid and as large as the
README says, references into the shared sample data resolve, and the evaluation counts right."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import sdg_balanced as sb  # noqa: E402

README = sb.DATA / "README.md"


def readme_counts() -> dict[str, dict[str, tuple[int, int]]]:
    """The per-language table between the README's 'counts:begin' and 'counts:end' markers."""
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- counts:begin -->", 1)[1].split("<!-- counts:end -->", 1)[0]
    table: dict[str, dict[str, tuple[int, int]]] = {}
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != len(sb.GOALS) + 1 or not re.fullmatch(r"[a-z]{2}", cells[0]):
            continue
        per_goal = {}
        for goal, cell in zip(sb.GOALS, cells[1:], strict=True):
            n_true, n_false = (int(x) for x in cell.split("/"))
            if n_true or n_false:
                per_goal[goal] = (n_true, n_false)
        table[cells[0]] = per_goal
    return table


def complete_languages() -> set[str]:
    """Languages the README declares complete (each goal at least ``required(lang)`` true and false texts:
    50 in English, 10 in the other languages)."""
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^Complete languages: (.*)$", text, re.M)
    assert match, "the README must say which languages are complete ('Complete languages: ...')"
    return {x.strip() for x in match.group(1).split(",") if x.strip() and x.strip() != "none"}


def test_every_language_file_is_valid() -> None:
    files = sb.language_files()
    assert files, "no balanced sets found"
    for path in files:
        rows = sb.read_rows(path)  # raises on a missing source, reason, bad goal or duplicate id
        assert rows, path
        for row in rows:
            assert set(row["why"]) == set(row["labels"]), row["id"]


def test_counts_are_what_the_readme_claims() -> None:
    assert sb.counts_by_language() == readme_counts()


def test_complete_languages_reach_their_targets() -> None:
    table = sb.counts_by_language()
    for lang in complete_languages():
        assert set(table[lang]) == set(sb.GOALS), lang
        need = sb.required(lang)
        short = {g: c for g, c in table[lang].items() if min(c) < need}
        assert not short, f"{lang}: goals short of {need}/{need}: {short}"


def test_the_seven_other_languages_are_complete() -> None:
    assert {"nb", "sv", "da", "fi", "de", "fr", "es"} <= complete_languages()


def test_english_set_has_several_kinds_and_hard_negatives() -> None:
    rows = sb.read_rows(sb.DATA / "en.jsonl")
    kinds = {row["kind"] for row in rows}
    assert {"iati-activity", "grant-summary", "project-abstract", "publication-abstract"} <= kinds
    # Each negative is argued: a reason that names what the text is about instead.
    negatives = [row["why"][g] for row in rows for g, v in row["labels"].items() if not v]
    assert negatives and all(len(reason) > 15 for reason in negatives)


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"source": ""}, "source"),
        ({"why": {}}, "no reason"),
        ({"labels": {"18": True}, "why": {"18": "yes: something"}}, "unknown goal"),
        ({"kind": "tweet"}, "kind"),
        ({"ref": {"file": "x.xml", "record": "1", "field": "description"}}, "exactly one"),
    ],
)
def test_malformed_rows_are_refused(bad: dict[str, Any], message: str) -> None:
    row: dict[str, Any] = {
        "id": "en-9999",
        "lang": "en",
        "kind": "report-paragraph",
        "text": "Some text.",
        "source": "somewhere/repo@abc:path.md",
        "labels": {"6": True},
        "why": {"6": "yes: water supply (6.1)"},
    }
    row.update(bad)
    with pytest.raises(sb.DataError, match=message):
        sb.validate_row(row, "test")


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    row = {
        "id": "en-0001",
        "lang": "en",
        "kind": "report-paragraph",
        "text": "Some text.",
        "source": "somewhere/repo@abc:path.md",
        "labels": {"6": True},
        "why": {"6": "yes: water supply (6.1)"},
    }
    path = tmp_path / "en.jsonl"
    path.write_text(json.dumps(row) + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(sb.DataError, match="duplicate id"):
        sb.read_rows(path)


def test_references_resolve_from_the_shared_data(shared_data: Path) -> None:
    loaded = sb.load(shared=shared_data)
    assert not loaded.skipped, loaded.skipped[:5]
    refs = {row["id"] for path in sb.language_files() for row in sb.read_rows(path) if "ref" in row}
    by_id = {item.id: item for item in loaded.items}
    assert refs and refs <= set(by_id)
    assert all(len(by_id[i].text) > 20 for i in refs)


def test_without_shared_data_ref_rows_are_skipped_with_a_reason(tmp_path: Path) -> None:
    loaded = sb.load(["en"], shared=tmp_path / "absent")
    assert loaded.skipped and all("absent" in reason for _, reason in loaded.skipped)
    ref_ids = {row["id"] for row in sb.read_rows(sb.DATA / "en.jsonl") if "ref" in row}
    assert ref_ids == {ident for ident, _ in loaded.skipped}
    assert all(item.id not in ref_ids for item in loaded.items)


def test_a_missing_record_is_reported(shared_data: Path) -> None:
    text, reason = sb.Resolver(shared_data).text(
        {"file": "iati/usaid-798-activities.xml", "record": "NO-SUCH-ID", "field": "description"}
    )
    assert text is None and "NO-SUCH-ID" in reason


def item(ident: str, labels: dict[str, bool], kind: str = "report-paragraph", lang: str = "en") -> sb.Item:
    return sb.Item(ident, lang, kind, "text", "src", labels, {g: "why" for g in labels})


def test_scores_count_each_goal_over_its_own_set() -> None:
    items = [
        item("a", {"6": True, "14": False}),
        item("b", {"6": False}, kind="iati-activity"),
        item("c", {"14": True}, lang="es"),
        item("d", {"6": True}),
    ]
    predicted = [{"6", "14"}, {"6"}, set(), {"3"}]
    results = sb.score_goals(items, predicted)
    six, fourteen = results["6"], results["14"]
    assert (six.tp, six.fp, six.fn, six.tn) == (1, 1, 1, 0)
    assert (fourteen.tp, fourteen.fp, fourteen.fn, fourteen.tn) == (0, 1, 1, 0)
    assert six.balanced_accuracy == pytest.approx((1 / 2 + 0 / 1) / 2)
    assert "3" not in results  # goal 3 has no set here: predicting it does not count
    mean, pooled = sb.headline(results)
    assert mean == pytest.approx((1 / 3 + 0) / 2)
    assert pooled == pytest.approx(1 / 5)
    report = sb.evaluate(items, predicted)
    assert report["per_kind"]["iati-activity"]["decisions"] == 1
    assert report["per_lang"]["es"]["texts"] == 1


def test_the_default_method_runs_on_a_tiny_subset() -> None:
    rows = [r for r in sb.read_rows(sb.DATA / "en.jsonl") if "text" in r][:6]
    items = [
        sb.Item(r["id"], r["lang"], r["kind"], r["text"], r["source"], r["labels"], r["why"]) for r in rows
    ]
    predicted = sb.predict(items)
    assert len(predicted) == len(items)
    assert all(goals <= set(sb.GOALS) for goals in predicted)
    report = sb.evaluate(items, predicted)
    assert 0.0 <= report["mean_per_goal_accuracy"] <= 1.0
    assert report["texts"] == len(items)
