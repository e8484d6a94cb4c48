"""The watched folder: how soon a file dropped into it is answerable.

    python benchmarks/watch.py              # 5 drops on the seed index, default models
    python benchmarks/watch.py --drops 9

As `assistant serve --watch` runs it: one process, the default models loaded, the seed
article indexed, a `FolderWatch` in a background thread. Each drop writes a made-up article
(a mayor quoted on a new library) into the folder, waits until the watch has synced it, and
asks the question it answers; a drop counts as answerable when the answer cites the new
file. Printed per drop and as the median: seconds from the write to the end of the sync,
and to the answer, and the CPU seconds spent meanwhile (with the probes' processes): on a
busy machine the wall times grow, the CPU seconds do not. The file is removed again (and
that sync awaited) before the next drop.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from assistant.surfaces.api import Assistant
from assistant.surfaces.watch import FolderWatch, IndexChange

REPO = Path(__file__).resolve().parent.parent
TOWNS = ["Harbourton", "Kesselberg", "Marsfield", "Westbrook", "Talheim", "Eastmoor",
         "Rosenfeld", "Northgate", "Oberau"]  # fmt: skip
MAYORS = ["Anna Berg", "Jonas Keller", "Maria Lind", "Tomas Reyes", "Lea Novak", "Peter Hall",
          "Ines Varga", "Oskar Brandt", "Nora Quist"]  # fmt: skip
TIMEOUT_SECONDS = 120


def article(town: str, mayor: str, day: int) -> str:
    """A made-up article quoting `mayor` on the new library of `town`."""
    return (
        f"date 2026-05-{day:02d} {town} opens a library in its old railway station\n\n"
        f"The town of {town} opened a public library in its former railway station on "
        f"Saturday. The building had stood empty for eleven years. "
        f'Mayor {mayor} said: "The library of {town} will be open every day of the week, '
        f'and children will borrow books for free."\n\n'
        f"The conversion cost 4.2 million euros, most of it paid by the regional government. "
        f"Some residents had asked for a sports hall instead.\n"
    )


class Syncs:
    """The watch's syncs as they end: each one's outcome, with the time it ended."""

    def __init__(self) -> None:
        self.done: list[tuple[float, IndexChange]] = []
        self.arrived = threading.Condition()

    def record(self, change: IndexChange) -> None:
        with self.arrived:
            self.done.append((time.perf_counter(), change))
            self.arrived.notify_all()

    def wait_for(self, test) -> float:
        """The time the first sync recorded from now on that passes `test` ended."""
        with self.arrived:
            start = len(self.done)
            deadline = time.monotonic() + TIMEOUT_SECONDS
            while True:
                for ended, change in self.done[start:]:
                    if change.report is not None and test(change.report):
                        return ended
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the watch did not sync the change")
                self.arrived.wait(left)


def drop(assistant: Assistant, syncs: Syncs, folder: Path, number: int) -> dict:
    """Drop article `number`, and time its sync and its first answer; then remove it."""
    town, mayor = TOWNS[number % len(TOWNS)], MAYORS[number % len(MAYORS)]
    name = f"library-{number}.txt"
    written, cpu = time.perf_counter(), _cpu_seconds()
    (folder / name).write_text(article(town, mayor, number + 1), encoding="utf-8")
    synced = syncs.wait_for(lambda report: name in report.added)
    answer = assistant.ask(f"What did {mayor} say about the library in {town}?")
    answered, cpu = time.perf_counter(), _cpu_seconds() - cpu
    cited = [c.article_id for c in answer.citations]
    (folder / name).unlink()
    syncs.wait_for(lambda report: name in report.removed)
    return {
        "synced_s": synced - written,
        "answered_s": answered - written,
        "answerable": name in cited,
        "cpu_s": cpu,
    }


def _cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (the probes) so far."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drops", type=int, default=5, help="Files dropped, one at a time.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="assistant-watch-") as work:
        folder = Path(work) / "seeds"
        shutil.copytree(REPO / "seeds", folder)
        assistant = Assistant(seeds=folder, index=Path(work) / "index")
        assistant.sync()
        assistant.probe_index = True  # as `serve` does: each new generation is probed first
        assistant.warm_up()  # as `serve` does before it starts the watch
        syncs = Syncs()
        watch = FolderWatch(assistant, on_change=syncs.record)
        watch.start()
        syncs.wait_for(lambda report: True)  # caught up: it is watching now
        try:
            runs = [drop(assistant, syncs, folder, number) for number in range(args.drops)]
        finally:
            watch.stop()
    print("drop  synced (s)  answered (s)  CPU (s)  cites the new file")
    for number, run in enumerate(runs, 1):
        times = f"{run['synced_s']:>10.2f}  {run['answered_s']:>12.2f}  {run['cpu_s']:>7.2f}"
        print(f"{number:>4}  {times}  {run['answerable']}")
    synced = statistics.median(run["synced_s"] for run in runs)
    answered = statistics.median(run["answered_s"] for run in runs)
    cpu = statistics.median(run["cpu_s"] for run in runs)
    answerable = sum(run["answerable"] for run in runs)
    print(
        f"median: synced {synced:.2f} s, answered {answered:.2f} s after the write "
        f"({cpu:.2f} CPU-s); {answerable}/{len(runs)} answers cite the dropped file"
    )


if __name__ == "__main__":
    main()
