"""Hybrid retrieval: the dense models (Chroma) + keywords (BM25, see keywords.py), fused by
z-scores over the union of each side's top candidates."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np

from assistant.fitted import AnswerTypes, Floors, People, Retrieval, fitted
from assistant.index.keywords import KeywordIndex
from assistant.index.store import Hit, PassageStore
from assistant.ingest.passages import Passage
from assistant.language.detection import detect_language
from assistant.language.lexicon import lexicon
from assistant.models.embeddings import PassageEmbeddings
from assistant.models.word_matching import WordMatcher
from assistant.question.answer_types import PASSAGE_TYPES, answer_type, holds_type
from assistant.question.person import PersonQuestion
from assistant.question.routing import Route
from assistant.settings import DenseModel
from assistant.speech.names import name_keys
from assistant.speech.statement_index import StatementIndex

# A person question weighs at most this many passages of the person's statements beyond
# the usual retrieval's (the closest to the question).
_MAX_SPEAKER_PASSAGES = 30
# How a person's view changed is told by their statements in every article, so a question
# asking it weighs this many (a person quoted in more passages keeps the closest).
_MAX_VIEW_CHANGE_PASSAGES = 200
# e5 rates a sentence in another language than the question's lower by about the gap
# between the abstention floors (`Floors.cross_lingual_offset`, assistant/fitted/), so
# comparisons across languages add it back. A person question is answered from the
# person's statements unless the articles come `People.speaker_topic_gap` closer to its
# topic elsewhere: then they quote the person on other topics only, and the answer says so.
# A passage holding the kind of answer the question asks for (answer_types.py) gains
# `AnswerTypes.passage_bonus` (z units of the fused score) when it is among the first
# _TYPED_HEAD: the bonus reorders the head, it does not pull in passages from far below.
_TYPED_HEAD = 20
_KEY_TERM = re.compile(r"\b[^\W\d_]*\d[\w\-]*")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EncodedQuestion:
    """A question as every later stage needs it, embedded once: its text (what is searched
    for), its language, each dense model's vector (in the configured order) and the kind of
    answer it asks for (`answer_types.answer_type`)."""

    text: str
    language: str
    vectors: tuple[np.ndarray, ...]
    answer_type: str | None
    # A follow-up's own words, before its standalone `text` carried the previous question's
    # subject in ("" when it is `text`), and their vector under each dense model (else
    # none): what the quoted sentence must answer.
    asked: str = ""
    asked_vectors: tuple[np.ndarray, ...] = ()


@dataclass(frozen=True)
class SentenceVectors:
    """One model's view of a question: its vector, and the stored vectors of the retrieved
    passages' sentences, by (passage id, sentence ordinal)."""

    question: np.ndarray
    sentences: Mapping[tuple[str, int], np.ndarray]


@dataclass(frozen=True)
class Evidence:
    """What an answer is written from: the question, the retrieved passages (best first) and
    their sentences' stored vectors under each dense model (the primary first)."""

    question: EncodedQuestion
    hits: list[Hit]
    sentences: Sequence[SentenceVectors]
    statements: StatementIndex | None = None  # who said what: whose words each sentence is
    words: WordMatcher | None = None  # matches the question's words in any language


class PersonVerdict(Enum):
    """What the articles hold of the person a person question asks about."""

    UNKNOWN = "unknown"  # they never name the person
    OFF_TOPIC = "off_topic"  # they quote the person, but speak of the topic elsewhere
    ON_TOPIC = "on_topic"  # they quote the person, and nowhere come closer to the topic


@dataclass(frozen=True)
class PersonFinding:
    """Retrieval's verdict on the person a question asks about (`name`, as asked).

    `statements` (a quoted person): the usual passages for the whole question, then the
    other passages holding the person's statements, closest to the topic first, all with
    their sentences scored against the topic alone.
    """

    name: str
    verdict: PersonVerdict
    statements: Evidence | None = None
    # How close the articles come to the topic anywhere (`topic_closeness` of the closest
    # sentence the usual retrieval of the topic finds); None without a topic.
    closest: float | None = None


@dataclass(frozen=True)
class Findings:
    """What retrieval found for a routed question: the usual evidence for the whole
    question, and for a person question, the verdict on the person."""

    evidence: Evidence
    person: PersonFinding | None = None

    @property
    def hits(self) -> list[Hit]:
        """Every passage found: the usual ones, then any of the person's beyond them."""
        if self.person is not None and self.person.statements is not None:
            return self.person.statements.hits
        return self.evidence.hits


