"""Words matched across languages and inflections by the Universal Sentence Encoder's
vectors, as the quote model counts the question's words a sentence holds."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.models.embeddings import HashingEmbeddings, UseEmbeddings
from assistant.models.word_frequencies import listed_language, zipf_frequency
from assistant.models.word_matching import KnownWords, WordMatcher

pytestmark = pytest.mark.slow  # loads the Universal Sentence Encoder


@pytest.fixture(scope="module")
def matcher() -> WordMatcher:
    return WordMatcher(UseEmbeddings())


def test_translations_count_as_the_question_words(matcher: WordMatcher):
    asked = {"published", "joint", "statement"}
    sentences = [
        {"veröffentlicht", "erklärung", "ukraine"},  # two of the three, in German
        {"gesprächen", "dschidda", "fortschritte"},  # none
        {"statement", "published"},  # the same words
    ]
    assert matcher.shared(asked, sentences) == [2, 0, 2]


def test_no_question_words_or_no_sentence_words_share_nothing(matcher: WordMatcher):
    assert matcher.shared(set(), [{"erklärung"}]) == [0]
    assert matcher.shared({"statement"}, [set(), {"erklärung"}]) == [0, 1]


def test_a_person_is_tied_to_their_government_not_to_another(matcher: WordMatcher):
    moscow = "Eine Stellungnahme der Regierung in Moskau liegt zunächst nicht vor."
    assert matcher.similarity("Vladimir Putin", moscow) > matcher.similarity("Xi Jinping", moscow)


class _CountingEmbedder:
    """The real encoder, counting the words it is asked to embed."""

    def __init__(self, embedder: UseEmbeddings) -> None:
        self.embedder = embedder
        self.embedded: list[str] = []

    def embed_questions(self, texts: list[str]):
        self.embedded += texts
        return self.embedder.embed_questions(texts)


def test_word_vectors_are_kept_once_per_word(matcher: WordMatcher):
    counting = _CountingEmbedder(matcher.embedder)
    fresh = WordMatcher(counting)
    first = fresh.vectors(["waffenruhe", "ceasefire"])
    again = fresh.vectors(["ceasefire", "waffenruhe", "fotograf"])
    assert sorted(counting.embedded) == ["ceasefire", "fotograf", "waffenruhe"]  # once each
    assert (first[0] == again[1]).all() and (first[1] == again[0]).all()  # in asked order
    assert float(first[0] @ first[1]) >= 0.4  # a translation, closer than unrelated words
    assert float(first[1] @ again[2]) < 0.4


def test_closeness_is_the_closest_words_cosine_and_one_for_the_word_itself(
    matcher: WordMatcher,
):
    close = matcher.closeness(["ceasefire", "statement"], [{"waffenruhe", "heute"}, {"statement"}])
    assert close.shape == (2, 2)
    assert close[1, 1] == 1.0
    assert close[0, 0] > close[0, 1]  # Waffenruhe is a ceasefire, not a statement
    assert close[0, 0] < 1.0


def test_a_language_wordfreq_has_no_list_for_is_weighed_as_english():
    # Language detection names rare languages for short texts ("Russland" -> "crh"); words
    # of such a text are weighed by the English list instead of failing the question.
    assert listed_language("de") == "de"
    assert listed_language("crh") == "en"
    assert zipf_frequency("Russland", listed_language("crh")) >= 0


def test_known_words_are_read_not_embedded_and_match_as_embedded(matcher: WordMatcher, tmp_path):
    embedder = matcher.embedder
    first, second = ["waffenruhe", "erklärung"], ["ceasefire"]
    known = KnownWords.empty(embedder.signature).merged(first, embedder.embed_questions(first))
    known.merged(second, embedder.embed_questions(second)).write(tmp_path)
    counting = _CountingEmbedder(embedder)
    counting.signature = embedder.signature
    reading = WordMatcher(counting)
    reading.know(tmp_path)
    assert reading.known.words == ["ceasefire", "erklärung", "waffenruhe"]
    asked = ["ceasefire", "fotograf", "waffenruhe"]
    # The same vectors up to float rounding (a row's sums run in another batch's order).
    assert np.allclose(reading.vectors(asked), matcher.vectors(asked), rtol=0, atol=1e-6)
    assert counting.embedded == ["fotograf"]  # the one word not kept


def test_known_words_of_another_model_are_not_used(matcher: WordMatcher, tmp_path):
    KnownWords("another-model", ["ceasefire"], np.ones((1, 512), np.float32)).write(tmp_path)
    assert KnownWords.read(tmp_path, matcher.embedder.signature) is None
    assert KnownWords.read(tmp_path / "missing", matcher.embedder.signature) is None


def test_many_words_kept_are_each_their_own_vector_across_calls(tmp_path):
    embedder = HashingEmbeddings()
    words = [f"word{n}" for n in range(2500)]  # more than the first rows made room for
    known = KnownWords.empty(embedder.signature).merged(
        words[::3], embedder.embed_questions(words[::3])
    )
    known.write(tmp_path)
    matcher = WordMatcher(embedder)
    matcher.know(tmp_path)  # a third read from the index's words, the rest embedded
    for first in range(0, len(words), 700):
        matcher.vectors(words[first : first + 700])
    asked = [*words[::-7], "word3", "word3"]
    assert np.array_equal(matcher.vectors(asked), embedder.embed_questions(asked))
    assert matcher.vectors([]).shape == (0, 1)
