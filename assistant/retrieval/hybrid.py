"""Hybrid retrieval: the dense models (Chroma) + keywords (BM25, see keywords.py), fused by
z-scores over the union of each side's top candidates."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from enum import Enum
from functools import lru_cache

import numpy as np

from assistant.fitted import AnswerTypes, Floors, People, Retrieval, TopicNames, fitted
from assistant.index.keywords import KeywordIndex
from assistant.index.store import ArticleRecord, Hit, PassageStore
from assistant.ingest.dates import DateRange, date_span, day_number
from assistant.ingest.passages import Passage, article_of
from assistant.language.detection import detect_language
from assistant.language.lexicon import lexicon
from assistant.language.tokens import content_words
from assistant.models.embeddings import PassageEmbeddings
from assistant.models.word_frequencies import listed_language, zipf_frequency
from assistant.models.word_matching import WordMatcher
from assistant.question.answer_types import PASSAGE_TYPES, answer_type, holds_type
from assistant.question.dates import LATER_REPORT_DAYS, LATEST, TimeIntent, period_mentions
from assistant.question.person import PersonQuestion
from assistant.question.routing import Route
from assistant.settings import DenseModel
from assistant.speech.names import name_keys
from assistant.speech.statement_index import StatementIndex
from assistant.timing import stage

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
_TOPIC_WORD = re.compile(r"[^\W\d_][\w\-]*|\d\w*")
# The commonest words of a language ("what", "did", "about", "wie", "sobre": Zipf
# frequency 5.8 or more) say nothing of what a question's topic is.
_COMMON_ZIPF = 5.8
# Only a topic's rare names (Zipf frequency below 4: "WalkMe", "Schuldenbremse", "Hague")
# count as naming what the articles may never report: a common word capitalised as German
# nouns are ("Haushalt") has translations ("budget") single-word vectors place far apart.
_RARE_NAME_ZIPF = 4.0

# How many of the best passages inside and outside the days a question names show which
# story those days report (`HybridRetriever._reports_other_story`): as many as an answer
# quotes from.
_STORY_PASSAGES = 5

# Keyword scores computed ahead of a search (`HybridRetriever._prefetch_keywords`): as
# many as questions asked at once, under a lock shared by the threads answering them.
_PREFETCHED = 4
_prefetch_lock = threading.Lock()

# The passages that open an article, its lead: where a news article names the occasion of
# the words it quotes ("COP30", "cut its deposit rate to 2.25%").
_LEAD_PASSAGES = 2

# Passages dated after the days a question names that are read for a name of those days.
_LATER_REPORTS = 10

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
    # The question's words read as dates ("im Juni 2025") when the evidence is of articles
    # dated then: their dates, not their text, hold those words.
    dated: tuple[str, ...] = ()

    def undated_text(self) -> str:
        """The text without the words its evidence's dates hold."""
        text = self.text
        for words in self.dated:
            text = text.replace(words, " ")
        return text


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
class DateOutcome:
    """How dates shaped what was found.

    `used`: the range the passages were restricted to (a filter, or the days the question
    names), None when none was; `unmatched`: days the question names where no article on
    its topic is dated, so articles of any date were used; `chosen`: the date of the
    article a "latest"/"earliest" question was answered from; `undated`: undated articles
    left out by the restriction or the order.
    """

    used: DateRange | None = None
    unmatched: DateRange | None = None
    chosen: str | None = None
    undated: int = 0


@dataclass(frozen=True)
class Findings:
    """What retrieval found for a routed question: the usual evidence for the whole
    question, for a person question the verdict on the person, and how dates shaped them
    (None for a question that concerns no dates)."""

    evidence: Evidence
    person: PersonFinding | None = None
    dates: DateOutcome | None = None

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


def new_helper() -> ThreadPoolExecutor:
    """The thread a retriever runs the other dense models' encoding and search on, beside
    the primary's (CTranslate2, numpy and Chroma's search release the GIL, so a second core
    shortens a question). One thread: it runs a question's leaf steps, which never wait on
    it themselves."""
    return ThreadPoolExecutor(1, thread_name_prefix="retrieval")


class _Inline:
    """An executor running what is submitted at once, on the calling thread."""

    @staticmethod
    def submit(function: Callable, *args: object) -> Future:
        done: Future = Future()
        done.set_result(function(*args))
        return done


