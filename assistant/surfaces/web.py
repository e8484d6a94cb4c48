"""The chat page (Gradio): answers with linked citations, a sources panel, article upload.

`build_page` lays out the page around one `Assistant`; `launch` serves it with the
security settings of ../shared/RELIABILITY.md: sanitised Markdown, uploads limited in
size and type and saved under server-chosen names, the index and articles folders blocked
from Gradio's file routes, no flagging, `auth` (when given) over every route and checked
before a request's body is read, request bodies limited in size and depth, and its upload
folder removed when it stops (on SIGTERM too).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import html
import json
import logging
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
from pydantic import ValidationError

from assistant.errors import AssistantError, IndexNotFound
from assistant.surfaces.api import Assistant, article_json, person_json
from assistant.surfaces.conversations import (
    AnswerRecord,
    SavedChat,
    answer_record,
    chat_choices,
    chat_markdown,
    conversation_of,
    delete_chat,
    empty_conversation,
    find_chat,
    markdown_file_name,
    read_saved,
    rename_chat,
    save_conversation,
)
from assistant.surfaces.feedback import record_feedback
from assistant.surfaces.rendering import (
    answer_markdown,
    error_markdown,
    escape_markdown,
    sources_html,
    timeline_html,
)
from assistant.surfaces.suggestions import examples_from_folder
from assistant.surfaces.uploads import MAX_UPLOAD_BYTES, save_uploads
from assistant.surfaces.watch import FolderWatch

logger = logging.getLogger(__name__)

# A Gradio upload folder the user chose; otherwise each server gets its own, removed at exit.
_USER_UPLOAD_FOLDER = os.environ.get("GRADIO_TEMP_DIR")

ARTICLE_FILE_TYPES = [".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"]
EXTRACTIVE_MODE = "Quotes from the articles (no LLM)"
# Several analysts can chat at once; answering is CPU-bound, so more in flight only queue.
ANSWER_CONCURRENCY = 4
QUEUE_SIZE = 64
STREAMING = " ▍"  # cursor shown while an LLM's reply is still arriving
WATCH_POLL_SECONDS = 2.0  # how often a page asks whether the watched folder changed the index
_NO_SOURCES = '<div class="sources empty">Citations of the selected answer appear here.</div>'

CSS = """
#sources { max-height: 75vh; overflow-y: auto; }
.sources .source { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 8px 10px; margin-bottom: 10px; }
.sources .source.flash { outline: 3px solid var(--color-accent); }
.sources .source-head { font-size: 0.9em; margin-bottom: 4px; }
.sources .source-head .title { font-weight: 600; }
.sources .source-head .file, .sources .source-head .date { color: var(--body-text-color-subdued); }
.sources .passage { white-space: pre-wrap; line-height: 1.45; }
.sources mark { background: #ffe58a; color: inherit; padding: 0 1px; }
.sources .mark-n { font-weight: 600; margin-right: 2px; }
.unsupported { text-decoration: underline wavy #d97706; }
.confidence { font-size: 0.85em; color: var(--body-text-color-subdued); }
.timeline ol { list-style: none; margin: 0; padding: 0 0 0 18px;
  border-left: 3px solid var(--color-accent); }
.timeline .entry { position: relative; margin: 0 0 16px 0; padding-left: 10px; }
.timeline .entry::before { content: ""; position: absolute; left: -27px; top: 4px; width: 12px;
  height: 12px; border-radius: 50%; background: var(--color-accent); }
.timeline .entry.undated::before { background: var(--body-text-color-subdued); }
.timeline .when { font-weight: 700; display: block; }
.timeline .title { font-weight: 600; }
.timeline .file { color: var(--body-text-color-subdued); font-size: 0.9em; }
.timeline blockquote { margin: 6px 0; padding-left: 10px; white-space: pre-wrap;
  border-left: 2px solid var(--border-color-primary); }
"""

# Citation links scroll the sources panel instead of following the link (Gradio opens
# links of chat messages in a new tab).
HEAD = """
<script>
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a.cite");
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  const target = document.getElementById(link.getAttribute("href").slice(1));
  if (!target) return;
  const card = target.closest(".source");
  card.scrollIntoView({behavior: "smooth", block: "nearest"});
  card.classList.add("flash");
  setTimeout(() => card.classList.remove("flash"), 1200);
}, true);
</script>
"""


class ChatPage:
    """The page's handlers, around one `Assistant` shared by every session."""

    def __init__(self, assistant: Assistant, watch: FolderWatch | None = None) -> None:
        self.assistant = assistant
        self.llm_label = assistant.llm_label
        self.watch = watch

    # --- chat -----------------------------------------------------------------------------

    def respond(
        self,
        message: str,
        chat: list[dict],
        state: dict,
        k: int,
        mode: str | None,
        since: str | None = None,
        until: str | None = None,
        only: list[str] | None = None,
    ) -> Iterator[tuple]:
        """Answer `message` from the articles dated from `since` to `until` (either may be
        empty) among those `only` chooses (articles and collections; none: all), streaming
        an LLM's reply; yields (chat, state, sources, box)."""
        state = {
            **state,
            "history": list(state["history"]),
            "sources": dict(state["sources"]),
            "answers": dict(state["answers"]),
        }
        chat = [*chat, {"role": "user", "content": escape_markdown(message or "")}]
        row = len(chat)
        chat.append({"role": "assistant", "content": "*Searching the articles…*"})
        yield chat, state, gr.skip(), ""
        use_llm = mode != EXTRACTIVE_MODE
        streamed = ""
        try:
            chain = self.assistant.chain(use_llm=use_llm)
            request = {"question": message, "history": state["history"], "k": int(k),
                       "since": since, "until": until, "articles": only or None}  # fmt: skip
            for piece in chain.stream(request):
                if not isinstance(piece, str):  # the finished Answer
                    answer = piece
                    break
                streamed += piece
                chat[row] = {"role": "assistant", "content": escape_markdown(streamed) + STREAMING}
                yield chat, state, gr.skip(), ""
        except AssistantError as err:
            chat[row] = {"role": "assistant", "content": error_markdown(str(err))}
            yield chat, state, gr.skip(), ""
            return
        except Exception:  # never a traceback on the page; the log has it
            logger.exception("Answering %r failed", message)
            chat[row] = {
                "role": "assistant",
                "content": error_markdown("Something went wrong answering this; see the log."),
            }
            yield chat, state, gr.skip(), ""
            return
        chat[row] = {"role": "assistant", "content": answer_markdown(answer)}
        panel = sources_html(answer.citations or answer.nearest)
        state["sources"][str(row)] = panel
        state["answers"][str(row)] = answer_record(message, state["history"], answer).model_dump()
        state["history"] += [
            {"role": "user", "content": message},
            {"role": "assistant", "content": answer.text},
        ]
        yield chat, state, panel, ""

    def show_sources(self, state: dict, event: gr.SelectData) -> str:
        """The sources of the answer the user clicked."""
        return state["sources"].get(str(event.index), gr.skip())

    # --- timeline -------------------------------------------------------------------------

    def show_timeline(self, person: str, topic: str, only: list[str] | None = None) -> str:
        """A person's statements (on a topic) by date among the articles `only` chooses (the
        Chat settings' picker; none: all), as HTML; errors as a message."""
        try:
            chosen = only or None
            return timeline_html(self.assistant.timeline(person, topic or None, articles=chosen))
        except AssistantError as err:
            return f'<div class="timeline error">⚠️ {html.escape(str(err))}</div>'

    # --- articles -------------------------------------------------------------------------

    def article_rows(self) -> list[list]:
        try:
            records = self.assistant.articles()
        except AssistantError:  # none yet, or unusable: `index_notice` says which
            return []
        return [[r.title, r.date or "", r.language, r.passages, r.id] for r in records]

    def source_choices(self) -> gr.Dropdown:
        """The picker's choices as the live index has them now: each collection (a
        sub-folder, "en/"), then each article, by id."""
        try:
            records = self.assistant.articles()
            folders = self.assistant.collections()
        except AssistantError:  # none yet, or unusable: `index_notice` says which
            return gr.Dropdown(choices=[])
        counts = {f: sum(r.id.startswith(f) for r in records) for f in folders}
        choices = [(f"{folder} ({counts[folder]} articles)", folder) for folder in folders]
        choices += [(f"{r.title} ({r.id})", r.id) for r in records]
        return gr.Dropdown(choices=choices)

    def examples(self) -> list[list[str]]:
        return [[q] for q in examples_from_folder(self.assistant.settings.seeds)]

    def people_samples(self) -> list[list[str]]:
        """The People list: one "Name — N statements" entry per person quoted."""
        try:
            people = self.assistant.people()
        except AssistantError:
            return []
        return [[f"{p.name}{PERSON_SEPARATOR}{_statements(p.statements)}"] for p in people]

    def index_notice(self) -> str:
        """What keeps the index from answering (damaged, unreadable), for the top of the
        page; empty when it answers or there is none yet."""
        try:
            self.assistant.retriever()
        except IndexNotFound:
            return ""
        except AssistantError as err:
            return f"⚠️ {escape_markdown(str(err))}"
        return ""

    def library_view(self) -> tuple:
        """The article table, example questions, People list and index notice as the live
        index has them now."""
        return (
            self.article_rows(),
            gr.Dataset(samples=self.examples()),
            gr.Dataset(samples=self.people_samples()),
            self.index_notice(),
        )

    def add_articles(self, files: list[str] | None, progress: gr.Progress) -> tuple:
        """Save uploaded files into the seeds folder, then index; yields the status."""
        files = files or []
        known = {}
        with contextlib.suppress(AssistantError):  # no index yet: nothing to compare with
            known = {r.content_hash: r.id for r in self.assistant.articles()}
        uploads = [Path(f) for f in files]
        try:
            result = save_uploads(uploads, self.assistant.settings.seeds, known)
        finally:
            _remove_upload_copies(uploads)
        lines = [f"Added **{escape_markdown(name)}**." for name in result.saved]
        lines += [
            f"⚠️ Refused **{escape_markdown(name)}**: {escape_markdown(reason)}"
            for name, reason in result.rejected
        ]
        if not result.saved:
            nothing = (gr.skip(), None, gr.skip(), gr.skip(), gr.skip())
            return "\n\n".join(lines) or "No files.", *nothing
        status, rows, examples, people, notice = self.update_index(False, progress)
        return "\n\n".join([*lines, status]), rows, None, examples, people, notice

    def update_index(self, rebuild: bool, progress: gr.Progress) -> tuple:
        """Sync the index with the seeds folder; returns (status, article rows, examples,
        people, index notice)."""
        progress(0, desc="Reading articles")

        def report(done: int, total: int) -> None:
            progress((done, total), desc="Embedding passages", unit="passages")

        try:
            result = self.assistant.sync(rebuild=rebuild, progress=report)
        except AssistantError as err:
            return f"⚠️ {escape_markdown(str(err))}", *[gr.skip()] * 4
        lines = [result.summary()]
        lines += [
            f"⚠️ Skipped **{escape_markdown(f.article_id)}**: {escape_markdown(f.reason)}"
            for f in result.failures
        ]
        return "\n\n".join(lines), *self.library_view()

    # --- API (and MCP tools: the function's name is the tool's, its docstring the tool's
    # description, read by the agent that calls it) -------------------------------------

    def ask(
        self,
        question: str,
        history: list[dict] | None = None,
        k: int | None = None,
        since: str | None = None,
        until: str | None = None,
        as_of: str | None = None,
        articles: list[str] | None = None,
    ) -> dict:
        """Answer a question from the indexed news articles by quoting them, every claim cited.

        Ask in any language; the articles may be in another. Returns the answer as JSON:
        "answer" (its [n] markers refer to "citations"), "citations" (each with the article's
        "title", "date", "source", the exact "quote" and the "passage" around it: name the
        title and date when you use a quote), "confidence" (0-1), and "abstained": true when
        the articles do not answer it (then "nearest" holds what they say closest to it).
        For who-said-what, ask "What did <person> say about <topic>?" (the people tool lists
        who is quoted).

        Args:
            question: The question, in any language (at most 2,000 characters).
            history: Earlier turns for a follow-up: [{"role": "user"|"assistant", "content"}].
            k: Passages to consider, 1-50 (leave empty for the server's setting).
            since: Only articles dated from this day on ("2024-06-01", "2024-06", "2024").
            until: Only articles dated up to this day (both ends included).
            as_of: The day the question is asked, for "yesterday", "last week" (default:
                today).
            articles: Only these articles: ids from the articles tool, globs, sub-folders ("en/").
        """
        try:
            request = {"question": question, "history": history, "k": k, "since": since,
                       "until": until, "as_of": as_of, "articles": articles}  # fmt: skip
            return self.assistant.chain(as_json=True).invoke(request)
        except AssistantError as err:
            raise gr.Error(str(err), print_exception=False) from err

    def timeline(
        self, person: str, topic: str | None = None, articles: list[str] | None = None
    ) -> dict:
        """A person's statements in the news articles, on a topic, in date order; returns
        the same JSON as `assistant timeline --json` (each entry with its article's title,
        date and the quoted statements with their citations).

        Args:
            person: the person, as typed (a name or surname).
            topic: what about (default: all their statements).
            articles: Only these articles: ids from the articles tool, globs, sub-folders ("en/").
        """
        try:
            return self.assistant.timeline(person, topic, articles=articles).as_json()
        except AssistantError as err:
            raise gr.Error(str(err), print_exception=False) from err

    def articles(self) -> list[dict]:
        """List the indexed news articles the ask tool answers from, by id.

        Returns one {"id", "title", "date", "date_source", "language", "author", "url",
        "source", "passages"} per article; "date" is the one the article states, or null.
        """
        try:
            records = self.assistant.articles()
        except AssistantError as err:
            raise gr.Error(str(err), print_exception=False) from err
        return [article_json(r) for r in records]

    def people(self) -> list[dict]:
        """List the people (and bodies) the indexed news articles quote, most quoted first.

        Returns one {"name", "statements" (how many), "articles" (ids of the articles quoting
        them)} per person. To get what someone said, ask the ask tool "What did <name> say
        about <topic>?".
        """
        try:
            people = self.assistant.people()
        except AssistantError as err:
            raise gr.Error(str(err), print_exception=False) from err
        return [person_json(p) for p in people]

    # --- the watched folder ---------------------------------------------------------------

    def watch_view(self, seen: int) -> tuple:
        """When the watch has synced since this page last looked (`seen`): the notice, the
        library as the index now has it and the new count; otherwise nothing changes."""
        watch = self.watch
        if watch is None or watch.version == seen or watch.last is None:
            return (gr.skip(),) * 6
        failed = "⚠️ " if watch.last.report is None else ""
        notice = failed + escape_markdown(watch.last.notice())
        return notice, *self.library_view(), watch.version

    # --- saved chats (kept in the browser) -------------------------------------------------

    def save_chat(self, chat: list[dict], state: dict, saved: object) -> tuple:
        """Keep the conversation among the browser's saved chats; returns (state, saved,
        chat list, title, Markdown download)."""
        stored = read_saved(saved)
        try:
            entry = save_conversation(stored, state, chat)
        except ValidationError:
            logger.exception("The conversation could not be saved")
            return (gr.skip(),) * 5
        state = {**state, "id": entry.id, "title": entry.title, "created": entry.created}
        return state, stored.model_dump(), *self._chat_list(entry, stored)

    def restore_chats(self, saved: object) -> tuple:
        """On opening the page: the saved chats listed, the one shown last shown again;
        returns (chat, state, sources, chat list, title, download)."""
        stored = read_saved(saved)
        entry = find_chat(stored, stored.current)
        if entry is None:
            return gr.skip(), gr.skip(), gr.skip(), *self._chat_list(None, stored)
        return *self._shown_chat(entry), *self._chat_list(entry, stored)

    def open_chat(self, chat_id: str | None, saved: object) -> tuple:
        """Show a saved chat to continue it; returns (chat, state, sources, saved, title,
        download)."""
        stored = read_saved(saved)
        entry = find_chat(stored, chat_id)
        if entry is None:
            return (gr.skip(),) * 6
        stored.current = entry.id
        _, title, download = self._chat_list(entry, stored)
        return *self._shown_chat(entry), stored.model_dump(), title, download

    def new_chat(self, saved: object) -> tuple:
        """An empty conversation; saved chats stay. Returns (chat, state, sources, saved,
        chat list, title, download)."""
        stored = read_saved(saved)
        stored.current = None
        return (
            [],
            empty_conversation(),
            _NO_SOURCES,
            stored.model_dump(),
            *self._chat_list(None, stored),
        )

    def rename_chat(self, title: str, state: dict, saved: object) -> tuple:
        """Give the conversation a title; returns (state, saved, chat list, title,
        download). A conversation not yet saved takes the title when it is."""
        stored = read_saved(saved)
        if not rename_chat(stored, state["id"], title or ""):
            clean = " ".join((title or "").split())
            return ({**state, "title": clean} if clean else gr.skip()), *(gr.skip(),) * 4
        entry = find_chat(stored, state["id"])
        state = {**state, "title": entry.title}
        return state, stored.model_dump(), *self._chat_list(entry, stored)

    def delete_chat(self, state: dict, saved: object) -> tuple:
        """Delete the conversation shown from the saved chats, and start an empty one;
        returns what `new_chat` does."""
        stored = read_saved(saved)
        delete_chat(stored, state["id"])
        return self.new_chat(stored.model_dump())

    def _shown_chat(self, entry: SavedChat) -> tuple:
        """(chat, state, sources panel of its last answer) for a saved chat."""
        rows = sorted(entry.sources, key=int)
        panel = entry.sources[rows[-1]] if rows else _NO_SOURCES
        return [m.model_dump() for m in entry.messages], conversation_of(entry), panel

    def _chat_list(self, entry: SavedChat | None, stored) -> tuple:
        """(chat list, title box, Markdown download) with `entry` selected."""
        chats = gr.Radio(choices=chat_choices(stored), value=entry.id if entry else None)
        if entry is None:
            return chats, "", None
        return chats, entry.title, _markdown_file(entry)

    # --- feedback on answers ---------------------------------------------------------------

    def rate_answer(self, state: dict, event: gr.LikeData) -> tuple:
        """Record a thumbs up or down (or its withdrawal) on an answer in the index folder's
        feedback file; returns (note row, note box, the rating awaiting a note)."""
        row = event.index if isinstance(event.index, int) else event.index[0]
        record = state["answers"].get(str(row))
        if record is None:  # an error message or an answer still arriving: nothing to rate
            return gr.skip(), gr.skip(), None
        rating = 1 if event.liked is True else -1 if event.liked is False else 0
        if not self._record_feedback(record, rating):
            return gr.skip(), gr.skip(), None
        if rating == 0:
            return gr.Row(visible=False), "", None
        label = "What was good?" if rating > 0 else "What was wrong, or missing?"
        note = gr.Textbox(value="", label=f"{label} (optional note)")
        # The rated record itself waits for the note: another chat may be opened meanwhile.
        return gr.Row(visible=True), note, {"record": record, "rating": rating}

    def send_note(self, note: str, pending: dict | None) -> tuple:
        """Add the reader's note to their rating; returns (note row, note box, pending)."""
        if pending is None or not (note or "").strip():
            return gr.Row(visible=False), "", None
        if self._record_feedback(pending["record"], pending["rating"], note):
            gr.Info("Thank you: your note is saved with the rating.")
        return gr.Row(visible=False), "", None

    def _record_feedback(self, record: dict, rating: int, note: str = "") -> bool:
        try:
            checked = AnswerRecord.model_validate(record)
            record_feedback(self.assistant.settings.index, checked, rating, note[:4000])
        except ValidationError:
            logger.exception("Feedback on an answer record that does not fit")
            return False
        except AssistantError as err:
            gr.Warning(str(err))
            return False
        return True


