"""Conversations of the page: each answer's record, the chats kept in the browser, and a
chat written out as Markdown.

The page keeps its saved chats in the browser's localStorage (Gradio's `BrowserState`), never
on the server. What comes back from the browser is validated here: a value that does not
fit (edited by hand, written by another version) is dropped, not trusted.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.answering.answer import Answer

logger = logging.getLogger(__name__)

# localStorage holds about 5 MB per site; the chats are sent with the page's events too
# (bounded by the server's request limit). Older chats give way beyond these.
MAX_CHATS = 50
MAX_SAVED_CHARS = 2_000_000
_TITLE_CHARS = 120
# An answer's record keeps the conversation's last messages before it: what a follow-up
# needs to be asked again.
HISTORY_KEPT = 20
# Ids are made here (uuid4 hex); one that comes back from the browser names a file, so it
# must be nothing else.
_ID = r"^[0-9a-f]{32}$"


class CitedQuote(BaseModel):
    """One citation of an answer, as much as a reader of the conversation needs."""

    model_config = ConfigDict(extra="ignore")

    n: int
    article_id: str = Field(max_length=1000)
    title: str = Field(max_length=1000)
    date: str | None = Field(None, max_length=40)
    page: int | None = None
    quote: str = Field(max_length=10_000)


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: str = Field(pattern="^(user|assistant)$")
    content: str = Field(max_length=100_000)


class AnswerRecord(BaseModel):
    """A question and the answer the page gave: the unit that is saved, exported and rated.

    `history` is the conversation before the question, as the assistant was given it;
    `time` is when it was answered (ISO 8601, UTC).
    """

    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=_ID)
    time: str = Field(max_length=40)
    question: str = Field(max_length=4000)
    history: list[Message] = Field(default_factory=list, max_length=HISTORY_KEPT)
    answer: str = Field(max_length=100_000)
    abstained: bool = False
    citations: list[CitedQuote] = Field(default_factory=list, max_length=60)


class SavedChat(BaseModel):
    """One conversation as the browser keeps it: the messages as shown, the history the
    assistant is given, each answer's sources panel and record (keyed by message row)."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=_ID)
    title: str = Field(max_length=_TITLE_CHARS)
    created: str = Field(max_length=40)
    updated: str = Field(max_length=40)
    messages: list[Message] = Field(default_factory=list)
    history: list[Message] = Field(default_factory=list)
    sources: dict[str, str] = Field(default_factory=dict)
    answers: dict[str, AnswerRecord] = Field(default_factory=dict)


class SavedChats(BaseModel):
    """Everything the browser keeps: the chats, most recently changed first, and the one
    shown last (restored when the page is opened again)."""

    model_config = ConfigDict(extra="ignore")

    chats: list[SavedChat] = Field(default_factory=list)
    current: str | None = None


def now() -> str:
    """The time now, ISO 8601 in UTC to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def answer_record(question: str, history: list[dict], answer: Answer) -> AnswerRecord:
    """The record of `answer`, given to `question` after `history`, with a new id."""
    citations = [
        CitedQuote(
            n=c.n,
            article_id=c.article_id,
            title=c.title,
            date=c.date,
            page=c.page,
            quote=c.quote,
        )
        for c in (*answer.citations, *answer.nearest)
    ]
    return AnswerRecord(
        id=uuid.uuid4().hex,
        time=now(),
        question=question,
        history=[Message.model_validate(m) for m in history[-HISTORY_KEPT:]],
        answer=answer.text,
        abstained=answer.abstained,
        citations=citations,
    )


def empty_conversation() -> dict:
    """The page's per-session state of a conversation not yet saved (no id yet: one is
    given when its first answer is saved)."""
    return {"id": None, "title": "", "created": None, "history": [], "sources": {}, "answers": {}}


def read_saved(value: object) -> SavedChats:
    """The browser's saved chats, less any that does not fit; none when the value is
    missing or not of this shape."""
    if not isinstance(value, dict) or not isinstance(value.get("chats"), list):
        return SavedChats()
    chats = []
    for chat in value["chats"]:
        try:
            chats.append(SavedChat.model_validate(chat))
        except ValidationError as err:
            logger.warning("Dropped a saved chat that does not fit (%d errors)", err.error_count())
    current = value.get("current")
    return SavedChats(chats=chats, current=current if isinstance(current, str) else None)


def plain_messages(chat: list[dict]) -> list[Message]:
    """The chatbot's messages as role and text (Gradio hands content over as parts)."""
    messages = []
    for message in chat:
        content = message.get("content")
        if isinstance(content, list):
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        if isinstance(content, str) and message.get("role") in ("user", "assistant"):
            messages.append(Message(role=message["role"], content=content))
    return messages


