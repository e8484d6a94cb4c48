"""The answerer that needs no LLM: it quotes the sentences that best answer the question
(for a person question, the person's statements; its refusals quote what is nearest)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from assistant.answering.answer import (
    AbstainPolicy,
    Answer,
    Citation,
    abstention,
    citation,
    not_on_topic,
    person_not_found,
    quoted_text,
)
from assistant.fitted import AnswerTypes, People, QuoteModel, fitted
from assistant.index.store import Hit
from assistant.language.lexicon import lexicon
from assistant.language.tokens import content_words
from assistant.models.word_matching import WordMatcher
from assistant.question.answer_types import holds_type, is_credit_line
from assistant.retrieval.hybrid import EncodedQuestion, Evidence, SentenceVectors, zscore
from assistant.speech.names import name_runs, same_name
from assistant.speech.statements import (
    Statement,
    declines_comment,
    holds_quotation,
    points_back,
)
from assistant.timing import stage

if TYPE_CHECKING:
    from assistant.answering.person_answers import PersonStatements

# Which sentences to quote: each candidate sentence's chance of holding the answer, a logistic
# model (`QuoteModel`, assistant/fitted/quote_model.json, fitted by benchmarks/tune.py) of
# its similarity to the question under each dense model (each z-scored over the candidate
# sentences; weights in settings.DenseModel.quote_weight) and the share of the question's
# words (names, numbers, terms) it holds, in any language or inflection (word_matching.py);
# the question's speech verbs ("say", "reagierte") never count. Further sentences are quoted
# while their chance is at least `QuoteModel.quote_share` of the best one's. Also read from
# assistant/fitted/: what holding the kind of answer asked for adds to a sentence's logit
# (`AnswerTypes`; a credit line gains more, being short and sharing no words with "who took
# the photo"), and what a quotation adds in a person answer (`People.direct_quote_bonus`: a
# person's own words answer "what did X say" better than the article's summary of them);
# the same bonus goes to quotations answering a question that asks for no kind of answer
# (`_quotation_bonus`).
# Of a follow-up, what it asks in its own words outweighs what its standalone text carried
# over (`_CARRIED_WEIGHT`); a chosen statement runs on into the speaker's next quotation
# and back to the one before it.
# Answers stay short: at most this many quotes.
_MAX_QUOTES = 3
_MAX_NEAREST = 2  # sentences a refusal offers instead
_NOT_ON_TOPIC_CONFIDENCE = 0.2  # the most a "quoted, but not on this" refusal states
# Headings and photo credits ("US-Unterhändler loben Ukrainer", "(Quelle: Saul Loeb)") give
# passages context but answer nothing, so fragments this short are never quoted.
_MIN_QUOTE_WORDS = 4
# A follow-up's standalone text carries the previous question's words so that retrieval
# finds its subject; among the passages found, the sentence to quote is the one answering
# what is asked now ("And who came second?"): what was carried over counts half of what
# the follow-up asks in its own words.
_CARRIED_WEIGHT = 0.5


@dataclass(frozen=True)
class QuotableSentence:
    """A sentence of a retrieved passage, once even where passages overlap."""

    hit: Hit
    key: tuple[str, int]  # (passage id, ordinal in the passage), as stored
    start: int
    end: int
    text: str
    vector: np.ndarray


@dataclass(frozen=True)
class QuoteRanking:
    """The retrieved passages' quotable sentences and the quote model's logit for each
    (higher: more likely to hold the answer)."""

    sentences: list[QuotableSentence]
    logits: np.ndarray
    said: list[Statement | None]  # the statement each sentence is, if any

    @property
    def speakers(self) -> list[str | None]:
        """Whose statement each sentence is, if anyone's."""
        return [statement.speaker if statement else None for statement in self.said]

    @property
    def direct(self) -> list[bool]:
        """Whether each sentence quotes its speaker's own words."""
        return [bool(statement and statement.direct) for statement in self.said]

    @property
    def chances(self) -> np.ndarray:
        """Each sentence's chance of holding the answer."""
        return 1.0 / (1.0 + np.exp(-self.logits))


