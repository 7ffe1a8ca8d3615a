"""docs/contracts.md and the README stay true to the code (in the manner of datasette's tests/test_docs.py).

Each test reads a table of the documentation and compares it with what the code says: the launcher's children,
the migration files, the META kinds, Rasa's domain, the typer app's commands, the source tree.
"""

from __future__ import annotations

import ast
import fnmatch
import re
import typing
from pathlib import Path

import pytest
import typer.main
import yaml

from bot.cli import app as cli_app
from bot.meta import Kind
from bot.run.plan import build_children
from bot.settings import load_settings
from tests.contract.test_layout import CROSS_CUTTING

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = REPO / "docs" / "contracts.md"
README = REPO / "README.md"
SOURCE_PACKAGES = ("actions", "bot", "channels", "knowledge")
BACKTICKED = re.compile(r"`([^`]+)`")


def section(path: Path, title: str) -> str:
    """The text under the heading `title` (any level), up to the next heading of the same or a higher level."""
    text = path.read_text(encoding="utf-8")
    found = re.search(rf"^(#+) {re.escape(title)}\s*$", text, re.M)
    assert found, f"{path.name} has no heading {title!r}"
    level = len(found.group(1))
    end = re.compile(rf"^#{{1,{level}}} ", re.M).search(text, found.end())
    return text[found.end() : end.start() if end else None]


def table_rows(markdown: str) -> list[list[str]]:
    """The body rows (not the header) of every table in `markdown`, as lists of stripped cells."""
    rows: list[list[str]] = []
    in_body = False
    for line in markdown.splitlines():
        line = line.strip()
        if not line.startswith("|"):
            in_body = False
        elif line.startswith("|---"):
            in_body = True
        elif in_body:
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def backticked(cell: str) -> list[str]:
    return BACKTICKED.findall(cell)


# --- docs/contracts.md -----------------------------------------------------------------------------------


def test_the_process_table_is_the_launchers_children(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "var", env="test", secret_key="test-secret-key")
    children = {child.name: child for child in build_children(settings, workers=1)}
    rows = {backticked(row[0])[0]: row for row in table_rows(section(CONTRACTS, "Processes"))}
    assert set(rows) == set(children)
    for name, row in rows.items():
        child = children[name]
        # every word of the documented command is in the child's command line (`rasa` is the program itself)
        words = [w for w in backticked(row[1])[0].split() if w != "python"]
        missing = [w for w in words if w not in child.cmd and w != Path(child.cmd[0]).name]
        assert not missing, f"{name}: {missing} not in {child.cmd}"