_INLINE = _Inline()


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
        question_dates: how days a question names are used: "filter" (only articles
            dated then, when one of them comes within `date_margin` of the best passage
            of any date; else all), "prefer" (theirs gain `date_margin`), "ignore".
        date_margin: z units of the fused score; also how far below the best passage the
            passages a "latest"/"earliest" question orders by date may score.
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
        question_dates: str = "filter",
        date_margin: float = 1.0,
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
        self.question_dates = question_dates
        self.date_margin = date_margin
        self._keyword_spans: tuple[np.ndarray, np.ndarray] | None = None
        self._keyword_articles: np.ndarray | None = None
        self._helper = new_helper()
        # Keyword scores computed while a question is encoded, by (text, language, dates,
        # articles), until its search takes them.
        self._lexical: dict[tuple, Future] = {}

    def encode(self, question: str) -> EncodedQuestion:
        """Embed the question once with every dense model; its language and the kind of
        answer it asks for are read from its text."""
        language = detect_language(question)
        return self._encoded(question, language, answer_type(question, language))

    def encode_route(self, route: Route) -> EncodedQuestion:
        """Embed a routed question's standalone text, with the language and answer type
        its route decided; its keyword scores for the passages the route searches are
        computed meanwhile (see `_encoded`)."""
        asked = route.asked if route.asked != route.text else ""
        search = (route.time.required, route.articles)
        return self._encoded(route.text, route.language, route.answer_type, asked, search)

    def _encoded(
        self,
        text: str,
        language: str,
        kind: str | None,
        asked: str = "",
        search: tuple[DateRange | None, frozenset[str] | None] | None = None,
    ) -> EncodedQuestion:
        """With `search` (the dates and articles the question will be searched among), its
        keyword scores there are computed on the helper after the other models' vectors,
        while the primary model runs (`candidates` takes them)."""
        texts = [text, asked] if asked else [text]
        with stage("encode"):
            others = [self._helper.submit(e.embed_questions, texts) for e in self.embedders[1:]]
            if search is not None:
                self._prefetch_keywords((text, language, *search))
            embedded = [self.embedders[0].embed_questions(texts), *(f.result() for f in others)]
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
        person question the verdict on the person (see `PersonFinding`); only passages of
        the articles the route chose (`Route.articles`), those in `without` left out."""
        found = self._find(route, k, without)
        dates = found.dates
        filtered = route.time.named is not None and self.question_dates == "filter"
        if not filtered or dates is None or dates.unmatched is not None:
            return found
        return _dated_findings(found, route.time.said)

    def _find(self, route: Route, k: int, without: frozenset[str]) -> Findings:
        question = self.encode_route(route)
        person, time, articles = route.person, route.time, route.articles
        if person is None or not person.quoted:
            hits, dates = self._retrieve(question, k, without, time, articles)
            unknown = None if person is None else PersonFinding(person.name, PersonVerdict.UNKNOWN)
            outcome = dates if time.about_time else None
            return Findings(self._evidence(question, hits), unknown, outcome)
        if route.view_change and not person.topic.strip():
            return self._all_statements(question, person, without, articles)
        # The topic is searched as a text of its own (its language and answer type read
        # from it): the name would favour sentences that repeat it over the person's words.
        topic = self.encode(person.topic)
        limit = _MAX_VIEW_CHANGE_PASSAGES if route.view_change else _MAX_SPEAKER_PASSAGES
        return self._person_findings(question, topic, person, k, without, time, articles, limit)

    def _all_statements(
        self,
        question: EncodedQuestion,
        person: PersonQuestion,
        without: frozenset[str],
        articles: frozenset[str] | None,
    ) -> Findings:
        """Findings holding every passage of the person's statements in `articles` (None:
        all; up to _MAX_VIEW_CHANGE_PASSAGES), for a person asked about without a topic: on
        topic by definition."""
        holding = self._speaker_passages(person.name, without, articles=articles)
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
        time: TimeIntent,
        articles: frozenset[str] | None,
        limit: int = _MAX_SPEAKER_PASSAGES,
    ) -> Findings:
        """Findings for "What did `person` say about `topic`?": the usual `k` best passages
        for the whole question, then (up to `limit`) the other passages holding the person's
        statements, closest to the topic first (so that a statement the question's words
        miss, or one in another language, is still weighed), their sentences scored against
        the topic alone.
        The person is off topic when the articles speak of the topic elsewhere and not in
        the person's words. Days the question names, and the order it asks for, choose
        among the person's statements (see `_dated_statements`); only the `articles` chosen
        (None: all) are searched."""
        every = self._speaker_passages(person.name, without, time.required, articles)
        first, dates = self._retrieve(question, k, without, replace(time, order=None), articles)
        holding, dates = self._dated_statements(every, topic, time, dates)
        if not holding and self.statements.mentions(person.name, {h.article.id for h in first}):
            # No statement of the person's is dated then, but the articles of those days
            # name them: they answer as for any question (they may report the words unquoted).
            return Findings(self._evidence(question, first), None, dates)
        if not holding:
            # Those days' articles never name the person: what they report others said.
            # The person's statements of other days show what they do speak about (none in
            # a filter's range: its passages are what the articles say nearest).
            said = self._closest_to(topic, every, [], limit) if every else first
            finding = PersonFinding(
                person.name, PersonVerdict.OFF_TOPIC, self._evidence(topic, said)
            )
            return Findings(self._evidence(question, first), finding, dates)
        if dates.chosen is not None:
            first = [hit for hit in first if hit.article.date == dates.chosen]
        evidence = self._evidence(topic, first + self._closest_to(topic, holding, first, limit))
        unordered = replace(time, order=None)
        # The topic's dates ("September 2025"), when articles of those dates were found,
        # chose them: they are no terms of the topic then.
        matched = time.named is not None and dates.unmatched is None
        undated = replace(topic, dated=time.said) if matched else topic
        found = self.retrieve_encoded(undated, k, without, unordered, articles)
        elsewhere = self._evidence(undated, found)
        off_topic = self._speaks_elsewhere(evidence, undated, elsewhere, person.name, holding)
        verdict = PersonVerdict.OFF_TOPIC if off_topic else PersonVerdict.ON_TOPIC
        finding = PersonFinding(person.name, verdict, evidence, _closest(elsewhere, topic))
        outcome = dates if time.about_time else None
        return Findings(self._evidence(question, first), finding, outcome)

    def _dated_statements(
        self, holding: set[str], topic: EncodedQuestion, time: TimeIntent, dates: DateOutcome
    ) -> tuple[set[str], DateOutcome]:
        """The passages of a person's statements that a question's dates choose: those of
        articles dated in the days it names (all, when none is); for "latest"/"earliest",
        those of the newest (oldest) article among the statements closest to the topic."""
        spans = {pid: self._span(self._record(pid)) for pid in holding}
        if time.named is not None and self.question_dates == "filter":
            inside = {pid for pid in holding if time.named.holds(spans[pid])}
            if inside or dates.unmatched is None:
                # None of the person's statements is dated then, but passages on the topic
                # are: those passages answer (they may report the person's words unquoted).
                holding = inside
                dates = replace(dates, used=time.named, unmatched=None)
        if time.order is None or not holding:
            return holding, dates
        vectors = self.store.vectors(0, sorted(holding))
        closeness = {
            pid: float(vector @ topic.vectors[0]) + self._offset(pid, topic.language)
            for pid, vector in vectors.items()
        }
        best = max(closeness.values(), default=0.0)
        # "Latest"/"earliest" order by date the statements on the topic: those within the
        # person-topic gap of the closest one (cross-lingual offset added).
        close = [pid for pid in closeness if closeness[pid] >= best - _topic_gap()]
        chosen = _chosen_span([spans[pid] for pid in close], time.order)
        undated = len({article_of(pid) for pid in close if spans[pid] is None})
        if chosen is None:
            return holding, replace(dates, undated=dates.undated + undated)
        kept = {pid for pid in holding if spans[pid] == chosen}
        date = self._record(next(iter(kept))).date
        return kept, replace(dates, chosen=date, undated=dates.undated + undated)

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
        self,
        evidence: Evidence,
        topic: EncodedQuestion,
        elsewhere: Evidence,
        speaker: str,
        holding: set[str],
    ) -> bool:
        """Whether the articles speak of the topic elsewhere and not in the speaker's words
        (`evidence`: the passages found for the speaker; `holding`: those of them holding
        the speaker's statements; `elsewhere`: the usual passages for the topic, among the
        articles of the dates asked about where the question names any)."""
        gap = _closest(elsewhere, topic) - _closest_of(self._own(evidence, speaker), topic)
        said = self.speaker_texts(evidence.hits, holding)
        others = [h.passage.text for h in elsewhere.hits]
        unsaid = _terms_only_elsewhere(topic, said, others)
        # Names alone may miss a metonym ("Washington" for "the US"), so they count only
        # when the articles also come somewhat closer to the topic elsewhere.
        unnamed = gap > _topic_gap() / 2 and _names_only_elsewhere(topic, said, others)
        # "after his victory", "sa victoire": the topic is the person's own, and others'
        # victories coming closer to it say nothing about whether they spoke of theirs.
        farther = gap > _topic_gap() and not owned_topic(topic.text, topic.language)
        unheld = self.name_closeness(topic, said + others) < fitted(TopicNames).min_closeness
        return farther or bool(unsaid) or unnamed or unheld

    def speaker_texts(self, hits: Sequence[Hit], holding: set[str]) -> list[str]:
        """The texts of the passages among `hits` holding a person's statements (`holding`)
        and the leads of their articles (the first `_LEAD_PASSAGES`, read from the store when
        not among the hits): an article names the occasion the person speaks at ("COP30",
        "cut its deposit rate to 2.25%") in its lead, before their words."""
        theirs = {hit.article.id for hit in hits if hit.passage.id in holding}
        spans = self.store.passage_spans(sorted(theirs)) if theirs else {}
        by_article: dict[str, list[tuple[int, str]]] = {}
        for pid, (article_id, start, _) in spans.items():
            by_article.setdefault(article_id, []).append((start, pid))
        lead = {pid for found in by_article.values() for _, pid in sorted(found)[:_LEAD_PASSAGES]}
        texts = {hit.passage.id: hit.passage.text for hit in hits if hit.passage.id in holding}
        unread = sorted(lead - {hit.passage.id for hit in hits})
        texts |= {hit.passage.id: hit.passage.text for hit in hits if hit.passage.id in lead}
        texts |= {pid: passage.text for pid, (passage, _) in self.store.get(unread).items()}
        return list(texts.values())

    def name_closeness(self, topic: EncodedQuestion, near: list[str]) -> float:
        """How closely the passages `near` a person question's topic hold its least-held
        name: 1 when some passage holds every rare name of the topic (`_rare_names`); else,
        among the names no passage holds, the lowest of each one's highest USE cosine to a
        word of `near` (its form in another language: "Zinssenkungen" / "cuts"). An event
        the articles never report ("the takeover of WalkMe") has a name nothing comes close
        to."""
        names = _rare_names(topic.text, _topic_words(topic), topic.language)
        unheld = [name for name in names if self.keywords.unheld([name], topic.language)]
        if not unheld:
            return 1.0
        return min(self._names_held(unheld, near).values())

    def _names_held(self, names: list[str], texts: list[str]) -> dict[str, float]:
        """How closely `texts` hold each name: 1 when a text writes it, else its highest USE
        cosine to a word of the texts (0 without any). Without a word matcher, a word
        sharing the name's folded first letters or country code (`name_keys`) holds it."""
        words = sorted({word for text in texts for word in _TOPIC_WORD.findall(text)})
        written = set(words)
        held = {name: 1.0 for name in names if name in written}
        rest = [name for name in names if name not in held]
        if not rest or not words:
            return held | dict.fromkeys(rest, 0.0)
        if self.word_matcher is None:
            keys = name_keys(" ".join(words), every_word=True)
            return held | {name: float(bool(name_keys(name) & keys)) for name in rest}
        vectors = self.word_matcher.vectors(words)
        closest = vectors @ self.word_matcher.vectors(rest).T
        return held | {name: float(closest[:, i].max()) for i, name in enumerate(rest)}

    def _reports_other_story(
        self,
        question: EncodedQuestion,
        candidates: list[Candidate],
        inside: np.ndarray,
        scores: np.ndarray,
    ) -> bool:
        """Whether the best passages of the days a question names (`inside`) miss a rare
        name of it that the best passages of other days hold: those days report something
        else ("the Calderoli law in November" when November's reports are of another
        trial). A name counts as held within `TopicNames.min_closeness` (USE cosine), so
        that its spelling in another language ("ECB" / "EZB") holds it."""
        text = question.undated_text()
        names = _rare_names(text, _TOPIC_WORD.findall(text), question.language)
        if not names or inside.all():
            return False
        order = np.argsort(-scores, kind="stable")
        ids = [candidates[i].passage_id for i in order]
        within = [pid for pid, i in zip(ids, order, strict=True) if inside[i]][:_STORY_PASSAGES]
        beyond = [pid for pid, i in zip(ids, order, strict=True) if not inside[i]]
        found = self.store.get(within + beyond[:_STORY_PASSAGES])
        texts = {pid: passage.text for pid, (passage, _) in found.items()}
        cut = fitted(TopicNames).min_closeness
        held = self._names_held(names, [texts[pid] for pid in within if pid in texts])
        unheld = [name for name in names if held[name] < cut]
        if not unheld:
            return False
        elsewhere = self._names_held(unheld, [texts[pid] for pid in beyond if pid in texts])
        return any(closeness >= cut for closeness in elsewhere.values())

    def _own(self, evidence: Evidence, speaker: str) -> list[tuple[str, np.ndarray | None]]:
        """(language, primary vector) of each of the speaker's statements in the evidence."""
        return [
            (hit.language, evidence.sentences[0].sentences.get((hit.passage.id, ordinal)))
            for hit in evidence.hits
            for ordinal, (start, _) in enumerate(hit.passage.sentences)
            if (said := self.statements.statement_at(hit.article.id, start))
            and said.voices(speaker)
        ]

    def _speaker_passages(
        self,
        speaker: str,
        without: frozenset[str],
        dates: DateRange | None = None,
        articles: frozenset[str] | None = None,
    ) -> set[str]:
        """The passages holding a statement of `speaker` (in an article dated in `dates`,
        and among `articles`, when given)."""
        with stage("statements"):
            return self._speaker_passages_of(speaker, without, dates, articles)

    def _speaker_passages_of(
        self,
        speaker: str,
        without: frozenset[str],
        dates: DateRange | None,
        articles: frozenset[str] | None,
    ) -> set[str]:
        said: dict[str, set[int]] = {}
        for article_id, statement in self.statements.only(articles).by_speaker(speaker):
            record = self.store.articles.get(article_id)
            if dates is not None and (record is None or not dates.holds(self._span(record))):
                continue
            if article_id not in without:
                said.setdefault(article_id, set()).add(statement.start)
        return {
            pid
            for pid, (aid, start, end) in self.store.passage_spans(list(said)).items()
            if any(start <= at < end for at in said[aid])
        }

    def _evidence(self, question: EncodedQuestion, hits: list[Hit]) -> Evidence:
        passages = [hit.passage for hit in hits]
        with stage("sentence vectors"):
            sentences = [
                SentenceVectors(vector, self.store.sentence_vectors(model, passages))
                for model, vector in enumerate(question.vectors)
            ]
        return Evidence(question, hits, sentences, self.statements, words=self.word_matcher)

    def retrieve_encoded(
        self,
        question: EncodedQuestion,
        k: int,
        without: frozenset[str] = frozenset(),
        time: TimeIntent | None = None,
        articles: frozenset[str] | None = None,
    ) -> list[Hit]:
        """As `retrieve`, for a question already encoded; only passages of `articles` (None:
        all), none of an article in `without`; dates chosen as `time` asks (`_retrieve`)."""
        return self._retrieve(question, k, without, time, articles)[0]

    def _retrieve(
        self,
        question: EncodedQuestion,
        k: int,
        without: frozenset[str],
        time: TimeIntent | None,
        articles: frozenset[str] | None = None,
    ) -> tuple[list[Hit], DateOutcome]:
        """The `k` best passages of the `articles` chosen (None: all) and how dates shaped
        them: only articles dated in the filter range `time.required`; those dated in the
        days the question names when one of them is on its topic (`question_dates`); for
        "latest"/"earliest", the passages of the newest (oldest) dated article among those
        on the topic."""
        with stage("fusion"):  # the candidates' own stages are counted apart
            return self._fused(question, k, without, time or TimeIntent(), articles)

    def _fused(
        self,
        question: EncodedQuestion,
        k: int,
        without: frozenset[str],
        time: TimeIntent,
        articles: frozenset[str] | None,
    ) -> tuple[list[Hit], DateOutcome]:
        candidates = self.candidates(question, time.required, articles)
        named = time.named.within(time.required) if time.named else None
        if named is not None and self.question_dates != "ignore":
            candidates = _merged(candidates, self.candidates(question, named, articles))
        candidates = [c for c in candidates if article_of(c.passage_id) not in without]
        restricted = time.required is not None
        dates = DateOutcome(used=time.required)
        if not candidates:
            undated = self._undated(without, articles) if restricted else 0
            return [], replace(dates, undated=undated)
        weights = [model.weight for model in self.models]
        scores = fuse(candidates, weights, self.lexical_weight)
        spans = [self._span(self._record(c.passage_id)) for c in candidates]
        if named is not None and self.question_dates != "ignore":
            asked = replace(question, dated=time.said)
            keep, scores, dates = self._named(asked, named, candidates, spans, scores, dates)
            # Only the filter leaves articles out ("prefer" ranks them).
            restricted = restricted or (self.question_dates == "filter" and not dates.unmatched)
            candidates, spans, scores = _kept(keep, candidates, spans, scores)
        if time.order is not None:
            keep, dates = self._ordered(time.order, candidates, spans, scores, dates)
            candidates, spans, scores = _kept(keep, candidates, spans, scores)
        if restricted:
            dates = replace(dates, undated=dates.undated + self._undated(without, articles))
        order = np.argsort(-scores, kind="stable")
        texts: dict[str, tuple[Passage, str]] = {}  # of the head, when it was read
        if self.reranker is not None:
            order, scores, texts = self._rerank(question.text, candidates, order)
        elif question.answer_type in PASSAGE_TYPES:
            order, scores, texts = self._typed(question.answer_type, candidates, order, scores)
        best = [candidates[i] for i in order[:k]]
        with stage("passage texts"):
            unread = [c.passage_id for c in best if c.passage_id not in texts]
            passages = texts | self.store.get(unread)
        hits = [
            self._hit(c, passages[c.passage_id][0], float(scores[i]))
            for c, i in zip(best, order[:k], strict=True)
        ]
        return hits, dates

    def _named(
        self,
        question: EncodedQuestion,
        named: DateRange,
        candidates: list[Candidate],
        spans: list,
        scores: np.ndarray,
        dates: DateOutcome,
    ) -> tuple[np.ndarray, np.ndarray, DateOutcome]:
        """Which candidates the days a question names keep (a mask), their scores and the
        outcome: with "filter", only those dated then, when they are on the topic;
        otherwise all, and the days are unmatched. With "prefer", all, those dated then
        raised by `date_margin`.

        On the topic: the best of them has its fused score within `date_margin` of the best
        of all, or its closeness (`_closeness`) within the person-topic gap of the
        closest, and they report the story the question names (`_reports_other_story`).
        The fused score's keywords favour the question's language; the closeness weighs a
        report in another language as the person questions do."""
        inside = np.array([named.holds(span) for span in spans])
        everything = np.ones(len(spans), dtype=bool)
        if self.question_dates == "prefer":
            return everything, scores + self.date_margin * inside, replace(dates, used=named)
        closeness = _closeness(candidates, question.language)

        def on_topic(kept: np.ndarray) -> bool:
            return (
                kept.any()
                and (
                    scores[kept].max() >= scores.max() - self.date_margin
                    or closeness[kept].max() >= closeness.max() - _topic_gap()
                )
                and not self._reports_other_story(question, candidates, kept, scores)
            )

        if on_topic(inside):
            return inside, scores, replace(dates, used=named)
        # No report dated then is on the topic: a later one telling of those days may be.
        inside = inside | self._later_reports(question, named, candidates, spans, scores)
        if on_topic(inside):
            return inside, scores, replace(dates, used=named)
        return everything, scores, replace(dates, unmatched=named)

    def _later_reports(
        self,
        question: EncodedQuestion,
        named: DateRange,
        candidates: list[Candidate],
        spans: list,
        scores: np.ndarray,
    ) -> np.ndarray:
        """A mask of the candidates dated after the days named that report on those days:
        the passage's sentence closest to the question names them ("the low number for
        September", reported on 17 October: monthly figures come out weeks later). Among
        the `_LATER_REPORTS` best of those dated up to `LATER_REPORT_DAYS` after; a later
        report that names the days in another sentence than the one answering tells of
        its own days."""
        later = np.zeros(len(candidates), dtype=bool)
        if named.until is None:
            return later
        last = named.until + dt.timedelta(days=LATER_REPORT_DAYS)
        after = [i for i in np.argsort(-scores) if spans[i] and named.until < spans[i][0] <= last]
        chosen = after[:_LATER_REPORTS]
        ids = [candidates[i].passage_id for i in chosen]
        texts = self.store.get(ids)
        vectors = self.store.sentence_rows(0, ids)
        for i in chosen:
            pid = candidates[i].passage_id
            passage, language = texts.get(pid, (None, ""))
            rows = vectors.get(pid)
            if passage is None or rows is None or not len(rows):
                continue
            best = passage.sentences[int(np.argmax(rows @ question.vectors[0]))]
            # Read against the last day its date may mean: a report dated "2025-10" names
            # "27 octobre" of that October, not the one before.
            mentions = period_mentions(passage.text, language, spans[i][1], named)
            later[i] = any(best[0] <= passage.start + at < best[1] for at in mentions)
        return later

    def _ordered(
        self,
        order: str,
        candidates: list[Candidate],
        spans: list,
        scores: np.ndarray,
        dates: DateOutcome,
    ) -> tuple[np.ndarray, DateOutcome]:
        """For "latest"/"earliest": the candidates of the newest (oldest) dated article
        among those on the topic (fused scores within `date_margin` of the best: the
        question's names and words count), as a mask; all when none of those is dated."""
        close = scores >= scores.max() - self.date_margin
        chosen = _chosen_span([spans[i] for i in np.flatnonzero(close)], order)
        undated = {
            article_of(candidates[i].passage_id) for i in np.flatnonzero(close) if spans[i] is None
        }
        dates = replace(dates, undated=dates.undated + len(undated))
        if chosen is None:
            return np.ones(len(candidates), dtype=bool), dates
        keep = np.array([span == chosen for span in spans])
        first = next(i for i in np.flatnonzero(keep))
        return keep, replace(dates, chosen=self._record(candidates[first].passage_id).date)

    def _offset(self, passage_id: str, language: str) -> float:
        """The cross-lingual offset for a passage in another language than `language`."""
        row = self.keywords.position.get(passage_id)
        same = row is not None and self.keywords.language(row) == language
        return 0.0 if same else fitted(Floors).cross_lingual_offset

    def _record(self, passage_id: str) -> ArticleRecord | None:
        return self.store.articles.get(article_of(passage_id))

    @staticmethod
    def _span(record: ArticleRecord | None) -> tuple[dt.date, dt.date] | None:
        return _date_span(record.date) if record is not None else None

    def _undated(self, without: frozenset[str], articles: frozenset[str] | None = None) -> int:
        """Undated articles in the index (among `articles` when given; those in `without`
        aside)."""
        return sum(
            1
            for aid, record in self.store.articles.items()
            if not record.date and aid not in without and (articles is None or aid in articles)
        )

    def candidates(
        self,
        question: EncodedQuestion,
        dates: DateRange | None = None,
        articles: frozenset[str] | None = None,
    ) -> list[Candidate]:
        """The union of each retriever's top passages, each with all of its scores; with
        `dates`, only passages of articles dated in that range; with `articles`, only
        passages of those articles."""
        top = self.candidates_per_retriever
        # A filtered search may score thousands of stored vectors at once (BLAS threads of
        # its own): those run in turn, beside nothing.
        helper = self._helper if dates is None and articles is None else _INLINE
        searches = [
            helper.submit(self.store.query, m, vector, top, dates, articles)
            for m, vector in enumerate(question.vectors[1:], start=1)
        ]
        with stage("dense 0"):
            primary = self.store.query(0, question.vectors[0], top, dates, articles)
        with stage("keywords"):
            key = (question.text, question.language, dates, articles)
            with _prefetch_lock:
                pending = self._lexical.pop(key, None)
            lexical_scores = self._keyword_scores(*key) if pending is None else pending.result()
            lexical = {self.keywords.ids[i] for i in _top_positive(lexical_scores, top)}
        with stage("dense others"):  # what is left of their search once the above is done
            found = [primary, *(f.result() for f in searches)]
        # The primary model's scores decide the candidates' order; every candidate gets a
        # score from each model, read from its stored vectors where its search missed it.
        with stage("candidate scores"):
            others = set().union(*found[1:])
            missing = sorted((others | lexical) - set(primary))
            # The closest sentences are read on the helper meanwhile (of every passage
            # proposed: those without a stored primary vector are dropped after).
            closest = {
                model: self._helper.submit(
                    self._closest_sentences, model, [*primary, *missing], question.vectors[model]
                )
                for model in range(1, len(found))
                if self.models[model].closest_sentence
            }
            for pid, stored in self.store.vectors(0, missing).items():
                primary[pid] = float(stored @ question.vectors[0])
            for model in range(1, len(found)):
                sentences = closest[model].result() if model in closest else None
                self._complete(model, found[model], primary, question.vectors[model], sentences)
            return self._candidates(primary, found, lexical_scores)

    def _prefetch_keywords(self, key: tuple) -> None:
        """Start computing `_keyword_scores(*key)` on the helper (the last few are kept)."""
        pending = self._helper.submit(self._keyword_scores, *key)
        with _prefetch_lock:
            if len(self._lexical) >= _PREFETCHED:
                self._lexical.pop(next(iter(self._lexical)))
            self._lexical[key] = pending

    def _keyword_scores(
        self,
        text: str,
        language: str,
        dates: DateRange | None,
        articles: frozenset[str] | None,
    ) -> np.ndarray:
        """BM25 scores of every keyword row for `text`, 0 outside `dates` and `articles`."""
        return self.keywords.scores(text, language, self._keyword_mask(dates, articles))

    def _candidates(
        self, primary: dict[str, float], found: list[dict[str, float]], lexical: np.ndarray
    ) -> list[Candidate]:
        keywords = self.keywords
        rows = [keywords.position[pid] for pid in primary]
        return [
            Candidate(
                pid,
                keywords.language(row),
                tuple(scores.get(pid, 0.0) for scores in found),
                float(score),
            )
            for pid, row, score in zip(primary, rows, lexical[rows].tolist(), strict=True)
        ]

    def _keyword_mask(
        self, dates: DateRange | None, articles: frozenset[str] | None = None
    ) -> np.ndarray | None:
        """Which keyword-index rows are passages of articles dated in `dates` and among
        `articles` (None: all)."""
        if articles is None:
            return self._dated_rows(dates)
        if self._keyword_articles is None:  # once per index: each row's article
            self._keyword_articles = np.array([article_of(pid) for pid in self.keywords.ids])
        chosen = np.isin(self._keyword_articles, list(articles))
        dated = self._dated_rows(dates)
        return chosen if dated is None else chosen & dated

    def _dated_rows(self, dates: DateRange | None) -> np.ndarray | None:
        """Which keyword-index rows are passages of articles dated in `dates` (None: all)."""
        if dates is None:
            return None
        if self._keyword_spans is None:  # once per index: each row's date span as numbers
            numbers = {
                aid: (day_number(span[0]), day_number(span[1]))
                for aid, record in self.store.articles.items()
                if (span := self._span(record)) is not None
            }
            undated = (-1, -1)
            rows = [numbers.get(article_of(pid), undated) for pid in self.keywords.ids]
            columns = np.array(rows, dtype=int).reshape(-1, 2).T
            self._keyword_spans = (columns[0], columns[1])
        first, last = self._keyword_spans
        mask = first >= 0
        if dates.since is not None:
            mask &= last >= day_number(dates.since)
        if dates.until is not None:
            mask &= first <= day_number(dates.until)
        return mask

    def _complete(
        self,
        model: int,
        scores: dict[str, float],
        wanted: Mapping,
        vector: np.ndarray,
        closest: dict[str, float] | None,
    ) -> None:
        """Fill in model `model`'s score of every wanted passage, in place; with `closest`
        (`_closest_sentences`), a passage scores at least its closest sentence's score."""
        unscored = [pid for pid in wanted if pid not in scores]
        for pid, stored in self.store.vectors(model, unscored).items():
            scores[pid] = float(stored @ vector)
        if closest is not None:
            for pid in wanted:
                if pid in closest:
                    scores[pid] = max(scores.get(pid, 0.0), closest[pid])

    def _closest_sentences(
        self, model: int, passage_ids: list[str], vector: np.ndarray
    ) -> dict[str, float]:
        """Model `model`'s similarity of each passage's closest sentence to `vector` (for
        passages with stored sentences). A passage is as close as its closest sentence: USE
        embeds a ~500-character passage into one vector and blurs the one sentence a
        question is about."""
        rows = self.store.sentence_rows(model, passage_ids)
        return {
            pid: float((sentences @ vector).max())
            for pid, sentences in rows.items()
            if len(sentences)
        }

    def _typed(
        self, kind: str, candidates: list[Candidate], order: np.ndarray, scores: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, dict[str, tuple[Passage, str]]]:
        """The fused head reordered with a bonus for passages holding the kind of answer
        asked for (a duration for "how long", a number for "how many", ...); the head's
        passages, read to find them."""
        head = order[:_TYPED_HEAD]
        texts = self.store.get([candidates[i].passage_id for i in head])
        scores = scores.copy()
        bonus = fitted(AnswerTypes).passage_bonus
        for i in head:
            if holds_type(kind, texts[candidates[i].passage_id][0].text, candidates[i].language):
                scores[i] += bonus
        return np.argsort(-scores, kind="stable"), scores, texts

    def _rerank(
        self, question: str, candidates: list[Candidate], order: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, dict[str, tuple[Passage, str]]]:
        """Reorder the fused head by the cross-encoder; its scores become the hits' scores.
        Also returns the head's passages, read to score them."""
        head = order[: self.candidates_per_retriever]
        texts = self.store.get([candidates[i].passage_id for i in head])
        pairs = [(question, texts[candidates[i].passage_id][0].text) for i in head]
        scores = np.zeros(len(candidates))
        scores[head] = np.asarray(self.reranker.predict(pairs), dtype=float)
        return head[np.argsort(-scores[head], kind="stable")], scores, texts

    def _hit(self, candidate: Candidate, passage: Passage, score: float) -> Hit:
        return Hit(
            passage=passage,
            article=self.store.articles[passage.article_id],
            language=candidate.language,
            score=score,
            dense=candidate.dense[0],
            lexical=candidate.lexical or None,
        )


