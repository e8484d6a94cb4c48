"""The Python API: `Assistant` opens an articles folder and its index, syncs, and answers.

Example::

    from assistant.surfaces.api import Assistant

    assistant = Assistant(seeds="seeds", index="index")
    assistant.sync()
    answer = assistant.ask("What did Rubio say about Russia?")
    print(answer.text)
    for citation in answer.citations:
        print(citation.n, citation.title, citation.quote)
    for entry in assistant.timeline("Rubio", topic="Russia").entries:
        print(entry.date, entry.title, [c.quote for c in entry.citations])
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import AssistantError, BadQuestion, IndexDamaged, ModelError, UnknownPerson
from assistant.index.generations import IndexCheck, check_live, live_generation, open_live
from assistant.index.store import ArticleRecord, Hit
from assistant.index.sync import (
    WORDS_FOLDER,
    Progress,
    SyncReport,
    expected_manifest,
    sync_index,
)
from assistant.models.embeddings import PassageEmbeddings, make_embedders
from assistant.models.llm import describe_llm, make_chat_model
from assistant.models.word_matching import WordMatcher, word_vector_embedder
from assistant.question.checks import (
    check_dates,
    check_day,
    check_history,
    check_k,
    check_question,
)
from assistant.settings import Settings
from assistant.speech.statement_index import Speaker, StatementIndex

# Answering and retrieval pull in LangChain's language-model and retriever stack (~1.2 s
# of imports); they are imported where questions are answered, so `assistant index` and
# other commands that ask nothing start fast.
if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.answering.answer import Answer
    from assistant.answering.chain import AnswerChain
    from assistant.answering.pipeline import AnswerPipeline
    from assistant.answering.timeline import Timeline
    from assistant.ingest.fetching import FetchReport
    from assistant.models.langchain_embeddings import LangChainEmbeddings
    from assistant.retrieval.hybrid import HybridRetriever
    from assistant.retrieval.langchain_retriever import LangChainRetriever

logger = logging.getLogger(__name__)

# Asked by `warm_up`: any question loads what answering needs.
_WARM_UP_QUESTION = "What did the articles report?"


class Assistant:
    """Question answering over one articles folder and its index.

    Args:
        settings: all configuration; by default read from ``ASSISTANT_*`` variables.
        embedders: already loaded embedders to share (tests, benchmarks), one per dense
            model of ``settings.dense_models``, in order.
        chat_model: a LangChain chat model to answer with; by default the one the settings
            name (``llm``), or none for the extractive answerer.
        **overrides: settings fields to override, e.g. ``seeds="articles"``, ``top_k=8``.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedders: Sequence[PassageEmbeddings] | None = None,
        chat_model: BaseChatModel | None = None,
        **overrides: object,
    ) -> None:
        base = settings or Settings()
        # Validated, so `seeds="articles"` becomes a Path and a misspelt name is an error.
        self.settings = (
            Settings.model_validate(base.model_dump() | overrides) if overrides else base
        )
        self._embedders = list(embedders) if embedders is not None else None
        self._matcher: WordMatcher | None = None
        self.chat_model = chat_model or make_chat_model(self.settings)
        self._retriever: HybridRetriever | None = None
        self._live: Path | None = None
        self._damaged: IndexDamaged | None = None  # the last generation found damaged
        # The answering stages by `use_llm`, made again for another index generation or
        # chat model (they hold no state of a question: threads share them).
        self._pipelines: dict[bool, AnswerPipeline] = {}
        self._lock = threading.Lock()
        # Long-running servers set this: each generation is first read by a separate
        # process, so a damaged one is reported instead of crashing the server.
        self.probe_index = False

    @property
    def embedders(self) -> list[PassageEmbeddings]:
        """One embedder per dense model (the primary first), loaded once on first use."""
        if self._embedders is None:
            self._embedders = make_embedders(self.settings)
        return self._embedders

    @property
    def llm_label(self) -> str | None:
        """Names the LLM that writes answers, or None for the extractive answerer."""
        return describe_llm(self.settings) if self.chat_model is not None else None

    def sync(self, *, rebuild: bool = False, progress: Progress | None = None) -> SyncReport:
        """Bring the index in line with the articles folder (see `sync.sync_index`)."""
        report = sync_index(self.settings, self.embedders, rebuild=rebuild, progress=progress)
        self._retriever = None  # the next question opens the new generation
        return report

    def add_urls(
        self, urls: Sequence[str], *, progress: Progress | None = None
    ) -> tuple[FetchReport, SyncReport | None]:
        """Fetch web pages, or every entry of an RSS/Atom feed, into the articles folder as
        Markdown articles (`fetching.fetch_articles`), then sync the index.

        Returns:
            What was saved and what failed (address and reason, the others go on); the
            sync's report, None when nothing was saved.
        """
        from assistant.ingest.fetching import fetch_articles

        fetched = fetch_articles(urls, self.settings.seeds)
        return fetched, self.sync(progress=progress) if fetched.saved else None

    def articles(self) -> list[ArticleRecord]:
        """The indexed articles, by id."""
        return sorted(self._hybrid().store.articles.values(), key=lambda r: r.id)

    def people(self) -> list[Speaker]:
        """Everyone the articles quote: name, number of statements and the articles holding
        them, most quoted first (spellings of one name merged)."""
        return self._hybrid().statements.speakers()

    def retriever(self) -> LangChainRetriever:
        """The retriever over the live index as a LangChain `BaseRetriever` (`invoke`
        returns `Document`s), reopened when another process swapped it."""
        from assistant.retrieval.langchain_retriever import LangChainRetriever

        return LangChainRetriever.of(self._hybrid())

    def embeddings(self) -> LangChainEmbeddings:
        """The primary dense model (the one the index is searched by first) as a LangChain
        `Embeddings`, for a LangChain vector store or chain of one's own."""
        return self.embedders[0].as_langchain()

    def _hybrid(self) -> HybridRetriever:
        """The retriever over the live index, reopened when another process swapped it.

        Raises:
            IndexNotFound / IndexMismatch: no usable index; run `assistant index`.
            IndexDamaged: the live index failed its checks (remembered until another
                generation is swapped in, so a server does not check it at every request).
        """
        with self._lock:
            live = live_generation(self.settings.index)
            if self._retriever is None or live != self._live:
                if self._damaged is not None and self._damaged.path == live:
                    raise IndexDamaged(self._damaged.path, self._damaged.reason)
                try:
                    self._retriever = self._open_retriever()
                except IndexDamaged as err:
                    self._damaged = IndexDamaged(live, err.reason)
                    raise
                self._live = live
            return self._retriever

    def check_index(self) -> IndexCheck:
        """Check the live index whole, in another process: every file against its header,
        every count against the article records, every stored vector against its copy
        (`generations.check_live`).

        Raises:
            IndexNotFound / IndexMismatch / IndexDamaged: what the check found.
            ProbeFailed: the check itself could not run (e.g. a full disk).
        """
        expected = expected_manifest(self.settings, self.embedders)
        return check_live(self.settings.index, expected, self.settings.chroma_url)

    def retrieve(self, question: str, k: int | None = None) -> list[Hit]:
        """The passages most relevant to `question`, best first."""
        k = check_k(k) or self.settings.top_k
        return self._hybrid().retrieve(check_question(question), k)

    def ask(
        self,
        question: str,
        history: Sequence[dict] | None = None,
        k: int | None = None,
        on_token: Callable[[str], None] | None = None,
        use_llm: bool = True,
        *,
        since: str | date | None = None,
        until: str | date | None = None,
        as_of: str | date | None = None,
        articles: Sequence[str] | None = None,
    ) -> Answer:
        """Answer `question` (any language) from the articles, citing the sentences used.

        `history`: the conversation so far, [{"role", "content"}], which a follow-up is read
        with; `k`: passages to consider (default settings.top_k); `on_token`: receives an
        LLM's reply as it is generated; `use_llm=False` quotes even when an LLM is set.
        `since` / `until`: answer only from articles dated in that range (dates or ISO
        text: "2024-06-01", "2024-06", "2024"; both ends included; undated articles are
        left out, and the answer says so); `as_of`: the day the question is asked, which
        relative dates in it ("last week", "gestern") are read against (default: today).
        `articles`: answer only from these (`chosen`): paths, globs or sub-folders of the
        articles folder; None or [] for all.

        Raises:
            BadQuestion: a bad question, history, k or date (the message says which and why).
            NoArticlesMatch: a pattern of `articles` matches no indexed article.
            IndexNotFound / IndexMismatch: no usable index; run `assistant index`.
        """
        question, history = check_question(question), check_history(history)
        k = check_k(k) or self.settings.top_k
        dates, day = check_dates(since, until), check_day(as_of, "as_of")
        chosen = self.chosen(articles)
        pipeline = self._pipeline(use_llm)
        return pipeline.run(question, history, k, on_token, as_of=day, dates=dates, articles=chosen)

    def chosen(self, articles: Sequence[str] | None) -> frozenset[str] | None:
        """The ids of the indexed articles `articles` chooses: each an article's path (as
        `articles()` lists it, or through the articles folder), a glob ("en/*.txt") or a
        sub-folder ("en", a collection); None when none is given (all articles).

        Raises:
            NoArticlesMatch: a pattern matches no indexed article (the message names it).
        """
        from assistant.question.sources import choose_articles

        if not articles:
            return None
        return choose_articles(articles, self._hybrid().store.articles, self.settings.seeds)

    def collections(self) -> list[str]:
        """The sub-folders holding indexed articles ("en/"), choosable as `articles`."""
        from assistant.question.sources import collections

        return collections(self._hybrid().store.articles)

    def timeline(
        self,
        person: str,
        topic: str | None = None,
        k: int | None = None,
        articles: Sequence[str] | None = None,
    ) -> Timeline:
        """How `person`'s view of `topic` changed: their statements on it, grouped by
        article, oldest article first (undated ones last), each citation with its article's
        title and date; without a topic, all their statements. The same as asking "How has
        <person>'s position on <topic> changed?".

        `person`: a name as typed ("Lagarde", "Christine Lagarde", "Selenskyj"), matched to
        the people quoted across spellings; `k`: passages of the usual retrieval weighed
        besides the person's (default settings.top_k); `articles`: only these, as in `ask`.

        Raises:
            UnknownPerson: no one quoted has that name (the message lists near spellings).
            NoArticlesMatch: a pattern of `articles` matches no indexed article.
            BadQuestion: an empty name or a bad topic or k.
            IndexNotFound / IndexMismatch: no usable index; run `assistant index`.
        """
        from assistant.language.detection import detect_language
        from assistant.question.person import PersonQuestion
        from assistant.question.routing import Route

        name = " ".join((person or "").split()) if isinstance(person, str) else ""
        if not name:
            raise BadQuestion("Name a person the articles quote (see: assistant people).")
        topic = check_question(topic) if topic is not None and topic.strip() else ""
        k = check_k(k) or self.settings.top_k
        chosen = self.chosen(articles)
        statements = self._hybrid().statements.only(chosen)
        if not statements.by_speaker(name):
            raise UnknownPerson(name, statements.near_names(name))
        text = topic or name
        asked = f"{name}: {topic}" if topic else name
        quoted = PersonQuestion(name, quoted=True, mentioned=True, topic=topic)
        language = detect_language(text)
        route = Route(asked, text, language, person=quoted, view_change=True, articles=chosen)
        return self._pipeline(use_llm=False).timeline(route, k)

    def chain(self, *, as_json: bool = False, use_llm: bool = True) -> AnswerChain:
        """The assistant as a LangChain `Runnable`: ``{"question", "history", "k", "since",
        "until", "as_of", "articles"}`` in, the `Answer` (or with `as_json`, its JSON form) out; see
        `chain.AnswerChain`."""
        from assistant.answering.chain import AnswerChain

        def ask(question, history, k, on_token=None, **dates) -> Answer:
            return self.ask(question, history, k, on_token=on_token, use_llm=use_llm, **dates)

        return AnswerChain(ask, as_json=as_json)

    def warm_up(self) -> None:
        """Load what answering needs (the models, the index, LangChain's runnables, a word
        list) by answering one question without an LLM, and what some questions need in
        each language with a words file (dateparser's data, place names, wordfreq, the
        statements by name, the answers' templates), so that no question a server is
        asked costs more for being the first of its kind. Does nothing more when there is
        no usable index yet (the question that meets it reports it)."""
        from assistant.language.lexicon import language_files
        from assistant.models.word_frequencies import wordfreq_module
        from assistant.prompts import TEMPLATE_FIELDS, load_prompt
        from assistant.question.dates import load_date_reading
        from assistant.speech.names import load_places

        try:
            self.chain(use_llm=False).invoke({"question": _WARM_UP_QUESTION})
        except AssistantError as err:
            logger.info("Nothing to warm up: %s", err)
            return
        for name in TEMPLATE_FIELDS:
            load_prompt(name)
        languages = sorted(language_files())
        load_date_reading(languages)
        load_places(languages)
        wordfreq_module()  # for words that are not plain: 0.1-0.6 s to import
        self._hybrid().statements.by_name_key()

    def _pipeline(self, use_llm: bool) -> AnswerPipeline:
        from assistant.answering.answer import AbstainPolicy
        from assistant.answering.pipeline import (
            AnswerPipeline,
            make_answerer,
            make_person_answers,
        )

        retriever = self._hybrid()
        chat_model = self.chat_model if use_llm else None
        made = self._pipelines.get(use_llm)
        if made is not None and made.retriever is retriever and made.chat_model is chat_model:
            return made
        label = describe_llm(self.settings) if chat_model is not None else ""
        quote_weights = [dense.quote_weight for dense in self.settings.dense_models]
        policy = AbstainPolicy(
            same_language=self.settings.abstain_below,
            cross_lingual=self.settings.abstain_below_cross_lingual,
            min_confidence=self.settings.abstain_below_confidence,
        )
        pipeline = AnswerPipeline(
            retriever=retriever,
            answerer=make_answerer(policy, quote_weights, chat_model, label),
            people=make_person_answers(policy, quote_weights),
            checker_embedder=self.embedders[0],
            support_threshold=self.settings.support_threshold,
            chat_model=chat_model,
            llm_label=label,
        )
        self._pipelines[use_llm] = pipeline
        return pipeline

    def _open_retriever(self) -> HybridRetriever:
        from assistant.index.keywords import open_keywords
        from assistant.retrieval.hybrid import HybridRetriever

        expected = expected_manifest(self.settings, self.embedders)
        url = self.settings.chroma_url
        store = open_live(self.settings.index, expected, url, probe_first=self.probe_index)
        try:
            statements = StatementIndex.load(store.folder, store.articles)
            keywords = open_keywords(store)
        except BaseException:
            store.close()
            raise
        matcher = self._word_matcher()
        if matcher is not None:
            matcher.know(store.folder / WORDS_FOLDER)
        return HybridRetriever(
            store=store,
            keywords=keywords,
            statements=statements,
            embedders=self.embedders,
            models=list(self.settings.dense_models),
            k=self.settings.top_k,
            candidates_per_retriever=self.settings.candidates,
            lexical_weight=self.settings.lexical_weight,
            reranker=self._load_reranker(),
            word_matcher=matcher,
            question_dates=self.settings.question_dates,
            date_margin=self.settings.date_margin,
        )

    def _word_matcher(self) -> WordMatcher | None:
        """Matches words by the first dense model configured for it (USE by default); the
        one matcher keeps its word vectors across questions."""
        if self._matcher is None:
            embedder = word_vector_embedder(self.settings.dense_models, self.embedders)
            self._matcher = None if embedder is None else WordMatcher(embedder)
        return self._matcher

    def _load_reranker(self) -> object | None:
        if not self.settings.reranker_model:
            return None
        from sentence_transformers import CrossEncoder

        try:
            return CrossEncoder(self.settings.reranker_model, device="cpu")
        except (OSError, ValueError) as err:
            raise ModelError(
                f"Cannot load the reranker '{self.settings.reranker_model}' ({err}). Check the "
                "name or folder, or unset ASSISTANT_RERANKER_MODEL."
            ) from err


def article_json(record: ArticleRecord) -> dict:
    """An indexed article as `assistant articles --json`, the page's API and MCP give it."""
    keys = ("id", "title", "date", "date_source", "language", "author", "url", "source")
    return {key: getattr(record, key) for key in keys} | {"passages": record.passages}


def person_json(speaker: Speaker) -> dict:
    """A person quoted as `assistant people --json`, the page's API and MCP give them."""
    return {
        "name": speaker.name,
        "statements": speaker.statements,
        "articles": list(speaker.articles),
    }
