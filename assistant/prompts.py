"""Text templates from prompts/*.txt, loaded by name and checked against the code's fields."""

from __future__ import annotations

import string
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

from assistant.errors import AssistantError

# Fields the code fills in each template; a template asking for anything else is an error.
TEMPLATE_FIELDS: dict[str, frozenset[str]] = {
    "abstain": frozenset({"question"}),
    "system": frozenset(),
    "answer": frozenset({"passages", "question"}),
    "answer_person": frozenset({"passages", "question", "name"}),
    "condense": frozenset({"history", "question"}),
    "person_not_found": frozenset({"name"}),
    "not_on_topic": frozenset({"name", "quotes"}),
    "not_quoted_then": frozenset({"name"}),
    "nearest": frozenset({"quotes"}),
    "no_comment": frozenset({"quotes"}),
    "timeline": frozenset({"name"}),
    "timeline_undated": frozenset(),
    "cited_dates": frozenset({"dates"}),
    "dates_unmatched": frozenset({"dates"}),
    "dates_none": frozenset({"dates"}),
    "undated_left_out": frozenset({"count"}),
}


def _prompt_dirs() -> list[Path]:
    """The folders that may hold the templates, in the order they are searched.

    A source checkout (and an editable install, which runs from it) reads the checkout's
    prompts/. A wheel installs the templates as data files under share/assistant/prompts of
    the environment it was installed into; the distribution's file list says where that is
    (a venv, `--user`, `--prefix`), and sys.prefix is the usual place when it cannot.
    """
    folders = []
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file():
        folders.append(checkout / "prompts")
    try:
        installed = metadata.files("assistant") or []
    except metadata.PackageNotFoundError:
        installed = []
    for file in installed:
        if file.parts[-4:-1] == ("share", "assistant", "prompts"):
            folders.append(Path(file.locate()).resolve().parent)
            break
    folders.append(Path(sys.prefix) / "share" / "assistant" / "prompts")
    return folders


@cache
def load_prompt(name: str) -> str:
    """The template `name` (file prompts/<name>.txt), checked for unknown placeholders.

    Raises:
        AssistantError: the template is missing or uses a placeholder the code does not fill.
    """
    for folder in _prompt_dirs():
        path = folder / f"{name}.txt"
        if path.exists():
            template = path.read_text(encoding="utf-8").strip()
            break
    else:
        searched = ", ".join(str(folder) for folder in _prompt_dirs())
        raise AssistantError(f"Prompt template '{name}' not found in: {searched}.")
    used = {field for _, field, _, _ in string.Formatter().parse(template) if field}
    unknown = used - TEMPLATE_FIELDS.get(name, frozenset())
    if unknown:
        raise AssistantError(
            f"Prompt template '{name}' uses unknown placeholders {sorted(unknown)}; "
            f"allowed: {sorted(TEMPLATE_FIELDS.get(name, ()))}."
        )
    return template
