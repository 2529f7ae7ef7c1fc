"""The layers hold: services/ (and its command line) import neither the console nor Qt, and the console
imports no SQLAlchemy (it calls services through console.common.tasks)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def offenders(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(f"{p.relative_to(ROOT)}: {name}" for p in (ROOT / folder).rglob("*.py")
                  for name in imported(p) if name.split(".")[0] in forbidden)


@pytest.mark.parametrize("folder, forbidden", [
    ("services", ("console", "PySide6", "shiboken6")),
    ("console", ("sqlalchemy",)),
])
def test_imports_follow_the_layers(folder, forbidden):
    assert offenders(folder, forbidden) == []