def rank_sentences(evidence: Evidence, quote_weights: Sequence[float]) -> QuoteRanking:
    """Score every quotable sentence of the evidence with the quote model."""
    with stage("quote ranking"):
        return _ranked(evidence, quote_weights)


def _ranked(evidence: Evidence, quote_weights: Sequence[float]) -> QuoteRanking:
    question = evidence.question
    speech_verbs = lexicon(question.language).words("questions.speech_verbs")
    searched = content_words(question.text, question.language) - speech_verbs
    asked, carried = _asked_words(question, searched)
    kind = question.answer_type
    sentences, features = quotable_sentences(
        evidence.hits,
        asked,
        evidence.sentences,
        credits=kind == "credit",
        words=evidence.words,
        carried=carried,
        asked_vectors=question.asked_vectors,
    )
    model, types = fitted(QuoteModel), fitted(AnswerTypes)
    weights = np.array([*quote_weights, model.word_share_weight])
    # "How long ...?" wants the sentence holding a duration, "Who took the photo?" the credit.
    bonus = types.credit_quote_bonus if kind == "credit" else types.quote_bonus
    typed = bonus * np.array([holds_type(kind, s.text, s.hit.language) for s in sentences])
    statements = evidence.statements
    with stage("statements"):
        said = [
            statements.statement_at(s.hit.article.id, s.start) if statements else None
            for s in sentences
        ]
    logits = features @ weights + model.bias + (typed if len(sentences) else 0.0)
    return QuoteRanking(sentences, logits, said)


def _asked_words(question: EncodedQuestion, words: set[str]) -> tuple[set[str], set[str]]:
    """The question's content words `words` split into its own and, of a follow-up, those
    its standalone text carried over from the previous question ("E chi è arrivato
    secondo? Chi ha vinto il Festival di Sanremo?": "vinto", "festival", "sanremo")."""
    if not question.asked:
        return words, set()
    own = words & content_words(question.asked, question.language)
    return own, words - own


