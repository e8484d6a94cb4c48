"""The answering pipeline as a LangChain Runnable, run end to end with the model-free hashing
embedder (so these are in the fast loop) and, once, with the real models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableLambda
from typer.testing import CliRunner

from assistant.answering.answer import Answer
from assistant.surfaces.api import Assistant
from assistant.surfaces.cli import app

from .conftest import SEED

# Word hashing gives low cosines, so every passage counts as evidence here; what is tested
# is the path a question travels, not the abstention floors.
HASHING = {
    "dense_models": [{"model": "hashing", "quote_weight": 1.0}],
    "abstain_below": 0.0,
    "abstain_below_cross_lingual": 0.0,
    "abstain_below_confidence": 0.0,
}
RUSSIA = "Was sagte Rubio über Russland?"
G7 = "Wer spricht mit den G7?"


@pytest.fixture
def hashed(seeds: Path, tmp_path: Path) -> Assistant:
    assistant = Assistant(seeds=seeds, index=tmp_path / "index", **HASHING)
    assistant.sync()
    return assistant


def test_invoke_returns_the_cited_answer(hashed: Assistant):
    answer = hashed.chain().invoke({"question": RUSSIA})
    assert isinstance(answer, Answer) and not answer.abstained
    assert answer.citations and all(c.article_id == SEED.name for c in answer.citations)
    assert any("Russland" in c.quote for c in answer.citations)
    assert answer.as_json() == hashed.ask(RUSSIA).as_json()
    assert hashed.chain(as_json=True).invoke({"question": RUSSIA}) == answer.as_json()


def test_batch_answers_each_question_as_alone(hashed: Assistant):
    chain = hashed.chain(as_json=True)
    requests = [{"question": RUSSIA}, {"question": G7, "k": 2}]
    answers = chain.batch(requests)
    assert answers == [chain.invoke(r) for r in requests]
    assert len(answers[1]["retrieved"]) == 2


def test_stream_yields_the_llms_tokens_then_the_checked_answer(hashed: Assistant):
    passage = hashed.retrieve(G7)[0].passage
    quote = passage.excerpt(*max(passage.sentences, key=lambda span: span[1] - span[0]))
    model = GenericFakeChatModel(messages=iter([AIMessage(f"{quote} [1]")]))
    assistant = Assistant(hashed.settings, chat_model=model)
    pieces = list(assistant.chain().stream({"question": G7}))
    tokens, answer = pieces[:-1], pieces[-1]
    assert len(tokens) > 1 and all(isinstance(t, str) for t in tokens)
    assert isinstance(answer, Answer) and answer.text == "".join(tokens).strip()
    assert [c.n for c in answer.citations] == [1] and answer.sentences[0].supported
    # Without an LLM there is nothing to stream but the answer.
    assert [type(p) for p in hashed.chain().stream({"question": G7})] == [Answer]


def test_a_person_question_is_not_streamed_before_its_check(hashed: Assistant):
    """Words given as Rubio's are shown only once checked to be his: nothing is streamed."""
    model = GenericFakeChatModel(messages=iter([AIMessage("Rubio sagte nichts [1].")]))
    assistant = Assistant(hashed.settings, chat_model=model)
    pieces = list(assistant.chain().stream({"question": RUSSIA}))
    assert [type(p) for p in pieces] == [Answer]


def test_composes_with_langchain_and_reports_to_callbacks(hashed: Assistant):
    events: list[str] = []

    class Recorder(BaseCallbackHandler):
        def on_chain_start(self, serialized, inputs, **kwargs):
            events.append("start")

        def on_chain_end(self, outputs, **kwargs):
            events.append("end")

    quotes = hashed.chain() | RunnableLambda(lambda a: [c.quote for c in a.citations])
    found = quotes.invoke({"question": RUSSIA}, config={"callbacks": [Recorder()]})
    assert any("Russland" in q for q in found)
    assert events.count("start") >= 2 and events.count("end") >= 2


def test_bad_input_is_the_same_clear_error_through_the_chain(hashed: Assistant):
    from assistant.errors import BadQuestion

    with pytest.raises(BadQuestion, match="whole number from 1 to 50"):
        hashed.chain().invoke({"question": RUSSIA, "k": 0})
    with pytest.raises(BadQuestion, match="question is empty"):
        hashed.chain().invoke({"question": " "})


def test_cli_runs_the_pipeline_with_a_configured_embedder(seeds: Path, tmp_path: Path):
    """The CLI picks the embedder from settings like everything else: no monkeypatching."""
    env = {f"ASSISTANT_{key.upper()}": json.dumps(value) for key, value in HASHING.items()}
    base = ["--seeds", str(seeds), "--index", str(tmp_path / "index")]
    runner = CliRunner()
    indexed = runner.invoke(app, [*base, "index"], env=env)
    assert indexed.exit_code == 0, indexed.output
    asked = runner.invoke(app, [*base, "ask", "--json", "-"], input=f"{RUSSIA}\n{G7}\n", env=env)
    assert asked.exit_code == 0, asked.output
    lines = [json.loads(line) for line in asked.stdout.splitlines()]
    assert [line["question"] for line in lines] == [RUSSIA, G7]
    assert all(line["citations"] for line in lines)
