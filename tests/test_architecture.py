"""The package's import graph: no cycles between modules and no arrow pointing up a layer (docs/architecture.md).

The graph is read from the source with ``ast``: every ``import`` and ``from … import`` statement, at
module level or inside a function or an ``if TYPE_CHECKING:`` block, is an arrow from the module that
holds it to the module it names (``from a.b import c`` names ``a.b.c`` where that is a module, else
``a.b``). Parent packages that Python also initialises are not arrows, as in import-linter's grimp.
A violation is reported as ``a → b (file:line)``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "missionboard"

ONLY: dict[str, tuple[frozenset[str], str]] = {
    "domain": (frozenset({"errors"}), "the domain is pure: it imports nothing of the package but errors"),
    "errors": (frozenset({"domain"}), "errors sit at the bottom: every layer raises them"),
}
"""Areas that may import only the areas named (besides themselves)."""

_ENGINES = (
    "ingest",
    "mapping",
    "analytics",
    "monitoring",
    "consultation",
    "reports",
    "missionfile",
    "settings",
    "landscape",
)
COLUMNAR_AREAS = frozenset({"analytics", "landscape"})
"""The areas that may use DuckDB: they query columnar files of their own (snapshots, mapped corpora)."""
NEVER: dict[str, tuple[frozenset[str], str]] = {
    "store": (
        frozenset({*_ENGINES, "services", "cli", "web"}) - {"missionfile", "settings"},
        "the store is used by the areas above it, never the other way round",
    ),
    **{
        engine: (frozenset({"services", "cli", "web"}), "areas below services never call use cases")
        for engine in _ENGINES
    },
    "services": (frozenset({"cli", "web"}), "services are called by the interfaces, not the reverse"),
    "web": (frozenset({"cli"}), "the web app does not reach into the command line"),
}
"""Areas each area must never import. Nothing imports ``cli`` or ``web`` but themselves and the
command-line entry point (``cli`` serves ``web``): ``test_only_cli_and_web_import_cli_and_web``."""

KNOWN_CYCLE_EDGES: dict[tuple[str, str], str] = {}
"""Arrows that close a known cycle. The cycle check runs without them, so any further cycle fails."""


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    where: str

    def __str__(self) -> str:
        return f"{self.source} → {self.target} ({self.where})"


def modules(src: Path, package: str) -> dict[str, Path]:
    """Dotted module name → file, for every module and package of ``package`` under ``src``."""
    found: dict[str, Path] = {}
    for path in sorted((src / package).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _named(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> Iterator[str]:
    """The dotted names one import statement reaches for (``from a.b import c`` → ``a.b.c``)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        start = ".".join([*base, *([node.module] if node.module else [])])
    else:
        start = node.module or ""
    yield from (f"{start}.{alias.name}" for alias in node.names)


