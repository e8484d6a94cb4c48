"""Data flows one way: a module imports only modules earlier in the flow."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"
FLOW = [
    "articles", "passages", "default_model", "embeddings", "word_matching", "vector_files", "store",
    "generations",
    "keywords", "names", "reporting_words", "statements", "statement_index",
    "sync", "answer_types",
    "retrieval", "question", "llm", "person_questions", "conversation", "answer",
    "quoting", "answerability",
    "support", "llm_answer", "pipeline", "api", "evaluation", "suggestions", "rendering",
    "uploads", "web", "cli",
]  # fmt: skip
SHARED = {"settings", "errors", "prompts", "parallel"}
# What the surfaces may use besides the API: presentation helpers, not the pipeline.
SURFACE_HELPERS = {"evaluation", "suggestions", "rendering", "uploads", "web"}


def _imports(module: Path) -> set[str]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("assistant"):
            names.add(node.module.split(".")[1] if "." in node.module else "")
            names.update(alias.name for alias in node.names if node.module == "assistant")
        elif isinstance(node, ast.Import):
            names.update(
                a.name.split(".")[1] for a in node.names if a.name.startswith("assistant.")
            )
    return names - {""}


def test_no_backward_imports():
    for module in PACKAGE.glob("*.py"):
        name = module.stem
        if name in SHARED or name.startswith("__"):
            continue
        assert name in FLOW, f"add {name} to FLOW"
        allowed = set(FLOW[: FLOW.index(name)]) | SHARED
        assert _imports(module) <= allowed, f"{name} imports {_imports(module) - allowed}"


def test_surfaces_use_only_the_api():
    for surface in ("cli", "web"):
        path = PACKAGE / f"{surface}.py"
        if path.exists():
            core = set(FLOW[: FLOW.index(surface)]) - {"api"} - SURFACE_HELPERS
            assert not _imports(path) & core, surface


def test_functions_stay_short():
    """Each function does one thing: none is longer than 60 lines, docstring included."""
    long = []
    for module in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > 60:
                    long.append(f"{module.name}:{node.name} ({lines} lines)")
    assert not long, long


def test_no_private_names_cross_modules():
    """A module uses another's public names only (`from assistant.x import _y` is a leak)."""
    leaks = []
    for module in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("assistant"):
                leaks += [f"{module.name}: {a.name}" for a in node.names if a.name.startswith("_")]
    assert not leaks, leaks
