"""Imports follow the data: cli → crawler → pipelines → archive → common (shared/DESIGN.md).

A module may import its own package and the packages below it, never one above; common, the
leaf, imports nothing of ours. Every import is read from the source with `ast`, including the
ones inside functions, so a lazy import cannot get around the order.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ORDER = ("cli", "crawler", "pipelines", "archive", "common")   # top to bottom


def imported_packages(path: Path) -> set[tuple[str, int]]:
    """(our top-level package, line) for every import in the module at `path`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {(name.split(".")[0], node.lineno) for name in names if name.split(".")[0] in ORDER}
    return found


def order_violations(package: str, path: Path) -> list[str]:
    """One line per import in `path` (a module of `package`) that goes against ORDER."""
    rank = ORDER.index(package)
    return [f"{path.name}:{line} imports {other} ({package} may import only "
            f"{', '.join(ORDER[rank + 1:]) or 'nothing of ours'})"
            for other, line in sorted(imported_packages(path))
            if other != package and ORDER.index(other) < rank]


MODULES = [(package, path) for package in ORDER for path in sorted((ROOT / package).rglob("*.py"))]


@pytest.mark.parametrize("package, path", MODULES, ids=[str(p.relative_to(ROOT)) for _, p in MODULES])
def test_module_imports_only_packages_below_its_own(package, path):
    assert order_violations(package, path) == []


def test_every_package_is_checked():
    assert {package for package, _ in MODULES} == set(ORDER)
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages == set(ORDER), "a new top-level package needs a place in ORDER"


def test_an_upward_import_is_caught_even_inside_a_function(tmp_path):
    module = tmp_path / "store.py"
    module.write_text("import json\nfrom common.text import nfc\n\n"
                      "def aliases():\n    from crawler.sites import host_aliases\n", encoding="utf-8")
    assert order_violations("archive", module) == [
        "store.py:5 imports crawler (archive may import only common)"]
    assert order_violations("crawler", module) == []


def test_the_leaf_may_import_nothing_of_ours(tmp_path):
    module = tmp_path / "text.py"
    module.write_text("import unicodedata\nimport archive.search\n", encoding="utf-8")
    assert order_violations("common", module) == ["text.py:2 imports archive (common may import only nothing of ours)"]


def test_each_package_docstring_says_what_it_may_import():
    for package in ORDER:
        doc = ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text(encoding="utf-8")))
        assert doc and "import" in doc.lower(), package
