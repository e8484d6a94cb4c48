"""What the page shows: article text inert, markers linked, quotes highlighted, examples."""

from __future__ import annotations

import dataclasses
import re

from assistant.answering.answer import Answer, AnswerSentence, Citation
from assistant.surfaces.rendering import answer_markdown, escape_markdown, sources_html
from assistant.surfaces.suggestions import example_questions
from tests.conftest import SEED

HOSTILE = '<img src=x onerror="alert(1)"> [x](javascript:alert(2)) <script>alert(3)</script>'


def _citation(n: int, quote: str, passage: str, passage_id: str = "a#1") -> Citation:
    return Citation(
        n=n, article_id="a.md", title="T <b>itle</b>", date="2025-03", source="seeds/a.md",
        passage_id=passage_id, passage=passage, quote=quote, start=0, end=len(quote), score=0.9,
    )  # fmt: skip


def test_escaped_text_has_no_live_markup():
    escaped = escape_markdown(HOSTILE)
    assert "<" not in escaped and "](" not in escaped
    assert "\\[x\\]\\(javascript\\:alert\\(2\\)\\)" in escaped


def test_markers_link_to_sources_and_unsupported_sentences_are_marked():
    citation = _citation(1, "Quote.", "Before. Quote. After.")
    answer = Answer(
        question="q",
        text=f"Supported {HOSTILE} [1]. Invented [1]. Unknown marker [7].",
        citations=(citation,),
        abstained=False,
        retrieved=(),
        sentences=(
            AnswerSentence(f"Supported {HOSTILE} [1].", (1,), True),
            AnswerSentence("Invented [1].", (1,), False),
            AnswerSentence("Unknown marker [7].", (), False),
        ),
    )
    rendered = answer_markdown(answer)
    assert "Confidence" not in rendered  # none stated, none shown
    assert "answer this: 73%" in answer_markdown(dataclasses.replace(answer, confidence=0.731))
    assert rendered.count('<a class="cite" href="#source-1">[1]</a>') == 2
    assert "#source-7" not in rendered and "\\[7\\]" in rendered
    assert rendered.count('class="unsupported"') == 2
    ours = r'</?(a|span)( class="[^"]*"( href="[^"]*"| title="[^"]*")?)?>'
    without_ours = re.sub(ours, "", rendered)
    assert "<" not in without_ours


def test_sources_group_quotes_of_one_passage_and_highlight_them():
    passage = "Erster Satz <script>x</script>. Zweiter Satz. Dritter Satz."
    citations = [
        _citation(1, "Zweiter Satz.", passage),
        _citation(2, "Erster Satz <script>x</script>.", passage),
        _citation(3, "Anderer Satz.", "Anderer Satz.", passage_id="b#1"),
    ]
    html = sources_html(citations)
    assert html.count('class="source"') == 2
    assert 'id="source-1"' in html and 'id="source-2"' in html and 'id="source-3"' in html
    marks = re.findall(r'<mark data-n="(\d)">', html)
    assert marks == ["2", "1", "3"]  # in passage order
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "T &lt;b&gt;itle&lt;/b&gt;" in html and "2025-03" in html


def test_example_questions_name_the_people_the_seed_quotes():
    questions = example_questions([(SEED.read_text(encoding="utf-8"), "de")])
    assert questions[0] == "What did Marco Rubio say about Russland?"
    assert "What did Mike Waltz say?" in questions
