"""Answers with numbered citations. The default needs no LLM: it quotes the best sentences."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from assistant.embeddings import PassageEmbeddings
from assistant.errors import LLMError
from assistant.keywords import content_words, tokenize
from assistant.passages import split_sentences
from assistant.prompts import load_prompt
from assistant.retrieval import zscore
from assistant.store import Hit

# Which sentences to quote: each candidate sentence's chance of holding the answer, a logistic
# model of its similarity to the question under e5 and under the second model (each z-scored
# over the candidate sentences) and the share of the question's words (names, numbers, terms)
# it contains. Fitted on the XQuAD tune half (benchmarks/tune.py): against the scoring it
# replaced (e5 similarity + passage similarity + word share) the best sentence holds the
# answer for 0.68 of English questions instead of 0.61 (German: 0.72 instead of 0.74), and
# the quotes hold it for 0.87 instead of 0.85 (German: 0.90 instead of 0.91) with fewer
# sentences quoted per answer (2.40 instead of 2.66; German 2.33 instead of 2.38).
QUOTE_WEIGHTS = np.array([1.18, 0.76, 2.22])  # the columns of `quotable_sentences`' features
QUOTE_BIAS = -3.42
# Further sentences are quoted while their chance is at least this share of the best one's.
_QUOTE_SHARE = 0.2
_MAX_QUOTES = 3
# Headings and photo credits ("US-Unterhändler loben Ukrainer", "(Quelle: Saul Loeb)") give
# passages context but answer nothing, so fragments this short are never quoted.
_MIN_QUOTE_WORDS = 4


@dataclass(frozen=True)
class Citation:
    """One quoted sentence (or run of sentences). Offsets index the article's text."""

    n: int
    article_id: str
    title: str
    date: str | None
    source: str
    passage_id: str
    passage: str
    quote: str
    start: int
    end: int
    score: float  # the quote's similarity to the question; higher = closer


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of an answer, the passage numbers it cites, and whether they support it."""

    text: str
    citations: tuple[int, ...]
    supported: bool


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    retrieved: tuple[Hit, ...]  # rank order, best first
    sentences: tuple[AnswerSentence, ...] = ()

    def as_json(self) -> dict:
        """The documented JSON shape shared by the CLI and the web API."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [
                {
                    "n": c.n,
                    "article_id": c.article_id,
                    "title": c.title,
                    "date": c.date,
                    "source": c.source,
                    "passage": c.passage,
                    "quote": c.quote,
                    "start": c.start,
                    "end": c.end,
                    "score": round(c.score, 4),
                }
                for c in self.citations
            ],
            "sentences": [
                {"text": s.text, "citations": list(s.citations), "supported": s.supported}
                for s in self.sentences
            ],
            "retrieved": [
                {
                    "article_id": h.article.id,
                    "title": h.article.title,
                    "source": h.article.source,
                    "passage": h.passage.text,
                    "score": round(h.score, 4),
                }
                for h in self.retrieved
            ],
        }


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
class SentenceVectors:
    """One model's view of a question: its vector, and the stored vectors of the retrieved
    passages' sentences, by (passage id, sentence ordinal)."""

    question: np.ndarray
    sentences: Mapping[tuple[str, int], np.ndarray]


def abstention(question: str, retrieved: list[Hit]) -> Answer:
    """The fixed "the articles don't say" answer, with no citations."""
    text = load_prompt("abstain").format(question=question.strip())
    return Answer(question, text, (), abstained=True, retrieved=tuple(retrieved))


@dataclass(frozen=True)
class AbstainPolicy:
    """Dense-similarity floors below which a passage does not count as evidence.

    Cosine similarities of e5 run higher within a language than across languages, so
    each case has its own floor.
    """

    question_language: str
    same_language: float
    cross_lingual: float

    def is_evidence(self, hit: Hit) -> bool:
        same = hit.language == self.question_language
        return hit.dense >= (self.same_language if same else self.cross_lingual)