def _markdown_file(entry: SavedChat) -> str:
    """The chat as a Markdown file in the page's upload folder (removed when the server
    stops), for the download button."""
    folder = Path(gr.utils.get_upload_folder()) / "conversations" / entry.id
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.md"):  # a renamed chat leaves no file under its old name
        old.unlink()
    path = folder / markdown_file_name(entry)
    path.write_text(chat_markdown(entry), encoding="utf-8")
    return str(path)


def _browser_storage(assistant: Assistant) -> dict:
    """Where the browser keeps this index's chats: a key and secret that stay the same
    across restarts (a random one would lose the chats with each restart). Gradio hands the
    secret to the page, so it hides nothing from the browser's owner; chats of pages over
    other indexes on the same address are kept apart."""
    digest = hashlib.sha256(str(assistant.settings.index.resolve()).encode()).hexdigest()
    return {"storage_key": f"assistant-chats-{digest[:12]}", "secret": digest[12:44]}


def _statements(count: int) -> str:
    return f"{count} statement{'s' if count != 1 else ''}"


def sources_note(only: list[str] | None) -> str:
    """Which articles the timeline reads: those chosen in the Chat settings, or all."""
    if not only:
        return "From all articles (choose some under *Chat → Settings*)."
    return "Only the articles chosen under *Chat → Settings*: " + escape_markdown(", ".join(only))


