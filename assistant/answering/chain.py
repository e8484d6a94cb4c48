"""The assistant as a LangChain `Runnable` (`Assistant.chain()`), for LangChain callbacks,
tracing, `.batch`, `|` and streaming; a module of its own because LangChain's runnable
machinery takes half a second to import, which answering a question does not need."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig

from assistant.answering.answer import Answer


class AnswerChain(Runnable[dict, Any]):
    """The assistant as a LangChain `Runnable`.

    Input: ``{"question": str, "history": [{"role", "content"}, ...], "k": int, "since":
    "2024-06-01", "until": "2024-06-30", "as_of": "2024-07-02", "articles": ["en/*.txt"]}``
    (all but the question optional; dates and chosen articles as in `Assistant.ask`).
    Output: the `Answer`, or its JSON form (`as_json=True`). `.stream()` yields an LLM's
    reply piece by piece (str), then the `Answer`; without an LLM, or for a person question
    (its reply is checked before it is shown), only the `Answer`. LangChain callbacks and
    tracing see one run per question.
    """

    def __init__(self, ask: Callable[..., Answer], as_json: bool = False) -> None:
        self._ask = ask
        self._as_json = as_json

    def invoke(self, input: dict, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        return self._call_with_config(self._answer, input, config, **kwargs)

    def stream(
        self, input: dict, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[Any]:
        pieces: queue.Queue[str | None] = queue.Queue()
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["answer"] = self.invoke(input, config, on_token=pieces.put)
            except Exception as err:  # handed to the caller's thread below
                outcome["error"] = err
            finally:
                pieces.put(None)

        threading.Thread(target=work, daemon=True).start()
        while (piece := pieces.get()) is not None:
            yield piece
        if "error" in outcome:
            raise outcome["error"]
        yield outcome["answer"]

    def _answer(self, input: dict, on_token: Callable[[str], None] | None = None) -> Any:
        if not isinstance(input, dict):
            input = {"question": input}  # a bare question string
        dates = {key: input.get(key) for key in ("since", "until", "as_of", "articles")}
        answer = self._ask(
            input.get("question"), input.get("history"), input.get("k"), on_token=on_token, **dates
        )
        return answer.as_json() if self._as_json else answer
