"""The `assistant` command: index articles, ask questions, chat, evaluate.

Results go to stdout, progress and errors to stderr.
"""

from __future__ import annotations

import contextlib
import enum
import gc
import json
import logging
import re
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from assistant.errors import AssistantError
from assistant.settings import Settings
from assistant.surfaces.api import (
    Assistant,
    SyncReport,
    article_json,
    check_history,
    person_json,
)

if TYPE_CHECKING:
    from assistant.surfaces.watch import FolderWatch, IndexChange

# What the exit codes mean, as every command uses them.
EXIT_CODES = (
    "Exit codes: 0 done; 1 an error the message says how to fix (no index, a bad question, "
    "a bad article folder, a damaged index, a full disk); 2 a usage error (an unknown "
    "option, options that clash, a bad setting or history file)."
)

app = typer.Typer(
    help="Ask questions about news articles and get answers with cited passages.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)
# Control characters in a file's name or title (ESC, BEL, ...) would act on the terminal that
# prints them: they are printed as escapes ("\x1b"). A name's line breaks and tabs too, so
# that it cannot forge a line of output.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What `json.dumps` leaves unescaped of them (DEL and the C1 codes, such as CSI).
_CONTROL_IN_JSON = re.compile(r"[\x7f-\x9f]")


def _shown(text: str, lines: bool = False) -> str:
    """`text` (a name, title, reason or answer) ready for rich: control characters as
    escapes, markup escaped. `lines`: keep line breaks and tabs (an answer's text)."""
    return escape(_escaped(_CONTROL_BUT_LINES if lines else _CONTROL, text))


def _escaped(pattern: re.Pattern, text: str) -> str:
    return pattern.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def _json(value: object) -> str:
    """`value` as one line of JSON, with every control character escaped."""
    dumped = json.dumps(value, ensure_ascii=False)
    return _CONTROL_IN_JSON.sub(lambda found: f"\\u{ord(found.group()):04x}", dumped)


class _PrintableLogs(logging.Formatter):
    """Log lines (which name files) with control characters printed as escapes."""

    def format(self, record: logging.LogRecord) -> str:
        return _escaped(_CONTROL_BUT_LINES, super().format(record))


def _print_version(given: bool) -> None:
    if given:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("assistant")
        except PackageNotFoundError:  # run from a checkout that was never installed
            number = "unknown (not installed; pip install -e .)"
        typer.echo(f"assistant {number}")
        raise typer.Exit()


@app.callback()
def main(
    context: typer.Context,
    seeds: Annotated[
        Path | None,
        typer.Option(help="Articles folder.", envvar="ASSISTANT_SEEDS", show_default="seeds"),
    ] = None,
    index: Annotated[
        Path | None,
        typer.Option(help="Index folder.", envvar="ASSISTANT_INDEX", show_default="index"),
    ] = None,
    llm: Annotated[
        str | None,
        typer.Option(
            help="extractive, ollama, openai, openai-compatible or llamacpp.",
            envvar="ASSISTANT_LLM",
            show_default="extractive",
        ),
    ] = None,
    llm_model: Annotated[
        str | None,
        typer.Option(
            help="The LLM's model (GGUF path for llamacpp).", envvar="ASSISTANT_LLM_MODEL"
        ),
    ] = None,
    llm_url: Annotated[
        str | None, typer.Option(help="The LLM server's URL.", envvar="ASSISTANT_LLM_URL")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version."
        ),
    ] = False,
) -> None:
    """Ask questions about news articles and get answers with cited passages."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_PrintableLogs("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])
    given = {"seeds": seeds, "index": index, "llm": llm, "llm_model": llm_model, "llm_url": llm_url}
    overrides = {key: value for key, value in given.items() if value}
    context.obj = _settings(overrides)


def _settings(overrides: dict) -> Settings:
    try:
        return Settings(**overrides)
    except ValueError as err:
        err_console.print(f"[red]Invalid setting: {_shown(str(err), lines=True)}[/red]")
        raise typer.Exit(2) from err


def run() -> None:
    """The `assistant` command: the app, with system errors no step expected (a disk that
    filled up while loading a model, a folder that lost its permissions) shown as one line
    instead of a traceback."""
    try:
        app()
    except OSError as err:
        err_console.print(
            f"[red]{_shown(str(err))}. Check free disk space and the folders' permissions, "
            "then try again.[/red]"
        )
        raise SystemExit(1) from err


def _assistant(settings: Settings) -> Assistant:
    try:
        return Assistant(settings)
    except AssistantError as err:
        raise _fail(err) from err


def _fail(err: AssistantError) -> typer.Exit:
    err_console.print(f"[red]{_shown(str(err), lines=True)}[/red]")
    return typer.Exit(1)


@app.command("index")
def index_command(
    context: typer.Context,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Build from scratch (then swap it in).")
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Check the index whole (every file and vector); change nothing."
        ),
    ] = False,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch", help="Keep syncing as files appear, change or disappear (Ctrl-C stops)."
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON (one line per sync).")
    ] = False,
) -> None:
    """Index the articles folder: add new, update changed, remove deleted articles.

    A damaged index is built anew from the articles. With --check, the index is only
    checked: exit code 0 when it is whole, 1 with what is wrong. With --watch, the folder is
    synced, then synced again after each burst of changes until Ctrl-C or SIGTERM; a sync
    that fails then is reported and the watch goes on.

    Examples:

        assistant index

        assistant --seeds my-articles --index my-index index --rebuild

        assistant index --check

        assistant index --watch --json
    """
    clash = [name for name, given in (("--rebuild", rebuild), ("--watch", watch)) if given]
    if check and clash:
        err_console.print(
            f"[red]--check changes nothing; it cannot be given with {clash[0]}.[/red]"
        )
        raise typer.Exit(2)
    assistant = Assistant(context.obj)
    if check:
        _check_index(assistant)
    else:
        _print_report(_sync_with_progress(assistant, rebuild), as_json)
        if watch:
            _watch(assistant, as_json)


def _sync_with_progress(assistant: Assistant, rebuild: bool) -> SyncReport:
    with _progress_bar() as progress:
        try:
            return assistant.sync(rebuild=rebuild, progress=progress)
        except AssistantError as err:
            raise _fail(err) from err


@contextlib.contextmanager
def _progress_bar() -> Iterator[Callable[[int, int], None]]:
    """A progress bar of the passages embedded, on stderr; yields its update function."""
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("Embedding passages", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _print_report(report: SyncReport, as_json: bool) -> None:
    for failure in report.failures:
        err_console.print(
            f"[yellow]Skipped {_shown(failure.source)}: {_shown(failure.reason)}[/yellow]"
        )
    if as_json:
        print(_json(report_json(report)), flush=True)
    else:
        console.print(report.summary())


def report_json(report: SyncReport) -> dict:
    """A sync's report as `index --json` prints it."""
    return {
        "rebuilt": report.rebuilt,
        "added": report.added,
        "updated": report.updated,
        "removed": report.removed,
        "unchanged": len(report.unchanged),
        "skipped": [{"source": f.source, "reason": f.reason} for f in report.failures],
        "passages": report.passages,
        "passages_embedded": report.passages_embedded,
        "statements": report.statements,
        "speakers": report.speakers,
        "seconds": round(report.seconds, 3),
    }