def person_question(sample: list[str]) -> str:
    """The question a click on a People entry asks."""
    name = sample[0].split(PERSON_SEPARATOR)[0]
    return f"What did {name} say?"


PERSON_SEPARATOR = " — "  # between a person's name and their statement count


def build_page(assistant: Assistant, watch: FolderWatch | None = None) -> gr.Blocks:
    """The chat page for `assistant` (not yet launched); with `watch`, it says when the
    watch updated the index, and shows the index as it is then."""
    page = ChatPage(assistant, watch)
    with gr.Blocks(title="Article assistant", analytics_enabled=False) as blocks:
        state = gr.State(empty_conversation())
        saved, conversations = _conversations_sidebar(assistant)
        gr.Markdown("## Ask the articles\nAnswers quote the articles; every claim is cited.")
        notice = gr.Markdown(elem_id="index-notice")
        updated = gr.Markdown(elem_id="watch-notice") if watch is not None else None
        with gr.Tabs() as tabs:
            with gr.Tab("Chat", id="chat"), gr.Row(equal_height=False):
                chat = _chat_column(page, assistant.settings.top_k)
                with gr.Column(scale=2):
                    gr.Markdown("### Sources")
                    sources = gr.HTML(_NO_SOURCES, elem_id="sources")
            with gr.Tab("Timeline", id="timeline"):
                _timeline_tab(page, chat["only"])
            with gr.Tab("Articles", id="articles"):
                library = _articles_tab(page)
        answered = _wire_chat(page, chat, state, sources)
        _wire_articles(page, library, chat["examples"], notice, chat["only"])
        answered.append(_wire_people(page, library["people"], chat, state, sources, tabs))
        _wire_conversations(blocks, page, conversations, answered, chat, state, saved, sources)
        _wire_feedback(page, chat, state)
        # Each page load shows the index as it is now, not as it was at server start.
        blocks.load(
            page.library_view,
            None,
            [library["table"], chat["examples"], library["people"], notice],
            api_visibility="private",
            queue=False,
        )
        blocks.load(page.source_choices, None, chat["only"], api_visibility="private", queue=False)
        answer_events = {"concurrency_limit": ANSWER_CONCURRENCY, "concurrency_id": "answer"}
        gr.api(page.ask, api_name="ask", **answer_events)
        gr.api(page.timeline, api_name="timeline", **answer_events)
        gr.api(page.articles, api_name="articles")
        gr.api(page.people, api_name="people")
        if watch is not None:
            library_view = [library["table"], chat["examples"], library["people"], notice]
            _wire_watch(page, updated, library_view)
    return blocks