# Articles share dates, and a question reads the date spans of a hundred candidates.
_date_span = lru_cache(maxsize=4096)(date_span)


def _terms_only_elsewhere(
    topic: EncodedQuestion, said: list[str], elsewhere: list[str]
) -> set[str]:
    """The topic's terms with digits ("G7", "COP29", "2026": written alike in every
    language, unlike names and acronyms such as NATO/OTAN) that passages elsewhere hold but
    none of the speaker's passages."""
    terms = {word.lower() for word in _KEY_TERM.findall(topic.undated_text()) if len(word) >= 2}
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
    asked = name_keys(topic.undated_text(), skip_first=True)
    held = name_keys(" ".join(said), every_word=True)
    found = name_keys(" ".join(elsewhere), every_word=True)
    return bool(asked) and not asked & held and bool(asked & found)


def _rare_names(text: str, words: list[str], language: str) -> list[str]:
    """The rare names among the `words` of a question's `text`: capitalised words but the
    text's first, rarer than `_RARE_NAME_ZIPF` in the question's language."""
    opening = _TOPIC_WORD.match(text.lstrip("¿¡ "))
    first = opening.group() if opening else ""
    listed = listed_language(language)
    return [
        word
        for word in words
        if word[0].isupper()
        and word != first
        and zipf_frequency(word.lower(), listed) < _RARE_NAME_ZIPF
    ]