def answer_extractively(
    question: str,
    vectors: SentenceVectors,
    hits: list[Hit],
    policy: AbstainPolicy,
    query: str | None = None,
    second: SentenceVectors | None = None,
) -> Answer:
    """Quote the sentences of `hits` that best answer the question, each cited as [n].

    Args:
        vectors: the question's e5 vector and the hits' stored sentence vectors.
        query: what was searched for, when not the question itself (a follow-up made
            standalone); its words are looked for in the sentences.
        second: the same for the second model, when one is configured.

    Abstains (no citations) when no hit is evidence under `policy`.
    """
    asked = content_words(query or question, policy.question_language)
    sentences, features = quotable_sentences(hits, asked, vectors, second)
    if not sentences or not any(policy.is_evidence(h) for h in hits):
        return abstention(question, hits)
    chance = 1.0 / (1.0 + np.exp(-(features @ QUOTE_WEIGHTS + QUOTE_BIAS)))
    order = np.argsort(-chance, kind="stable")
    floor = _QUOTE_SHARE * chance[order[0]]
    chosen = [i for i in order[:_MAX_QUOTES] if chance[i] >= floor]
    citations = tuple(
        _citation(n, s.hit, s.start, s.end, float(s.vector @ vectors.question))
        for n, s in enumerate((sentences[i] for i in chosen), start=1)
    )
    # A bracketed number inside an article ("cite [9]") would read as a citation marker.
    text = " ".join(_MARKER.sub(r"(\1)", c.quote) + f" [{c.n}]" for c in citations)
    return Answer(question, text, citations, abstained=False, retrieved=tuple(hits))


def quotable_sentences(
    hits: list[Hit],
    asked: set[str],
    vectors: SentenceVectors,
    second: SentenceVectors | None = None,
) -> tuple[list[QuotableSentence], np.ndarray]:
    """The hits' sentences worth quoting and, per sentence, what says it answers the question:
    its similarity to the question under e5 and under the second model (each z-scored over
    these sentences, as raw cosines run higher within a language than across), and the share
    of the question's content words (`asked`) it contains."""
    sentences = _unique_sentences(hits, vectors.sentences)
    if not sentences:
        return [], np.zeros((0, len(QUOTE_WEIGHTS)))
    similarity = np.stack([s.vector for s in sentences]) @ vectors.question
    shared = [len(asked & content_words(s.text, s.hit.language)) for s in sentences]
    features = np.column_stack(
        [
            zscore(similarity),
            zscore(_second_similarity(sentences, second)),
            np.array(shared) / max(len(asked), 1),
        ]
    )
    return sentences, features


def _second_similarity(
    sentences: list[QuotableSentence], second: SentenceVectors | None
) -> np.ndarray:
    """Each sentence's similarity to the question under the second model (0 where unknown)."""
    if second is None:
        return np.zeros(len(sentences))
    rows = [second.sentences.get(s.key) for s in sentences]
    return np.array([0.0 if row is None else float(row @ second.question) for row in rows])


def _unique_sentences(
    hits: list[Hit], vectors: Mapping[tuple[str, int], np.ndarray]
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
            if key in seen or vector is None or len(text.split()) < _MIN_QUOTE_WORDS:
                continue
            seen.add(key)
            sentences.append(QuotableSentence(hit, (passage.id, ordinal), start, end, text, vector))
    return sentences


def _citation(n: int, hit: Hit, start: int, end: int, score: float) -> Citation:
    """Citation `n`: the article span [start, end) of `hit`'s passage as the quote."""
    return Citation(
        n=n,
        article_id=hit.article.id,
        title=hit.article.title,
        date=hit.article.date,
        source=hit.article.source,
        passage_id=hit.passage.id,
        passage=hit.passage.text,
        quote=hit.passage.excerpt(start, end),
        start=start,
        end=end,
        score=score,
    )


# --- answers written by an LLM ---------------------------------------------------------------

CANNOT_ANSWER = "I cannot answer this from the articles."
_MARKER = re.compile(r"\[(\d+)\]")
_MARKER_WITH_SPACE = re.compile(r"\s*\[\d+\]")
# "Sentence. [1] Next" -> "Sentence [1]. Next": a marker belongs to the sentence before it.
_MARKERS_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d+\])+)")
_FENCE_CLOSE = re.compile(r"</\s*passage\s*>", re.IGNORECASE)
# An answer sentence whose content words mostly appear in a cited passage is supported even
# when the embeddings disagree (names, numbers).
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SUPPORTING_WORD_SHARE = 0.6