def _chat_column(page: ChatPage, top_k: int) -> dict:
    with gr.Column(scale=3):
        chatbot = gr.Chatbot(
            label="Conversation",
            height=520,
            sanitize_html=True,
            latex_delimiters=[],
            buttons=["copy", "copy_all"],  # no "share": it posts to Hugging Face
            feedback_options=("Like", "Dislike"),
            elem_id="chat",
        )
        feedback = _feedback_note()
        with gr.Row():
            box = gr.Textbox(
                placeholder="Ask about the articles, e.g. a person or an event…",
                show_label=False,
                scale=5,
                max_length=4000,
                elem_id="question",
            )
            send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
        examples = gr.Dataset(
            components=[box],
            samples=page.examples(),
            label="Example questions",
            type="values",
            elem_id="examples",
        )
        with gr.Accordion("Settings", open=False, elem_id="settings"):
            k = gr.Slider(1, 20, value=top_k, step=1, label="Passages to consider")
            modes = [page.llm_label, EXTRACTIVE_MODE] if page.llm_label else [EXTRACTIVE_MODE]
            mode = gr.Dropdown(
                modes, value=modes[0], label="Answer with", visible=page.llm_label is not None
            )
            with gr.Row():
                since = gr.Textbox(
                    label="Articles dated from", placeholder="2024-06-01", elem_id="since"
                )
                until = gr.Textbox(label="to", placeholder="2024-06-30", elem_id="until")
        only = gr.Dropdown(
            page.source_choices().choices,
            value=[],
            multiselect=True,
            label="Only these articles (none chosen: all)",
            elem_id="only",
        )
        clear = gr.Button("New conversation", size="sm", elem_id="new-chat")
    return {
        "chatbot": chatbot, "box": box, "send": send, "examples": examples, "k": k,
        "mode": mode, "clear": clear, "since": since, "until": until, "only": only, **feedback,
    }  # fmt: skip


