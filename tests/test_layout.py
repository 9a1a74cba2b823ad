"""The package's shape: stage packages with no import cycles between modules, and no module over 600 lines."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "briefing"
STAGES = ("ingest", "embed", "store", "answer", "memo", "evaluate")


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph(top_level_only: bool) -> dict[str, set[str]]:
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        nodes = tree.body if top_level_only else ast.walk(tree)
        for node in nodes:
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("briefing"):
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("briefing")]
            else:
                continue
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state and (found := visit(n)):
                return found
        state[m] = 2
        stack.pop()
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_import_cycles_even_through_imports_inside_functions():
    assert _cycle(_graph(top_level_only=False)) is None


def test_no_module_is_over_600_lines():
    long = {_module(p): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert long == {}


def test_each_stage_is_a_package():
    assert all((PACKAGE / stage / "__init__.py").is_file() for stage in STAGES)


def test_only_the_store_runs_sql():
    outside = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
               if "store" not in p.relative_to(PACKAGE).parts and ".execute(" in p.read_text(encoding="utf-8")]
    assert outside == []


def _code_names(path: Path) -> set[str]:
    """Names a module's code uses or imports (not its docstrings)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Name):
            out.add(node.id)
        elif isinstance(node, ast.Attribute):
            out.add(node.attr)
        elif isinstance(node, ast.ImportFrom):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ClassDef):
            out.add(node.name)
    return out


def test_only_embed_select_names_more_than_one_backend():
    backends = {"OnnxEmbedder", "TorchEmbedder", "SentenceTransformerEmbedder"}
    naming = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                    if len(_code_names(p) & backends) > 1)
    assert naming == ["embed/select.py"]