def _watch(assistant: Assistant, as_json: bool) -> None:
    """Sync after each burst of changes, printing each sync that changed the index or
    skipped a file; exit 0 on Ctrl-C or SIGTERM."""
    from assistant.surfaces.watch import FolderWatch

    def show(change: IndexChange) -> None:
        if change.report is None:
            err_console.print(f"[red]{_shown(change.notice(), lines=True)}[/red]")
        elif change.changed or change.report.failures:
            _print_report(change.report, as_json)

    try:
        watch = FolderWatch(assistant, on_change=show)
    except AssistantError as err:  # the folder went away since the first sync
        raise _fail(err) from err
    _stop_on_sigterm()
    err_console.print(f"Watching {_shown(str(assistant.settings.seeds))} (Ctrl-C stops).")
    try:
        watch.run()
    except KeyboardInterrupt:
        err_console.print("Stopped watching.")


def _stop_on_sigterm() -> None:
    """SIGTERM (`kill`, systemd) stops as Ctrl-C does: a sync under way is abandoned whole,
    its copy removed, and the live index stays as it was."""

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


@app.command("add")
def add_command(
    context: typer.Context,
    urls: Annotated[list[str], typer.Argument(help="Web pages or RSS/Atom feeds (http/https).")],
) -> None:
    """Fetch web pages (or every entry of a feed) into the articles folder, then index.

    Each page is saved as a Markdown article (title, date and author from the page); fetching
    an address again updates its file. Failures are reported per address, and the exit code
    is 1 when any failed.

    Examples:

        assistant add https://example.org/2025/05/harbour-reopens.html

        assistant add https://example.org/news/feed.xml
    """
    assistant = _assistant(context.obj)
    with _progress_bar() as progress:
        try:
            fetched, report = assistant.add_urls(urls, progress=progress)
        except AssistantError as err:
            raise _fail(err) from err
    for page in fetched.saved:
        verb = "Updated" if page.updated else "Saved"
        console.print(f"{verb} {_shown(page.url)} as {_shown(page.article_id)}")
    for failure in fetched.failures:
        err_console.print(f"[red]Not fetched {_shown(failure.url)}: {_shown(failure.reason)}[/red]")
    if report is not None:
        _print_report(report, as_json=False)
    if fetched.failures:
        raise typer.Exit(1)


