"""Reading YAML that users write (missions, taxonomies, column mappings) without letting a file blow up.

:func:`load` composes the document with PyYAML's safe loader, refuses aliases that expand past
:data:`MAX_NODES` nodes (the "billion laughs": nine anchors of nine aliases each make 387 million
strings from 1 KB) or refer to themselves, and documents nested past :data:`MAX_DEPTH`, then builds
the Python data. Every failure is one :class:`~missionboard.errors.InputError` naming the file and,
where YAML knows it, the line: a control character, an impossible date (``2024-13-45``), a number of
5,000 digits, an unhashable key.

Scalars are read as YAML 1.2 (core schema) reads them, not as PyYAML's YAML 1.1 does: only
``true``/``false`` (and ``True``, ``TRUE``, ``False``, ``FALSE``) are booleans, so a country code such
as ``NO``, ``Y`` or ``ON`` stays text (``geography: NO`` is Norway, not False); ``010`` is ten, not
eight; ``1:30`` is text, not ninety; ``1e3`` is a number. Dates (``2030-12-31``) are still dates.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from missionboard.errors import InputError, Problem

MAX_NODES = 100_000
"""Nodes of a document with every alias expanded (the largest built-in taxonomy has some 3,000)."""
MAX_DEPTH = 64
"""Mappings and lists nested in one another (a mission file nests 4 deep)."""

_YAML_1_1_ONLY = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}


class Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 core-schema booleans and numbers (see the module's docstring)."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _YAML_1_1_ONLY]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)


def _construct_int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)  # "010" is ten in YAML 1.2


Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def load(text: str, filename: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (for lines) and its data; (None, None) for an empty document."""
    try:
        root = yaml.compose(text, Loader=Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _invalid(filename, mark.line + 1 if mark else None, str(exc.problem or exc.context)) from exc
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1 if isinstance(exc.position, int) else None
        what = f"#x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
        raise _invalid(filename, line, f"the character {what} is not allowed (a control character?)") from exc
    except yaml.YAMLError as exc:
        raise _invalid(filename, None, _first_line(exc)) from exc
    except RecursionError as exc:
        raise _invalid(filename, None, f"nested more than {MAX_DEPTH} levels deep") from exc
    if root is None:
        return None, None
    _check_size(root, filename)
    return root, _construct(root, filename)


def line_of(node: yaml.Node | None) -> int | None:
    """The 1-based line a node starts on."""
    return None if node is None else node.start_mark.line + 1


def node_at(root: yaml.Node, path: tuple[int | str, ...]) -> yaml.Node:
    """The deepest YAML node along ``path`` (falls back to the nearest existing parent)."""
    node = root
    for part in path:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    child = value
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            return node
        node = child
    return node


def _check_size(root: yaml.Node, filename: str) -> None:
    """Count the nodes the data will have once aliases are expanded, without expanding them."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if depth > MAX_DEPTH:
            raise _invalid(filename, line_of(node), f"nested more than {MAX_DEPTH} levels deep")
        if key in open_nodes:
            raise _invalid(filename, line_of(node), "an alias refers to a node that contains it")
        open_nodes.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            _refuse_duplicate_keys(node, filename)
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        open_nodes.discard(key)
        if total > MAX_NODES:
            raise _invalid(
                filename, line_of(node), f"aliases expand to more than {MAX_NODES:,} values (a YAML bomb?)"
            )
        sizes[key] = total
        return total

    size(root, 0)


def _refuse_duplicate_keys(node: yaml.MappingNode, filename: str) -> None:
    """A key twice in one mapping: YAML's loaders keep the last silently, so a second ``title:`` or
    ``id:`` would quietly replace the first. Refused with both lines."""
    first: dict[str, yaml.Node] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
            continue
        if key.value in first:
            raise _invalid(
                filename,
                line_of(key),
                f"the key {key.value[:40]!r} appears twice (first on line {line_of(first[key.value])})",
            )
        first[key.value] = key


def _construct(root: yaml.Node, filename: str) -> Any:
    try:
        return Loader("").construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _invalid(filename, mark.line + 1 if mark else None, str(exc.problem or exc.context)) from exc
    except (ValueError, OverflowError, TypeError) as exc:
        # a scalar that matched a YAML type but is not one: 2024-13-45, a 5,000-digit integer
        node = _failing_scalar(root)
        value = f" {node.value[:40]!r}" if node is not None else ""
        raise _invalid(filename, line_of(node), f"cannot read the value{value}: {_first_line(exc)}") from exc


def _failing_scalar(root: yaml.Node) -> yaml.ScalarNode | None:
    """The first scalar, in document order, that the safe constructor cannot build."""
    seen: set[int] = set()
    stack: list[yaml.Node] = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            try:
                Loader("").construct_object(node)
            except (ValueError, OverflowError, TypeError, yaml.YAMLError):
                return node
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            stack.extend(reversed([n for pair in node.value for n in pair]))
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _invalid(filename: str, line: int | None, reason: str) -> InputError:
    return InputError(Problem(filename, line, "", f"not valid YAML: {reason}"))