def _topic_words(topic: EncodedQuestion) -> list[str]:
    """The words of a person question's topic, as written, less stop words, the words
    that ask what was said ("say", "reagierte") and the language's commonest words."""
    language = topic.language
    asking = lexicon(language).words("questions.speech_verbs")
    listed = listed_language(language)
    kept = {
        word
        for word in content_words(topic.undated_text(), language) - asking
        if zipf_frequency(word, listed) < _COMMON_ZIPF
    }
    return [word for word in _TOPIC_WORD.findall(topic.undated_text()) if word.lower() in kept]


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


def _closeness(candidates: list[Candidate], language: str) -> np.ndarray:
    """Each candidate's primary similarity to a question in `language`, raised by the
    fitted cross-lingual offset where the passage's language differs."""
    offset = fitted(Floors).cross_lingual_offset
    return np.array([c.dense[0] + (offset if c.language != language else 0.0) for c in candidates])


def topic_closeness(language: str, vector: np.ndarray, question: EncodedQuestion) -> float:
    """The primary model's similarity of a sentence (in `language`, its primary `vector`) to
    the question, raised by the fitted cross-lingual offset when the languages differ."""
    offset = fitted(Floors).cross_lingual_offset if language != question.language else 0.0
    return float(vector @ question.vectors[0]) + offset