def _check_index(assistant: Assistant) -> None:
    try:
        console.print(escape(assistant.check_index().summary()))
    except AssistantError as err:
        raise _fail(err) from err


_SINCE = typer.Option(
    "--since", help="Only articles dated on or after this day (2024-06-01, 2024-06 or 2024)."
)
_UNTIL = typer.Option(
    "--until", help="Only articles dated on or before this day (2024-06-30, 2024-06 or 2024)."
)
_AS_OF = typer.Option(
    "--as-of", help='The day the question is asked: "last week" is read against it (today).'
)
_ONLY = typer.Option(
    "--only",
    help="Only this article, glob (en/*.txt) or sub-folder of the articles folder; repeatable.",
)


@app.command("ask")
def ask_command(
    context: typer.Context,
    question: Annotated[
        str, typer.Argument(help="The question, or - to read one per line from stdin.")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (one object per line).")
    ] = False,
    k: Annotated[
        int | None, typer.Option("-k", min=1, max=50, help="Passages to consider.")
    ] = None,
    history_file: Annotated[
        Path | None,
        typer.Option(
            "--history",
            help='The conversation so far: a JSON list of {"role", "content"} messages.',
        ),
    ] = None,
    since: Annotated[str | None, _SINCE] = None,
    until: Annotated[str | None, _UNTIL] = None,
    as_of: Annotated[str | None, _AS_OF] = None,
    only: Annotated[list[str] | None, _ONLY] = None,
) -> None:
    """Answer a question from the indexed articles, with citations.

    With -, questions are read one per line from stdin. With --json, each input line gets
    exactly one output line, in order: a blank or bad line gets {"question", "error"}, so
    outputs pair with inputs; without --json, blank lines are skipped. Bytes that are not
    UTF-8 are replaced (U+FFFD). The exit code is 1 when any line failed.

    Examples:

        assistant ask "What did Rubio say about Russia?"

        assistant ask --json "Who is Mike Waltz?"

        printf 'Who is Waltz?\\nWhat about the G7?\\n' | assistant ask --json -

        assistant ask --history conversation.json "And the G7?"

        assistant ask --since 2024-06 --until 2024-07 "What did Lagarde say about wages?"

        assistant ask --only central-banks/ --only 'en/*rates*' "Who cut rates?"
    """
    history = _read_history(history_file) if history_file else None
    assistant = _assistant(context.obj)
    filters = {"since": since, "until": until, "as_of": as_of, "articles": _chosen(assistant, only)}
    if question == "-":
        with contextlib.suppress(AttributeError):  # a bad byte must not lose the other lines
            sys.stdin.reconfigure(errors="replace")
        lines = (line.rstrip("\r\n") for line in sys.stdin)
        questions = lines if as_json else (line for line in lines if line.strip())
    else:
        questions = [question]
    with _collector_paused() as loaded:
        answered = _answer_each(
            assistant, questions, history, k, filters, as_json, question == "-", loaded
        )
    if not answered:
        raise typer.Exit(1)


