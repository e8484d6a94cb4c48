"""Chat-model backends behind LangChain's `BaseChatModel`: Ollama, OpenAI(-compatible), llama.cpp.

Selected by settings (``ASSISTANT_LLM``, ``ASSISTANT_LLM_MODEL``, ``ASSISTANT_LLM_URL``);
API keys come only from the environment (``OPENAI_API_KEY``). A backend that is configured
but unusable is an error naming it; there is no silent fallback to another provider.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from assistant.errors import LLMError
from assistant.settings import Settings

if TYPE_CHECKING:  # importing it costs ~1 s; only LLM backends need it
    from collections.abc import Callable

    from langchain_core.language_models import BaseChatModel

OLLAMA_URL = "http://127.0.0.1:11434"


def describe_llm(settings: Settings) -> str:
    """A short label naming the backend and where it is, for messages."""
    if settings.llm == "llamacpp":
        return f"llama.cpp model {settings.llm_model}"
    url = settings.llm_url or (OLLAMA_URL if settings.llm == "ollama" else "api.openai.com")
    return f"{settings.llm} model {settings.llm_model or '(default)'} at {url}"


def make_chat_model(settings: Settings) -> BaseChatModel | None:
    """The configured chat model, or None for the extractive answerer.

    Raises:
        LLMError: the backend's package is missing or a required setting is not given.
    """
    if settings.llm == "extractive":
        return None
    if settings.llm == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(
            model=_required_model(settings),
            base_url=settings.llm_url or OLLAMA_URL,
            temperature=0,
            client_kwargs={"timeout": settings.llm_timeout},
        )
    if settings.llm in ("openai", "openai-compatible"):
        return _openai_model(settings)
    return _llamacpp_model(settings)


def _openai_model(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    api_key = os.environ.get("OPENAI_API_KEY")
    if settings.llm == "openai-compatible":
        if not settings.llm_url:
            raise LLMError(
                "--llm openai-compatible needs the server's URL: --llm-url "
                "http://127.0.0.1:8080/v1 (or ASSISTANT_LLM_URL)."
            )
        api_key = api_key or "not-needed"  # local servers accept any key
    elif not api_key:
        raise LLMError("No API key for OpenAI: set the OPENAI_API_KEY environment variable.")
    return ChatOpenAI(
        model=settings.llm_model or ("gpt-4o-mini" if settings.llm == "openai" else "default"),
        base_url=settings.llm_url,
        api_key=api_key,
        temperature=0,
        timeout=settings.llm_timeout,
        max_retries=0,  # an unreachable server should say so now, not after retries
    )


def _llamacpp_model(settings: Settings) -> BaseChatModel:
    model_path = _required_model(settings)
    if not os.path.isfile(model_path):
        raise LLMError(f"No GGUF model file at {model_path} (--llm-model takes its path).")
    try:
        from langchain_community.chat_models import ChatLlamaCpp
    except ImportError as err:
        raise LLMError(
            "In-process llama.cpp needs the optional packages: pip install 'assistant[llamacpp]'"
        ) from err
    return ChatLlamaCpp(model_path=model_path, temperature=0, n_ctx=8192, verbose=False)


def _required_model(settings: Settings) -> str:
    if not settings.llm_model:
        raise LLMError(f"--llm {settings.llm} needs --llm-model NAME (or ASSISTANT_LLM_MODEL).")
    return settings.llm_model


def call_llm(
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
