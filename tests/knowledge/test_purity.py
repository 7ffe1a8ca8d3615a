"""knowledge/ is a pure library: no Rasa, FastAPI or application imports, no environment reads."""

import ast
from pathlib import Path

FORBIDDEN = ("rasa", "rasa_sdk", "fastapi", "bot", "actions", "channels", "starlette", "sqlalchemy")
PACKAGE = Path(__file__).resolve().parents[2] / "knowledge"


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_forbidden_imports() -> None:
    bad = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            bad.extend(f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN)
    assert bad == []


def test_no_environment_reads() -> None:
    bad = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                target = ast.unparse(node.func)
                if target in ("os.getenv", "os.environ.get"):
                    bad.append(f"{path.name}:{node.lineno} {target}")
            if (
                isinstance(node, ast.Subscript)
                and ast.unparse(node.value) == "os.environ"
                and isinstance(node.ctx, ast.Load)
            ):
                bad.append(f"{path.name}:{node.lineno} os.environ[...]")
    assert bad == []


def test_module_sizes() -> None:
    too_long = {p.name: n for p in _modules() if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert too_long == {}
