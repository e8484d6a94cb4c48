from __future__ import annotations

import pytest

from assistant import prompts
from assistant.errors import AssistantError


def test_templates_use_only_known_fields():
    for name in prompts.TEMPLATE_FIELDS:
        assert prompts.load_prompt(name)


def test_unknown_placeholder_is_refused(tmp_path, monkeypatch):
    (tmp_path / "abstain.txt").write_text("Nothing about {question} in {folder}.")
    monkeypatch.setattr(prompts, "_prompt_dirs", lambda: [tmp_path])
    prompts.load_prompt.cache_clear()
    with pytest.raises(AssistantError, match="folder"):
        prompts.load_prompt("abstain")
    prompts.load_prompt.cache_clear()
