"""Data flows one way: a package imports only packages earlier in the flow (and itself)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"
# The stages, in the order data flows through them.
FLOW = [
    "language",  # tokens, stop words, detection, folding; the words of each language (data)
    "ingest",  # article files -> Article -> Passage
    "models",  # the embedding models, word vectors, chat-model backends
    "speech",  # names, statements, who said what
    "index",  # the store, generations, keywords, sync
    "question",  # checking, routing and making standalone what is asked
    "retrieval",  # hybrid candidates, a person's statements by topic
    "answering",  # quoting, LLM answers, answerability, the support check, the pipeline
    "surfaces",  # the Python API, the CLI, the page
]
# Importable by every stage, importing no stage: modules, and `fitted` (a package of data).
SHARED = {"settings", "errors", "prompts", "parallel", "prepared", "fitted", "timing"}
# What the CLI and the page may use besides the API: presentation helpers, not the pipeline.
SURFACE_HELPERS = {"evaluation", "suggestions", "rendering", "uploads", "watch", "web",
                   "conversations", "feedback"}  # fmt: skip


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _imported(module: Path) -> set[tuple[str, str]]:
    """(package or shared module, module inside it or "") of every `assistant` import."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    names: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("assistant"):
            parts = node.module.split(".")[1:]
            if not parts:
                names.update((alias.name, "") for alias in node.names)
            else:
                names.add((parts[0], parts[1] if len(parts) > 1 else ""))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")[1:]
                if alias.name.startswith("assistant.") and parts:
                    names.add((parts[0], parts[1] if len(parts) > 1 else ""))
    return names


def _stage(module: Path) -> str:
    relative = module.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def test_every_module_sits_in_a_stage():
    loose = {m.stem for m in PACKAGE.glob("*.py")} - SHARED - {"__init__", "__main__"}
    assert not loose, f"put {loose} in a stage package (FLOW) or SHARED"
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()} - SHARED
    assert packages == set(FLOW), packages ^ set(FLOW)


def test_no_backward_imports():
    for module in _modules():
        stage = _stage(module)
        if stage in SHARED or stage.startswith("__"):
            continue
        allowed = set(FLOW[: FLOW.index(stage) + 1]) | SHARED
        used = {package for package, _ in _imported(module)}
        assert used <= allowed, f"{module.relative_to(PACKAGE)} imports {used - allowed}"


def test_shared_modules_import_no_stage():
    for module in _modules():
        if _stage(module) in SHARED:
            used = {package for package, _ in _imported(module)}
            assert used <= SHARED, f"{module.relative_to(PACKAGE)} imports {used - SHARED}"


def test_surfaces_use_only_the_api():
    for surface in ("cli", "web"):
        used = _imported(PACKAGE / "surfaces" / f"{surface}.py")
        core = {(p, m) for p, m in used if p in FLOW and p != "surfaces"}
        helpers = {m for p, m in used if p == "surfaces"} - {"api"} - SURFACE_HELPERS
        assert not core and not helpers, f"{surface} imports {core | helpers}"


def test_functions_stay_short():
    """Each function does one thing: none is longer than 60 lines, docstring included."""
    long = []
    for module in _modules():
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > 60:
                    long.append(f"{module.name}:{node.name} ({lines} lines)")
    assert not long, long


def test_no_private_names_cross_modules():
    """A module uses another's public names only (`from assistant.x import _y` is a leak)."""
    leaks = []
    for module in _modules():
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("assistant"):
                leaks += [f"{module.name}: {a.name}" for a in node.names if a.name.startswith("_")]
    assert not leaks, leaks