class ExtractiveAnswerer:
    """Answers by quoting the retrieved sentences most likely to hold the answer, each cited
    [n]; needs no LLM. Abstains (no citations) when no hit is evidence under `policy`.

    `quote_weights` weigh each dense model's sentence similarity in the quote model (one per
    model, in order; see `settings.DenseModel.quote_weight`).
    """

    def __init__(
        self,
        policy: AbstainPolicy,
        quote_weights: Sequence[float],
        confidence: Callable[[Evidence, QuoteRanking | None], float],
    ) -> None:
        self.policy = policy
        self.quote_weights = quote_weights
        self.confidence = confidence

    def answer(
        self,
        question: str,
        evidence: Evidence,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        hits = evidence.hits
        ranking = rank_sentences(evidence, self.quote_weights)
        confidence = self.confidence(evidence, ranking)
        if not ranking.sentences or not (
            self.policy.answers(evidence, confidence)
            or _typed_answer(evidence, ranking, confidence)
        ):
            nearest = cite_sentences(evidence, ranking, likeliest(ranking.chances, _MAX_NEAREST))
            return abstention(question, hits, confidence, nearest)
        chances = _chances_to_quote(evidence, ranking)
        chosen = choose_quotes(chances, np.argsort(-chances, kind="stable"))
        ends = _continued(evidence, ranking, chosen)
        starts = _run_back(evidence, ranking, chosen)
        chosen = _unless_run_into(ranking, chosen, ends, starts)
        citations = cite_sentences(evidence, ranking, chosen, ends, starts)
        return Answer(
            question, quoted_text(citations), citations, False, tuple(hits), confidence=confidence
        )

    def answer_person(self, question: str, statements: PersonStatements) -> Answer:
        """The person's statements that best answer the question, quoted."""
        return quote_statements(question, statements)


def _chances_to_quote(evidence: Evidence, ranking: QuoteRanking) -> np.ndarray:
    """Each sentence's chance of being quoted: the quote model's, a quotation's raised by
    `People.direct_quote_bonus` when the question asks for no kind of answer (a number, a
    date, ...). Such questions about news ask mostly what someone said, did or thought, and
    the words in quotation marks say it ("I don't see cracks in the labor market") where
    the sentences around them summarise ("described the move as ..."). The confidence is
    read from the quote model's chances alone."""
    if evidence.question.answer_type is not None:
        return ranking.chances
    # A question naming someone quoted asks for their words, not another speaker's.
    named = _speakers_named(evidence.question, ranking)
    quoted = np.array(
        [
            (bool(said and said.direct) or holds_quotation(sentence.text))
            and not (named and said and not any(same_name(n, said.speaker) for n in named))
            for sentence, said in zip(ranking.sentences, ranking.said, strict=True)
        ],
        dtype=float,
    )
    logits = ranking.logits + fitted(People).direct_quote_bonus * quoted
    return 1.0 / (1.0 + np.exp(-logits))


def _speakers_named(question: EncodedQuestion, ranking: QuoteRanking) -> list[str]:
    """The names in the question of speakers among the ranked sentences."""
    speakers = {said.speaker for said in ranking.said if said}
    runs = name_runs(question.text, question.language)
    return [
        run.short() for run in runs if any(same_name(run.short(), speaker) for speaker in speakers)
    ]


def choose_quotes(chances: np.ndarray, order: Sequence[int]) -> list[int]:
    """The sentences to quote among `order` (likeliest first): up to _MAX_QUOTES, each at
    least `QuoteModel.quote_share` as likely as the first."""
    floor = fitted(QuoteModel).quote_share * chances[order[0]]
    return [i for i in order[:_MAX_QUOTES] if chances[i] >= floor]


def quote_statements(question: str, statements: PersonStatements) -> Answer:
    """The answer to "What did X say about Y?" without an LLM: X's own statements that best
    answer it (a direct quote preferred), then those that follow the best one in its
    article, each quote run on into and back to the speaker's quotations beside it (see
    `_continued`, `_run_back`); its confidence is read from the usual evidence for the
    whole question."""
    evidence, ranking = statements.evidence, statements.ranking
    chosen = choose_quotes(statements.chances, statements.own)
    chosen += _continuation(ranking, statements.own, chosen)
    ends = _continued(evidence, ranking, chosen)
    starts = _run_back(evidence, ranking, chosen)
    chosen = _unless_run_into(ranking, chosen, ends, starts)
    citations = cite_sentences(evidence, ranking, chosen, ends, starts)
    hits = _reported(statements.general.hits, evidence.hits, citations)
    return Answer(
        question,
        quoted_text(citations),
        citations,
        False,
        hits,
        confidence=statements.confidence,
    )


def unknown_person_refusal(question: str, statements: PersonStatements) -> Answer:
    """The refusal "The articles don't mention X": first a sentence reporting that someone
    tied to the person did not comment, if there is one, then what the articles say
    nearest."""
    evidence, ranking, name = statements.evidence, statements.ranking, statements.name
    silent = _no_comment(evidence, ranking, name)[:1]
    others = [i for i in likeliest(ranking.chances, _MAX_NEAREST + 1) if i not in silent]
    nearest = cite_sentences(evidence, ranking, (silent + others)[:_MAX_NEAREST])
    return person_not_found(question, name, evidence.hits, nearest, len(silent))


def off_topic_refusal(question: str, statements: PersonStatements) -> Answer:
    """The refusal "The articles quote X, but not on this": what they do quote the person
    on, then what the articles say nearest to the question; its confidence at most
    _NOT_ON_TOPIC_CONFIDENCE."""
    ranking, order = statements.ranking, statements.own
    name = ranking.speakers[order[0]] if order else statements.name
    confidence = min(statements.confidence, _NOT_ON_TOPIC_CONFIDENCE)
    offered = order[:_MAX_NEAREST]
    elsewhere = [i for i in likeliest(ranking.chances, 3) if i not in offered][:1]
    nearest = cite_sentences(statements.evidence, ranking, offered + elsewhere)
    hits = statements.general.hits
    return not_on_topic(question, name, nearest, len(offered), hits, confidence)


def _continuation(ranking: QuoteRanking, own: list[int], chosen: list[int]) -> list[int]:
    """The person's statements that follow the best one in its article (up to
    _MAX_QUOTES in all): a speaker goes on about the same occasion ("He added: ..."), in
    words that often share none with the question."""
    best = ranking.sentences[chosen[0]]
    following = sorted(
        (
            i
            for i in own
            if i not in chosen
            and ranking.sentences[i].hit.article.id == best.hit.article.id
            and ranking.sentences[i].start > best.start
        ),
        key=lambda i: ranking.sentences[i].start,
    )
    return following[: max(_MAX_QUOTES - len(chosen), 0)]


def cite_sentences(
    evidence: Evidence,
    ranking: QuoteRanking,
    chosen: list[int],
    ends: Mapping[int, int] | None = None,
    starts: Mapping[int, int] | None = None,
) -> tuple[Citation, ...]:
    """The chosen sentences as citations [1], [2], ... with their speakers; a sentence in
    `ends` quoted on to that article offset (the sentences after it in its passage), one in
    `starts` quoted from that offset (the sentence before it)."""
    question_vector = evidence.sentences[0].question
    speakers, ends, starts = ranking.speakers, ends or {}, starts or {}
    return tuple(
        citation(
            n,
            s.hit,
            starts.get(i, s.start),
            ends.get(i, s.end),
            float(s.vector @ question_vector),
            speakers[i],
        )
        for n, (i, s) in enumerate(((i, ranking.sentences[i]) for i in chosen), start=1)
    )


def _continued(evidence: Evidence, ranking: QuoteRanking, chosen: list[int]) -> dict[int, int]:
    """Where each chosen statement's quote ends when the next sentence of its passage
    quotes the same speaker's own words ("..., so Klein weiter." followed by "Aber es ist
    alles da, es liegt an uns."): such a sentence often names no one and shares few words
    with the question, yet it goes on with what the chosen one says. Keyed by the chosen
    sentence's index; the end is the next sentence's (which may be chosen too: see
    `_unless_run_into`). A chosen sentence that is no one's statement but names the
    speaker of the quotation after it runs on into it too: it introduces the words ("Die
    Ministerin hat eine erste Bilanz gezogen." before them)."""
    statements, ends = evidence.statements, {}
    if statements is None:
        return ends
    for i in chosen:
        sentence, said = ranking.sentences[i], ranking.said[i]
        spans = sentence.hit.passage.sentences
        ordinal = sentence.key[1] + 1
        if ordinal >= len(spans):
            continue
        start, end = spans[ordinal]
        article = sentence.hit.article.id
        then = statements.statement_at(article, start)
        if not (then and then.direct):
            continue
        if said.speaker == then.speaker if said else _names(sentence.text, then.speaker):
            ends[i] = end
    return ends


def _names(text: str, speaker: str) -> bool:
    """Whether `text` names `speaker` by surname (the last word of the name)."""
    surname = speaker.split()[-1] if speaker.split() else ""
    return bool(surname) and re.search(rf"\b{re.escape(surname)}\b", text) is not None


def _run_back(evidence: Evidence, ranking: QuoteRanking, chosen: list[int]) -> dict[int, int]:
    """Where each chosen statement's quote starts when the sentence before it in its
    passage quotes the same speaker's own words: the quote model scores sentences one by
    one, but a speaker's quotation often runs over several, and the one scoring best is
    often not the one answering ("Dies sagte die Ministerin am Donnerstag." after her
    words; "The ferry will run until then." after "We will have a new bridge before the
    winter."). As `_continued` runs a quote on into the speaker's next words, this runs it
    back to those before. Keyed by the chosen sentence's index; the start is the
    previous sentence's (which may be chosen too: see `_unless_run_into`)."""
    statements, starts = evidence.statements, {}
    if statements is None:
        return starts
    for i in chosen:
        sentence, said = ranking.sentences[i], ranking.said[i]
        ordinal = sentence.key[1] - 1
        if said is None or ordinal < 0:
            continue
        start, _ = sentence.hit.passage.sentences[ordinal]
        before = statements.statement_at(sentence.hit.article.id, start)
        # Its words: a quotation, or what "Dies sagte ..." points back at.
        language = sentence.hit.article.language
        words = before and (before.direct or points_back(sentence.text, language))
        if words and before.speaker == said.speaker:
            starts[i] = start
    return starts


def _unless_run_into(
    ranking: QuoteRanking,
    chosen: list[int],
    ends: Mapping[int, int],
    starts: Mapping[int, int] | None = None,
) -> list[int]:
    """The chosen sentences, each speaker's words quoted once: a chosen sentence another
    chosen one's quote runs on into (`ends`, from `_continued`) or back to (`starts`, from
    `_run_back`) is left out, the quote holding it taking the rank of the likelier one."""
    sentences, starts = ranking.sentences, starts or {}

    def span(i: int) -> tuple[str, int, int]:
        s = sentences[i]
        return s.hit.article.id, starts.get(i, s.start), ends.get(i, s.end)

    def holds(outer: int, inner: int) -> bool:
        article, start, end = span(outer)
        s = sentences[inner]
        return s.hit.article.id == article and start <= s.start and s.end <= end

    kept: list[int] = []
    for i in chosen:
        if any(holds(j, i) for j in kept):
            continue
        held = [n for n, j in enumerate(kept) if holds(i, j)]
        if held:
            kept[held[0]] = i
            kept = [j for n, j in enumerate(kept) if n not in held[1:]]
        else:
            kept.append(i)
    return kept


def _reported(
    ranked: list[Hit], considered: list[Hit], citations: tuple[Citation, ...]
) -> tuple[Hit, ...]:
    """The passages an answer reports as retrieved: the usual ones in rank order, then any
    other passage it cites (a person's statement found beyond them)."""
    shown = {hit.passage.id for hit in ranked}
    cited = {c.passage_id for c in citations}
    extra = [h for h in considered if h.passage.id in cited - shown]
    return (*ranked, *extra)


def _typed_answer(evidence: Evidence, ranking: QuoteRanking, confidence: float) -> bool:
    """Whether the best sentence holds exactly the kind of answer asked for ("(Quelle: Saul
    Loeb)" for "Who took the photo?") and the confidence says the articles may answer:
    then the similarity floors do not refuse it."""
    kind = evidence.question.answer_type
    best = ranking.sentences[likeliest(ranking.chances, 1)[0]]
    # Nearly every sentence names a place, so a place says nothing of answerability.
    typed = holds_type(kind, best.text, best.hit.language)
    return kind != "place" and confidence >= fitted(AnswerTypes).answer_anyway and typed


def _no_comment(evidence: Evidence, ranking: QuoteRanking, person: str) -> list[int]:
    """The sentences reporting that someone tied to the person asked about did not comment
    ("Eine Stellungnahme der Regierung in Moskau liegt zunächst nicht vor" for Putin),
    likeliest first. The tie is the word model's: "Vladimir Putin" and that sentence 0.30,
    "Xi Jinping" and it 0.04, "Vladimir Putin" and "The White House did not respond to a
    request for comment" 0.09."""
    words = evidence.words
    if words is None or not person:
        return []
    tie = fitted(People).no_comment_tie
    return [
        i
        for i in likeliest(ranking.chances, len(ranking.sentences))
        if declines_comment(text := ranking.sentences[i].text, ranking.sentences[i].hit.language)
        and words.similarity(person, text) >= tie
    ]


def likeliest(chances: np.ndarray, count: int) -> list[int]:
    """The `count` sentences most likely to hold the answer, best first."""
    return [int(i) for i in np.argsort(-chances, kind="stable")[:count]]


def quotable_sentences(
    hits: list[Hit],
    asked: set[str],
    models: Sequence[SentenceVectors],
    credits: bool = False,
    words: WordMatcher | None = None,
    carried: set[str] = frozenset(),
    asked_vectors: Sequence[np.ndarray] = (),
) -> tuple[list[QuotableSentence], np.ndarray]:
    """The hits' sentences worth quoting and, per sentence, what says it answers the question:
    its similarity to the question under each dense model (each z-scored over these
    sentences, as raw cosines run higher within a language than across), and the share of
    the question's content words (`asked`) it contains (with `words`, also in translation or
    another inflection: "veröffentlicht" holds "published"). Of a follow-up, what it asks
    in its own words counts more than what its standalone text carried over from the
    previous question (see _CARRIED_WEIGHT): its `carried` words, and the similarity to
    the standalone text beside that to its own words (`asked_vectors`, one per model).
    Sentences are those the primary model (`models[0]`) has vectors for; photo credits and
    source lines among them with `credits` (the question asks who took a picture)."""
    primary = models[0]
    sentences = _unique_sentences(hits, primary.sentences, credits)
    if not sentences:
        return [], np.zeros((0, len(models) + 1))
    held = [content_words(s.text, s.hit.language) for s in sentences]
    shared = _shared(asked, held, words) + _CARRIED_WEIGHT * _shared(carried, held, words)
    similarity = [
        zscore(np.stack([s.vector for s in sentences]) @ primary.question),
        *(zscore(_similarity(sentences, other)) for other in models[1:]),
    ]
    if asked_vectors:
        own = [
            zscore(_similarity(sentences, replace(model, question=vector)))
            for model, vector in zip(models, asked_vectors, strict=True)
        ]
        similarity = [
            (_CARRIED_WEIGHT * whole + mine) / (1 + _CARRIED_WEIGHT)
            for whole, mine in zip(similarity, own, strict=True)
        ]
    share = shared / max(len(asked) + _CARRIED_WEIGHT * len(carried), 1)
    return sentences, np.column_stack([*similarity, share])


def _shared(asked: set[str], held: list[set[str]], words: WordMatcher | None) -> np.ndarray:
    """How many of the `asked` words each sentence's words `held` hold."""
    if not asked:
        return np.zeros(len(held))
    return np.array(words.shared(asked, held) if words else [len(asked & h) for h in held], float)


def _similarity(sentences: list[QuotableSentence], model: SentenceVectors) -> np.ndarray:
    """Each sentence's similarity to the question under `model` (0 where it has none)."""
    rows = [model.sentences.get(s.key) for s in sentences]
    return np.array([0.0 if row is None else float(row @ model.question) for row in rows])


def _unique_sentences(
    hits: list[Hit], vectors: Mapping[tuple[str, int], np.ndarray], credits: bool = False
) -> list[QuotableSentence]:
    """Each sentence once, attributed to the best-ranked passage holding it (passages overlap)."""
    seen: set[tuple[str, int]] = set()
    sentences = []
    for hit in hits:
        passage = hit.passage
        for ordinal, (start, end) in enumerate(passage.sentences):
            key = (passage.article_id, start)
            vector = vectors.get((passage.id, ordinal))
            text = passage.excerpt(start, end)
            credit = credits and is_credit_line(text, hit.language)
            short = len(text.split()) < _MIN_QUOTE_WORDS and not credit
            if key in seen or vector is None or short:
                continue
            seen.add(key)
            sentences.append(QuotableSentence(hit, (passage.id, ordinal), start, end, text, vector))
    return sentences
