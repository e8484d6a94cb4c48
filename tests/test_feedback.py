"""Feedback on the page's answers: the file it is appended to, and its export as questions
`assistant eval` reads, run through a real index (the model-free hashing embedder keeps
these in the fast loop; the page's thumbs are tested in a browser in test_web.py)."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.errors import AssistantError
from assistant.surfaces.api import Assistant
from assistant.surfaces.cli import app
from assistant.surfaces.conversations import AnswerRecord, CitedQuote, answer_record, read_saved
from assistant.surfaces.evaluation import NewsItem, evaluate_news, read_qa_file
from assistant.surfaces.feedback import (
    eval_questions,
    feedback_path,
    key_words,
    read_feedback,
    record_feedback,
)

from .conftest import SEED
from .test_pipeline import HASHING, RUSSIA


@pytest.fixture
def hashed(seeds: Path, tmp_path: Path) -> Assistant:
    assistant = Assistant(seeds=seeds, index=tmp_path / "index", **HASHING)
    assistant.sync()
    return assistant


def _record(question: str, quotes: list[tuple[str, str]], abstained: bool = False) -> AnswerRecord:
    """An answer's record citing (article id, quote) pairs; invented text."""
    citations = [
        CitedQuote(n=n, article_id=article, title="Hafen", date="2025-03", quote=quote)
        for n, (article, quote) in enumerate(quotes, start=1)
    ]
    record = answer_record(question, [], _no_answer())
    return record.model_copy(update={"citations": citations, "abstained": abstained})


def _no_answer():
    from assistant.answering.answer import Answer

    return Answer(question="", text="", citations=(), abstained=True, retrieved=())


def test_a_liked_answer_exported_is_found_again_by_eval_after_a_rebuild(
    hashed: Assistant, tmp_path: Path
):
    answer = hashed.ask(RUSSIA)
    assert answer.citations
    record_feedback(hashed.settings.index, answer_record(RUSSIA, [], answer), 1)
    hashed.sync(rebuild=True)  # the file lies beside the generations: a rebuild keeps it

    out = tmp_path / "regressions.jsonl"
    index = str(hashed.settings.index)
    result = CliRunner().invoke(app, ["--index", index, "feedback", "export", "--only", "up",
                                      "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    [question] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    quotes = " ".join(c.quote for c in answer.citations)
    assert question["q"] == RUSSIA and question["kind"] == "liked" and question["lang"] == "de"
    assert question["article"] == SEED.name and question["alt_articles"] == []
    assert question["answers"] and all(gold in quotes for gold in question["answers"])
    assert all(2 <= len(gold.split()) <= 6 for gold in question["answers"])

    items = read_qa_file(out)
    assert [type(item) for item in items] == [NewsItem]
    metrics = evaluate_news(hashed, items)["overall"]
    assert (metrics["quotes_hold_answer"], metrics["first_cite_right"]) == (1.0, 1.0)


def test_thumbs_down_is_exported_flagged_and_eval_says_how_to_review_it(tmp_path: Path):
    index = tmp_path / "index"
    record = _record("Wie viele Container?", [("hafen.txt", "Der Hafen schlug mehr um.")])
    record_feedback(index, record, -1, "  Missed the number of containers  ")
    out = tmp_path / "flagged.jsonl"
    result = CliRunner().invoke(app, ["--index", str(index), "feedback", "export", "--out",
                                      str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    [flagged] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert flagged == {
        "q": "Wie viele Container?", "lang": "de", "answers": [], "article": None,
        "alt_articles": [], "kind": "flagged", "note": "Missed the number of containers",
        "answer_given": "",
    }  # fmt: skip
    with pytest.raises(AssistantError, match=r'line 1 is a thumbs-down .* give it "answers"'):
        read_qa_file(out)
    # Reviewed as the docs say, it is a question like any other.
    flagged |= {"answers": ["mehr um"], "article": "hafen.txt", "kind": "fact"}
    out.write_text(json.dumps(flagged) + "\n", encoding="utf-8")
    assert read_qa_file(out)[0].answers == ("mehr um",)


def test_the_last_rating_of_an_answer_counts_and_a_withdrawn_one_is_left_out(tmp_path: Path):
    index = tmp_path / "index"
    kept = _record("Was kostet die Brücke?", [("a.txt", "Die Brücke kostet 4,2 Milliarden Euro.")])
    withdrawn = _record("Wer baut sie?", [("a.txt", "Sie wird von der Stadt gebaut.")])
    refused = _record("Was sagte Lagarde?", [], abstained=True)
    record_feedback(index, kept, -1, "first thought it wrong")
    record_feedback(index, withdrawn, 1)
    record_feedback(index, refused, 1)
    record_feedback(index, kept, 1)
    record_feedback(index, withdrawn, 0)
    entries = read_feedback(index)
    assert [(e.id, e.rating) for e in entries] == [(refused.id, 1), (kept.id, 1)]
    assert eval_questions(entries, "down") == []
    offcorpus, liked = eval_questions(entries, "up")
    assert (offcorpus["kind"], offcorpus["answers"], offcorpus["article"]) == (
        "offcorpus",
        [],
        None,
    )
    assert liked["answers"] == ["Brücke kostet 4,2 Milliarden Euro"]


def test_key_words_are_the_quotes_densest_words_verbatim():
    quote = "Er sagte, dass es nun an Russland sei, der Waffenruhe zuzustimmen."
    assert key_words(quote) == "Russland sei, der Waffenruhe zuzustimmen"
    assert key_words("Ja.") == "Ja"
    assert key_words("…") == ""


def _append_many(index: str, worker: int) -> None:
    record = _record(f"Frage {worker}?", [("a.txt", "x" * 5000)])
    for _ in range(40):
        record_feedback(Path(index), record, 1, "n" * 3000)


def test_workers_appending_at_once_leave_whole_lines(tmp_path: Path):
    index = tmp_path / "index"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(str(index), w)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    lines = feedback_path(index).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 160
    assert sorted({json.loads(line)["question"] for line in lines}) == [
        f"Frage {w}?" for w in range(4)
    ]


def test_a_damaged_feedback_line_is_named(tmp_path: Path):
    index = tmp_path / "index"
    record_feedback(index, _record("Wer?", []), 1)
    with feedback_path(index).open("a", encoding="utf-8") as file:
        file.write('{"rating": 7}\n')
    with pytest.raises(AssistantError, match=r"feedback\.jsonl, line 2 is not a feedback record"):
        read_feedback(index)


def test_saved_chats_from_the_browser_that_do_not_fit_are_dropped():
    good = {"id": "a" * 32, "title": "Hafen", "created": "2026-12-06T20:00:00Z",
            "updated": "2026-12-06T20:00:00Z"}  # fmt: skip
    hostile = good | {"id": "../../etc/passwd"}  # an id names a file on the server
    saved = read_saved({"chats": [good, hostile, "no chat"], "current": good["id"]})
    assert [c.id for c in saved.chats] == ["a" * 32] and saved.current == "a" * 32
    assert read_saved("garbage").chats == [] and read_saved(None).chats == []
