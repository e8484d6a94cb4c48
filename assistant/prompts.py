"""Text templates from prompts/*.txt, loaded by name and checked against the code's fields."""

from __future__ import annotations

import string
import sys
from functools import cache
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
    "nearest": frozenset({"quotes"}),
    "no_comment": frozenset({"quotes"}),
}


def _prompt_dirs() -> list[Path]:
    source_checkout = Path(__file__).resolve().parent.parent / "prompts"
    installed = Path(sys.prefix) / "share" / "assistant" / "prompts"
    return [source_checkout, installed]


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
        raise AssistantError(f"Prompt template '{name}' not found in {_prompt_dirs()[0]}.")
    used = {field for _, field, _, _ in string.Formatter().parse(template) if field}
    unknown = used - TEMPLATE_FIELDS.get(name, frozenset())
    if unknown:
        raise AssistantError(
            f"Prompt template '{name}' uses unknown placeholders {sorted(unknown)}; "
            f"allowed: {sorted(TEMPLATE_FIELDS.get(name, ()))}."
        )
    return template