def _answer_each(
    assistant: Assistant,
    questions,
    history,
    k,
    filters: dict[str, object],
    as_json: bool,
    batch: bool,
    loaded: Callable[[], None],
) -> bool:
    """Print each question's answer; False when any failed. In a batch one bad line must
    not lose the others' answers: it gets its error (as JSON with --json) and the rest go on.
    One process answers them all: the models and the index are loaded once (`loaded` is
    called after each answer)."""
    failed = False
    for text in questions:
        try:
            answer = assistant.ask(text, history, k, **filters)
            loaded()
        except AssistantError as err:
            if not batch:
                raise _fail(err) from err
            failed = True
            err_console.print(f"[red]{_shown(text[:80])}: {_shown(str(err), lines=True)}[/red]")
            if as_json:
                print(_json({"question": text, "error": str(err)}))
            continue
        if as_json:
            print(_json(answer.as_json()), flush=True)
        else:
            _print_answer(answer)
    return not failed


def _chosen(assistant: Assistant, only: list[str] | None) -> list[str] | None:
    """The --only patterns, checked against the index before any question is asked (a bad
    one fails once, not on every line)."""
    if only:
        try:
            assistant.chosen(only)
        except AssistantError as err:
            raise _fail(err) from err
    return only


@contextlib.contextmanager
def _collector_paused() -> Iterator[Callable[[], None]]:
    """Pause the garbage collector while the first answer loads the models and the index;
    the function given (to call once they are loaded, any number of times; leaving the
    block calls it) takes what is loaded out of its passes for good and resumes it.

    Its passes walk every object there is, which loading multiplies, and find almost
    nothing (some 2,000 objects of a cold question); with what is loaded left out of them,
    they cost nothing on later questions nor when the process exits. Together a third of
    the CPU time of a one-question `ask`.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    resumed = False

    def loaded() -> None:
        nonlocal resumed
        if not resumed:
            resumed = True
            gc.freeze()
            if was_enabled:
                gc.enable()

    try:
        yield loaded
    finally:
        loaded()


def _read_history(path: Path) -> list[dict]:
    try:
        return check_history(_json_file(path))
    except (OSError, ValueError, AssistantError) as err:
        err_console.print(
            f"[red]Cannot read the history file {_shown(str(path))}: {_shown(str(err))}[/red]"
        )
        raise typer.Exit(2) from err


def _json_file(path: Path) -> object:
    """A JSON file's value. Raises ValueError for JSON that is malformed or nested deeper
    than Python's parser goes."""
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except RecursionError as err:
        raise ValueError("its JSON is nested too deeply") from err


def _print_answer(answer) -> None:
    console.print(_shown(answer.text, lines=True))
    _print_citations(answer)


def _print_citations(answer) -> None:
    for sentence in answer.sentences:
        if not sentence.supported:
            console.print(
                f"  [yellow]Not supported by its citations:[/yellow] {_shown(sentence.text)}"
            )
    for c in answer.citations:
        date = (f", {c.date}" if c.date else "") + (f", p. {c.page}" if c.page else "")
        console.print(
            f"  [bold][{c.n}][/bold] {_shown(c.title)}{_shown(date)} "
            f"[dim]({_shown(c.source)}, characters {c.start}-{c.end})[/dim]"
        )


@app.command("timeline")
def timeline_command(
    context: typer.Context,
    person: Annotated[str, typer.Argument(help="The person, as typed: a name or surname.")],
    topic: Annotated[
        str | None, typer.Option("--topic", "-t", help="What about (default: everything).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the timeline as JSON.")] = False,
    only: Annotated[list[str] | None, _ONLY] = None,
) -> None:
    """How a person's view changed: their statements (on a topic), article by article,
    oldest first, each with its article's date and title; undated articles last.

    Examples:

        assistant timeline Lagarde --topic inflation

        assistant timeline "Pedro Sánchez" --topic amnistía --json
    """
    assistant = _assistant(context.obj)
    try:
        timeline = assistant.timeline(person, topic, articles=only)
    except AssistantError as err:
        raise _fail(err) from err
    if as_json:
        print(_json(timeline.as_json()))
        return
    if not timeline.entries:  # a refusal: what the articles do quote them on
        _print_answer(timeline.answer)
        return
    console.print(_shown(timeline.answer.text.split("\n", 1)[0]))
    for entry in timeline.entries:
        when = entry.date or "undated (the article states no date)"
        console.print(f"\n[bold]{_shown(when)}[/bold] {_shown(entry.title)}")
        for c in entry.citations:
            console.print(f"  [bold][{c.n}][/bold] {_shown(c.quote, lines=True)}")
        console.print(f"  [dim]({_shown(entry.source)})[/dim]")