@dataclass(frozen=True)
class Candidate:
    """A passage proposed by some retriever, with every retriever's score (text not loaded:
    only the final hits are fetched)."""

    passage_id: str
    language: str
    dense: tuple[float, ...]  # each dense model's cosine similarity, the primary's first
    lexical: float


class HybridRetriever:
    """Dense + keyword retrieval fused by z-scores.

    `retrieve` returns typed `Hit`s (used by the answerer). The same as a LangChain
    retriever, whose `invoke` returns `Document`s: `langchain_retriever.LangChainRetriever`
    (kept apart so that answering a question does not load LangChain's runnables).

    Args:
        store, keywords, statements: the index generation's passages and vectors, BM25
            index and who-said-what.
        embedders: one per dense model; models: their weights, in the same order.
        k: hits returned by default; candidates_per_retriever: passages each side
            proposes before fusion; lexical_weight: BM25's weight (default fitted).
        reranker: a sentence_transformers.CrossEncoder to order the fused head, if any.
        word_matcher: matches the question's words across languages (quoting).
    """

    def __init__(
        self,
        *,
        store: PassageStore,
        keywords: KeywordIndex,
        embedders: list[PassageEmbeddings],
        models: list[DenseModel],
        statements: StatementIndex | None = None,
        k: int = 5,
        candidates_per_retriever: int = 40,
        lexical_weight: float | None = None,
        reranker: object | None = None,
        word_matcher: WordMatcher | None = None,
    ) -> None:
        self.store = store
        self.keywords = keywords
        self.statements = statements if statements is not None else StatementIndex({})
        self.embedders = embedders
        self.models = models
        self.k = k
        self.candidates_per_retriever = candidates_per_retriever
        self.lexical_weight = (
            fitted(Retrieval).lexical_weight if lexical_weight is None else lexical_weight
        )
        self.reranker = reranker
        self.word_matcher = word_matcher

    def encode(self, question: str) -> EncodedQuestion:
        """Embed the question once with every dense model; its language and the kind of
        answer it asks for are read from its text."""
        language = detect_language(question)
        return self._encoded(question, language, answer_type(question, language))

    def encode_route(self, route: Route) -> EncodedQuestion:
        """Embed a routed question's standalone text, with the language and answer type
        its route decided."""
        asked = route.asked if route.asked != route.text else ""
        return self._encoded(route.text, route.language, route.answer_type, asked)

    def _encoded(
        self, text: str, language: str, kind: str | None, asked: str = ""
    ) -> EncodedQuestion:
        texts = [text, asked] if asked else [text]
        embedded = [embedder.embed_questions(texts) for embedder in self.embedders]
        vectors = tuple(rows[0] for rows in embedded)
        own = tuple(rows[1] for rows in embedded) if asked else ()
        return EncodedQuestion(text, language, vectors, kind, asked, own)

    def retrieve(self, question: str, k: int | None = None) -> list[Hit]:
        """The `k` most relevant passages, best first (higher `score` = more relevant)."""
        return self.retrieve_encoded(self.encode(question), k or self.k)

    def evidence(
        self, question: EncodedQuestion, k: int, without: frozenset[str] = frozenset()
    ) -> Evidence:
        """The `k` best passages with their sentences' stored vectors, for answering;
        passages of the articles in `without` left out (to measure questions whose article
        is not indexed)."""
        hits = self.retrieve_encoded(question, k, without)
        return self._evidence(question, hits)

    def find(self, route: Route, k: int, without: frozenset[str] = frozenset()) -> Findings:
        """What the articles hold for a routed question: the `k` best passages, and for a
        person question the verdict on the person (see `PersonFinding`); passages of the
        articles in `without` left out."""
        question = self.encode_route(route)
        person = route.person
        if person is None:
            return Findings(self.evidence(question, k, without))
        if not person.quoted:
            unknown = PersonFinding(person.name, PersonVerdict.UNKNOWN)
            return Findings(self.evidence(question, k, without), unknown)
        if route.view_change and not person.topic.strip():
            return self._all_statements(question, person, without)
        # The topic is searched as a text of its own (its language and answer type read
        # from it): the name would favour sentences that repeat it over the person's words.
        topic = self.encode(person.topic)
        limit = _MAX_VIEW_CHANGE_PASSAGES if route.view_change else _MAX_SPEAKER_PASSAGES
        return self._person_findings(question, topic, person, k, without, limit)

    def _all_statements(
        self, question: EncodedQuestion, person: PersonQuestion, without: frozenset[str]
    ) -> Findings:
        """Findings holding every passage of the person's statements (up to
        _MAX_VIEW_CHANGE_PASSAGES), for a person asked about without a topic: on topic by
        definition."""
        holding = self._speaker_passages(person.name, without)
        hits = self._closest_to(question, holding, [], _MAX_VIEW_CHANGE_PASSAGES)
        evidence = self._evidence(question, hits)
        finding = PersonFinding(person.name, PersonVerdict.ON_TOPIC, evidence)
        return Findings(evidence, finding)

    def _person_findings(
        self,
        question: EncodedQuestion,
        topic: EncodedQuestion,
        person: PersonQuestion,
        k: int,
        without: frozenset[str],
        limit: int = _MAX_SPEAKER_PASSAGES,
    ) -> Findings:
        """Findings for "What did `person` say about `topic`?": the usual `k` best passages
        for the whole question, then (up to `limit`) the other passages holding the person's
        statements, closest to the topic first (so that a statement the question's words
        miss, or one in another language, is still weighed), their sentences scored against
        the topic alone.
        The person is off topic when the articles speak of the topic elsewhere and not in
        the person's words."""
        holding = self._speaker_passages(person.name, without)
        first = self.retrieve_encoded(question, k, without)
        closest = self._closest_to(topic, holding, first, limit)
        evidence = self._evidence(topic, first + closest)
        elsewhere = self._evidence(topic, self.retrieve_encoded(topic, k, without))
        off_topic = self._speaks_elsewhere(evidence, elsewhere, person.name, holding)
        verdict = PersonVerdict.OFF_TOPIC if off_topic else PersonVerdict.ON_TOPIC
        finding = PersonFinding(person.name, verdict, evidence, _closest(elsewhere, topic))
        return Findings(self._evidence(question, first), finding)

    def _closest_to(
        self, topic: EncodedQuestion, holding: set[str], first: list[Hit], limit: int
    ) -> list[Hit]:
        """The passages in `holding` beyond `first`, closest to the topic first (at most
        `limit`), scored by the primary model's similarity."""
        rest = sorted(holding - {hit.passage.id for hit in first})
        vectors = self.store.vectors(0, rest)
        scored = {pid: float(vector @ topic.vectors[0]) for pid, vector in vectors.items()}
        closest = sorted(scored, key=lambda pid: -scored[pid])[:limit]
        found = self.store.get(closest)
        return [
            self._hit(Candidate(pid, language, (scored[pid],), 0.0), passage, scored[pid])
            for pid, (passage, language) in ((pid, found[pid]) for pid in closest)
        ]

    def _speaks_elsewhere(
        self, evidence: Evidence, elsewhere: Evidence, speaker: str, holding: set[str]
    ) -> bool:
        """Whether the articles speak of the topic elsewhere and not in the speaker's words
        (`evidence`: the passages found for the speaker; `holding`: those of them holding
        the speaker's statements; `elsewhere`: the usual passages for the topic)."""
        hits = evidence.hits
        topic = evidence.question
        gap = _closest(elsewhere, topic) - _closest_of(self._own(evidence, speaker), topic)
        # The passages of the person's statements and the openings of their articles: an
        # article names its occasion ("COP30") before the person speaks about it.
        theirs = {hit.article.id for hit in hits if hit.passage.id in holding}
        said = [
            hit.passage.text
            for hit in hits
            if hit.passage.id in holding or (hit.article.id in theirs and hit.passage.start == 0)
        ]
        others = [h.passage.text for h in elsewhere.hits]
        unsaid = _terms_only_elsewhere(topic, said, others)
        # Names alone may miss a metonym ("Washington" for "the US"), so they count only
        # when the articles also come somewhat closer to the topic elsewhere.
        unnamed = gap > _topic_gap() / 2 and _names_only_elsewhere(topic, said, others)
        # "after his victory", "sa victoire": the topic is the person's own, and others'
        # victories coming closer to it say nothing about whether they spoke of theirs.
        farther = gap > _topic_gap() and not owned_topic(topic.text, topic.language)
        return farther or bool(unsaid) or unnamed

    def _own(self, evidence: Evidence, speaker: str) -> list[tuple[str, np.ndarray | None]]:
        """(language, primary vector) of each of the speaker's statements in the evidence."""
        return [
            (hit.language, evidence.sentences[0].sentences.get((hit.passage.id, ordinal)))
            for hit in evidence.hits
            for ordinal, (start, _) in enumerate(hit.passage.sentences)
            if (said := self.statements.statement_at(hit.article.id, start))
            and said.voices(speaker)
        ]

    def _speaker_passages(self, speaker: str, without: frozenset[str]) -> set[str]:
        """The passages holding a statement of `speaker`."""
        said: dict[str, set[int]] = {}
        for article_id, statement in self.statements.by_speaker(speaker):
            if article_id not in without:
                said.setdefault(article_id, set()).add(statement.start)
        return {
            pid
            for pid, (aid, start, end) in self.store.passage_spans(list(said)).items()
            if any(start <= at < end for at in said[aid])
        }

    def _evidence(self, question: EncodedQuestion, hits: list[Hit]) -> Evidence:
        passages = [hit.passage for hit in hits]
        sentences = [
            SentenceVectors(vector, self.store.sentence_vectors(model, passages))
            for model, vector in enumerate(question.vectors)
        ]
        return Evidence(question, hits, sentences, self.statements, words=self.word_matcher)

    def retrieve_encoded(
        self, question: EncodedQuestion, k: int, without: frozenset[str] = frozenset()
    ) -> list[Hit]:
        """As `retrieve`, for a question already encoded; no passage of an article in
        `without`."""
        candidates = self.candidates(question)
        if without:
            found = self.store.get([c.passage_id for c in candidates])
            candidates = [c for c in candidates if found[c.passage_id][0].article_id not in without]
        if not candidates:
            return []
        weights = [model.weight for model in self.models]
        scores = fuse(candidates, weights, self.lexical_weight)
        order = np.argsort(-scores, kind="stable")
        if self.reranker is not None:
            order, scores = self._rerank(question.text, candidates, order)
        elif question.answer_type in PASSAGE_TYPES:
            order, scores = self._typed(question.answer_type, candidates, order, scores)
        best = [candidates[i] for i in order[:k]]
        passages = self.store.get([c.passage_id for c in best])
        return [
            self._hit(c, passages[c.passage_id][0], float(scores[i]))
            for c, i in zip(best, order[:k], strict=True)
        ]

    def candidates(self, question: EncodedQuestion) -> list[Candidate]:
        """The union of each retriever's top passages, each with all of its scores."""
        # Every model embedded the question before Chroma is asked (in `encode`): its worker
        # threads stay busy for a moment after a query and slowed numpy-based USE by 4x.
        top = self.candidates_per_retriever
        found = [self.store.query(m, vector, top) for m, vector in enumerate(question.vectors)]
        lexical_scores = self.keywords.scores(question.text, question.language)
        top_lexical = np.argsort(-lexical_scores)[:top]
        lexical = {self.keywords.ids[i] for i in top_lexical if lexical_scores[i] > 0}
        # The primary model's scores decide the candidates' order; every candidate gets a
        # score from each model, read from its stored vectors where its search missed it.
        primary = found[0]
        others = set().union(*found[1:])
        missing = sorted((others | lexical) - set(primary))
        for pid, stored in self.store.vectors(0, missing).items():
            primary[pid] = float(stored @ question.vectors[0])
        for model in range(1, len(found)):
            self._complete(model, found[model], primary, question.vectors[model])
        position = self.keywords.position
        return [
            Candidate(
                pid,
                str(self.keywords.languages[position[pid]]),
                tuple(scores.get(pid, 0.0) for scores in found),
                float(lexical_scores[position[pid]]),
            )
            for pid in primary
        ]

    def _complete(
        self, model: int, scores: dict[str, float], wanted: Mapping, vector: np.ndarray
    ) -> None:
        """Fill in model `model`'s score of every wanted passage, in place."""
        unscored = [pid for pid in wanted if pid not in scores]
        for pid, stored in self.store.vectors(model, unscored).items():
            scores[pid] = float(stored @ vector)
        if self.models[model].closest_sentence:
            # A passage is as close as its closest sentence: USE embeds a ~500-character
            # passage into one vector and blurs the one sentence a question is about.
            rows = self.store.sentence_rows(model, list(wanted))
            for pid, sentences in rows.items():
                if len(sentences):
                    closest = float((sentences @ vector).max())
                    scores[pid] = max(scores.get(pid, 0.0), closest)

    def _typed(
        self, kind: str, candidates: list[Candidate], order: np.ndarray, scores: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The fused head reordered with a bonus for passages holding the kind of answer
        asked for (a duration for "how long", a number for "how many", ...)."""
        head = order[:_TYPED_HEAD]
        texts = self.store.get([candidates[i].passage_id for i in head])
        scores = scores.copy()
        bonus = fitted(AnswerTypes).passage_bonus
        for i in head:
            if holds_type(kind, texts[candidates[i].passage_id][0].text, candidates[i].language):
                scores[i] += bonus
        return np.argsort(-scores, kind="stable"), scores

    def _rerank(
        self, question: str, candidates: list[Candidate], order: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Reorder the fused head by the cross-encoder; its scores become the hits' scores."""
        head = order[: self.candidates_per_retriever]
        texts = self.store.get([candidates[i].passage_id for i in head])
        pairs = [(question, texts[candidates[i].passage_id][0].text) for i in head]
        scores = np.zeros(len(candidates))
        scores[head] = np.asarray(self.reranker.predict(pairs), dtype=float)
        return head[np.argsort(-scores[head], kind="stable")], scores

    def _hit(self, candidate: Candidate, passage: Passage, score: float) -> Hit:
        return Hit(
            passage=passage,
            article=self.store.articles[passage.article_id],
            language=candidate.language,
            score=score,
            dense=candidate.dense[0],
            lexical=candidate.lexical or None,
        )


def _terms_only_elsewhere(
    topic: EncodedQuestion, said: list[str], elsewhere: list[str]
) -> set[str]:
    """The topic's terms with digits ("G7", "COP29", "2026": written alike in every
    language, unlike names and acronyms such as NATO/OTAN) that passages elsewhere hold but
    none of the speaker's passages."""
    terms = {word.lower() for word in _KEY_TERM.findall(topic.text) if len(word) >= 2}
    held = " ".join(said).lower()
    found = " ".join(elsewhere).lower()
    return {t for t in terms if t in found and t not in held}


def owned_topic(topic: str, language: str) -> bool:
    """Whether a person question's topic is the person's own ("his victory", "seiner
    Siegesrede", "sa victoire"): a possessive of the question's own language."""
    possessive = lexicon(language).own.regex(r"(?<!\w)(?:{questions.possessives})(?!\w)", re.I)
    return bool(possessive.search(topic))


def _names_only_elsewhere(topic: EncodedQuestion, said: list[str], elsewhere: list[str]) -> bool:
    """Whether the topic names things ("NATO", "Romania", "Pope Francis") that passages
    elsewhere name but none of the speaker's passages do, in any of their spellings."""
    asked = name_keys(topic.text, skip_first=True)
    held = name_keys(" ".join(said), every_word=True)
    found = name_keys(" ".join(elsewhere), every_word=True)
    return bool(asked) and not asked & held and bool(asked & found)


def _topic_gap() -> float:
    """How much closer to a person question's topic the articles may come elsewhere."""
    return fitted(People).speaker_topic_gap


def _closest(evidence: Evidence, question: EncodedQuestion) -> float:
    """The primary model's similarity of the evidence's closest sentence to the question."""
    rows = [
        (hit.language, evidence.sentences[0].sentences.get((hit.passage.id, ordinal)))
        for hit in evidence.hits
        for ordinal in range(len(hit.passage.sentences))
    ]
    return _closest_of(rows, question)


def _closest_of(rows: list[tuple[str, np.ndarray | None]], question: EncodedQuestion) -> float:
    """The highest similarity to the question among (language, vector) rows, a sentence in
    another language than the question's raised by the fitted cross-lingual offset (-1 for
    none)."""
    scores = [topic_closeness(language, v, question) for language, v in rows if v is not None]
    return max(scores, default=-1.0)


def topic_closeness(language: str, vector: np.ndarray, question: EncodedQuestion) -> float:
    """The primary model's similarity of a sentence (in `language`, its primary `vector`) to
    the question, raised by the fitted cross-lingual offset when the languages differ."""
    offset = fitted(Floors).cross_lingual_offset if language != question.language else 0.0
    return float(vector @ question.vectors[0]) + offset


def fuse(
    candidates: list[Candidate], weights: Sequence[float], lexical_weight: float
) -> np.ndarray:
    """z-scored sum of each dense model's similarity times its weight, plus lexical_weight x
    BM25; the primary model always counts, the others when weighted and scored."""
    fused = weights[0] * zscore(np.array([c.dense[0] for c in candidates]))
    others = [
        (weights[m], np.array([c.dense[m] for c in candidates])) for m in range(1, len(weights))
    ]
    lexical = np.array([c.lexical for c in candidates])
    for weight, values in [*others, (lexical_weight, lexical)]:
        if weight and values.any():
            fused = fused + weight * zscore(values)
    return fused


def zscore(values: np.ndarray) -> np.ndarray:
    """Values centred and scaled to unit spread (all zero when they are all equal)."""
    spread = values.std()
    return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)