def fence_passages(hits: list[Hit]) -> str:
    """The passages as numbered, delimited data blocks (spotlighting, Hines et al. 2024).

    An article cannot close the fence early: a closing tag inside its text is escaped.
    """
    blocks = []
    for n, hit in enumerate(hits, start=1):
        title = html.escape(hit.article.title, quote=True)
        date = html.escape(hit.article.date or "", quote=True)
        text = _FENCE_CLOSE.sub("&lt;/passage&gt;", hit.passage.text)
        blocks.append(f'<passage n="{n}" title="{title}" date="{date}">\n{text}\n</passage>')
    return "\n\n".join(blocks)


def answer_with_llm(
    question: str,
    hits: list[Hit],
    chat_model: BaseChatModel,
    policy: AbstainPolicy,
    checker: SupportChecker,
    llm_label: str,
    on_token: Callable[[str], None] | None = None,
) -> Answer:
    """Have the LLM answer from the fenced passages; then repair and check its citations.

    The LLM is not called when no passage is evidence. Markers pointing at no passage are
    removed; each sentence is checked against the passages it cites. With `on_token`, the
    reply is streamed to it as it is generated (before the repair).

    Raises:
        LLMError: the backend failed (unreachable, refused, timed out).
    """
    if not any(policy.is_evidence(h) for h in hits):
        return abstention(question, hits)
    messages = [
        SystemMessage(load_prompt("system")),
        HumanMessage(
            load_prompt("answer").format(passages=fence_passages(hits), question=question)
        ),
    ]
    reply = _call_llm(chat_model, messages, llm_label, on_token)
    text = remove_unknown_markers(reply.strip(), len(hits))
    if not text or CANNOT_ANSWER.lower() in text.lower():
        return abstention(question, hits)
    sentences = checker.check(text, dict(enumerate(hits, start=1)))
    citations = checker.citations(hits, sentences)
    return Answer(question, text, citations, False, tuple(hits), tuple(sentences))


def condense_question(
    question: str, history: list[dict], chat_model: BaseChatModel, llm_label: str
) -> str:
    """Have the LLM rewrite a follow-up as a standalone question (for retrieval)."""
    lines = [f"{m.get('role', 'user')}: {m.get('content', '')}" for m in history[-6:]]
    prompt = load_prompt("condense").format(history="\n".join(lines), question=question)
    return _call_llm(chat_model, [HumanMessage(prompt)], llm_label).strip() or question


def _call_llm(
    chat_model: BaseChatModel,
    messages: list,
    llm_label: str,
    on_token: Callable[[str], None] | None = None,
) -> str:
    """The model's reply text, streamed to `on_token` when given.

    Raises:
        LLMError: any failure of the backend (unreachable, refused, timed out).
    """
    try:
        if on_token is None:
            return str(chat_model.invoke(messages).content)
        reply = ""
        for chunk in chat_model.stream(messages):
            reply += str(chunk.content)
            on_token(str(chunk.content))
        return reply
    except Exception as err:  # any transport or server failure of the backend
        raise LLMError(
            f"The LLM ({llm_label}) did not answer: {err}. Check that it is running and "
            "reachable, or use --llm extractive."
        ) from err


def remove_unknown_markers(text: str, passages: int) -> str:
    """Drop [n] markers that point at no passage (n outside 1..passages)."""
    cleaned = _MARKER.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= passages else "", text)
    return re.sub(r"[ \t]+([.,;:!?])", r"\1", cleaned)


