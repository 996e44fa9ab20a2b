"""Differences between mission versions are reported field by field, objectives matched by id."""

from missionboard.domain.history import FieldChange, diff_documents, field_changes


def test_changed_leaves_are_reported_with_before_and_after() -> None:
    assert field_changes({"a": 1, "b": {"c": 2}}, {"a": 1, "b": {"c": 3}}) == [FieldChange("b.c", 2, 3)]


def test_objectives_are_matched_by_id_so_reordering_is_not_a_change() -> None:
    old = {"objectives": [{"id": "x", "v": 1}, {"id": "y", "v": 2}]}
    new = {"objectives": [{"id": "y", "v": 2}, {"id": "x", "v": 5}]}
    assert field_changes(old, new) == [FieldChange("objectives[x].v", 1, 5)]


def test_added_and_removed_fields_show_as_such() -> None:
    changes = field_changes({"a": 1}, {"b": 2})
    assert [str(c) for c in changes] == ["- a: 1", "+ b: 2"]


def test_the_unified_diff_names_both_versions() -> None:
    diff = diff_documents("m", 1, {"a": 1}, "a: 1\n", 2, {"a": 2}, "a: 2\n")
    assert "--- m v1" in diff.unified and "+++ m v2" in diff.unified and "-a: 1" in diff.unified
