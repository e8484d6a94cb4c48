"""All configuration in one place: environment variables with the prefix ``ASSISTANT_``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.fitted import (
    ConfidenceFloor,
    Floors,
    QuoteModel,
    Retrieval,
    Support,
    fitted,
    ordered,
)


class DenseModel(BaseModel):
    """One dense model of the fused retriever, and how much its similarities count."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(
        description=(
            "'default' (the bundled multilingual-e5-small), 'use-multilingual-v3' (Universal "
            "Sentence Encoder, pure numpy), 'hashing' (model-free word hashing, for tests "
            "and trials), or a sentence-transformers model id or folder."
        )
    )
    weight: float = Field(
        1.0, ge=0.0, description="Weight of its z-scored similarity in the fused ranking."
    )
    quote_weight: float = Field(
        0.0,
        description=(
            "Weight of its z-scored sentence similarity in the model that picks the "
            "sentences to quote (benchmarks/tune.py fits it)."
        ),
    )
    closest_sentence: bool = Field(
        False,
        description=(
            "Score a passage by its closest sentence when that is closer: for models that "
            "blur a whole passage into one vector."
        ),
    )
    word_vectors: bool = Field(
        False,
        description=(
            "Compare the question's words with the sentences' by this model's vectors of "
            "single words (across languages), when picking sentences to quote."
        ),
    )


def default_dense_models() -> list[DenseModel]:
    """e5 (bundled) and USE with their fitted weights (assistant/fitted/retrieval.json and
    quote_model.json). USE's errors differ from e5's, so fusing it lifts cross-lingual
    recall; a passage's USE similarity is its own or its closest sentence's."""
    names = ("default", "use-multilingual-v3")
    fusion = ordered(Retrieval, "dense_weights", names)
    quoting = ordered(QuoteModel, "similarity_weights", names)
    return [
        DenseModel(model="default", weight=fusion[0], quote_weight=quoting[0]),
        DenseModel(
            model="use-multilingual-v3",
            weight=fusion[1],
            quote_weight=quoting[1],
            closest_sentence=True,
            word_vectors=True,
        ),
    ]