@dataclass
class SupportChecker:
    """Checks each answer sentence against the passages it cites.

    A sentence is supported when every number in it appears in a passage it cites and, for
    one such passage, some sentence of it is close (embedding cosine >= `threshold`) or the
    passage holds most of its content words.
    """

    embedder: PassageEmbeddings
    sentence_vectors: Mapping[tuple[str, int], np.ndarray]
    language: str
    threshold: float

    def check(self, text: str, cited: Mapping[int, Hit]) -> list[AnswerSentence]:
        """Each sentence of `text` with the markers it carries; `cited` maps marker -> passage."""
        text = _MARKERS_AFTER_STOP.sub(lambda m: m.group(2) + m.group(1), text)
        texts = [text[s.start : s.end] for s in split_sentences(text, self.language)]
        return self.check_sentences(texts, cited)

    def check_sentences(self, texts: list[str], cited: Mapping[int, Hit]) -> list[AnswerSentence]:
        """The same for an answer already split into sentences."""
        numbers = [
            tuple(dict.fromkeys(n for n in map(int, _MARKER.findall(t)) if n in cited))
            for t in texts
        ]
        verdicts = [
            self._settled_without_embedding(t, [cited[n] for n in ns]) if ns else False
            for t, ns in zip(texts, numbers, strict=True)
        ]
        # Only sentences the cheap tests leave open are embedded (quotes never are).
        open_rows = [i for i, verdict in enumerate(verdicts) if verdict is None]
        if open_rows:
            plain = [_MARKER_WITH_SPACE.sub("", texts[i]) for i in open_rows]
            for i, vector in zip(open_rows, self.embedder.embed_passages(plain), strict=True):
                verdicts[i] = self._close(vector, [cited[n] for n in numbers[i]])
        return [
            AnswerSentence(t, ns, bool(v))
            for t, ns, v in zip(texts, numbers, verdicts, strict=True)
        ]

    def citations(self, hits: list[Hit], sentences: list[AnswerSentence]) -> tuple[Citation, ...]:
        """One citation per cited passage number, quoting the passage's sentence closest to
        the answer sentences that cite it."""
        cited = sorted({n for s in sentences for n in s.citations})
        citing = [" ".join(s.text for s in sentences if n in s.citations) for n in cited]
        targets = self.embedder.embed_passages([_MARKER_WITH_SPACE.sub("", t) for t in citing])
        return tuple(
            self._closest_sentence(n, hits[n - 1], target)
            for n, target in zip(cited, targets, strict=True)
        )

    def _closest_sentence(self, n: int, hit: Hit, target: np.ndarray) -> Citation:
        best, best_score = 0, -1.0
        for ordinal in range(len(hit.passage.sentences)):
            vector = self.sentence_vectors.get((hit.passage.id, ordinal))
            if vector is not None and float(vector @ target) > best_score:
                best, best_score = ordinal, float(vector @ target)
        start, end = hit.passage.sentences[best]
        return _citation(n, hit, start, end, best_score)

    def _settled_without_embedding(self, text: str, cited: list[Hit]) -> bool | None:
        """False if a number is missing, True if the words mostly match, else None (open)."""
        plain = _MARKER_WITH_SPACE.sub("", text)
        # Embeddings barely tell 30 from 60: every number must stand in a cited passage.
        cited_text = " ".join(hit.passage.text for hit in cited)
        if any(number not in cited_text for number in _NUMBER.findall(plain)):
            return False
        for hit in cited:
            # Stem both in the passage's language: a quote is in that language, and words
            # of another language would not match anyway.
            words = set(tokenize(plain, hit.language))
            passage_words = set(tokenize(hit.passage.text, hit.language))
            if words and len(words & passage_words) / len(words) >= _SUPPORTING_WORD_SHARE:
                return True
        return None

    def _close(self, vector: np.ndarray, cited: list[Hit]) -> bool:
        """Whether some sentence of a cited passage is within the threshold of `vector`."""
        for hit in cited:
            for ordinal in range(len(hit.passage.sentences)):
                stored = self.sentence_vectors.get((hit.passage.id, ordinal))
                if stored is not None and float(stored @ vector) >= self.threshold:
                    return True
        return False


def with_checked_sentences(answer: Answer, checker: SupportChecker) -> Answer:
    """The extractive answer with its sentences checked too (a guard on the quoting)."""
    if answer.abstained:
        return answer
    by_passage = {h.passage.id: h for h in answer.retrieved}
    cited = {c.n: by_passage[c.passage_id] for c in answer.citations}
    # The answer is its quotes, one per citation: no need to split it again.
    quotes = [f"{c.quote} [{c.n}]" for c in answer.citations]
    return replace(answer, sentences=tuple(checker.check_sentences(quotes, cited)))
