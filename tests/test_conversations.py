"""Saved conversations as the page keeps them in the browser: saving, trimming, renaming and
the Markdown download (the page itself is driven in a browser in test_web.py). Invented text."""

from __future__ import annotations

from assistant.surfaces import conversations
from assistant.surfaces.conversations import (
    SavedChats,
    chat_markdown,
    empty_conversation,
    markdown_file_name,
    rename_chat,
    save_conversation,
)

RECORD = {
    "id": "b" * 32,
    "time": "2026-12-06T20:31:05Z",
    "question": "Was kostet die Brücke?",
    "history": [],
    "answer": "Die Brücke kostet 4,2 Milliarden Euro [1].",
    "citations": [
        {"n": 1, "article_id": "bruecke.pdf", "title": "Neue Brücke", "date": "2025-04-02",
         "page": 3, "quote": "Die Brücke kostet\n4,2 Milliarden Euro."},
    ],
}  # fmt: skip
CHAT = [
    {"role": "user", "content": "Was kostet die Brücke?"},
    {"role": "assistant", "content": [{"type": "text", "text": "Die Brücke kostet … [1]"}]},
    {"role": "user", "content": "Und der Tunnel?"},
    {"role": "assistant", "content": "⚠️ Something went wrong answering this; see the log."},
]


def _conversation() -> dict:
    return empty_conversation() | {"answers": {"1": RECORD}, "sources": {"1": "<div/>"}}


def test_a_conversation_saved_is_first_current_and_titled_by_its_first_question():
    saved = SavedChats()
    entry = save_conversation(saved, _conversation(), CHAT)
    assert saved.current == entry.id and [c.id for c in saved.chats] == [entry.id]
    assert entry.title == "Was kostet die Brücke?"
    assert [m.content for m in entry.messages][1] == "Die Brücke kostet … [1]"
    again = save_conversation(saved, {**_conversation(), "id": entry.id}, CHAT)
    assert again.created == entry.created and len(saved.chats) == 1
    assert not rename_chat(saved, entry.id, "   ") and rename_chat(saved, entry.id, " Brücke ")
    assert saved.chats[0].title == "Brücke"


def test_markdown_has_each_answer_with_its_citations_and_the_errors_shown():
    entry = save_conversation(SavedChats(), _conversation(), CHAT)
    text = chat_markdown(entry)
    assert text.startswith("# Was kostet die Brücke?\n")
    assert "## 1. Was kostet die Brücke?\n\n*Asked 2026-12-06 20:31 UTC*\n" in text
    assert (
        "1. **Neue Brücke** (2025-04-02, bruecke.pdf, page 3)\n   > Die Brücke kostet 4,2" in text
    )
    assert "## 2. Und der Tunnel?\n\n⚠️ Something went wrong" in text
    assert markdown_file_name(entry) == "Was kostet die Brücke.md"


def test_the_oldest_chats_give_way_beyond_the_limit(monkeypatch):
    monkeypatch.setattr(conversations, "MAX_CHATS", 2)
    saved = SavedChats()
    first = save_conversation(saved, _conversation(), CHAT)
    second = save_conversation(saved, _conversation(), CHAT)
    third = save_conversation(saved, _conversation(), CHAT)
    assert [c.id for c in saved.chats] == [third.id, second.id]
    assert first.id not in {c.id for c in saved.chats}