def migration_revisions() -> dict[str, str | None]:
    """`{revision: down_revision}` read from each file in the versions folder."""
    found: dict[str, str | None] = {}
    for path in sorted((REPO / "bot" / "storage" / "migrations" / "versions").glob("*.py")):
        values = {
            target.id: node.value.value
            for node in ast.parse(path.read_text(encoding="utf-8")).body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        assert values["revision"] == path.stem, f"{path.name}: revision {values['revision']!r}"
        found[path.stem] = values["down_revision"]
    return found


def test_the_migration_table_is_the_versions_folder() -> None:
    documented = {
        backticked(row[0])[0]: (backticked(row[1]) or [None])[0]
        for row in table_rows(section(CONTRACTS, "Storage (`bot/storage`, SQLAlchemy 2 + Alembic)"))
    }
    assert documented == migration_revisions()


def kind_literals(node: ast.expr) -> list[str]:
    """The string constants an expression can evaluate to (`"a"`, `"a" if x else "b"`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return kind_literals(node.body) + kind_literals(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [s for value in node.values for s in kind_literals(value)]
    return []


def kinds_sent() -> dict[str, set[str]]:
    """`{kind: {file, …}}` for every `kind=` keyword and `{"kind": …}` literal in actions/ and bot/*.py."""
    sent: dict[str, set[str]] = {}
    for path in sorted([*(REPO / "actions").rglob("*.py"), *(REPO / "bot").glob("*.py")]):
        rel = path.relative_to(REPO).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            values: list[ast.expr] = []
            if isinstance(node, ast.Call):
                values = [k.value for k in node.keywords if k.arg == "kind"]
            elif isinstance(node, ast.Dict):
                values = [
                    v
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant) and k.value == "kind"
                ]
            for value in values:
                for kind in kind_literals(value):
                    sent.setdefault(kind, set()).add(rel)
    return sent


def documented_kinds() -> dict[str, set[str]]:
    rows = table_rows(section(CONTRACTS, "META kinds (`bot.meta.Kind`)"))
    return {backticked(row[0])[0]: set(backticked(row[1])) for row in rows}


def test_the_meta_kinds_documented_are_the_type() -> None:
    assert set(documented_kinds()) == set(typing.get_args(Kind))


def test_every_kind_sent_is_in_the_type_and_every_kind_is_sent() -> None:
    assert set(kinds_sent()) == set(typing.get_args(Kind))


def test_the_meta_kinds_table_names_who_sends_each() -> None:
    sent = kinds_sent()
    for kind, senders in documented_kinds().items():
        assert {s.split(" ")[0] for s in senders} == sent[kind], kind


def test_the_intent_table_is_the_domain() -> None:
    domain = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))
    rows = table_rows(section(CONTRACTS, "Intents, actions, slots (Rasa side: `domain.yml`, `data/`)"))
    intents = {name.strip() for row in rows for name in row[0].split(",")}
    assert intents == set(domain["intents"]) | {"nlu_fallback"}  # nlu_fallback: Rasa's FallbackClassifier
    known = set(domain["actions"]) | set(domain["responses"]) | set(domain.get("forms") or {})
    named = {
        name
        for row in rows
        for name in backticked(row[1])
        if re.fullmatch(r"(action|utter|validate)_[a-z_]+|[a-z_]+_form", name)
    }
    assert named
    assert named - known == set()


def defined_names(tree: ast.Module | ast.ClassDef) -> dict[str, ast.AST]:
    """Names bound at the top of a module or class body (defs, classes, assignments, imports)."""
    names: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names[node.name] = node
        elif isinstance(node, ast.Assign):
            names.update({t.id: node for t in node.targets if isinstance(t, ast.Name)})
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update({(a.asname or a.name).split(".")[0]: node for a in node.names})
    return names


def resolves(dotted: str) -> bool:
    """`pkg.module.Name.attr` names a module of the tree and, after it, a name it defines (without importing:
    `bot.nlu` needs Rasa)."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        base = REPO.joinpath(*parts[:i])
        path = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
        if path.is_file():
            break
    else:
        return False
    rest = parts[i:]
    scope: ast.Module | ast.ClassDef = ast.parse(path.read_text(encoding="utf-8"))
    for name in rest[:2]:  # a module attribute, then a class attribute; deeper is a value's attribute
        node = defined_names(scope).get(name)
        if node is None:
            return False
        if not isinstance(node, ast.ClassDef):
            break
        scope = node
    return True


def python_names(path: Path) -> list[str]:
    names = []
    for span in BACKTICKED.findall(path.read_text(encoding="utf-8")):
        found = re.match(rf"(?:{'|'.join(SOURCE_PACKAGES)})(?:[.:][A-Za-z_]\w*)+", span)
        if found:
            names.append(found.group(0).replace(":", "."))
    return names


def test_every_python_name_in_the_contracts_exists() -> None:
    names = python_names(CONTRACTS)
    assert len(names) > 20
    assert [name for name in names if not resolves(name)] == []


def test_every_source_path_in_the_contracts_exists() -> None:
    paths = [
        span
        for span in BACKTICKED.findall(CONTRACTS.read_text(encoding="utf-8"))
        if re.fullmatch(rf"(?:{'|'.join(SOURCE_PACKAGES)}|tests|docs|data)/[\w/.]*", span)
    ]
    assert paths
    assert [p for p in paths if not (REPO / p).exists()] == []


# --- README.md -------------------------------------------------------------------------------------------


def test_the_readme_command_table_is_the_cli() -> None:
    commands = typer.main.get_command(cli_app).commands  # type: ignore[attr-defined]  # a (Typer)Group
    documented = {
        command.split()[1]
        for row in table_rows(section(README, "Command line"))
        for command in backticked(row[0])
        if command.startswith("madoguchi ")
    }
    assert documented == set(commands)


def ignored_by_git(name: str) -> bool:
    patterns = [
        line.strip().rstrip("/")
        for line in (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return any(fnmatch.fnmatch(name, pattern) for pattern in patterns)


def tree_directories() -> set[str]:
    """Every top-level directory of the repository, and every package under bot/, knowledge/, channels/."""
    top = {
        f"{d.name}/"
        for d in REPO.iterdir()
        if d.is_dir() and not d.name.startswith(".") and not ignored_by_git(d.name)
    }
    packages = {
        f"{init.parent.relative_to(REPO).as_posix()}/"
        for root in ("bot", "knowledge", "channels")
        for init in (REPO / root).rglob("__init__.py")
        if init.parent != REPO / root
    }
    return top | packages


def readme_directories() -> set[str]:
    """The directories (`name/`) the README's directory table names. In a row's description a name that does
    not start with a top-level directory is relative to the row's own (`e2e/` in the `tests/` row)."""
    named: set[str] = set()
    for row in table_rows(section(README, "Architecture")):
        own = [name for name in backticked(row[0]) if name.endswith("/")]
        named.update(own)
        for name in backticked(" ".join(row[1:])):
            if name.endswith("/"):
                top_level = (REPO / name.split("/")[0]).is_dir()
                named.add(name if top_level or not own else own[0] + name)
    return named


def test_the_readme_directory_table_names_the_tree() -> None:
    named = readme_directories()
    assert tree_directories() - named == set(), "add these to the README's directory table"
    assert {name for name in named if not (REPO / name).is_dir()} == set(), "no longer in the tree"


@pytest.mark.parametrize("doc", [CONTRACTS, README], ids=lambda p: p.name)
def test_docs_name_no_retired_python_names(doc: Path) -> None:
    retired = ["bot.privacy.pseudonym", "sender_key(", "LineSender", "ask_certificate"]
    text = doc.read_text(encoding="utf-8")
    assert [name for name in retired if name in text] == []


def test_the_readme_names_the_cross_cutting_test_suites() -> None:
    [row] = [r for r in table_rows(section(README, "Architecture")) if backticked(r[0]) == ["tests/"]]
    suites = {name.rstrip("/") for name in backticked(row[1]) if re.fullmatch(r"\w+/", name)}
    assert suites == CROSS_CUTTING