def _timeline_tab(page: ChatPage, only: gr.Dropdown) -> None:
    """How a person's view changed: their statements on a topic, by date, in the articles
    the Chat settings' picker (`only`) chooses, as the chat's answers are."""
    with gr.Row():
        person = gr.Textbox(label="Person", placeholder="e.g. Lagarde", scale=2, max_length=200,
                            elem_id="timeline-person")  # fmt: skip
        topic = gr.Textbox(label="Topic (optional)", placeholder="e.g. inflation", scale=3,
                           max_length=4000, elem_id="timeline-topic")  # fmt: skip
        show = gr.Button("Show timeline", variant="primary", scale=1, elem_id="timeline-show")
    chosen = gr.Markdown(sources_note([]), elem_id="timeline-only")
    shown = gr.HTML('<div class="timeline empty">Statements appear here by date.</div>',
                    elem_id="timeline")  # fmt: skip
    only.change(sources_note, only, chosen, api_visibility="private", queue=False)
    for trigger in (show.click, person.submit, topic.submit):
        trigger(
            page.show_timeline,
            [person, topic, only],
            shown,
            concurrency_limit=ANSWER_CONCURRENCY,
            concurrency_id="answer",
            api_visibility="private",
        )


def _articles_tab(page: ChatPage) -> dict:
    table = gr.Dataframe(
        value=page.article_rows(),
        headers=["Title", "Date", "Language", "Passages", "File"],
        datatype=["str", "str", "str", "number", "str"],
        interactive=False,
        label="Indexed articles",
        elem_id="articles",
    )
    uploads = gr.File(
        label=f"Add articles ({', '.join(ARTICLE_FILE_TYPES)}; up to "
        f"{MAX_UPLOAD_BYTES // 1_000_000} MB each)",
        file_count="multiple",
        file_types=ARTICLE_FILE_TYPES,
        type="filepath",
        elem_id="upload",
    )
    with gr.Row():
        update = gr.Button("Update index", elem_id="update-index")
        rebuild = gr.Checkbox(False, label="Rebuild from scratch")
    status = gr.Markdown(elem_id="index-status")
    people = gr.Dataset(
        components=[gr.Textbox(visible=False)],
        samples=page.people_samples(),
        label="People quoted: click one to ask what they said",
        type="values",
        samples_per_page=30,
        elem_id="people",
    )
    return {"table": table, "uploads": uploads, "update": update, "rebuild": rebuild,
            "status": status, "people": people}  # fmt: skip


