"""The import rules of STYLE.md, checked by walking every module's AST: who may import whom, no import cycles
between the project's modules, no module over 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

FORBIDDEN = {
    "knowledge": {"rasa", "rasa_sdk", "fastapi", "actions", "channels", "bot", "starlette", "sqlalchemy"},
    "actions": {"rasa", "fastapi", "channels", "starlette"},
    "channels": {"rasa", "rasa_sdk", "actions", "bot"},
    "bot/nlu": {
        "bot.storage",
        "bot.app",
        "bot.chat",
        "knowledge",
        "actions",
        "channels",
        "fastapi",
        "rasa_sdk",
    },
    "bot": {"rasa", "rasa_sdk", "actions"},
}
# actions may use the shared storage API and settings of bot, nothing else of it.
ACTIONS_MAY_USE_BOT = (
    "bot.storage",
    "bot.settings",
    "bot.privacy",
    "bot.meta",
    "bot.line.push",
    "bot.reports.categories",
    "bot.reports.notifications",  # the resident's words for a status (the status reply uses the push's)
    "bot.reports.photos",
    "bot.reports.service",
    "bot.reports.spool",
    "bot.alerts",
    "bot.reminders.delivery",
    "bot.live_citydata",
    "bot.live_search",
)


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def violations(package: str, banned: set[str]) -> list[str]:
    found = []
    root = REPO / package
    for path in root.rglob("*.py"):
        rel = path.relative_to(REPO).as_posix()
        if package == "bot" and rel.startswith("bot/nlu/"):
            continue
        for name in imported_modules(path):
            for ban in banned:
                if name == ban or name.startswith(ban + "."):
                    found.append(f"{rel} imports {name}")
            if (
                package == "actions"
                and (name == "bot" or name.startswith("bot."))
                and not name.startswith(ACTIONS_MAY_USE_BOT)
            ):
                found.append(f"{rel} imports {name} (actions may only use bot's storage/settings API)")
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_import_rules(package: str) -> None:
    assert violations(package, FORBIDDEN[package]) == []


# --- no import cycles ---------------------------------------------------------------------------------------

PROJECT = ("bot", "knowledge", "actions", "channels", "bench")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for package in PROJECT for p in sorted((REPO / package).rglob("*.py"))}


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `name` imports anywhere in its file: at the top, inside functions, under
    `TYPE_CHECKING`. `from pkg import module` is an import of the module; `import a.b` of `a.b` (not of its
    parent packages, whose `__init__` Python also runs)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def add(target: str) -> None:
        while target and target not in modules:  # `import bot.x.Name`-style: the longest module prefix
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                add(submodule if submodule in modules else source)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as one cycle through them."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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
    return sorted((cycle_through(graph, c) for c in components), key=lambda c: c[0])


def cycle_through(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """One cycle inside `component`, starting at its first module (breadth-first, so a shortest one)."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & component):
            if nxt == start:
                return paths[node] + [start]
            if nxt not in paths:
                paths[nxt] = paths[node] + [nxt]
                queue.append(nxt)
    return sorted(component)


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"f"}, "f": {"e"}}
    assert cycles(graph) == [["a", "b", "c", "a"], ["e", "f", "e"]]


def test_imports_resolve_to_modules() -> None:
    graph = import_graph()
    assert "bot.rasa" in graph["bot.chat"] and "bot.storage.conversations" in graph["bot.chat"]
    assert "bot.cli.core" in graph["bot.cli"]  # `from bot.cli import core`


def test_no_import_cycles_between_modules() -> None:
    found = cycles(import_graph())
    assert found == [], "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in found)


# --- module size --------------------------------------------------------------------------------------------

MAX_LINES = 400  # STYLE.md: split a module past 400 lines. The widget's JavaScript
# (channels/web/static/widget.js) is exempt: it is one browser script, not a Python module.


def test_no_python_module_over_400_lines() -> None:
    sizes = {
        path.relative_to(REPO).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for package in (*PROJECT, "tests")
        for path in (REPO / package).rglob("*.py")
    }
    too_long = [f"{name}: {n} lines" for name, n in sorted(sizes.items()) if n > MAX_LINES]
    assert too_long == [], "split along a seam:\n" + "\n".join(too_long)
