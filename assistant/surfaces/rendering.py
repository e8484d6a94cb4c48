"""Answers and sources as HTML/Markdown for the web page. Article text is never trusted.

Every piece of article or question text is HTML-escaped and Markdown-escaped before it is
placed in markup, so a `<script>`, a `[link](javascript:…)` or a bare `https://…` inside an
article shows as text. Only the markup built here (citation links, highlights) is live.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from assistant.answering.answer import MARKER, Answer, Citation
from assistant.answering.timeline import Timeline, TimelineEntry

# Characters Markdown (or Gradio's LaTeX rendering) would interpret. With ":", "." and "@"
# escaped too, no "https://…", "www.…" or "name@host" is turned into a link by the renderer
# (GitHub-flavoured Markdown links them by itself), and none keeps a stray backslash, as
# the escapes inside such an automatic link would.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~$<>:.@-])")


def escape_markdown(text: str) -> str:
    """`text` shown literally by a Markdown renderer that also accepts inline HTML.

    Quotes stay as they are: the text lands in element content, never in an attribute, and
    an entity such as `&#x27;` would have its `#` escaped below and show as typed.
    """
    escaped = html.escape(text, quote=False)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", escaped).replace("\n", "  \n")


def answer_markdown(answer: Answer) -> str:
    """The answer's text, its [n] markers linked to the sources panel.

    Sentences the support check rejected are marked with a warning sign and a tooltip.
    """
    return _answer_body(answer) + _confidence_note(answer)


def _confidence_note(answer: Answer) -> str:
    if answer.confidence is None:
        return ""
    percent = round(100 * answer.confidence)
    return (
        f'\n\n<span class="confidence">Confidence that the articles answer this: {percent}%</span>'
    )


def _answer_body(answer: Answer) -> str:
    known = {c.n for c in (*answer.citations, *answer.nearest)}
    if not answer.sentences:
        return _link_markers(answer.text, known)
    parts = []
    for sentence in answer.sentences:
        rendered = _link_markers(sentence.text, known)
        if not sentence.supported:
            rendered = (
                '<span class="unsupported" title="Not supported by the passages it cites">'
                f"⚠️ {rendered}</span>"
            )
        parts.append(rendered)
    notes = f"\n\n{_link_markers(answer.notes, known)}" if answer.notes else ""
    return " ".join(parts) + notes


def _link_markers(text: str, known: set[int]) -> str:
    pieces, last = [], 0
    for match in MARKER.finditer(text):
        pieces.append(escape_markdown(text[last : match.start()]))
        n = int(match.group(1))
        if n in known:
            pieces.append(f'<a class="cite" href="#source-{n}">[{n}]</a>')
        else:
            pieces.append(escape_markdown(match.group(0)))
        last = match.end()
    pieces.append(escape_markdown(text[last:]))
    return "".join(pieces)


def sources_html(citations: Sequence[Citation]) -> str:
    """The sources panel: per cited passage its article's title, date, page and file, and the
    passage with the quoted sentences highlighted. Citations of one passage share a card."""
    if not citations:
        return '<div class="sources empty">No sources: this answer cites no passage.</div>'
    by_passage: dict[str, list[Citation]] = {}
    for citation in citations:
        by_passage.setdefault(citation.passage_id, []).append(citation)
    cards = [_source_card(group) for group in by_passage.values()]
    return '<div class="sources">' + "".join(cards) + "</div>"


def _source_card(citations: list[Citation]) -> str:
    first = citations[0]
    anchors = "".join(f'<span id="source-{c.n}" class="anchor"></span>' for c in citations)
    numbers = " ".join(f"[{c.n}]" for c in citations)
    date = f' · <span class="date">{html.escape(first.date)}</span>' if first.date else ""
    if first.page is not None:  # a passage's quotes may start on different pages
        pages = sorted({c.page for c in citations if c.page is not None})
        date += f' · <span class="page">p. {", ".join(map(str, pages))}</span>'
    speakers = sorted({c.speaker for c in citations if c.speaker})
    if speakers:  # whose words the quotes are
        date += f' · <span class="speaker">{html.escape(", ".join(speakers))}</span>'
    return (
        f'<div class="source" data-n="{" ".join(str(c.n) for c in citations)}">{anchors}'
        f'<div class="source-head"><span class="n">{numbers}</span> '
        f'<span class="title">{html.escape(first.title)}</span>{date}'
        f' · <span class="file">{html.escape(first.article_id)}</span></div>'
        f'<div class="passage">{_highlighted(first.passage, citations)}</div></div>'
    )


def _highlighted(passage: str, citations: list[Citation]) -> str:
    """The passage escaped, each citation's quote wrapped in <mark>."""
    spans = []
    for citation in citations:
        at = passage.find(citation.quote)
        if at >= 0:
            spans.append((at, at + len(citation.quote), citation.n))
    pieces, last = [], 0
    for start, end, n in sorted(spans):
        if start < last:  # overlapping quotes: the first one's mark covers it
            continue
        pieces.append(html.escape(passage[last:start]))
        pieces.append(
            f'<mark data-n="{n}"><sup class="mark-n">{n}</sup>'
            f"{html.escape(passage[start:end])}</mark>"
        )
        last = end
    pieces.append(html.escape(passage[last:]))
    return "".join(pieces)


def error_markdown(message: str) -> str:
    """A user-facing error shown in the chat instead of an answer."""
    return f'<span class="error">⚠️ {escape_markdown(message)}</span>'


def timeline_html(timeline: Timeline) -> str:
    """A person's timeline as a dated list down a line: per article its date, title and
    file, then the person's quotes. A refusal (no entries) shows its text."""
    if not timeline.entries:
        return f'<div class="timeline empty">{html.escape(timeline.answer.text)}</div>'
    items = [_timeline_item(entry) for entry in timeline.entries]
    heading = html.escape(timeline.answer.text.split("\n", 1)[0])
    return (
        f'<div class="timeline"><p class="timeline-head">{heading}</p>'
        f"<ol>{''.join(items)}</ol></div>"
    )


def _timeline_item(entry: TimelineEntry) -> str:
    undated = entry.date is None
    date = "no date stated" if undated else html.escape(entry.date)
    quotes = "".join(
        f'<blockquote data-n="{c.n}"><sup class="mark-n">{c.n}</sup>'
        f"{html.escape(c.quote)}</blockquote>"
        for c in entry.citations
    )
    return (
        f'<li class="entry{" undated" if undated else ""}"><span class="when">{date}</span>'
        f'<div class="what"><span class="title">{html.escape(entry.title)}</span>'
        f' · <span class="file">{html.escape(entry.article_id)}</span>{quotes}</div></li>'
    )