def default_model_cache() -> Path:
    """The model cache unless ``ASSISTANT_MODEL_CACHE`` moves it: ``$XDG_CACHE_HOME`` (else
    ``~/.cache``)/assistant/models."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "assistant" / "models"


class Settings(BaseSettings):
    """Settings for every stage; each field can be set as ``ASSISTANT_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="forbid")

    seeds: Path = Field(Path("seeds"), description="Folder of article files to index.")
    index: Path = Field(Path("index"), description="Folder where the index is kept.")
    words: Path | None = Field(
        None,
        description=(
            "Folder of language files (<code>.toml, as in assistant/language/words/) to "
            "read articles and questions with instead of the shipped ones: the languages "
            "read are the files there."
        ),
    )
    chroma_url: str | None = Field(
        None,
        description=(
            "A Chroma server (e.g. http://127.0.0.1:8000, started with `chroma run`) to keep "
            "the vectors on instead of the embedded store in the index folder."
        ),
    )
    model_cache: Path = Field(
        default_factory=default_model_cache,
        description="Where the default embedding model is built on first use.",
    )
    dense_models: list[DenseModel] = Field(
        default_factory=default_dense_models,
        min_length=1,
        description=(
            "The dense (embedding) models fused in retrieval and quoting, as JSON, e.g. "
            '[{"model": "default"}, {"model": "use-multilingual-v3", "weight": 0.4}]. The '
            "first is the primary: abstention floors and the citation check use its "
            "similarities. Changing the list needs `assistant index --rebuild`; changing "
            "weights does not."
        ),
    )
    query_prompt: str = Field("query: ", description="Prefix for questions (custom models).")
    passage_prompt: str = Field("passage: ", description="Prefix for passages (custom models).")
    embedding_threads: int = Field(2, ge=1, description="CPU threads for embedding.")
    embedding_batch_size: int = Field(
        32,
        ge=1,
        description=(
            "Texts per embedding batch of a sentence-transformers model (the default model "
            "embeds one text per call)."
        ),
    )
    index_batch: int = Field(
        256,
        ge=1,
        description="Passages embedded and written per step while indexing (bounds memory).",
    )
    passage_chars: int = Field(
        500, ge=100, description="Target passage length in characters (whole sentences)."
    )
    passage_overlap: int = Field(
        1, ge=0, le=3, description="Sentences shared by neighbouring passages of a paragraph."
    )
    top_k: int = Field(5, ge=1, le=50, description="Passages handed to the answerer.")
    candidates: int = Field(40, ge=5, description="Passages each retriever proposes before fusion.")
    lexical_weight: float = Field(
        default_factory=lambda: fitted(Retrieval).lexical_weight,
        ge=0.0,
        description=(
            "Weight of BM25 in the fused score; applied only when question and passage "
            "share a language."
        ),
    )
    abstain_below: float = Field(
        default_factory=lambda: fitted(Floors).same_language,
        description=(
            "Abstain when no passage in the question's language reaches this dense "
            "similarity (cosine, higher = closer). Default fitted on XQuAD de->de "
            "(assistant/fitted/floors.json)."
        ),
    )
    abstain_below_cross_lingual: float = Field(
        default_factory=lambda: fitted(Floors).cross_lingual,
        description=(
            "The same for passages in another language than the question; similarities "
            "across languages run lower. Default fitted on XQuAD en->de (floors.json)."
        ),
    )
    abstain_below_confidence: float = Field(
        default_factory=lambda: fitted(ConfidenceFloor).min_confidence,
        description=(
            "Abstain also when the answer's confidence (the chance that the articles answer "
            "the question) is below this. Default tuned on XQuAD's tune half "
            "(assistant/fitted/confidence_floor.json)."
        ),
    )
    question_dates: Literal["filter", "prefer", "ignore"] = Field(
        "filter",
        description=(
            "How days a question names ('in June 2024', 'last week') are used: 'filter' "
            "answers from the articles dated then when one of them is on the topic (else "
            "from all, and the answer says so); 'prefer' ranks them higher; 'ignore'. "
            "Filters given with the question (since/until) always restrict."
        ),
    )
    date_margin: float = Field(
        1.0,
        ge=0.0,
        description=(
            "How far (z units of the fused score) the best passage of the named days may "
            "rank below the best of any date and still be used alone; also how far below "
            "the best the passages a 'latest'/'first' question orders by date may rank."
        ),
    )
    reranker_model: str | None = Field(
        None, description="Optional sentence-transformers cross-encoder id or folder."
    )
    llm: Literal["extractive", "ollama", "openai", "openai-compatible", "llamacpp"] = Field(
        "extractive",
        description="Who writes answers: the built-in extractive answerer or an LLM backend.",
    )
    llm_model: str | None = Field(
        None, description="The LLM's model name (a GGUF file path for llamacpp)."
    )
    llm_url: str | None = Field(
        None, description="The LLM server's base URL (Ollama or an OpenAI-compatible server)."
    )
    llm_timeout: float = Field(120.0, gt=0, description="Seconds to wait for the LLM.")
    support_threshold: float = Field(
        default_factory=lambda: fitted(Support).threshold,
        description=(
            "An answer sentence counts as supported when its embedding's cosine with a "
            "sentence of a passage it cites reaches this (or their words mostly overlap). "
            "Default calibrated on XQuAD (assistant/fitted/support.json)."
        ),
    )
    web_hosts: str = Field(
        "",
        description=(
            "Comma-separated host names the page answers to besides loopback and the address "
            "it listens on (e.g. the name it is reached by on a network)."
        ),
    )
    web_auth: str | None = Field(
        None, description="user:password required for the page and its API (`serve --auth`)."
    )
