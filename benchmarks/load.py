"""A short load run on the served app: N concurrent sessions asking through its API.

    python benchmarks/load.py                   # 8 sessions x 12 questions, ~1 minute
    python benchmarks/load.py --sessions 16 --questions 6

Serves `assistant serve` on a free loopback port over the seed article and German XQuAD
articles, then runs N gradio_client sessions at once, each asking its share of English
and German XQuAD questions (every other one a follow-up carrying the session's history).
Prints throughput, latency percentiles and errors, beside the same questions asked one
at a time in process (the baseline: what one answer costs without the web server and
queue). Bounded: every session stops after its questions or `--seconds`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
XQUAD = REPO.parent / "shared" / "data" / "xquad"
SEED = REPO / "seeds" / "000_bdd157e6eb167cd2.txt"


def build_seeds(folder: Path, articles: int) -> None:
    folder.mkdir(parents=True)
    shutil.copy(SEED, folder / SEED.name)
    data = json.loads((XQUAD / "xquad.de.json").read_text(encoding="utf-8"))
    for number, article in enumerate(data["data"][:articles]):
        paragraphs = [p["context"] for p in article["paragraphs"]]
        header = f"date 2024-05-{number % 28 + 1:02d} {article['title']}"
        text = header + "\n\n" + "\n\n".join(paragraphs)
        (folder / f"xquad-{number:02d}.txt").write_text(text, encoding="utf-8")


def questions(articles: int, count: int) -> list[str]:
    asked = []
    for language in ("en", "de"):
        data = json.loads((XQUAD / f"xquad.{language}.json").read_text(encoding="utf-8"))
        asked += [
            qa["question"] for a in data["data"][:articles] for p in a["paragraphs"]
            for qa in p["qas"]
        ]  # fmt: skip
    random.Random(0).shuffle(asked)
    return asked[:count]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(seeds: Path, index: Path, port: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "assistant", "--seeds", str(seeds), "--index", str(index),
               "serve", "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    import httpx

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/config", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if server.poll() is not None:
            raise RuntimeError(server.stderr.read().decode())
        time.sleep(0.5)
    server.kill()
    raise RuntimeError("the server did not start")


def session(url: str, asked: list[str], deadline: float, results: list, errors: list) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    history: list[dict] = []
    for number, question in enumerate(asked):
        if time.monotonic() > deadline:
            return
        follow_up = number % 2 == 1
        started = time.perf_counter()
        try:
            answer = client.predict(question, history if follow_up else None, api_name="/ask")
        except Exception as err:  # every failure counts, whatever its type
            errors.append(f"{question!r}: {err}")
            continue
        results.append(time.perf_counter() - started)
        if not isinstance(answer, dict) or "answer" not in answer:
            errors.append(f"{question!r}: malformed reply {answer!r:.200}")
        history = [{"role": "user", "content": question},
                   {"role": "assistant", "content": answer.get("answer", "")}]  # fmt: skip


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time used so far by process `pid` (Linux /proc), or by this process."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentiles(seconds: list[float]) -> str:
    ms = np.array(seconds) * 1000
    return (
        f"p50 {np.percentile(ms, 50):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms, "
        f"max {ms.max():.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--questions", type=int, default=12, help="per session")
    parser.add_argument("--articles", type=int, default=12, help="XQuAD articles indexed")
    parser.add_argument("--seconds", type=float, default=300, help="time bound of the run")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from assistant.api import Assistant

    work = Path(tempfile.mkdtemp(prefix="assistant-load-"))
    server = None
    try:
        seeds, index = work / "seeds", work / "index"
        build_seeds(seeds, args.articles)
        assistant = Assistant(seeds=seeds, index=index)
        report = assistant.sync()
        asked = questions(args.articles, args.sessions * args.questions)
        print(f"corpus: {len(report.articles)} articles, {report.passages} passages; "
              f"{len(asked)} questions")  # fmt: skip

        for question in asked[:3]:
            assistant.ask(question)  # warm
        alone = []
        for question in asked:
            started = time.perf_counter()
            assistant.ask(question)
            alone.append(time.perf_counter() - started)
        total_alone = sum(alone)
        print(f"baseline, one at a time in process: {len(alone) / total_alone:.1f} answers/s, "
              f"{percentiles(alone)}")  # fmt: skip
        del assistant

        port = free_port()
        server = serve(seeds, index, port)
        url = f"http://127.0.0.1:{port}/"
        session(url, asked[:2], time.monotonic() + 60, [], [])  # warm the server
        # One session alone: what the web server and queue add to an answer.
        results: list[float] = []
        errors: list[str] = []
        session(url, asked[: args.questions], time.monotonic() + args.seconds, results, errors)
        print(f"served, 1 session: {percentiles(results)}, {len(errors)} errors")
        results, errors = [], []
        server_cpu, client_cpu = cpu_seconds(server.pid), cpu_seconds()
        deadline = time.monotonic() + args.seconds
        shares = [asked[i :: args.sessions] for i in range(args.sessions)]
        threads = [
            threading.Thread(target=session, args=(url, share, deadline, results, errors))
            for share in shares
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        server_cpu, client_cpu = cpu_seconds(server.pid) - server_cpu, cpu_seconds() - client_cpu
        print(f"served, {args.sessions} concurrent sessions: {len(results)} answers in "
              f"{elapsed:.1f} s = {len(results) / elapsed:.1f} answers/s, "
              f"{percentiles(results)}, {len(errors)} errors")  # fmt: skip
        ratio = (len(results) / elapsed) / (len(alone) / total_alone)
        per_answer = {"server": server_cpu / len(results), "clients": client_cpu / len(results)}
        print(f"throughput served / in process: {ratio:.2f}; CPU per answer: "
              + ", ".join(f"{who} {s * 1000:.0f} ms" for who, s in per_answer.items())
              + f" (in process: {total_alone / len(alone) * 1000:.0f} ms wall)")  # fmt: skip
        for error in errors[:10]:
            print("error:", error)
        if errors or len(results) < len(asked):
            sys.exit(1)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