def import_graph(src: Path = SRC, package: str = PACKAGE) -> list[Arrow]:
    """Every arrow between modules of ``package``, function-level and TYPE_CHECKING imports included."""
    known = modules(src, package)
    arrows: list[Arrow] = []
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            # ``a.b.c`` is the module c where there is one, else the name c inside the module a.b.
            targets = {_resolve(n, known) for n in _named(node, module, path.name == "__init__.py")}
            where = f"{path.relative_to(src).as_posix()}:{node.lineno}"
            arrows.extend(Arrow(module, t, where) for t in sorted(t for t in targets if t and t != module))
    return arrows


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The longest module of the package that ``name`` lies in, or None outside the package."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def cycles(arrows: Iterable[Arrow]) -> list[list[Arrow]]:
    """The arrows inside each strongly connected component of more than one module (Tarjan)."""
    graph: dict[str, list[Arrow]] = {}
    for arrow in arrows:
        graph.setdefault(arrow.source, []).append(arrow)
        graph.setdefault(arrow.target, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for arrow in graph[node]:
            if arrow.target not in index:
                visit(arrow.target)
                low[node] = min(low[node], low[arrow.target])
            elif arrow.target in on_stack:
                low[node] = min(low[node], index[arrow.target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [
        sorted((a for n in c for a in graph[n] if a.target in c), key=str)
        for c in sorted(components, key=sorted)
    ]


def area(module: str, package: str = PACKAGE) -> str:
    """The top-level area of a module: ``missionboard.store.missions`` → ``store``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == package else ""


def upward(arrows: Iterable[Arrow], package: str = PACKAGE) -> list[tuple[Arrow, str]]:
    """Arrows that break a rule of ``ONLY`` or ``NEVER``, each with the rule's reason."""
    found = []
    for arrow in arrows:
        source, target = area(arrow.source, package), area(arrow.target, package)
        if source == target or not target:
            continue
        if source in ONLY and target not in ONLY[source][0]:
            found.append((arrow, ONLY[source][1]))
        elif source in NEVER and target in NEVER[source][0]:
            found.append((arrow, NEVER[source][1]))
    return found


# --- the package ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph() -> list[Arrow]:
    return import_graph()


def test_the_graph_sees_function_level_imports(graph: list[Arrow]) -> None:
    """The CLI's `web` command imports the web app inside the function that serves it."""
    assert any(a.source == "missionboard.cli.web" and a.target.startswith("missionboard.web") for a in graph)


def test_no_import_cycles_between_modules(graph: list[Arrow]) -> None:
    remaining = [a for a in graph if (a.source, a.target) not in KNOWN_CYCLE_EDGES]
    found = cycles(remaining)
    assert not found, "import cycles:\n" + "\n\n".join("\n".join(f"  {a}" for a in c) for c in found)


def test_known_cycle_exceptions_name_real_arrows(graph: list[Arrow]) -> None:
    """An allowance for an arrow that no longer exists is stale: delete it from KNOWN_CYCLE_EDGES."""
    present = {(a.source, a.target) for a in graph}
    stale = sorted(f"{s} → {t}" for s, t in KNOWN_CYCLE_EDGES if (s, t) not in present)
    assert not stale, f"remove these from KNOWN_CYCLE_EDGES, the arrows are gone: {stale}"


def test_no_import_points_up_a_layer(graph: list[Arrow]) -> None:
    found = upward(graph)
    assert not found, "upward imports:\n" + "\n".join(f"  {a}: {why}" for a, why in found)


def test_only_cli_and_web_import_cli_and_web(graph: list[Arrow]) -> None:
    found = [a for a in graph if area(a.target) in {"cli", "web"} and area(a.source) not in {"cli", "web"}]
    assert not found, "imports of the interfaces:\n" + "\n".join(f"  {a}" for a in found)


INTERFACES = frozenset({"cli", "web"})
INTERFACE_NEEDS = frozenset({"services", "domain", "errors", "settings", ""})
"""Areas the interfaces may import besides themselves: use cases, models, errors, the settings they start
with, and the package root (its ``__version__``). Of ``store`` only ``store.workspace`` (the handle)."""
INTERFACE_MODULES = frozenset({"store.workspace"})

KNOWN_INTERFACE_REACHES: dict[tuple[str, str], str] = {}
"""Arrows from an interface past ``services`` that are known and being removed, as ``(source, target)``
without the package name. Any other such arrow fails ``test_cli_and_web_import_only_services_domain_errors``."""


def interface_reaches(arrows: Iterable[Arrow], package: str = PACKAGE) -> list[Arrow]:
    """Arrows from ``cli`` or ``web`` to anything but themselves, ``INTERFACE_NEEDS`` and ``INTERFACE_MODULES``."""
    allowed = {f"{package}.{m}" for m in INTERFACE_MODULES}
    return [
        a
        for a in arrows
        if area(a.source, package) in INTERFACES
        and area(a.target, package) not in INTERFACES | INTERFACE_NEEDS
        and a.target not in allowed
    ]


def _short(module: str, package: str = PACKAGE) -> str:
    return module.removeprefix(f"{package}.")


def test_cli_and_web_import_only_services_domain_errors(graph: list[Arrow]) -> None:
    """The interfaces parse, call one use case and render: they import ``services``, ``domain``,
    ``errors`` and the ``Workspace`` handle, never an engine or a table (docs/architecture.md)."""
    found = [
        a
        for a in interface_reaches(graph)
        if (_short(a.source), _short(a.target)) not in KNOWN_INTERFACE_REACHES
    ]
    assert not found, "cli/web reaching past services (call a use case in services/ instead):\n" + "\n".join(
        f"  {a}" for a in found
    )


def test_known_interface_reaches_name_real_arrows(graph: list[Arrow]) -> None:
    """An allowance for an arrow that is gone is stale: delete it from KNOWN_INTERFACE_REACHES."""
    present = {(_short(a.source), _short(a.target)) for a in interface_reaches(graph)}
    stale = sorted(f"{s} → {t}" for s, t in KNOWN_INTERFACE_REACHES if (s, t) not in present)
    assert not stale, f"remove these from KNOWN_INTERFACE_REACHES, the arrows are gone: {stale}"


# --- SQL only in the store (docs/architecture.md, "All SQL in store/") ---------------------------------

DATABASE_LIBRARIES = ("sqlalchemy", "sqlite3", "psycopg", "psycopg2")
TABLE_MODULES = frozenset(
    f"store.{m}"
    for m in (
        "tables",
        "web_tables",
        "consult_tables",
        "mapping_tables",
        "monitoring_tables",
        "analytics_tables",
    )
)
"""The modules that declare tables: their ``*Row`` classes are SQL, used only inside ``store``."""

KNOWN_SQL_OUTSIDE_STORE: dict[str, str] = {}
"""Modules outside ``store`` still reaching the database themselves, while their queries move to a
repository in ``store/``. Each entry goes when its module is done."""


def sql_outside_store(src: Path = SRC, package: str = PACKAGE) -> list[str]:
    """Modules outside ``store`` that import a database library or a table module, or DuckDB outside
    ``analytics`` and ``landscape`` (which query their own columnar files), as ``module: what (file:line)``."""
    known = modules(src, package)
    found: list[str] = []
    for module, path in known.items():
        if area(module, package) == "store":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            where = f"{path.relative_to(src).as_posix()}:{node.lineno}"
            names = list(_named(node, module, path.name == "__init__.py"))
            if isinstance(node, ast.ImportFrom) and not node.level:
                names.append(node.module or "")
            for name in names:
                top = name.split(".")[0]
                if top in DATABASE_LIBRARIES:
                    found.append(f"{module}: imports {name} ({where})")
                elif top == "duckdb" and area(module, package) not in COLUMNAR_AREAS:
                    found.append(f"{module}: imports duckdb outside the columnar areas ({where})")
                elif (_short(_resolve(name, known) or "", package)) in TABLE_MODULES:
                    found.append(f"{module}: imports the tables {_resolve(name, known)} ({where})")
    return sorted(set(found))


def test_sql_lives_only_in_the_store() -> None:
    """No module outside ``store/`` talks to the workspace database: no database library, no table."""
    found = [f for f in sql_outside_store() if f.split(":")[0] not in KNOWN_SQL_OUTSIDE_STORE]
    assert not found, "SQL outside store/ (move the query into a repository in store/):\n" + "\n".join(
        f"  {f}" for f in found
    )


def test_known_sql_outside_store_is_still_there() -> None:
    """An allowance for a module that no longer reaches the database is stale: delete it."""
    still = {f.split(":")[0] for f in sql_outside_store()}
    stale = sorted(m for m in KNOWN_SQL_OUTSIDE_STORE if m not in still)
    assert not stale, f"remove these from KNOWN_SQL_OUTSIDE_STORE, they no longer reach the database: {stale}"


def test_the_sql_check_sees_a_table_import_and_a_driver(tmp_path: Path) -> None:
    """The check itself: a module importing a table module or sqlite3 outside the store is found."""
    package = tmp_path / "pkg"
    for folder in ("store", "services", "analytics"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "store" / "tables.py").write_text("class ProjectRow: ...\n")
    (package / "store" / "repo.py").write_text("import sqlalchemy\nfrom pkg.store.tables import ProjectRow\n")
    (package / "services" / "a.py").write_text("from pkg.store.tables import ProjectRow\n")
    (package / "services" / "b.py").write_text("def f():\n    import sqlite3\n")
    (package / "services" / "c.py").write_text("import duckdb\n")
    (package / "analytics" / "engine.py").write_text("import duckdb\n")
    found = sql_outside_store(tmp_path, "pkg")
    assert [f.split(" (")[0] for f in found] == [
        "pkg.services.a: imports the tables pkg.store.tables",
        "pkg.services.b: imports sqlite3",
        "pkg.services.c: imports duckdb outside the columnar areas",
    ]


# --- conventions said once (docs/architecture.md, "One definition of each convention") ------------------

HOMES: dict[str, str] = {
    "mission_taxonomy": "missionboard.domain.mapping",
    "mission_of_taxonomy": "missionboard.domain.mapping",
    "project_text_of": "missionboard.domain.mapping",
    "utc_aware": "missionboard.domain.common",
    "_aware": "missionboard.domain.common",
    "may_see": "missionboard.domain.accounts",
    "_may_see": "missionboard.services.accounts",
}
"""The one module that may define a function of each name."""
FORMATS = frozenset({"csv", "xlsx", "iati", "360giving", "cordis"})
KNOWN_REPEATS: dict[str, str] = {}


def repeats(src: Path = SRC, package: str = PACKAGE) -> list[str]:
    """Where a convention is spelled out again outside its home: a function of a name in ``HOMES``,
    the ``"mission:"`` prefix, or the list of ingest formats."""
    found: list[str] = []
    for module, path in modules(src, package).items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        where = path.relative_to(src).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and HOMES.get(node.name, module) != module:
                found.append(f"{where}: defines {node.name}")
            elif module != f"{package}.domain.mapping" and _spells_mission_prefix(node):
                found.append(f"{where}: spells the mission prefix")
            elif module != f"{package}.domain.records" and _lists_formats(node):
                found.append(f"{where}: lists the ingest formats")
    return sorted(set(found))


def _spells_mission_prefix(node: ast.AST) -> bool:
    if isinstance(node, ast.JoinedStr) and node.values:
        node = node.values[0]
    return isinstance(node, ast.Constant) and node.value == "mission:"


def _lists_formats(node: ast.AST) -> bool:
    if isinstance(node, ast.Subscript):
        node = node.slice
    if not isinstance(node, ast.Tuple | ast.List | ast.Set):
        return False
    values = {e.value for e in node.elts if isinstance(e, ast.Constant)}
    return values == FORMATS


def test_each_convention_is_defined_once() -> None:
    found = [r for r in repeats() if r not in KNOWN_REPEATS]
    assert not found, "a convention spelled out again (use the one in domain/ or services/accounts):\n" + (
        "\n".join(f"  {r}" for r in found)
    )


def test_known_repeats_are_still_there() -> None:
    """An allowance for a repeat that is gone is stale: delete it from KNOWN_REPEATS."""
    stale = sorted(set(KNOWN_REPEATS) - set(repeats()))
    assert not stale, f"remove these from KNOWN_REPEATS, they are fixed: {stale}"


# --- the checker itself, on a small package written for the purpose --------------------------------------


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    src = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from pkg import b\n",
            "b.py": "def later():\n    from pkg.a import thing\n",
            "c.py": "from . import a\n",
        },
    )
    found = cycles(import_graph(src, "pkg"))
    assert [[str(a) for a in c] for c in found] == [
        ["pkg.a → pkg.b (pkg/a.py:1)", "pkg.b → pkg.a (pkg/b.py:2)"]
    ]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"domain/x.py": "from pkg.store import y\n", "store/y.py": ""}, ["pkg.domain.x → pkg.store.y"]),
        ({"store/y.py": "import pkg.services.z\n", "services/z.py": ""}, ["pkg.store.y → pkg.services.z"]),
        (
            {"analytics/t.py": "def f():\n    from pkg.services import m\n", "services/m.py": ""},
            ["pkg.analytics.t → pkg.services.m"],
        ),
        ({"services/m.py": "from ..web import app\n", "web/app.py": ""}, ["pkg.services.m → pkg.web.app"]),
        ({"services/m.py": "from pkg.store import y\n", "store/y.py": ""}, []),
        ({"web/app.py": "from pkg.services import m\n", "services/m.py": ""}, []),
    ],
)
def test_upward_arrows_are_found_and_downward_ones_allowed(
    tmp_path: Path, files: dict[str, str], expected: list[str]
) -> None:
    inits = {f"{d}/__init__.py": "" for d in {name.split("/")[0] for name in files}}
    src = _package(tmp_path, {"__init__.py": "", **inits, **files})
    found = [f"{a.source} → {a.target}" for a, _ in upward(import_graph(src, "pkg"), "pkg")]
    assert found == expected


