"""The keyword side: BM25 over every passage, each tokenized in its own language.

BM25 compares words, so it only helps when question and passage share a language; across
languages its hits are noise (equal-weight fusion of e5 and BM25 drops English-to-German
recall@5 from 0.975 to 0.708, ../shared/README.md). So a passage's keyword score counts
only when the passage is in the question's language.

The index is saved with its generation by the sync that writes it, so opening an index
reads no passage text (building it at open would read every passage back from Chroma and
tokenize it, 19 s at 100k passages, in every process). Each passage's tokens are saved
too, so the next sync tokenizes only the passages it adds before re-indexing.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from assistant.errors import IndexDamaged
from assistant.index.store import PassageStore
from assistant.language.tokens import bm25s_module, tokenize
from assistant.prepared import load_npy

logger = logging.getLogger(__name__)

FOLDER = "keywords"  # inside a generation folder
_EMPTY = ""  # the token of a passage with no words left (bm25s needs one per passage)


@dataclass
class TokenizedPassages:
    """Every passage's id, language and tokens (as ids into `vocabulary`)."""

    ids: list[str]
    languages: list[str]
    tokens: list[np.ndarray]
    vocabulary: list[str]

    @classmethod
    def of(cls, passages: Iterable[tuple[str, str, str]]) -> TokenizedPassages:
        """From (passage id, language, text) triples."""
        return cls([], [], [], []).with_added(passages)

    def with_added(self, passages: Iterable[tuple[str, str, str]]) -> TokenizedPassages:
        index = {token: i for i, token in enumerate(self.vocabulary)}
        ids, languages, tokens = list(self.ids), list(self.languages), list(self.tokens)
        vocabulary = list(self.vocabulary)
        for passage_id, language, text in passages:
            words = tokenize(text, language) or [_EMPTY]
            for word in words:
                if word not in index:
                    index[word] = len(vocabulary)
                    vocabulary.append(word)
            ids.append(passage_id)
            languages.append(language)
            tokens.append(np.array([index[w] for w in words], dtype=np.int32))
        return TokenizedPassages(ids, languages, tokens, vocabulary)

    def updated(self, live: set[str], changed: list[tuple[str, str, str]]) -> TokenizedPassages:
        """After a sync: the passages still `live`, where `changed` (id, language, text)
        are tokenized anew unless tokens in the same language are already here."""
        language_of = dict(zip(self.ids, self.languages, strict=True))
        redo = {p[0]: p for p in changed if language_of.get(p[0]) != p[1]}  # once per id
        return self.only(live - set(redo)).with_added(redo.values())

    def only(self, keep: set[str]) -> TokenizedPassages:
        """The passages whose ids are in `keep`."""
        rows = [i for i, pid in enumerate(self.ids) if pid in keep]
        return TokenizedPassages(
            [self.ids[i] for i in rows],
            [self.languages[i] for i in rows],
            [self.tokens[i] for i in rows],
            self.vocabulary,
        )

    def compacted(self) -> TokenizedPassages:
        """The same, with only the words some passage still uses in the vocabulary."""
        if not self.tokens:
            return TokenizedPassages([], [], [], [])
        used = np.zeros(len(self.vocabulary), dtype=bool)
        for tokens in self.tokens:
            used[tokens] = True
        if used.all():  # a fresh build's: nothing to renumber (nor to copy)
            return self
        # Each kept word's new number, in the vocabulary's order (as sorting would give).
        number = (np.cumsum(used) - 1).astype(np.int32)
        tokens = [number[t] for t in self.tokens]
        vocabulary = [word for word, kept in zip(self.vocabulary, used, strict=True) if kept]
        return TokenizedPassages(self.ids, self.languages, tokens, vocabulary)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        flat = np.concatenate(self.tokens) if self.tokens else np.zeros(0, np.int32)
        np.save(folder / "tokens.npy", flat.astype(np.int32))
        np.save(folder / "offsets.npy", np.cumsum([0] + [len(t) for t in self.tokens]))
        listing = {"ids": self.ids, "languages": self.languages, "vocabulary": self.vocabulary}
        (folder / "passages.json").write_text(json.dumps(listing), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> TokenizedPassages:
        listing = json.loads((folder / "passages.json").read_text(encoding="utf-8"))
        flat, offsets = load_npy(folder / "tokens.npy"), load_npy(folder / "offsets.npy")
        tokens = [flat[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)]
        return cls(listing["ids"], listing["languages"], tokens, listing["vocabulary"])


class _TokenLists(Sequence):
    """Each passage's token ids as a list, made as bm25s reads it (it reads them in turn,
    three times): all of them as lists at once took ~36 bytes a token, 200 MB at 100k
    passages, at the sync's end."""

    def __init__(self, tokens: list[np.ndarray]) -> None:
        self._tokens = tokens

    def __len__(self) -> int:
        return len(self._tokens)

    def __getitem__(self, row: int) -> list[int]:
        return self._tokens[row].tolist()


class KeywordIndex:
    """BM25 scores of every passage for a question, in the question's language only."""

    def __init__(self, ids: list[str], languages: list[str], bm25) -> None:
        self.ids = ids
        self.position = {pid: i for i, pid in enumerate(ids)}
        # Each passage's language as a number into `_language_names` (a byte a passage),
        # and per language asked its passages as BM25 weights (1 or 0), made once: every
        # question is scored in its language.
        names, codes = np.unique(np.array(languages, dtype=str), return_inverse=True)
        self._language_names: list[str] = names.tolist()
        self._language_codes = codes.astype(np.min_scalar_type(max(len(names) - 1, 0)))
        self._weights: dict[str, np.ndarray] = {}
        self._bm25 = bm25
        self._vocabulary = set(bm25.vocab_dict) - {_EMPTY} if bm25 is not None else set()

    def language(self, row: int) -> str:
        """The language of the passage in row `row` (its position in `ids`)."""
        return self._language_names[self._language_codes[row]]

    @classmethod
    def build(cls, passages: TokenizedPassages) -> KeywordIndex:
        bm25 = None
        if passages.ids:
            bm25 = _new_bm25()
            vocabulary = {token: i for i, token in enumerate(passages.vocabulary)}
            corpus = SimpleNamespace(ids=_TokenLists(passages.tokens), vocab=vocabulary)
            bm25.index(corpus, show_progress=False)
        return cls(passages.ids, passages.languages, bm25)

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), show_progress=False)

    def scores(self, question: str, language: str, among: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every passage (0 for passages in other languages, and for those
        `among` marks False when given: one flag per passage, in `ids` order)."""
        weights = self._language_weights(language)
        if among is not None:
            weights = weights * among
        tokens = [t for t in tokenize(question, language) if t in self._vocabulary]
        if not tokens or not weights.any():
            return np.zeros(len(self.ids), dtype=np.float32)
        return self._bm25.get_scores(tokens, weight_mask=weights)

    def _language_weights(self, language: str) -> np.ndarray:
        """1 for each passage in `language`, else 0 (float32, read-only)."""
        weights = self._weights.get(language)
        if weights is None:
            if language in self._language_names:
                code = self._language_names.index(language)
                weights = (self._language_codes == code).astype(np.float32)
            else:
                weights = np.zeros(len(self.ids), dtype=np.float32)
            weights.flags.writeable = False
            self._weights[language] = weights
        return weights

    def unheld(self, words: list[str], language: str) -> int:
        """How many of the words (stemmed in `language`, stop words left out, each counted
        once) no passage holds, in any language."""
        return len(set(tokenize(" ".join(words), language)) - self._vocabulary)


def save_keywords(generation: Path, passages: TokenizedPassages) -> None:
    """Save the passages' tokens and their BM25 index into a generation folder."""
    folder = generation / FOLDER
    shutil.rmtree(folder, ignore_errors=True)
    passages = passages.compacted()
    passages.save(folder)
    if passages.ids:
        KeywordIndex.build(passages).save(folder / "bm25")


# What reading a saved keyword index can raise when its files are cut short or mangled.
_UNREADABLE = (OSError, EOFError, ValueError, KeyError, TypeError, IndexError)


def saved_passages(generation: Path) -> TokenizedPassages | None:
    """The tokens saved with a generation, or None when it has none (or they are unreadable)."""
    try:
        return TokenizedPassages.load(generation / FOLDER)
    except _UNREADABLE as err:
        logger.debug("No saved keyword tokens in %s: %s", generation, err)
        return None


def load_keywords(generation: Path, count: int) -> KeywordIndex | None:
    """The BM25 index saved with a generation of `count` passages, memory-mapped; None when
    there is none or it does not cover exactly `count` passages."""
    try:
        return _load_keywords(generation, count)
    except _UNREADABLE as err:
        logger.warning("The saved keyword index of %s is unusable: %s", generation.name, err)
        return None


def keywords_damage(generation: Path, count: int) -> str | None:
    """What is wrong with the keyword index and tokens saved with a generation of `count`
    passages, in words; None when both are whole."""
    try:
        _load_keywords(generation, count)
        passages = TokenizedPassages.load(generation / FOLDER)
    except _UNREADABLE as err:
        return f"its keyword index is unusable ({err})"
    if len(passages.tokens) != count:
        return f"its keyword tokens are of {len(passages.tokens)} passages, not {count}"
    return None


def _load_keywords(generation: Path, count: int) -> KeywordIndex:
    folder = generation / FOLDER
    listing = json.loads((folder / "passages.json").read_text(encoding="utf-8"))
    if len(listing["ids"]) != count:
        raise ValueError(f"it lists {len(listing['ids'])} passages, the store holds {count}")
    if count == 0:
        return KeywordIndex([], [], None)
    bm25 = bm25s_module().BM25.load(str(folder / "bm25"), mmap=True, show_progress=False)
    return KeywordIndex(listing["ids"], listing["languages"], bm25)


def open_keywords(store: PassageStore) -> KeywordIndex:
    """The keyword index saved with the store's generation; built from its passages when
    the generation has none (written by an older version).

    Raises:
        IndexDamaged: the saved index is unusable or of other passages. (Built anew, it
            would rank passages of equal scores in another order: a silent change.)
    """
    if not (store.folder / FOLDER).exists():
        logger.info("Building the keyword index of %s in memory", store.folder.name)
        passages = TokenizedPassages.of((p.id, lang, p.text) for p, lang in store.all_passages())
        return KeywordIndex.build(passages)
    try:
        return _load_keywords(store.folder, store.count())
    except _UNREADABLE as err:
        raise IndexDamaged(store.folder, f"its keyword index is unusable ({err})") from err


def _new_bm25():
    return bm25s_module().BM25()