def _answer_settings(chat: dict) -> list:
    """The inputs an answer is asked with besides the question and conversation, in
    `ChatPage.respond`'s order."""
    return [chat["k"], chat["mode"], chat["since"], chat["until"], chat["only"]]


def _wire_chat(page: ChatPage, chat: dict, state: gr.State, sources: gr.HTML) -> list:
    """Connect the chat's events; none of them is part of the public API. Returns the
    events that answer."""
    chatbot, box = chat["chatbot"], chat["box"]
    answering = {
        "concurrency_limit": ANSWER_CONCURRENCY,
        "concurrency_id": "answer",
        "api_visibility": "private",
    }
    inputs = [box, chatbot, state, *_answer_settings(chat)]
    outputs = [chatbot, state, sources, box]
    answered = [
        trigger(page.respond, inputs, outputs, **answering)
        for trigger in (box.submit, chat["send"].click)
    ]
    answered.append(
        chat["examples"]
        .click(
            lambda sample: sample[0], chat["examples"], box, api_visibility="private", queue=False
        )
        .then(page.respond, inputs, outputs, **answering)
    )
    chatbot.select(page.show_sources, state, sources, api_visibility="private")
    return answered


def _conversations_sidebar(assistant: Assistant) -> tuple[gr.BrowserState, dict]:
    """The saved chats: kept in the browser's localStorage (never on the server), listed in
    a sidebar to open, rename, delete or download as Markdown."""
    saved = gr.BrowserState({"chats": [], "current": None}, **_browser_storage(assistant))
    with gr.Sidebar(label="Conversations", open=True, elem_id="conversations"):
        gr.Markdown("### Saved conversations\nKept in this browser only.")
        chats = gr.Radio(choices=[], label="Open", elem_id="saved-chats")
        title = gr.Textbox(label="Title", max_length=200, elem_id="chat-title")
        with gr.Row():
            rename = gr.Button("Rename", size="sm", elem_id="rename-chat")
            delete = gr.Button("Delete", size="sm", variant="stop", elem_id="delete-chat")
        download = gr.DownloadButton(
            "Download as Markdown", value=None, size="sm", elem_id="download-chat"
        )
    return saved, {"chats": chats, "title": title, "rename": rename, "delete": delete,
                   "download": download}  # fmt: skip


def _wire_conversations(
    blocks: gr.Blocks,
    page: ChatPage,
    parts: dict,
    answered: list,
    chat: dict,
    state: gr.State,
    saved: gr.BrowserState,
    sources: gr.HTML,
) -> None:
    """Every answer saves the conversation in the browser; the sidebar opens, renames and
    deletes saved ones; opening the page shows the chat shown last. None of these events is
    part of the public API."""
    quick = {"api_visibility": "private", "queue": False}
    chatbot, listing = chat["chatbot"], [parts["chats"], parts["title"], parts["download"]]
    for event in answered:
        event.then(page.save_chat, [chatbot, state, saved], [state, saved, *listing], **quick)
    shown = [chatbot, state, sources]
    fresh = [*shown, saved, *listing]
    parts["chats"].input(
        page.open_chat, [parts["chats"], saved], [*shown, saved, *listing[1:]], **quick
    )
    chat["clear"].click(page.new_chat, saved, fresh, **quick)
    for trigger in (parts["rename"].click, parts["title"].submit):
        trigger(page.rename_chat, [parts["title"], state, saved], [state, saved, *listing], **quick)
    # The chat's own trash button deletes the conversation, as the sidebar's Delete does.
    for trigger in (parts["delete"].click, chatbot.clear):
        trigger(page.delete_chat, [state, saved], fresh, **quick)
    blocks.load(page.restore_chats, saved, [*shown, *listing], **quick)


def _feedback_note() -> dict:
    """The optional note that follows a thumbs up or down, hidden until one is given."""
    pending = gr.State(None)
    with gr.Row(visible=False, elem_id="feedback-note") as row:
        note = gr.Textbox(label="Note", max_length=4000, scale=5, elem_id="feedback-text")
        send = gr.Button("Send note", scale=1, elem_id="feedback-send")
    return {"note_row": row, "note": note, "note_send": send, "note_pending": pending}


def _wire_feedback(page: ChatPage, chat: dict, state: gr.State) -> None:
    """Thumbs on an answer are recorded at once; a note, when given, is recorded with them."""
    quick = {"api_visibility": "private", "queue": False}
    note = [chat["note_row"], chat["note"], chat["note_pending"]]
    chat["chatbot"].like(page.rate_answer, state, note, **quick)
    for trigger in (chat["note_send"].click, chat["note"].submit):
        trigger(page.send_note, [chat["note"], chat["note_pending"]], note, **quick)


