"""The answerer that has an LLM write the answer from the retrieved passages."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.answering.answer import MARKER, AbstainPolicy, Answer, abstention
from assistant.index.store import Hit
from assistant.models.llm import call_llm
from assistant.prompts import load_prompt
from assistant.retrieval.hybrid import Evidence

if TYPE_CHECKING:  # the chat model classes load LangChain's runnables (half a second)
    from langchain_core.language_models import BaseChatModel

    from assistant.answering.person_answers import PersonStatements

CANNOT_ANSWER = "I cannot answer this from the articles."
_FENCE_CLOSE = re.compile(r"</\s*passage\s*>", re.IGNORECASE)


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


class LLMAnswerer:
    """Has an LLM answer from the fenced passages, citing them as [n].

    The LLM is not called when no passage is evidence under `policy`. Markers pointing at no
    passage are removed; `support.SupportChecker` then checks each sentence and picks the
    quotes. With `on_token`, the reply is streamed as it is generated.
    """

    def __init__(
        self,
        chat_model: BaseChatModel,
        label: str,
        policy: AbstainPolicy,
        confidence: Callable[[Evidence], float],
    ) -> None:
        self.chat_model = chat_model
        self.label = label
        self.policy = policy
        self.confidence = confidence

    def answer(
        self,
        question: str,
        evidence: Evidence,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Raises:
        LLMError: the backend failed (unreachable, refused, timed out)."""
        hits = evidence.hits
        confidence = self.confidence(evidence)
        if not self.policy.answers(evidence, confidence):
            return abstention(question, hits, confidence)
        prompt = load_prompt("answer").format(passages=fence_passages(hits), question=question)
        return self._written(question, prompt, hits, confidence, on_token)

    def answer_person(self, question: str, statements: PersonStatements) -> Answer:
        """The LLM's answer from the passages holding the person's statements alone (no
        other person's words can be cited as theirs), at the confidence of the quoted
        answer. Not streamed: words given as someone's are shown only once checked.

        Raises:
            LLMError: the backend failed (unreachable, refused, timed out)."""
        hits = statements.passages()
        prompt = load_prompt("answer_person").format(
            passages=fence_passages(hits), question=question, name=statements.name
        )
        return self._written(question, prompt, hits, statements.confidence)

    def _written(
        self,
        question: str,
        prompt: str,
        hits: list[Hit],
        confidence: float,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """The LLM's reply to `prompt` about `hits` as an answer (unchecked); its refusal
        as an abstention."""
        from langchain_core.messages import HumanMessage, SystemMessage  # with an LLM only

        messages = [SystemMessage(load_prompt("system")), HumanMessage(prompt)]
        reply = call_llm(self.chat_model, messages, self.label, on_token)
        text = remove_unknown_markers(reply.strip(), len(hits))
        if not text or CANNOT_ANSWER.lower() in text.lower():
            return abstention(question, hits, confidence)
        return Answer(question, text, (), False, tuple(hits), confidence=confidence)


def remove_unknown_markers(text: str, passages: int) -> str:
    """Drop [n] markers that point at no passage (n outside 1..passages)."""
    cleaned = MARKER.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= passages else "", text)
    return re.sub(r"[ \t]+([.,;:!?])", r"\1", cleaned)
