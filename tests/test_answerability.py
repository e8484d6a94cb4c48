"""The question's key terms as the answerability model weighs them: rarer words count more."""

from __future__ import annotations

import pytest

from assistant.answering.answerability import key_term_closeness
from assistant.models.word_matching import word_rarity

pytestmark = pytest.mark.fast


def test_rare_words_weigh_more_than_common_ones():
    rarity = word_rarity(["the", "proposed", "ceasefire"], "en")
    assert rarity[0] < rarity[1] < rarity[2]
    assert word_rarity(["waffenruhe"], "de")[0] > word_rarity(["heute"], "de")[0]


@pytest.mark.parametrize("language", ["xx", "zh"])  # no word list; a segmenter not installed
def test_a_language_wordfreq_cannot_weigh_is_weighed_as_english(language: str):
    english = word_rarity(["ceasefire"], "en").tolist()
    assert word_rarity(["ceasefire"], language).tolist() == english


def test_a_text_holding_the_rare_word_holds_more_of_the_question():
    asked = {"proposed", "ceasefire"}
    rare, common, none = key_term_closeness(
        None, asked, "en", [{"ceasefire"}, {"proposed"}, {"weather"}]
    )
    assert rare > common > none == 0.0
    assert key_term_closeness(None, asked, "en", [asked]) == [pytest.approx(1.0)]
    assert key_term_closeness(None, set(), "en", [{"ceasefire"}]) == [0.0]