def _wire_articles(
    page: ChatPage, library: dict, examples: gr.Dataset, notice: gr.Markdown, picker: gr.Dropdown
) -> None:
    """Uploads and index updates run one at a time (the index has one writer); the
    articles they index become choosable in the picker."""
    indexing = {"concurrency_limit": 1, "concurrency_id": "index", "api_visibility": "private"}

    def add_articles(files, progress=gr.Progress()):  # noqa: B008 (Gradio's idiom)
        return page.add_articles(files, progress)

    def update_index(rebuild_all, progress=gr.Progress()):  # noqa: B008
        return page.update_index(rebuild_all, progress)

    table, status, people = library["table"], library["status"], library["people"]
    choices = {"api_visibility": "private", "queue": False}
    library["uploads"].upload(
        add_articles,
        library["uploads"],
        [status, table, library["uploads"], examples, people, notice],
        **indexing,
    ).then(page.source_choices, None, picker, **choices)
    library["update"].click(
        update_index, library["rebuild"], [status, table, examples, people, notice], **indexing
    ).then(page.source_choices, None, picker, **choices)


def _wire_watch(page: ChatPage, updated: gr.Markdown, library: list) -> None:
    """Every few seconds the page asks whether the watch synced since it last looked."""
    seen = gr.State(page.watch.version)
    gr.Timer(WATCH_POLL_SECONDS).tick(
        page.watch_view,
        seen,
        [updated, *library, seen],
        api_visibility="private",
        queue=False,
        show_progress="hidden",
    )


def _wire_people(
    page: ChatPage, people: gr.Dataset, chat: dict, state: gr.State, sources: gr.HTML, tabs
):
    """A click on a person asks the chat what they said; returns the event that answers."""
    chat_inputs = [chat["box"], chat["chatbot"], state, *_answer_settings(chat)]
    return people.click(
        lambda sample: (person_question(sample), gr.Tabs(selected="chat")),
        people,
        [chat["box"], tabs],
        api_visibility="private",
        queue=False,
    ).then(
        page.respond,
        chat_inputs,
        [chat["chatbot"], state, sources, chat["box"]],
        concurrency_limit=ANSWER_CONCURRENCY,
        concurrency_id="answer",
        api_visibility="private",
    )


def launch(
    assistant: Assistant,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: tuple[str, str] | None = None,
    block: bool = True,
    watch: FolderWatch | None = None,
    mcp: bool = False,
) -> gr.Blocks:
    """Serve the page. With `block=False`, return once the server is up (tests).

    `watch`: started once the models are loaded (the caller stops it); the page then says
    when it updated the index. `mcp`: also serve the API's ask, articles and people as MCP
    tools, at /gradio_api/mcp/ (streamable HTTP).
    """
    assistant.probe_index = True  # a damaged index must not take the server down
    assistant.warm_up()  # before serving: the first question is then answered as fast as any
    if watch is not None:
        watch.start()  # after the warm-up, which loads the models the sync shares
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    # Requests must name this server in their Host header. Otherwise a web page whose
    # domain an attacker re-points at 127.0.0.1 (DNS rebinding) is same-origin with the
    # chat, and Gradio also grants any Origin CORS with credentials for non-local hosts.
    named = assistant.settings.web_hosts
    trusted_hosts = Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(host, named))
    guarded_bodies = Middleware(GuardedBodies, max_bytes=MAX_REQUEST_BYTES)
    optional_arguments = Middleware(OptionalApiArguments, arity={"ask": 7, "timeline": 3})
    # The serving process makes no calls home (Gradio reads this whenever it would).
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    _use_private_upload_folder()
    if block:
        _stop_on_sigterm()
    blocks = build_page(assistant, watch)
    blocks.queue(default_concurrency_limit=ANSWER_CONCURRENCY, max_size=QUEUE_SIZE)
    settings = assistant.settings
    blocks.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        max_file_size=MAX_UPLOAD_BYTES,
        # Gradio must never serve the vector store or raw article files.
        blocked_paths=[str(settings.index.resolve()), str(settings.seeds.resolve())],
        allowed_paths=[],
        show_error=False,
        ssr_mode=False,
        mcp_server=mcp,
        quiet=not block,
        prevent_thread_lock=not block,
        theme=gr.themes.Default(
            font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"]
        ),
        css=CSS,
        head=HEAD,
        app_kwargs={"middleware": [trusted_hosts, guarded_bodies, optional_arguments]},
    )
    return blocks


def allowed_hosts(host: str, web_hosts: str = "") -> list[str]:
    """Host names the server answers to: loopback, the address it listens on, and
    `web_hosts` (comma-separated; settings.web_hosts, env ASSISTANT_WEB_HOSTS). Listening on
    every interface (0.0.0.0) without naming hosts accepts any name."""
    named = [h.strip() for h in web_hosts.split(",") if h.strip()]
    if host in ("0.0.0.0", "::") and not named:
        return ["*"]
    return sorted({"127.0.0.1", "localhost", host, *named})


def _use_private_upload_folder() -> None:
    """Point Gradio's upload cache at a folder of this server's own, removed when the
    process exits, unless the user chose one with GRADIO_TEMP_DIR."""
    if _USER_UPLOAD_FOLDER:
        return
    folder = tempfile.mkdtemp(prefix="assistant-uploads-")
    os.environ["GRADIO_TEMP_DIR"] = folder  # read by the Blocks and App created next
    atexit.register(shutil.rmtree, folder, ignore_errors=True)


