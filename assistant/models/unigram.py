"""The default model's tokenizer for questions: the same ids as `tokenizers`, in a tenth of
the memory.

`tokenizers` builds a byte trie of e5's 250k pieces on load: 250 MiB and 0.8 s in every
process, for a question of a few dozen tokens. Here the pieces are one sorted list: the
pieces that start a text are found by bisection (a key that starts with a prefix sorts
right after it), and the best segmentation is `tokenizers`' own (Unigram's
`encode_optimized`: Viterbi over characters, unknown characters fused into one `<unk>`).
Normalization and pre-tokenization are the model's own objects from `tokenizers`, so only
the segmentation is reimplemented; preparing checks it against the full tokenizer.

Passages keep the full tokenizer: their character offsets pool sentence vectors.
"""

from __future__ import annotations

import json
import re
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from pathlib import Path

import numpy as np

FORMAT = 1  # of the prepared files (a new one is prepared again)
_SEPARATOR = "\0"  # between pieces in the prepared list (no piece holds it: checked)
_UNKNOWN_PENALTY = 10.0  # an unknown character scores this far below the rarest piece
_KNOWN_WORDS = 10_000  # segmented words kept (then forgotten all at once)
# Texts whose ids must come out as the full tokenizer's (odd spaces, controls, marks, CJK,
# emoji, specials written out, fullwidth forms NFKC turns into pieces).
CHECK_TEXTS = (
    "What did Rubio say about Russia?",
    "query: Wer ist Mike Waltz? ¿Qué dijo? Qu'a-t-il dit à l'ONU ?",
    "  two  spaces\tand\u00a0no-break\u2003em\u200bzero-width\x00nul ",
    "".join(map(chr, range(0xFF21, 0xFF3F))) + " \uff1c\uff53\uff1e ﬁ ǅ ① ² ㎏ Ⅻ",  # fullwidth
    "<s>special</s> <mask> <unk><pad>x",
    "東京で会談 한국어 العربية עברית हिन्दी ไทย 🙂👍🏽 e\u0301 \U0001f600\U000e0001",
    "",
    " ",
    "a" * 3000,
    "Zahlen: 1.234,56 € \u2013 30 % \u2013 2025-03-11 \u2013 +49 (0)30",
)


class UnigramTokenizer:
    """Token ids of a text, as the full tokenizer gives them (with truncation to
    `max_tokens` and the model's begin and end tokens).

    Args:
        pipeline: a `tokenizers.Tokenizer` with the model's normalizer and pre-tokenizer
            (its own model is not used).
        pieces: every piece, sorted (by code point).
        ids: the id of each piece in `pieces`.
        scores: each id's log-probability.
        special: the added tokens, matched in the raw text before normalization: text ->
            id.
        unknown: the id of `<unk>`; begin, end: the ids put around every text.
        max_tokens: ids kept at most, begin and end included.
    """

    def __init__(
        self,
        pipeline,
        pieces: list[str],
        ids: Sequence[int],
        scores: Sequence[float],
        special: dict[str, int],
        unknown: int,
        begin: int,
        end: int,
        max_tokens: int,
    ) -> None:
        self._normalizer = pipeline.normalizer
        self._pre_tokenizer = pipeline.pre_tokenizer
        self._pieces, self._ids, self._scores = pieces, ids, scores
        self._special = special
        # Leftmost-longest, as `tokenizers` matches added tokens.
        alternatives = sorted(special, key=len, reverse=True)
        self._special_pattern = re.compile("|".join(map(re.escape, alternatives)))
        self._unknown, self._begin, self._end = unknown, begin, end
        self._unknown_score = min(scores) - _UNKNOWN_PENALTY
        self._max_tokens = max_tokens
        self._known: dict[str, list[int]] = {}  # word -> ids: questions repeat their words

    def encode(self, text: str) -> list[int]:
        """The ids of `text`, begin and end tokens included."""
        ids: list[int] = []
        start = 0
        for match in self._special_pattern.finditer(text):
            if match.start() > start:
                ids += self._encode_plain(text[start : match.start()])
            ids.append(self._special[match.group()])
            start = match.end()
        if start < len(text):
            ids += self._encode_plain(text[start:])
        return [self._begin, *ids[: self._max_tokens - 2], self._end]

    def _encode_plain(self, text: str) -> list[int]:
        normalized = self._normalizer.normalize_str(text)
        words = self._pre_tokenizer.pre_tokenize_str(normalized)
        return [piece for word, _ in words for piece in self._word_ids(word)]

    def _word_ids(self, word: str) -> list[int]:
        found = self._known.get(word)
        if found is None:
            if len(self._known) >= _KNOWN_WORDS:
                self._known.clear()
            found = self._known[word] = self._segment(word)
        return found

    def _segment(self, word: str) -> list[int]:
        """The ids of the best segmentation of `word` (a pre-tokenized word)."""
        size = len(word)
        best = [0.0] * (size + 1)  # score of the best path ending at each position
        start = [-1] * (size + 1)  # where its last piece starts (-1: no path yet)
        last = [0] * (size + 1)  # that piece's id
        pieces, ids, scores = self._pieces, self._ids, self._scores
        count = len(pieces)
        for i in range(size):
            base = best[i]
            single = False
            low = 0
            for j in range(i + 1, size + 1):
                prefix = word[i:j]
                low = bisect_left(pieces, prefix, low)
                if low == count or not pieces[low].startswith(prefix):
                    break  # no piece starts with it, nor with anything longer
                if pieces[low] == prefix:
                    piece = ids[low]
                    score = scores[piece] + base
                    if start[j] < 0 or score > best[j]:
                        best[j], start[j], last[j] = score, i, piece
                    single = single or j == i + 1
            if not single:
                score = self._unknown_score + base
                if start[i + 1] < 0 or score > best[i + 1]:
                    best[i + 1], start[i + 1], last[i + 1] = score, i, self._unknown
        return self._backtrack(word, start, last)

    def _backtrack(self, word: str, start: list[int], last: list[int]) -> list[int]:
        """The path's ids, first to last; neighbouring unknown pieces are fused into one
        token, which is `<unk>` unless the fused text happens to be a piece."""
        found: list[int] = []
        fused: list[str] = []
        end = len(word)
        while end > 0:
            begin = start[end]
            if last[end] == self._unknown:
                fused.append(word[begin:end])
            else:
                if fused:
                    found.append(self._id_of("".join(reversed(fused))))
                    fused = []
                found.append(last[end])
            end = begin
        if fused:
            found.append(self._id_of("".join(reversed(fused))))
        found.reverse()
        return found

    def _id_of(self, text: str) -> int:
        at = bisect_left(self._pieces, text)
        if at < len(self._pieces) and self._pieces[at] == text:
            return self._ids[at]
        return self._unknown