def _dated_findings(found: Findings, said: tuple[str, ...]) -> Findings:
    """The findings with the question's date words marked as held by the evidence's dates
    (`EncodedQuestion.dated`)."""

    def dated(evidence: Evidence) -> Evidence:
        return replace(evidence, question=replace(evidence.question, dated=said))

    person = found.person
    if person is not None and person.statements is not None:
        person = replace(person, statements=dated(person.statements))
    return replace(found, evidence=dated(found.evidence), person=person)


def _merged(first: list[Candidate], second: list[Candidate]) -> list[Candidate]:
    """The candidates of both lists, each once (in the order first found)."""
    seen = {c.passage_id for c in first}
    return first + [c for c in second if c.passage_id not in seen]


def _kept(
    keep: np.ndarray, candidates: list[Candidate], spans: list, scores: np.ndarray
) -> tuple[list[Candidate], list, np.ndarray]:
    rows = np.flatnonzero(keep)
    return [candidates[i] for i in rows], [spans[i] for i in rows], scores[rows]


def _chosen_span(spans: list, order: str) -> tuple[dt.date, dt.date] | None:
    """The newest (LATEST: latest last day) or oldest (earliest first day) of the date
    spans; None when none is dated."""
    dated = [span for span in spans if span is not None]
    if not dated:
        return None
    if order == LATEST:
        return max(dated, key=lambda span: (span[1], span[0]))
    return min(dated, key=lambda span: (span[0], span[1]))


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


def _top_positive(scores: np.ndarray, top: int) -> np.ndarray:
    """The rows among the `top` highest of `scores` that score above 0 (in no order): the
    rows `np.argsort(-scores)[:top]` holds, found without sorting every row unless scores
    tie across the `top`-th place (then which of them argsort holds is its own choice)."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) <= top:
        return positive
    values = scores[positive]
    last = np.partition(values, len(values) - top)[len(values) - top]
    if np.count_nonzero(values >= last) == top:
        return positive[values >= last]
    return np.array([row for row in np.argsort(-scores)[:top] if scores[row] > 0], dtype=int)


def zscore(values: np.ndarray) -> np.ndarray:
    """Values centred and scaled to unit spread (all zero when they are all equal)."""
    spread = values.std()
    return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)