def save_conversation(saved: SavedChats, conversation: dict, chat: list[dict]) -> SavedChat:
    """Put `conversation` (the page's state) with the shown messages `chat` first among the
    saved chats, as the current one; returns it (its id and title filled in on first save).
    Raises `ValidationError` when the state does not fit."""
    stamp = now()
    first = next((m for m in chat if m.get("role") == "user"), None)
    records = {row: AnswerRecord.model_validate(r) for row, r in conversation["answers"].items()}
    first_question = next(iter(records.values())).question if records else ""
    title = conversation.get("title") or first_question or _text(first) or "Conversation"
    entry = SavedChat(
        id=conversation.get("id") or uuid.uuid4().hex,
        title=title[:_TITLE_CHARS],
        created=conversation.get("created") or stamp,
        updated=stamp,
        messages=plain_messages(chat),
        history=[Message.model_validate(m) for m in conversation["history"]],
        sources=conversation["sources"],
        answers=records,
    )
    saved.chats = [entry, *(c for c in saved.chats if c.id != entry.id)]
    saved.current = entry.id
    _trim(saved)
    return entry


def _text(message: dict | None) -> str:
    return plain_messages([message])[0].content if message else ""


def _trim(saved: SavedChats) -> None:
    """Drop the oldest chats (never the current one) beyond `MAX_CHATS` or
    `MAX_SAVED_CHARS`."""
    while len(saved.chats) > 1 and (
        len(saved.chats) > MAX_CHATS or len(saved.model_dump_json()) > MAX_SAVED_CHARS
    ):
        oldest = next(c for c in reversed(saved.chats) if c.id != saved.current)
        saved.chats.remove(oldest)


def find_chat(saved: SavedChats, chat_id: str | None) -> SavedChat | None:
    return next((c for c in saved.chats if c.id == chat_id), None)


def conversation_of(chat: SavedChat) -> dict:
    """The page's state for a saved chat, to continue it."""
    return {
        "id": chat.id,
        "title": chat.title,
        "created": chat.created,
        "history": [m.model_dump() for m in chat.history],
        "sources": dict(chat.sources),
        "answers": {row: r.model_dump() for row, r in chat.answers.items()},
    }


def rename_chat(saved: SavedChats, chat_id: str | None, title: str) -> bool:
    """Give a saved chat a new title (blank titles are refused); whether it was renamed."""
    chat = find_chat(saved, chat_id)
    title = " ".join(title.split())[:_TITLE_CHARS]
    if chat is None or not title:
        return False
    chat.title = title
    return True


def delete_chat(saved: SavedChats, chat_id: str | None) -> None:
    saved.chats = [c for c in saved.chats if c.id != chat_id]
    if saved.current == chat_id:
        saved.current = None


def chat_choices(saved: SavedChats) -> list[tuple[str, str]]:
    """(label, id) of each saved chat for the page's list: its title and day."""
    return [(f"{c.title} · {c.updated[:10]}", c.id) for c in saved.chats]


def chat_markdown(chat: SavedChat) -> str:
    """The conversation as Markdown: each question with when it was asked, the answer, and
    the answer's citations (title, date, file and page, quote)."""
    lines = [f"# {_one_line(chat.title)}", "", f"Conversation of {_when(chat.created)}, "
             f"saved {_when(chat.updated)}, with the article assistant.", ""]  # fmt: skip
    number = 0
    for row, message in enumerate(chat.messages):
        if message.role == "user":
            continue
        record = chat.answers.get(str(row))
        number += 1
        if record is None:  # an error shown instead of an answer
            question = chat.messages[row - 1].content if row else ""
            lines += [f"## {number}. {_one_line(question)}", "", message.content, ""]
            continue
        lines += [f"## {number}. {_one_line(record.question)}", "",
                  f"*Asked {_when(record.time)}*", "", record.answer, ""]  # fmt: skip
        lines += _citation_lines(record.citations)
    return "\n".join(lines).rstrip() + "\n"


def _citation_lines(citations: list[CitedQuote]) -> list[str]:
    if not citations:
        return []
    lines = ["Sources:", ""]
    for c in citations:
        where = ", ".join(
            part
            for part in (
                c.date or "undated",
                c.article_id,
                f"page {c.page}" if c.page is not None else "",
            )
            if part
        )
        lines += [f"{c.n}. **{_one_line(c.title)}** ({where})", f"   > {_one_line(c.quote)}"]
    return [*lines, ""]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _when(stamp: str) -> str:
    """ "2026-12-06T20:31:02Z" as "2026-12-06 20:31 UTC"."""
    return f"{stamp[:10]} {stamp[11:16]} UTC" if len(stamp) >= 16 else stamp


def markdown_file_name(chat: SavedChat) -> str:
    """A file name for the chat's Markdown: its title's letters, digits and spaces."""
    name = re.sub(r"[^\w\- ]+", "", chat.title, flags=re.UNICODE)
    return f"{' '.join(name.split())[:60] or 'conversation'}.md"