def prepare(tokenizer_file: Path, folder: Path, max_tokens: int) -> None:
    """Write the prepared files of `tokenizer_file` (a Unigram `tokenizer.json`) into
    `folder`, then check them against the full tokenizer on `CHECK_TEXTS`.

    Raises:
        ValueError: not a tokenizer this class reproduces (another model type, added
            tokens that are not plain special tokens, another template), or the check
            failed.
    """
    config = json.loads(tokenizer_file.read_text(encoding="utf-8"))
    model = config["model"]
    if model["type"] != "Unigram" or model.get("byte_fallback"):
        raise ValueError("not a Unigram model without byte fallback")
    for added in config["added_tokens"]:
        if not added["special"] or added["normalized"] or added["lstrip"] or added["rstrip"]:
            raise ValueError(f"added token {added['content']!r} is not a plain special token")
        if added["single_word"]:
            raise ValueError(f"added token {added['content']!r} is single-word")
    vocabulary = model["vocab"]
    by_piece = {piece: number for number, (piece, _) in enumerate(vocabulary)}  # last wins
    if any(_SEPARATOR in piece for piece in by_piece):
        raise ValueError("a piece holds the separator")
    ordered = sorted(by_piece)
    (folder / "pieces.txt").write_text(_SEPARATOR.join(ordered), encoding="utf-8")
    np.save(folder / "ids.npy", np.array([by_piece[p] for p in ordered], dtype=np.int32))
    np.save(folder / "scores.npy", np.array([score for _, score in vocabulary], dtype=np.float64))
    full = _full_tokenizer(tokenizer_file, max_tokens)
    begin, end = full.encode("").ids
    settings = {
        "special": {added["content"]: added["id"] for added in config["added_tokens"]},
        "unknown": model["unk_id"],
        "begin": begin,
        "end": end,
        "max_tokens": max_tokens,
    }
    (folder / "tokenizer.json").write_text(json.dumps(settings), encoding="utf-8")
    model["vocab"] = vocabulary[: model["unk_id"] + 1]  # the pipeline needs no pieces
    (folder / "pipeline.json").write_text(json.dumps(config), encoding="utf-8")
    prepared = read(folder)
    for text in CHECK_TEXTS:
        if prepared.encode(text) != full.encode(text).ids:
            raise ValueError(f"prepared ids differ from the tokenizer's for {text[:40]!r}")


def read(folder: Path) -> UnigramTokenizer:
    """The tokenizer from its prepared files."""
    from tokenizers import Tokenizer

    from assistant.prepared import load_npy

    settings = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    pipeline = Tokenizer.from_str((folder / "pipeline.json").read_text(encoding="utf-8"))
    pieces = (folder / "pieces.txt").read_text(encoding="utf-8").split(_SEPARATOR)
    # Arrays, not lists: 2 MiB instead of 18, and each item read is a plain int or float.
    ids = array("i", load_npy(folder / "ids.npy").astype(np.int32).tobytes())
    scores = array("d", load_npy(folder / "scores.npy").astype(np.float64).tobytes())
    if len(ids) != len(pieces):
        raise ValueError("pieces and ids differ in number")
    return UnigramTokenizer(pipeline, pieces, ids, scores, **settings)


def _full_tokenizer(tokenizer_file: Path, max_tokens: int):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(max_tokens)
    tokenizer.no_padding()
    return tokenizer