def _stop_on_sigterm() -> None:
    """Stop the server on SIGTERM (`kill`, systemd, `docker stop`) as on Ctrl-C: Gradio
    closes it and the exit handlers run, which remove the upload folder. Python's default
    for SIGTERM ends the process on the spot, leaving the folder behind."""

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def _remove_upload_copies(uploads: list[Path]) -> None:
    """Delete Gradio's copies of uploaded files (and their folders) once they are saved or
    refused. Only files inside Gradio's upload cache are touched."""
    cache = Path(gr.utils.get_upload_folder()).resolve()
    for upload in uploads:
        path = upload.resolve()
        if cache not in path.parents:
            continue
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # not empty: another upload is still there
            if path.parent != cache:
                path.parent.rmdir()


_SIMPLE_CALL = re.compile(r"^/gradio_api/call/(?P<name>[\w-]+)/?$")
# POSTs whose bodies Gradio parses as a whole (API calls, the page's events); uploads are
# streamed to disk by Gradio itself, within its own size limit.
_GUARDED = re.compile(r"^/gradio_api/(?!upload/?$)")
# An API call or page event is a question, a conversation and the sources shown so far:
# far below this. A bigger body is refused before it is read (413).
MAX_REQUEST_BYTES = 8 * 1024 * 1024
MAX_JSON_DEPTH = 64  # a request's data is a few levels deep


class GuardedBodies:
    """ASGI middleware for POSTs to Gradio's API routes: when the page has a password, a
    request without a signed-in session is refused (401) before its body is read, so that
    no one can occupy the server without one; a body over `max_bytes` is refused (413); a
    JSON body nested too deeply for Python's parser is refused (400) instead of failing
    with a traceback. Gradio itself reads (and parses) a body before it checks the session.
    """

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        guarded = scope["type"] == "http" and scope["method"] == "POST"
        if not guarded or not _GUARDED.match(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        if not _signed_in(scope):
            await _refuse(send, 401, "Not authenticated: sign in on the page first.")
            return
        body = await _read_body(scope, receive, self.max_bytes)
        if body is None:
            limit = self.max_bytes // 1024 // 1024
            await _refuse(send, 413, f"The request is larger than {limit} MB.")
            return
        if _nested_too_deeply(body):
            await _refuse(send, 400, "The request's JSON is nested too deeply.")
            return
        await self.app(scope, _replay(body, receive), send)


def _signed_in(scope) -> bool:
    """Whether the request may reach Gradio's routes: no password is set, or it carries the
    session cookie of a signed-in user (Gradio's own check, made before the body is read)."""
    app = scope.get("app")
    if getattr(app, "auth", None) is None or getattr(app, "auth_dependency", None) is not None:
        return True  # no password, or a check of the app's own that only Gradio knows
    from starlette.requests import Request

    cookies = Request(scope).cookies
    cookie_id = getattr(app, "cookie_id", "")
    token = cookies.get(f"access-token-{cookie_id}") or cookies.get(
        f"access-token-unsecure-{cookie_id}"
    )
    return token is not None and token in getattr(app, "tokens", {})


async def _read_body(scope, receive, max_bytes: int) -> bytes | None:
    """The request's body, or None as soon as it is known to exceed `max_bytes` (by its
    Content-Length, or while it arrives)."""
    length = dict(scope["headers"]).get(b"content-length", b"0")
    if length.isdigit() and int(length) > max_bytes:
        return None
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > max_bytes:
            return None
        more = message.get("more_body", False)
    return b"".join(chunks)


def _nested_too_deeply(body: bytes) -> bool:
    """Whether `body` is JSON nested deeper than `MAX_JSON_DEPTH`: Python's parser, and
    code walking what it returns, would fail with a RecursionError."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return False
    try:
        value = json.loads(body)
    except RecursionError:
        return True
    except ValueError:
        return False  # not JSON: Gradio answers it
    level = [value]
    for _ in range(MAX_JSON_DEPTH):
        level = [
            inner
            for outer in level
            if isinstance(outer, list | dict)
            for inner in (outer.values() if isinstance(outer, dict) else outer)
        ]
        if not level:
            return False
    return True


def _replay(body: bytes, receive):
    """A `receive` that gives the app `body` (already read) once, then the client's."""
    replayed = False

    async def replay():
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _refuse(send, status: int, message: str) -> None:
    payload = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(payload))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


class OptionalApiArguments:
    """ASGI middleware: a raw `POST /gradio_api/call/<name>` may leave out trailing optional
    arguments, as gradio_client and the README allow. Gradio itself wants every one there
    ("needed: 3, got: 1"), so `data` is padded with nulls, which the handlers read as
    their defaults. (`GuardedBodies`, before it, has checked the session and the size.)"""

    def __init__(self, app, arity: dict[str, int]) -> None:
        self.app = app
        self.arity = arity

    async def __call__(self, scope, receive, send) -> None:
        match = _SIMPLE_CALL.match(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None or scope["method"] != "POST" or match["name"] not in self.arity:
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = _padded(b"".join(chunks), self.arity[match["name"]])
        headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
        scope = {**scope, "headers": [*headers, (b"content-length", str(len(body)).encode())]}
        await self.app(scope, _replay(body, receive), send)


def _padded(body: bytes, arity: int) -> bytes:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return body  # Gradio answers malformed JSON itself
    if isinstance(payload, dict) and isinstance(payload.get("data"), list):
        missing = arity - len(payload["data"])
        if missing > 0:
            payload["data"] = [*payload["data"], *[None] * missing]
            return json.dumps(payload).encode()
    return body
