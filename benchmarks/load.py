"""A short load run on the served app: N concurrent sessions asking through its API.

    python benchmarks/load.py                   # 8 sessions x 12 questions, ~1 minute
    python benchmarks/load.py --sessions 16 --questions 6

Serves `assistant serve` on a free loopback port over the seed article and German XQuAD
articles, then, for each kind of client (Gradio's HTTP API with httpx, and gradio_client),
runs one session alone and N sessions at once, each asking its share of English and German
XQuAD questions (every other one a follow-up carrying the session's history). Prints
throughput, latency percentiles, errors and CPU per answer (server and clients share the
machine's cores), beside the same questions asked one at a time in process (the baseline:
what one answer costs without the web server and queue). Bounded: every session stops
after its questions or `--seconds`. Exits 1 on any error.
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


def http_asker(url: str):
    """Ask through Gradio's documented HTTP API (POST /gradio_api/call/ask, then read the
    event stream): what a script in any language does, with a light client."""
    import httpx

    client = httpx.Client(base_url=url, timeout=120)

    def ask(question: str, history: list | None) -> dict:
        posted = client.post("/gradio_api/call/ask", json={"data": [question, history, None]})
        posted.raise_for_status()
        stream = client.get(f"/gradio_api/call/ask/{posted.json()['event_id']}").text
        event, _, data = stream.strip().rpartition("\ndata: ")
        if not event.endswith("event: complete"):
            raise RuntimeError(stream[:300])
        return json.loads(data)[0]

    return ask


def client_asker(url: str):
    """Ask through `gradio_client`, as the README shows Python programs doing."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    return lambda question, history: client.predict(question, history, api_name="/ask")


ASKERS = {"HTTP API": http_asker, "gradio_client": client_asker}


def session(asker, url: str, asked: list[str], deadline: float, results: list, errors: list):
    """One chat: every other question is a follow-up carrying the previous exchange."""
    ask = asker(url)
    history: list[dict] = []
    for number, question in enumerate(asked):
        if time.monotonic() > deadline:
            return
        follow_up = number % 2 == 1
        started = time.perf_counter()
        try:
            answer = ask(question, history if follow_up else None)
        except Exception as err:  # every failure counts, whatever its type
            errors.append(f"{question!r}: {err}")
            continue
        results.append(time.perf_counter() - started)
        if not isinstance(answer, dict) or "answer" not in answer:
            errors.append(f"{question!r}: malformed reply {answer!r:.200}")
            continue
        history = [{"role": "user", "content": question},
                   {"role": "assistant", "content": answer["answer"]}]  # fmt: skip


def run_sessions(asker, url: str, shares: list[list[str]], seconds: float, server_pid: int):
    """Run one session per share at once; returns answer times, errors, wall and CPU time."""
    results: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=session, args=(asker, url, share, deadline, results, errors))
        for share in shares
    ]
    server_cpu, client_cpu = cpu_seconds(server_pid), cpu_seconds()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cpu = {"server": cpu_seconds(server_pid) - server_cpu, "clients": cpu_seconds() - client_cpu}
    return results, errors, elapsed, cpu


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
    from assistant.surfaces.api import Assistant

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
        in_process = []
        for question in asked:
            started = time.perf_counter()
            assistant.ask(question)
            in_process.append(time.perf_counter() - started)
        total_alone = sum(in_process)
        print(f"baseline, one at a time in process: {len(in_process) / total_alone:.1f} "
              f"answers/s, {percentiles(in_process)}")  # fmt: skip
        del assistant

        port = free_port()
        server = serve(seeds, index, port)
        url = f"http://127.0.0.1:{port}/"
        session(client_asker, url, asked[:2], time.monotonic() + 60, [], [])  # warm up
        failed = False
        for kind, asker in ASKERS.items():
            alone, errors, _, _ = run_sessions(
                asker, url, [asked[: args.questions]], args.seconds, server.pid
            )
            print(f"{kind}, 1 session: {percentiles(alone)}, {len(errors)} errors")
            shares = [asked[i :: args.sessions] for i in range(args.sessions)]
            results, more, elapsed, cpu = run_sessions(asker, url, shares, args.seconds,
                                                       server.pid)  # fmt: skip
            errors += more
            rate = len(results) / elapsed
            print(f"{kind}, {args.sessions} concurrent sessions: {len(results)} answers in "
                  f"{elapsed:.1f} s = {rate:.1f} answers/s, {percentiles(results)}, "
                  f"{len(errors)} errors; CPU per answer: server "
                  f"{cpu['server'] / len(results) * 1000:.0f} ms, clients "
                  f"{cpu['clients'] / len(results) * 1000:.0f} ms; throughput / in process "
                  f"{rate * total_alone / len(in_process):.2f}")  # fmt: skip
            for error in errors[:10]:
                print("error:", error)
            failed |= bool(errors) or len(results) < len(asked)
        if failed:
            sys.exit(1)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
