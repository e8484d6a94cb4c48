"""How likely the evidence answers the question: the confidence every answer carries.

Features of one question's evidence (`answerability_features`): how far the best passage's
similarity clears its language's floor, how sure the quote model is of its best sentence,
how much of the question's wording that sentence and the best-covering passage hold (as
spelled, and in any language through word_matching.py), how many of the question's names
(people, places, numbers) occur in the retrieved passages, whether the best passage shares
the question's language, the best sentence's similarity under each model, and whether the
question's names stand in the article the best quote comes from. A logistic model of them
gives the chance that the articles answer the question. Every feature is absolute (no rank
or z-score among the candidates), so the chance means the same on 9 passages as on
100,000: features relative to the candidate pool separated XQuAD's questions better but
gave the seed article's answerable questions chances of 0.19-0.54.

Its weights (one per feature, by name) are fitted by `benchmarks/answerability.py` on
questions asked with their answering articles indexed (answerable) and left out (not
answerable); the file assistant/fitted/answerability.json says on which, and how well the
chance is calibrated on held-out questions. Shown to users as the answer's confidence, and
below `AbstainPolicy.min_confidence` a refusal; no threshold keeps wrong refusals of XQuAD
questions near 2% while refusing most English questions whose article is missing
(docs/benchmarks.md).
"""

from __future__ import annotations

import re

import numpy as np

from assistant.answering.quoting import QuoteRanking
from assistant.fitted import Answerability, fitted, ordered
from assistant.language.tokens import content_words
from assistant.models.word_matching import WordMatcher, word_rarity
from assistant.retrieval.hybrid import Evidence

FEATURES = (
    "dense_margin",
    "quote_logit",
    "sentence_share",
    "passage_share",
    "name_share",
    "same_language",
    "sentence_cosine",
    "second_sentence_cosine",
    "best_article_name_share",
    "has_names",
    "sentence_key_closeness",
    "passage_key_closeness",
)
# A name: a capitalised word after the question's first word, or a number. Compared by
# its first letters, so that Peskov / Peskow or Russia / Russland still meet.
_NAME = re.compile(r"(?<!^)(?<![.?!]\s)\b([A-ZÄÖÜÁÉÍÓÚÑ][\w-]{2,}|\d[\d.,]*)")
_NAME_PREFIX = 4


def question_names(question: str) -> set[str]:
    """The question's names and numbers, lower-cased and cut to their first letters."""
    return {name.lower()[:_NAME_PREFIX] for name in _NAME.findall(question.strip())}


def answerability_features(
    evidence: Evidence, ranking: QuoteRanking, floors: tuple[float, float]
) -> np.ndarray:
    """The features above for one question, in `FEATURES` order.

    `ranking`: the evidence's quotable sentences with the quote model's logits (at least
    one sentence); `floors`: the primary model's similarity floors (same language, across).
    """
    question = evidence.question
    same_floor, cross_floor = floors
    margins = [
        hit.dense - (same_floor if hit.language == question.language else cross_floor)
        for hit in evidence.hits
    ]
    asked = content_words(question.text, question.language)
    best = ranking.sentences[int(np.argmax(ranking.logits))]
    words_of = [content_words(h.passage.text, h.language) for h in evidence.hits]
    passage_share = max((len(asked & words) for words in words_of), default=0)
    # A date the evidence was chosen by is held by its articles' dates, not by their text.
    names = question_names(question.undated_text())
    text = " ".join(h.passage.text for h in evidence.hits).lower()
    found = {n for n in names if _starts_word(n, text)}
    # The names must stand where the answer is quoted from (its article's retrieved
    # passages): "What did X say about Y?" with X in one article and Y in another is not
    # answered.
    article_text = " ".join(
        h.passage.text for h in evidence.hits if h.article.id == best.hit.article.id
    ).lower()
    in_article = {n for n in names if _starts_word(n, article_text)}
    top = evidence.hits[int(np.argmax(margins))]
    sentence_words = content_words(best.text, top.language)
    key_closeness = key_term_closeness(
        evidence.words, asked, question.language, [sentence_words, *words_of]
    )
    closest = [
        max((float(v @ model.question) for v in model.sentences.values()), default=0.0)
        for model in evidence.sentences
    ]
    return np.array(
        [
            max(margins),
            float(ranking.logits.max()),
            len(asked & sentence_words) / max(len(asked), 1),
            passage_share / max(len(asked), 1),
            len(found) / len(names) if names else 0.0,
            float(top.language == question.language),
            closest[0],
            closest[1] if len(closest) > 1 else 0.0,
            len(in_article) / len(names) if names else 0.0,
            float(bool(names)),
            key_closeness[0],
            max(key_closeness[1:], default=0.0),
        ]
    )


def _starts_word(name: str, text: str) -> bool:
    """`re.search(rf"\\b{re.escape(name)}", text)`, without compiling a pattern for each new
    name (a tenth of a millisecond each): `name` stands in `text` where a word boundary is."""
    at = text.find(name)
    while at >= 0:
        before = at > 0 and _is_word(text[at - 1])
        if before != (at < len(text) and _is_word(text[at])):
            return True
        at = text.find(name, at + 1)
    return False


def _is_word(character: str) -> bool:
    """Whether `re`'s \\w matches the character (its definition for str patterns)."""
    return character.isalnum() or character == "_"


def answer_confidence(
    evidence: Evidence,
    ranking: QuoteRanking,
    floors: tuple[float, float],
) -> float:
    """The chance that `evidence` answers its question (the answer's confidence)."""
    if not ranking.sentences:
        return 0.0
    features = answerability_features(evidence, ranking, floors)
    weights = np.array(ordered(Answerability, "weights", FEATURES))
    return float(1.0 / (1.0 + np.exp(-(features @ weights + fitted(Answerability).bias))))


def key_term_closeness(
    words: WordMatcher | None, asked: set[str], language: str, texts: list[set[str]]
) -> list[float]:
    """How closely each text's words hold the question's, in any language (1 for a word
    itself, its cosine for the closest word under `words`, else 0), averaged with the
    rarer words of the question counting more: "ceasefire" says more than "proposed"."""
    if not asked:
        return [0.0] * len(texts)
    ordered = sorted(asked)
    if words is not None:
        close = words.closeness(ordered, texts)
    else:
        close = np.array([[float(w in text) for w in ordered] for text in texts])
    rarity = word_rarity(ordered, language)
    return (close @ rarity / rarity.sum()).tolist()
