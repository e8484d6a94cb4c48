"""Which language a text is in (py3langid's naive Bayes model).

py3langid keeps its model LZMA-compressed and inflates all of it (79 MiB, half a second)
in every process that detects a language. It is prepared once into plain arrays
(`assistant.prepared`) whose rows are read as a text needs them: a question reads a few
dozen rows of the byte automaton and of the feature weights.
"""

from __future__ import annotations

import json
import threading
from array import array
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import numpy as np

_LANGUAGE_SAMPLE_CHARS = 3000
_FORMAT = 2  # of the prepared files
_STATES = 256  # the automaton's transitions per row: one per byte
_TYPECODES = {2: "H", 4: "I", 8: "L"}  # unsigned array typecodes by size, as py3langid's
_lock = threading.Lock()


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language (best guess; short texts are hard)."""
    language, _ = _identifier().classify(text[:_LANGUAGE_SAMPLE_CHARS])
    return language


def likeliest_language(text: str, candidates: tuple[str, ...]) -> str:
    """The likeliest of `candidates` (ISO 639-1 codes) for the text, by the same model."""
    ranked = _identifier().rank(text[:_LANGUAGE_SAMPLE_CHARS])
    return next((code for code, _ in ranked if code in candidates), candidates[0])


def _identifier():
    with _lock:  # the page answers on several threads; load the model once
        return _load_identifier()


@lru_cache(maxsize=1)
def _load_identifier():
    """The package's identifier over the prepared arrays, or as the package loads it when
    they cannot be prepared."""
    from py3langid import langid

    from assistant.prepared import cache_root, load_prepared

    stamp = f"{version('py3langid')}/{_FORMAT}"
    prepared = load_prepared(cache_root() / "py3langid", stamp, _prepare, _read)
    return prepared or langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE)


def _prepare(folder: Path) -> None:
    from py3langid import langid
    from py3langid.modelio import load_model

    ptc, pc, classes, nextmove, row, output = load_model(langid.MODEL_DIR / langid.MODEL_FILE)
    np.save(folder / "ptc.npy", np.asarray(ptc))
    np.save(folder / "pc.npy", np.asarray(pc))
    transitions = np.frombuffer(nextmove, dtype=f"u{nextmove.itemsize}")
    np.save(folder / "nextmove.npy", transitions.reshape(-1, _STATES))
    np.save(folder / "row.npy", np.frombuffer(row, dtype=f"u{row.itemsize}"))
    np.save(folder / "output.npy", np.asarray(output, dtype=np.int64))
    (folder / "classes.json").write_text(json.dumps(classes), encoding="utf-8")


def _read(folder: Path):
    """The identifier as the package builds it (`from_model_file`), from the prepared
    arrays, the two large ones read by rows as texts need them."""
    from py3langid import langid

    from assistant.prepared import Rows, load_npy

    classes = json.loads((folder / "classes.json").read_text(encoding="utf-8"))
    return langid.LanguageIdentifier(
        _KeptRows(Rows(folder / "ptc.npy")),
        load_npy(folder / "pc.npy"),
        classes,
        _Transitions(Rows(folder / "nextmove.npy")),
        load_npy(folder / "output.npy").tolist(),
        tk_row=load_npy(folder / "row.npy").tolist(),
    )


class _KeptRows:
    """Feature weight rows as the package indexes them (an array of row numbers -> their
    rows), each row read once: the features of a language's common letter sequences recur
    in every text."""

    def __init__(self, rows) -> None:
        self._rows = rows
        self._read: dict[int, np.ndarray] = {}

    def __getitem__(self, numbers) -> np.ndarray:
        found = self._read
        missing = [n for n in dict.fromkeys(numbers.tolist()) if n not in found]
        if missing:
            found.update(zip(missing, self._rows[np.array(missing)], strict=True))
        return np.stack([found[n] for n in numbers.tolist()])


class _Transitions:
    """The byte automaton's transition table as the package indexes it (row * 256 + byte
    -> next state, a plain int), each row read once when first reached."""

    def __init__(self, rows) -> None:
        self._rows = rows
        self._read: dict[int, array] = {}

    def __getitem__(self, index: int) -> int:
        row, byte = divmod(index, _STATES)
        found = self._read.get(row)
        if found is None:
            found = self._read[row] = array(_TYPECODES[self._rows.dtype.itemsize])
            found.frombytes(self._rows.row_bytes(row))
        return found[byte]
