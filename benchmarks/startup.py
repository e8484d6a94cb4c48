"""Start-up: what one cold `assistant ask` costs, and the page's first answer after start.

    python benchmarks/startup.py                      # seed index and 10k passages, ~10 min
    python benchmarks/startup.py --sizes seed --runs 3
    python benchmarks/startup.py --write-docs         # and write the table into docs/benchmarks.md
    python benchmarks/startup.py --breakdown          # what a cold question loads, piece by piece

Every measurement is a fresh process: `assistant ask QUESTION` on an index of the seed
article and on one of 10k passages, `ask -` with 20 questions in one process, and as the
floor `python -c "import chromadb"` (the store every answer needs), all in the same run
and interleaved, so a busy machine weighs on each alike. CPU is the child's user + system
time and peak its maximum resident set (`os.wait4`); CPU-seconds say more than wall time
on a shared machine. Each figure is the median of `--runs`.

The page: `assistant serve` is started, polled until it serves, and asked one question
over HTTP (`/gradio_api/call/ask`): how long until it serves, how long the first answer
takes after that, the server's CPU until then (with its children) and its peak memory.

The 10k index is made of generated articles (made-up sentences in English and German,
many of them quoted statements), indexed through the pipeline with a stand-in embedder
that gives every text a hashed unit vector under the real models' signatures: opening an
index and answering from it cost the same whatever its vectors hold, and questions are
still embedded by the real models. It is kept in `--work` between runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
from report import markdown_table, write_section

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SEED_QUESTION = "What did Rubio say about Russia?"
GENERATED_QUESTION = "What did Anna Berg say about the harbour expansion?"
BATCH_QUESTIONS = 20
WORK = Path(tempfile.gettempdir()) / "assistant-startup-benchmark"

# --- a generated corpus ----------------------------------------------------------------------

_PEOPLE = ["Anna Berg", "Jonas Keller", "Maria Lind", "Tomas Reyes", "Lea Novak", "Peter Hall",
           "Ines Varga", "Oskar Brandt", "Nora Quist", "Emil Sander", "Clara Wendt",
           "Ravi Mehta"]  # fmt: skip
_PLACES = ["Lindau", "Harbourton", "Kesselberg", "Marsfield", "Oberau", "Westbrook", "Talheim",
           "Eastmoor", "Rosenfeld", "Northgate"]  # fmt: skip
_TOPICS = [("harbour expansion", "Hafenerweiterung"), ("rail link", "Bahnverbindung"),
           ("school budget", "Schulhaushalt"), ("water prices", "Wasserpreise"),
           ("wind farm", "Windpark"), ("hospital merger", "Klinikfusion"),
           ("bridge repairs", "Brückensanierung"), ("bus timetable", "Busfahrplan"),
           ("housing plan", "Wohnungsbauplan"), ("flood defences", "Hochwasserschutz")]  # fmt: skip
_MONTHS = [("March", "März"), ("June", "Juni"), ("September", "September"),
           ("December", "Dezember")]  # fmt: skip
_ENGLISH = [
    '"The {topic} will cost {n} million euros, and we will not pay more," said {person}.',
    "{person} said the {topic} in {place} would be finished by {month}.",
    "The council of {place} met for {n} hours on Tuesday to discuss the {topic}.",
    'According to {person}, "nobody in {place} has seen the final plans for the {topic}."',
    "About {n} residents of {place} signed a letter against the {topic}.",
    "{person} told reporters that the {topic} had been delayed by {n} weeks.",
    "Critics in {place} argue that the {topic} favours the town centre.",
]
_GERMAN = [
    "„Die {topic} kostet {n} Millionen Euro, mehr zahlen wir nicht“, sagte {person}.",
    "{person} sagte, die {topic} in {place} werde bis {month} fertig.",
    "Der Rat von {place} beriet am Dienstag {n} Stunden lang über die {topic}.",
    "Nach Angaben von {person} hat in {place} niemand die endgültigen Pläne gesehen.",
    "Rund {n} Einwohner von {place} unterschrieben einen Brief gegen die {topic}.",
    "{person} erklärte, die {topic} verzögere sich um {n} Wochen.",
    "Kritiker in {place} meinen, die {topic} bevorzuge die Innenstadt.",
]


def _sentence(rng: random.Random, german: bool) -> str:
    topic = rng.choice(_TOPICS)[german]
    return rng.choice(_GERMAN if german else _ENGLISH).format(
        topic=topic,
        person=rng.choice(_PEOPLE),
        place=rng.choice(_PLACES),
        month=rng.choice(_MONTHS)[german],
        n=rng.randint(2, 900),
    )


def write_generated_articles(folder: Path, passages: int) -> None:
    """About `passages` passages of made-up news: articles of 5 paragraphs of 8-11 sentences
    (about two 500-character passages each), every other article in German."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(passages)
    for n in range(passages // 10):
        german = n % 2 == 1
        topic = rng.choice(_TOPICS)[german]
        paragraphs = [
            " ".join(_sentence(rng, german) for _ in range(rng.randint(8, 11))) for _ in range(5)
        ]
        header = f"date 2025-{1 + n % 12:02d}-{1 + n % 28:02d} {topic} ({n})"
        text = header + "\n\n" + "\n\n".join(paragraphs)
        (folder / f"article-{n:05d}.txt").write_text(text, encoding="utf-8")


def _hashed_vector(text: str, dimension: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha1(text.encode()).digest()[:8], "little")
    vector = np.random.default_rng(seed).standard_normal(dimension)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def stand_in_embedders() -> list:
    """Embedders with the real models' signatures and dimensions that hash texts instead of
    running a model (indexing only)."""
    from assistant.models.embeddings import PassageEmbeddings, make_embedders
    from assistant.settings import Settings

    class StandIn(PassageEmbeddings):
        def __init__(self, signature: str, dimension: int) -> None:
            self.signature, self._dimension = signature, dimension

        def embed_passages(self, texts: list[str]) -> np.ndarray:
            return np.stack([_hashed_vector(t, self._dimension) for t in texts])

        def embed_questions(self, texts: list[str]) -> np.ndarray:
            return self.embed_passages(texts)

    dimensions = {"use-multilingual-v3": 512}
    return [
        StandIn(real.signature, dimensions.get(real.signature, 384))
        for real in make_embedders(Settings())
    ]


def generated_index(work: Path, passages: int) -> tuple[Path, Path, int]:
    """(articles, index, passages held) of the generated corpus, built once into `work`, in
    a process of its own: a process forked from one holding an index build starts with its
    pages, and their peak would count as the measured commands' own."""
    seeds, index = work / f"generated-{passages}", work / f"index-{passages}"
    done = work / f"index-{passages}.json"
    if not done.exists():
        command = [sys.executable, __file__, "--stage", "generated", "--size", str(passages)]
        subprocess.run([*command, "--work", str(work)], check=True)
    return seeds, index, json.loads(done.read_text())["passages"]


def build_generated_index(work: Path, passages: int) -> None:
    from assistant.surfaces.api import Assistant

    seeds, index = work / f"generated-{passages}", work / f"index-{passages}"
    write_generated_articles(seeds, passages)
    builder = Assistant(seeds=seeds, index=index, embedders=stand_in_embedders())
    report = builder.sync(rebuild=True)
    print(report.summary(), file=sys.stderr)
    (work / f"index-{passages}.json").write_text(json.dumps({"passages": report.passages}))


def seed_index(work: Path) -> tuple[Path, Path, int]:
    """(articles, index, passages held) of seeds/, indexed by `assistant index` into `work`."""
    index = work / "index-seed"
    indexed = subprocess.run(
        [*_assistant(SEEDS, index), "index"], capture_output=True, text=True, check=True
    )
    print(indexed.stdout.strip(), file=sys.stderr)
    manifest = json.loads((_live(index) / "index.json").read_text(encoding="utf-8"))
    return SEEDS, index, sum(a["passages"] for a in manifest["articles"].values())


def _live(index: Path) -> Path:
    return index / json.loads((index / "CURRENT").read_text())["live"]


# --- one process, measured -------------------------------------------------------------------


def _assistant(seeds: Path, index: Path) -> list[str]:
    return [sys.executable, "-m", "assistant", "--seeds", str(seeds), "--index", str(index)]


def measure(command: list[str], stdin: str | None = None) -> dict:
    """Run `command` to its end: wall and CPU seconds (user + system) and peak MiB."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, stdout=out, stderr=err
        )
        if stdin:
            process.stdin.write(stdin.encode())
            process.stdin.close()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{' '.join(command)} failed:\n{err.read().decode()[-3000:]}")
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mib": usage.ru_maxrss / 1024,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _process_cpu(pid: int) -> float:
    """CPU seconds of a running process and its waited-for children (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _process_peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _ask_over_http(base: str, question: str) -> dict:
    request = urllib.request.Request(
        f"{base}/gradio_api/call/ask",
        data=json.dumps({"data": [question]}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        event_id = json.loads(response.read())["event_id"]
    with urllib.request.urlopen(f"{base}/gradio_api/call/ask/{event_id}", timeout=300) as stream:
        lines = stream.read().decode().splitlines()
    if "event: complete" not in lines:
        raise RuntimeError(f"the page did not answer: {lines[:6]}")
    answer = json.loads(lines[lines.index("event: complete") + 1].removeprefix("data: "))[0]
    if "error" in answer:
        raise RuntimeError(f"the page answered with an error: {answer['error']}")
    return answer


def measure_page(seeds: Path, index: Path, question: str) -> dict:
    """Start the page, wait until it serves, ask one question over HTTP."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        server = subprocess.Popen(
            [*_assistant(seeds, index), "serve", "--port", str(port)],
            stdout=log,
            stderr=log,
        )
        try:
            while True:
                if server.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"serve exited:\n{log.read().decode()[-3000:]}")
                try:
                    with urllib.request.urlopen(base + "/", timeout=5) as response:
                        if response.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    time.sleep(0.1)
            serving = time.perf_counter() - started
            asked = time.perf_counter()
            _ask_over_http(base, question)
            first_answer = time.perf_counter() - asked
            cpu, peak = _process_cpu(server.pid), _process_peak_mib(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=60)
    return {"serving_s": serving, "first_answer_s": first_answer, "cpu_s": cpu, "peak_mib": peak}


# --- what a cold question loads, piece by piece --------------------------------------------


def breakdown(seeds: Path, index: Path, question: str) -> list[dict]:
    """In this (fresh) process, load what a question needs one piece at a time, in the
    order a question loads it: each piece's CPU seconds and the resident memory it adds."""
    steps: list[dict] = []
    last = [time.process_time(), _status_mib("VmRSS")]

    def step(name: str) -> None:
        now, resident = time.process_time(), _status_mib("VmRSS")
        steps.append({"piece": name, "cpu_s": now - last[0], "added_mib": resident - last[1],
                      "resident_mib": resident, "peak_mib": _status_mib("VmHWM")})  # fmt: skip
        last[0], last[1] = now, resident

    step("Python, numpy")
    import chromadb  # noqa: F401

    step("chromadb (import)")
    from assistant.surfaces import cli  # noqa: F401

    step("the assistant's command (import)")
    from assistant.language.detection import detect_language
    from assistant.models.word_matching import word_rarity
    from assistant.settings import Settings
    from assistant.surfaces.api import Assistant

    assistant = Assistant(Settings(seeds=seeds, index=index))
    e5, use = assistant.embedders
    e5.embed_questions([question])
    step("e5: tokenizer, CTranslate2 encoder, one question")
    use.embed_questions([question])
    step("USE: tokenizer, weights, one question")
    detect_language(question)
    step("language detection (py3langid)")
    word_rarity(question.split(), "en")
    step("word frequencies (wordfreq, English)")
    assistant.retrieve(question)
    step("the index: Chroma, BM25, statements; one retrieval")
    assistant.ask(question)
    step("the rest of the first answer")
    return steps


def _status_mib(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def breakdown_text(steps: list[dict]) -> str:
    rows = [
        [s["piece"], f"{s['cpu_s']:.2f}", f"{s['added_mib']:+.0f}", f"{s['peak_mib']:.0f}"]
        for s in steps
    ]
    header = ["piece (in load order)", "CPU s", "resident MiB added", "peak MiB"]
    return markdown_table(header, rows)


# --- the run ---------------------------------------------------------------------------------


def median_of(rows: list[dict]) -> dict:
    return {key: statistics.median(row[key] for row in rows) for key in rows[0]}


def run(sizes: list[str], runs: int, page_runs: int, work: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    indexes = {}
    for size in sizes:
        if size == "seed":
            indexes[size] = (*seed_index(work), SEED_QUESTION)
        else:
            indexes[size] = (*generated_index(work, int(size)), GENERATED_QUESTION)
    floor = [sys.executable, "-c", "import chromadb"]
    for seeds, index, _, question in indexes.values():  # unmeasured: writes the bytecode
        measure([*_assistant(seeds, index), "ask", question])
    samples: dict[str, list[dict]] = {"floor": []}
    for _ in range(runs):
        samples["floor"].append(measure(floor))
        for size, (seeds, index, _, question) in indexes.items():
            samples.setdefault(f"ask {size}", []).append(
                measure([*_assistant(seeds, index), "ask", question])
            )
            batch = "\n".join([question] * BATCH_QUESTIONS) + "\n"
            samples.setdefault(f"batch {size}", []).append(
                measure([*_assistant(seeds, index), "ask", "-"], stdin=batch)
            )
        print(".", end="", file=sys.stderr, flush=True)
    for _ in range(page_runs):
        for size, (seeds, index, _, question) in indexes.items():
            samples.setdefault(f"page {size}", []).append(measure_page(seeds, index, question))
        print(".", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return {
        "runs": runs,
        "page_runs": page_runs,
        "passages": {size: held for size, (_, _, held, _) in indexes.items()},
        "median": {name: median_of(rows) for name, rows in samples.items()},
        "samples": samples,
    }


def report_text(result: dict) -> str:
    median, passages = result["median"], result["passages"]

    def label(size: str) -> str:
        return f"{passages[size]:,} passages" + (" (seed)" if size == "seed" else "")

    rows = [['`python -c "import chromadb"` (floor)', "-", *_cells(median["floor"])]]
    for size in passages:
        rows.append(["`assistant ask QUESTION`", label(size), *_cells(median[f"ask {size}"])])
        batch = f"`assistant ask -` ({BATCH_QUESTIONS} questions)"
        rows.append([batch, label(size), *_cells(median[f"batch {size}"])])
    text = markdown_table(["command", "index", "CPU s", "wall s", "peak MiB"], rows)
    text += f"\n\nMedian of {result['runs']} runs, each a fresh process."
    if any(name.startswith("page") for name in median):
        page_rows = [
            [
                label(size),
                f"{median[f'page {size}']['serving_s']:.1f}",
                f"{median[f'page {size}']['first_answer_s']:.2f}",
                f"{median[f'page {size}']['cpu_s']:.1f}",
                f"{median[f'page {size}']['peak_mib']:.0f}",
            ]
            for size in passages
        ]
        header = ["index", "serving after s", "first answer s", "CPU s until answered",
                  "peak MiB"]  # fmt: skip
        text += "\n\n" + markdown_table(header, page_rows)
        text += f"\n\n`assistant serve`, median of {result['page_runs']} starts."
    return text


def _cells(row: dict) -> list[str]:
    return [f"{row['cpu_s']:.2f}", f"{row['wall_s']:.2f}", f"{row['peak_mib']:.0f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="seed,10000", help="seed and/or passage counts")
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per command")
    parser.add_argument("--page-runs", type=int, default=3, help="page starts (0: none)")
    parser.add_argument("--work", type=Path, default=WORK, help=f"indexes kept here ({WORK})")
    parser.add_argument("--json", type=Path, help="also write every sample to this file")
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="only show what a cold question on the seed index loads, piece by piece",
    )
    parser.add_argument("--stage", choices=["breakdown", "generated"], help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--write-docs", action="store_true", help="write the table into docs/benchmarks.md"
    )
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # A user's Python keeps compiled modules; without them every run compiles the project.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    if args.stage == "generated":
        args.work.mkdir(parents=True, exist_ok=True)
        build_generated_index(args.work, args.size)
        return
    if args.stage:
        steps = breakdown(SEEDS, args.work / "index-seed", SEED_QUESTION)
        print(json.dumps(steps))
        return
    if args.breakdown:
        args.work.mkdir(parents=True, exist_ok=True)
        seed_index(args.work)
        command = [sys.executable, __file__, "--stage", "breakdown", "--work", str(args.work)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        print(breakdown_text(json.loads(done.stdout.strip().splitlines()[-1])))
        return
    result = run(args.sizes.split(","), args.runs, args.page_runs, args.work)
    text = report_text(result)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    if args.write_docs:
        write_section("startup", text)


if __name__ == "__main__":
    main()
