"""Pure-Python work spread over the CPU's cores, for large batches only."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

_MIN_ITEMS = 200  # below this, starting worker processes costs more than it saves
# Or this many characters of text to parse: ~1 s of pure-Python parsing or splitting
# (~3 us a character), against ~0.2 CPU-s for forking a process that holds the models
# (~800 MB) and sending the results back: on two cores it pays from ~130k characters.
_MIN_CHARS = 300_000


def map_in_processes(
    function: Callable[[Item], Result],
    items: Sequence[Item],
    min_items: int = _MIN_ITEMS,
    chars: int = 0,
) -> list[Result]:
    """`[function(item) for item in items]`, on every core when there are at least
    `min_items` items (fewer, if each is a big piece of work), or when the items hold
    `chars` characters of text to parse, at least `_MIN_CHARS`.

    Workers are forked: a fresh interpreter would re-run the caller's `__main__` (scripts
    without a main guard would break), and they only run pure-Python parsing and
    splitting, never the parent's model or database threads. A worker runs its own calls
    in a plain loop: the cores are busy already. An exception in `function` is raised
    here, as in the plain loop.
    """
    workers = min(os.cpu_count() or 1, 8)
    in_worker = multiprocessing.parent_process() is not None
    enough = len(items) >= min_items or chars >= _MIN_CHARS
    if workers < 2 or len(items) < 2 or not enough or in_worker:
        return [function(item) for item in items]
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        # Chunks small enough that no worker is left with the last few alone.
        chunk = max(1, min(32, len(items) // (4 * workers)))
        return list(pool.map(function, items, chunksize=chunk))
