"""The shape of the code: no import cycles between product modules, the product never reads the
tests, modules stay small (or say why not), and every module has a test file mirroring it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"
TESTS = Path(__file__).resolve().parent
MAX_LINES = 400
# modules exercised through their package's tests rather than a file of their own
COVERED_ELSEWHERE = {"__init__", "__main__", "logs", "reliability_plot"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts)
        out[name.removesuffix(".__init__")] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Product modules ``name`` imports at module level (imports inside functions are lazy and
    cannot form a cycle at import time)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                for candidate in (f"{target}.{alias.name}", target):
                    if candidate in known:
                        found.add(candidate)
                        break
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
    return found - {name}


def test_no_import_cycles():
    modules = _modules()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt] if nxt in stack else [node, nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])
    assert not cycles, cycles


def test_the_product_never_imports_the_cli_or_reads_the_tests():
    for name, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        if not name.startswith(("assistant.cli", "assistant.__main__")):
            assert not re.search(r"from \.+cli import|import assistant\.cli|from assistant\.cli", text), name
        assert not re.search(r"[\"']tests[\"']|/ ?[\"']tests/|tests/questions", text), f"{name} reads tests/"


def test_modules_are_small_or_say_why():
    for name, path in _modules().items():
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > MAX_LINES:
            doc = ast.get_docstring(ast.parse("\n".join(lines))) or ""
            assert "long because" in doc.lower() or "长" in doc, f"{name}: {len(lines)} lines and no reason given"


def _public_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))
            and not n.name.startswith("_") and len(n.name) > 5}


def test_every_module_has_tests_that_mirror_it():
    """A test file named after the module, or tests that import it or use what it defines."""
    tested = " ".join(p.stem for p in TESTS.glob("test_*.py"))
    texts = " ".join(p.read_text(encoding="utf-8") for p in TESTS.glob("test_*.py"))
    missing = []
    for name, path in _modules().items():
        leaf = name.rsplit(".", 1)[-1]
        if leaf in COVERED_ELSEWHERE or name == "assistant":
            continue
        used = any(re.search(rf"\b{n}\b", texts) for n in _public_names(path))
        if leaf not in tested and name not in texts and f"import {leaf}" not in texts and not used:
            missing.append(name)
    assert not missing, f"modules without tests: {missing}"
