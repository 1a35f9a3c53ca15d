"""passes/ is the pure library: it never imports the service or a web or database framework."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = ("api", "fastapi", "sqlmodel", "sqlalchemy", "starlette")
PASSES = Path(__file__).resolve().parents[2] / "passes"


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_passes_imports_no_framework() -> None:
    offenders = {
        str(path.relative_to(PASSES)): sorted(imported_roots(path) & set(FORBIDDEN))
        for path in PASSES.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