def test_an_interface_reaching_past_services_is_found(tmp_path: Path) -> None:
    src = _package(
        tmp_path,
        {
            "__init__.py": "__version__ = '1'\n",
            "cli/__init__.py": "",
            "cli/run.py": (
                "from pkg import __version__\nfrom pkg.services import m\nfrom pkg.store.workspace import W\n"
                "from pkg.domain import d\nfrom pkg.errors import E\nfrom pkg.web import app\n"
                "def later():\n    from pkg.monitoring import board\n"
            ),
            "web/__init__.py": "",
            "web/app.py": "from pkg.store.tables import Row\n",
            "services/__init__.py": "",
            "services/m.py": "from pkg.monitoring import board\n",
            "monitoring/__init__.py": "",
            "monitoring/board.py": "",
            "store/__init__.py": "",
            "store/workspace.py": "",
            "store/tables.py": "",
            "domain/__init__.py": "",
            "domain/d.py": "",
            "errors.py": "",
        },
    )
    found = [f"{a.source} → {a.target}" for a in interface_reaches(import_graph(src, "pkg"), "pkg")]
    assert found == ["pkg.cli.run → pkg.monitoring.board", "pkg.web.app → pkg.store.tables"]


def test_a_convention_spelled_out_again_is_found(tmp_path: Path) -> None:
    src = _package(
        tmp_path,
        {
            "__init__.py": "",
            "web.py": 'def _aware(t):\n    return t\n\nCODE = f"mission:{1}"\n',
            "api.py": 'from typing import Literal\nFormat = Literal["csv", "xlsx", "iati", "360giving", "cordis"]\n',
            "fine.py": 'YAML = "mission:\\n  id: x"\nSOME = ("csv", "xlsx")\n',
        },
    )
    assert repeats(src, "pkg") == [
        "pkg/api.py: lists the ingest formats",
        "pkg/web.py: defines _aware",
        "pkg/web.py: spells the mission prefix",
    ]
