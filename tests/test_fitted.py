"""Fitted values: read from assistant/fitted/*.json, checked, and what the code uses."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import numpy as np
import pytest

from assistant.answering.answer import AbstainPolicy
from assistant.answering.answerability import FEATURES, answer_confidence
from assistant.answering.quoting import ExtractiveAnswerer, rank_sentences
from assistant.errors import FittedValuesError
from assistant.fitted import (
    FOLDER,
    Answerability,
    AnswerTypes,
    ConfidenceFloor,
    Floors,
    People,
    QuoteModel,
    Retrieval,
    Support,
    TopicNames,
    WordMatching,
    fitted,
    overridden,
    read_fitted,
    write_fitted,
)
from assistant.index.store import ArticleRecord, Hit
from assistant.ingest.passages import Passage
from assistant.models.embeddings import HashingEmbeddings
from assistant.models.word_matching import WordMatcher
from assistant.question.answer_types import answer_type
from assistant.retrieval.hybrid import EncodedQuestion, Evidence, SentenceVectors
from assistant.settings import Settings

pytestmark = pytest.mark.fast

KINDS = (
    QuoteModel,
    Answerability,
    Floors,
    ConfidenceFloor,
    Retrieval,
    Support,
    WordMatching,
    AnswerTypes,
    People,
    TopicNames,
)
REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.FILE)
def test_every_shipped_file_says_where_its_values_came_from(kind: type):
    record = json.loads((FOLDER / kind.FILE).read_text(encoding="utf-8"))
    assert fitted(kind) == read_fitted(kind, FOLDER / kind.FILE)
    assert record["fitted_on"]
    assert record["script"] is None or (REPO / record["script"]).exists()
    assert datetime.date.fromisoformat(record["date"]) <= datetime.date.today()
    assert isinstance(record["score"], dict)


def test_every_file_is_read_by_the_code():
    assert {path.name for path in FOLDER.glob("*.json")} == {kind.FILE for kind in KINDS}


def _quote_model_file(tmp_path: Path, change) -> Path:
    record = json.loads((FOLDER / QuoteModel.FILE).read_text(encoding="utf-8"))
    change(record)
    path = tmp_path / QuoteModel.FILE
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def test_a_file_lacking_a_value_is_refused_naming_the_file_and_the_value(tmp_path: Path):
    path = _quote_model_file(tmp_path, lambda record: record["values"].pop("bias"))
    with pytest.raises(FittedValuesError, match=r"quote_model\.json.*lacks values\.bias"):
        read_fitted(QuoteModel, path)


def test_a_file_with_an_unknown_value_is_refused_naming_the_file_and_the_value(tmp_path: Path):
    def misspell(record: dict) -> None:
        record["values"]["bais"] = record["values"].pop("bias")

    path = _quote_model_file(tmp_path, misspell)
    with pytest.raises(FittedValuesError, match=r"lacks values\.bias, has unknown values\.bais"):
        read_fitted(QuoteModel, path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda record: record.pop("fitted_on"), "lacks fitted_on"),
        (lambda record: record.update(fitted_by="me"), "has unknown fitted_by"),
        (lambda record: record["values"].update(bias="-3.42"), "values.bias = '-3.42'"),
        (lambda record: record["values"].update(bias=True), "values.bias = True"),
        (lambda record: record["values"].update(similarity_weights=[1.18]), "not an object"),
    ],
)
def test_a_malformed_file_is_refused(tmp_path: Path, change, message: str):
    with pytest.raises(FittedValuesError, match=message):
        read_fitted(QuoteModel, _quote_model_file(tmp_path, change))


def test_a_missing_file_is_refused_saying_how_to_restore_it(tmp_path: Path):
    with pytest.raises(FittedValuesError, match="Restore the file"):
        read_fitted(QuoteModel, tmp_path / QuoteModel.FILE)


def test_written_values_read_back_exactly_with_their_provenance(tmp_path: Path):
    model = QuoteModel({"default": 1.0 / 3.0, "use": 0.1 + 0.2}, 2.22, -3.42, 0.2)
    path = tmp_path / QuoteModel.FILE
    score = {"tune": {"de": {"best_sentence_holds_answer": 0.72}}}
    write_fitted(path, model, fitted_on="XQuAD tune half", script="benchmarks/tune.py", score=score)
    assert read_fitted(QuoteModel, path) == model  # floats round-trip bit for bit
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["date"] == datetime.date.today().isoformat()
    assert (record["fitted_on"], record["script"], record["score"]) == (
        "XQuAD tune half",
        "benchmarks/tune.py",
        score,
    )


def test_settings_default_to_the_fitted_values_and_the_environment_overrides_them(
    monkeypatch: pytest.MonkeyPatch,
):
    settings = Settings()
    floors = fitted(Floors)
    assert (settings.abstain_below, settings.abstain_below_cross_lingual) == (
        floors.same_language,
        floors.cross_lingual,
    )
    assert settings.abstain_below_confidence == fitted(ConfidenceFloor).min_confidence
    assert settings.support_threshold == fitted(Support).threshold
    assert settings.lexical_weight == fitted(Retrieval).lexical_weight
    with overridden(Retrieval, dense_weights={"default": 1.0, "use-multilingual-v3": 0.9}):
        assert [m.weight for m in Settings().dense_models] == [1.0, 0.9]
    monkeypatch.setenv("ASSISTANT_ABSTAIN_BELOW", "0.5")
    assert Settings().abstain_below == 0.5


def test_fitted_weights_for_other_models_are_refused_naming_the_file():
    with (
        overridden(QuoteModel, similarity_weights={"default": 1.18, "bge-m3": 0.5}),
        pytest.raises(FittedValuesError, match=r"quote_model\.json.*values\.similarity_weights"),
    ):
        Settings()


_QUESTION = np.array([1.0, 0.0])


def _evidence(question: str) -> Evidence:
    """One German passage of two sentences e5 finds equally close to the question; only
    the second names what the question names."""
    first, second = "Der Hafen war lange gesperrt und ist nun offen.", "Die Fähre Frisia IV fährt."
    text = f"{first} {second}"
    passage = Passage(
        "p1", "a.txt", 0, len(text), text, ((0, len(first)), (len(first) + 1, len(text)))
    )
    article = ArticleRecord("a.txt", "Hafen", "seeds/a.txt", "h", "de", None, None, None, 1)
    same = np.array([0.9, np.sqrt(1 - 0.81)])
    e5 = SentenceVectors(_QUESTION, {("p1", 0): same, ("p1", 1): same})
    hit = Hit(passage, article, "de", score=1.0, dense=0.85)
    encoded = EncodedQuestion(question, "en", (_QUESTION, _QUESTION), answer_type(question, "en"))
    return Evidence(encoded, [hit], [e5, SentenceVectors(_QUESTION, {})])


def _quotes(evidence: Evidence) -> list[str]:
    policy = AbstainPolicy(same_language=0.81, cross_lingual=0.76)
    answerer = ExtractiveAnswerer(policy, [1.18, 0.76], lambda evidence, ranking: 0.5)
    answer = answerer.answer(evidence.question.text, evidence)
    return [citation.quote.split()[1] for citation in answer.citations]


def test_the_quote_model_is_read_from_its_file():
    evidence = _evidence("Since when does the Frisia IV run?")
    assert _quotes(evidence) == ["Fähre", "Hafen"]
    with overridden(QuoteModel, quote_share=0.99):  # only sentences as likely as the best
        assert _quotes(evidence) == ["Fähre"]
    with overridden(QuoteModel, word_share_weight=0.0):  # the question's words count nothing
        assert _quotes(evidence) == ["Hafen", "Fähre"]


def test_the_answerability_model_is_read_from_its_file():
    evidence = _evidence("Since when does the Frisia IV run?")
    ranking = rank_sentences(evidence, [1.18, 0.76])
    shipped = answer_confidence(evidence, ranking, (0.81, 0.76))
    with overridden(Answerability, bias=fitted(Answerability).bias + 100):
        assert answer_confidence(evidence, ranking, (0.81, 0.76)) == 1.0 > shipped
    weights = {name: 1.0 for name in FEATURES[1:]}  # one feature's weight missing
    with (
        overridden(Answerability, weights=weights),
        pytest.raises(FittedValuesError, match=r"answerability\.json.*lacks values\.weights\."),
    ):
        answer_confidence(evidence, ranking, (0.81, 0.76))


def test_the_word_match_cut_off_is_read_from_its_file():
    assert WordMatcher(HashingEmbeddings()).threshold == fitted(WordMatching).word_match
    with overridden(WordMatching, word_match=0.9):
        assert WordMatcher(HashingEmbeddings()).threshold == 0.9
    assert WordMatcher(HashingEmbeddings(), threshold=0.3).threshold == 0.3
