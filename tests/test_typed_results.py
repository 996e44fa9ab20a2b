"""Every use case returns a typed result (docs/architecture.md, "Typed results").

What a public function of ``services/`` returns is described all the way down: its return annotation
resolves (no name hidden behind ``TYPE_CHECKING`` that the annotation cannot reach), and neither it nor
any field of a dataclass, pydantic model or TypedDict it names, at any depth, is ``Any``. Values that are open JSON
by nature (a link's evidence, an audit event's before and after) are ``JsonValue``: any JSON value,
described recursively.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import typing
from collections.abc import Iterator
from typing import Any, get_args, get_type_hints

import pydantic
import pytest
from typing_extensions import TypeAliasType

import missionboard.services

KNOWN_UNTYPED: dict[str, str] = {}
"""Use cases whose result still holds ``Any`` somewhere, as ``module.function``, while it is typed."""


def untyped_paths(annotation: object, trail: tuple[str, ...], seen: set[int]) -> Iterator[tuple[str, ...]]:
    """The paths (function, then field by field) that end in ``Any``."""
    if annotation is Any:
        yield trail
        return
    if id(annotation) in seen or isinstance(annotation, str | typing.ForwardRef):
        return
    seen.add(id(annotation))
    if isinstance(annotation, TypeAliasType | getattr(typing, "TypeAliasType", TypeAliasType)):
        yield from untyped_paths(annotation.__value__, trail, seen)
        return
    for argument in get_args(annotation):
        yield from untyped_paths(argument, trail, seen)
    if not inspect.isclass(annotation):
        return
    if typing.is_typeddict(annotation):
        for name, hint in get_type_hints(annotation).items():
            yield from untyped_paths(hint, (*trail, f"{annotation.__name__}.{name}"), seen)
    elif dataclasses.is_dataclass(annotation):
        hints = get_type_hints(annotation)
        for field in dataclasses.fields(annotation):
            yield from untyped_paths(hints[field.name], (*trail, f"{annotation.__name__}.{field.name}"), seen)
    elif issubclass(annotation, pydantic.BaseModel):
        for name, field in annotation.model_fields.items():
            yield from untyped_paths(field.annotation, (*trail, f"{annotation.__name__}.{name}"), seen)


def use_cases() -> list[tuple[str, Any]]:
    """``module.function`` and the function, for every public function defined in a services module."""
    found = []
    for info in pkgutil.walk_packages(missionboard.services.__path__, "missionboard.services."):
        if info.ispkg or info.name.startswith("missionboard.services.demo"):
            continue  # the demo builder is a script of use cases, not one
        module = importlib.import_module(info.name)
        for name, function in vars(module).items():
            if (
                not name.startswith("_")
                and inspect.isfunction(function)
                and function.__module__ == module.__name__
            ):
                found.append((f"{info.name.removeprefix('missionboard.services.')}.{name}", function))
    return sorted(found, key=lambda pair: pair[0])


USE_CASES = use_cases()


@pytest.mark.parametrize(("name", "function"), USE_CASES, ids=[name for name, _ in USE_CASES])
def test_a_use_case_returns_a_result_typed_all_the_way_down(name: str, function: Any) -> None:
    returned = get_type_hints(function)["return"]  # fails when a name in it cannot be resolved
    paths = [" → ".join(p) for p in untyped_paths(returned, (name,), set())]
    if name in KNOWN_UNTYPED:
        assert paths, f"{name} is typed now: remove it from KNOWN_UNTYPED"
        pytest.xfail(KNOWN_UNTYPED[name])
    assert not paths, "a result holds Any:\n" + "\n".join(f"  {p}" for p in paths)


@dataclasses.dataclass
class _Inner:
    values: dict[str, Any]


class _Row(typing.TypedDict):
    loose: Any


@dataclasses.dataclass
class _Outer:
    inner: list[_Inner]
    fine: pydantic.JsonValue
    rows: list[_Row]


def test_the_check_finds_any_in_a_nested_field() -> None:
    assert [" → ".join(p) for p in untyped_paths(_Outer, ("f",), set())] == [
        "f → _Outer.inner → _Inner.values",
        "f → _Outer.rows → _Row.loose",
    ]