@app.command("chat")
def chat_command(
    context: typer.Context,
    since: Annotated[str | None, _SINCE] = None,
    until: Annotated[str | None, _UNTIL] = None,
    as_of: Annotated[str | None, _AS_OF] = None,
    only: Annotated[list[str] | None, _ONLY] = None,
) -> None:
    """Chat in the terminal; follow-up questions use the conversation so far. Ctrl-D ends.

    Examples:

        assistant chat

        assistant chat --since 2025-01-01 --as-of 2025-06-27

        assistant chat --only central-banks/
    """
    assistant = _assistant(context.obj)
    filters = {"since": since, "until": until, "as_of": as_of, "articles": _chosen(assistant, only)}
    chain = assistant.chain()
    history: list[dict] = []
    err_console.print("Ask about the articles (Ctrl-D to quit).")
    while True:
        try:
            question = console.input("[bold]> [/bold]")
        except (EOFError, KeyboardInterrupt):
            err_console.print()
            return
        if not question.strip():
            continue
        streamed = False
        try:
            for piece in chain.stream({"question": question, "history": history, **filters}):
                if isinstance(piece, str):  # an LLM's reply as it arrives
                    streamed = True
                    console.print(_shown(piece, lines=True), end="")
                else:
                    answer = piece
        except AssistantError as err:
            err_console.print(f"[red]{_shown(str(err), lines=True)}[/red]")
            continue
        if streamed:
            console.print()
            if answer.notes:
                console.print(_shown(answer.notes, lines=True))
            _print_citations(answer)
        else:
            _print_answer(answer)
        history += [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer.text},
        ]


@app.command("serve")
def serve_command(
    context: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to listen on; 0.0.0.0 exposes the page to the network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 7860,
    auth: Annotated[
        str | None,
        typer.Option(
            help="user:password required for the page and its API (env ASSISTANT_WEB_AUTH).",
        ),
    ] = None,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch", help="Keep the index in sync as files appear, change or disappear."
        ),
    ] = False,
    mcp: Annotated[
        bool,
        typer.Option(
            "--mcp", help="Also serve ask, articles and people as MCP tools at /gradio_api/mcp/."
        ),
    ] = False,
) -> None:
    """Open the chat page in the browser (index the articles first with `assistant index`).

    With --watch, the articles folder is synced into the index as it changes, and the page
    says when. With --mcp, MCP clients (agents) call ask, articles and people over
    streamable HTTP at http://HOST:PORT/gradio_api/mcp/; MCP clients cannot sign in, so
    --mcp cannot be given with --auth.

    Examples:

        assistant serve

        assistant serve --port 8080 --auth analyst:secret

        assistant serve --watch --mcp
    """
    settings: Settings = context.obj
    auth = auth if auth is not None else settings.web_auth  # ASSISTANT_WEB_AUTH
    credentials = _credentials(auth) if auth is not None else None
    if mcp and credentials:
        err_console.print("[red]--mcp cannot be given with --auth (or ASSISTANT_WEB_AUTH).[/red]")
        raise typer.Exit(2)
    from assistant.surfaces.web import launch

    assistant = _assistant(settings)
    folder_watch = _folder_watch(assistant) if watch else None
    try:
        launch(assistant, host=host, port=port, auth=credentials, watch=folder_watch, mcp=mcp)
    finally:
        if folder_watch is not None:
            folder_watch.stop(timeout=10)  # a sync cut short leaves the live index as it was


def _folder_watch(assistant: Assistant) -> FolderWatch:
    from assistant.surfaces.watch import FolderWatch

    try:
        return FolderWatch(assistant)
    except AssistantError as err:
        raise _fail(err) from err


def _credentials(auth: str) -> tuple[str, str]:
    """--auth's user:password; exit code 2 when either is missing."""
    user, _, password = auth.partition(":")
    if not user or not password:
        err_console.print("[red]--auth takes user:password, both non-empty.[/red]")
        raise typer.Exit(2)
    return user, password


