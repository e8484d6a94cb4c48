"""The question's key terms as the answerability model weighs them: rarer words count more."""

from __future__ import annotations

import re

import pytest

from assistant.answering.answerability import _starts_word, key_term_closeness
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


@pytest.mark.parametrize(
    "text",
    [
        "die lutherbibel, 1525 vorgelegt; ökonomie_2024 und über-übersetzung (nato) nato",
        "x_nato 3.5% 1.234,5 l'onu l\u2019onu e\u0301lan élan élan ab\u0301c",
        "",
    ],
)
def test_a_name_stands_in_a_text_where_the_pattern_of_a_word_start_finds_it(text: str):
    # Question names are looked up in the passages as `\b` + the name would find them.
    names = ["nato", "lut", "1525", "1.23", "34,5", "onu", "lan", "bc", "_2024", "2024", "n"]
    for name in [*names, *text.split(), " ", ""]:
        expected = bool(re.search(rf"\b{re.escape(name)}", text))
        assert _starts_word(name, text) == expected, name