@app.command("articles")
def articles_command(
    context: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """List the indexed articles: id, title, date (and where it was read), language, passages.

    With --json: one list of {"id", "title", "date", "date_source", "language", "author",
    "url", "source", "passages"}.
    """
    try:
        records = Assistant(context.obj).articles()
    except AssistantError as err:
        raise _fail(err) from err
    if as_json:
        print(_json([article_json(r) for r in records]))
        return
    table = Table("id", "title", "date", "date from", "language", "passages")
    for r in records:
        table.add_row(
            _shown(r.id),
            _shown(r.title),
            r.date or "",
            r.date_source or "",
            r.language,
            str(r.passages),
        )
    console.print(table)


@app.command("people")
def people_command(
    context: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """List the people the articles quote: statements and articles per person.

    With --json: one list of {"name", "statements", "articles"}, most quoted first.
    """
    try:
        people = Assistant(context.obj).people()
    except AssistantError as err:
        raise _fail(err) from err
    if as_json:
        print(_json([person_json(p) for p in people]))
        return
    table = Table("person", "statements", "articles")
    for person in people:
        articles = _shown(", ".join(person.articles))
        table.add_row(_shown(person.name), str(person.statements), articles)
    console.print(table)


@app.command("eval")
def eval_command(
    context: typer.Context,
    qa_file: Annotated[
        Path, typer.Argument(help='JSON lines: {"question", "answer"} or the news format.')
    ],
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="Recall@k cut-off.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Measure retrieval (recall@k, MRR) and cited-sentence hit rate on your own questions.

    Each line of QA_FILE is {"question": "...", "answer": "expected text"}, optionally with
    "article_id" (the answering article's id, as `assistant articles` lists it) and
    "start"/"end" (the gold span's offsets in it). A retrieved passage hits when it holds
    the expected text (case-insensitive) and, if "article_id" is given, is of that
    article; a cited answer hits when its quotes hold it.

    The news format is read too, {"q", "answers": [gold strings], "article",
    "alt_articles", "kind", "history"}: it prints, per kind, whether the cited quotes hold
    a gold string (off-corpus questions: whether it abstained), whether the first
    citation is from an answering article, whether one was retrieved, wrong abstentions
    and quoted characters per answer.

    Example:

        assistant eval my-questions.jsonl -k 5
    """
    from assistant.surfaces.evaluation import NewsItem, evaluate, evaluate_news, read_qa_file

    try:
        items = read_qa_file(qa_file)
        news = bool(items) and isinstance(items[0], NewsItem)
        scorer = evaluate_news if news else evaluate
        metrics = scorer(Assistant(context.obj), items, k=k)
    except AssistantError as err:
        raise _fail(err) from err
    if as_json:
        print(json.dumps(metrics))
    elif news:
        _print_news_metrics(metrics)
    else:
        table = Table("metric", "value")
        for name, value in metrics.items():
            table.add_row(name, f"{value:.3f}" if isinstance(value, float) else str(value))
        console.print(table)


def _print_news_metrics(metrics: dict) -> None:
    """One column per kind of question (and all), one row per measure."""
    columns = {"all": metrics["overall"], **metrics["by_kind"]}
    table = Table("measure", *columns)
    for measure in metrics["overall"]:
        values = [row[measure] for row in columns.values()]
        table.add_row(measure, *("-" if v is None else f"{v:.3g}" for v in values))
    console.print(table)


class Thumbs(enum.StrEnum):
    up = "up"
    down = "down"


feedback_app = typer.Typer(help="Feedback given on the page's answers (thumbs up or down).")
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
def feedback_export_command(
    context: typer.Context,
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: stdout).")
    ] = None,
    only: Annotated[
        Thumbs | None, typer.Option("--only", help="Only thumbs up, or only thumbs down.")
    ] = None,
) -> None:
    """Write the page's feedback as questions for `assistant eval` (JSON lines).

    A thumbs-up answer becomes a question whose "answers" are key words of its cited quotes
    and whose "article" is the cited article, so that `assistant eval` checks the assistant
    still finds them (a thumbs-up refusal: an "offcorpus" question). A thumbs-down answer
    becomes kind "flagged", with the reader's note: fill in its "answers" and "article"
    (or make it "offcorpus") before `assistant eval` takes it.

    Example:

        assistant feedback export --only up --out regressions.jsonl
        assistant eval regressions.jsonl
    """
    from assistant.surfaces.feedback import eval_questions, read_feedback, write_questions

    settings: Settings = context.obj
    try:
        questions = eval_questions(read_feedback(settings.index), only and only.value)
    except AssistantError as err:
        raise _fail(err) from err
    text = write_questions(questions)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        err_console.print(f"Wrote {len(questions)} questions to {_shown(str(out))}.")
