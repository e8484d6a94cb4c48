"""Index time of very long articles: one 5 MB article on a single line, and one 5 MB article
of ordinary paragraphs, each timed stage by stage. Text handling must stay linear in the
article's length, so both finish in well under a minute.

    python benchmarks/long_articles.py                 # 5 MB each
    python benchmarks/long_articles.py --mb 1 --mb 2   # how time grows with size
    python benchmarks/long_articles.py --models        # with the real models (slow: the
                                                       # embedders take minutes for 5 MB)

The articles are generated here (invented people, places and quotes, reported speech,
interview turns), not taken from any corpus. By default passages are embedded with the
model-free `hashing` embedder, so the times are those of reading, splitting, finding
statements, keywords and the store; embedding is linear in the passages and is measured by
benchmarks/scale.py.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from pathlib import Path

FIRST = """Amara Bjorn Carla Dmitri Elena Farid Greta Hugo Ines Jonas Kaito Lena Mateo Nadia
Oskar Priya Quentin Rosa Stefan Tamsin Ulrich Vera Wanda Xavier Yusuf Zofia""".split()  # noqa: SIM905
LAST = """Halvorsen Brandtner Okafor Lindqvist Moreau Castellano Petrov Nakamura Oyelaran
Fitzgerald Kowalczyk Baptiste Eriksen Szabo Vandermeer Haddad Ferreira Novak Delacroix
Abernathy Quist Rasmussen Takahashi Ibarra Whitcombe Zelenko Marchetti Osei Kallas Thornbury
Achterberg Solberg Mwangi Valdivia Grunewald Pemberton Lachance Hoffmeister Adeyemi""".split()  # noqa: SIM905
TITLES = "Minister Mayor Senator Governor Commissioner Professor Chancellor Ambassador".split()  # noqa: SIM905
CITIES = "Ostwick,Marrowby,Lindau,Port Elric,Calderon,Veszla,Brightwater,Kestrel Bay".split(",")  # noqa: SIM905
THINGS = """bridge,harbour,tunnel,ferry line,budget,treaty,ceasefire,railway,reservoir,tram
depot,energy plan,wind farm""".replace("\n", " ").split(",")
MONTHS = "January February March April May June July August September October".split()  # noqa: SIM905

SENTENCES = [
    "{title} {first} {last} said the new {thing} would open in {month}.",
    '"We will not wait for the {thing} any longer," {last} told reporters in {city}.',
    "According to {first} {last}, the {thing} cost {n} million euros.",
    "She said the plan was ready and that the council had agreed to it.",
    "The council of {city} met on Tuesday to discuss the {thing}.",
    'Speaking at the harbour, {title} {first} {last} added: "The {thing} is safe and open."',
    "{last} said he believed the {thing} could be finished by {month}, but critics disagreed.",
    "Ursula von der {last} and Jan van den {last2} were also present at the meeting.",
    "A spokesperson for the {city} {thing} authority declined to comment on Monday.",
    "Residents of {city} welcomed the news, {first} {last2} of the residents' group said.",
    "The report, published by {first} {last} on {month} {n}, lists {n} open questions.",
    "\u201cIt is a good day for {city},\u201d said {first} {last}.",
]
TURN = "{title_upper} {last_upper}: We have done our work on the {thing}. QUESTION: When?"


def _sentence(rng: random.Random) -> str:
    return rng.choice(SENTENCES).format(
        title=rng.choice(TITLES), first=rng.choice(FIRST), last=rng.choice(LAST),
        last2=rng.choice(LAST), thing=rng.choice(THINGS), city=rng.choice(CITIES),
        month=rng.choice(MONTHS), n=rng.randint(2, 900),
    )  # fmt: skip


def one_line_article(size: int, seed: int = 1) -> str:
    """A title line and one line of about `size` characters: sentences, no line break."""
    rng = random.Random(seed)
    sentences, length = [], 0
    while length < size:
        sentences.append(_sentence(rng))
        length += len(sentences[-1]) + 1
    return "Harbour reports, all in one line\n" + " ".join(sentences)


def normal_article(size: int, seed: int = 2) -> str:
    """A title and paragraphs of 2-6 sentences (now and then an interview turn), about
    `size` characters in all."""
    rng = random.Random(seed)
    paragraphs, length = [], 0
    while length < size:
        if rng.random() < 0.05:
            last = rng.choice(LAST)
            paragraph = TURN.format(
                title_upper=rng.choice(TITLES).upper(), last_upper=last.upper(),
                thing=rng.choice(THINGS),
            )  # fmt: skip
        else:
            paragraph = " ".join(_sentence(rng) for _ in range(rng.randint(2, 6)))
        paragraphs.append(paragraph)
        length += len(paragraph) + 2
    return "date 2025-06-01 Harbour reports of a long year\n\n" + "\n\n".join(paragraphs)


def _cpu() -> float:
    """CPU seconds of this process and its finished workers: on a machine shared with other
    work, the wall-clock time the stages would take alone."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def time_stages(path: Path) -> dict[str, float]:
    """Seconds (wall clock) for each stage of indexing `path` alone."""
    from assistant.ingest.articles import read_articles
    from assistant.ingest.passages import split_passages
    from assistant.speech.statements import article_speech

    times = {}
    started = time.perf_counter()
    articles, failures = read_articles(path.parent)
    times["read"] = time.perf_counter() - started
    assert not failures, failures
    article = articles[0]
    started = time.perf_counter()
    passages = split_passages(article)
    times["passages"] = time.perf_counter() - started
    sentences = sorted({span for p in passages for span in p.sentences})
    started = time.perf_counter()
    speech = article_speech(article.text, article.language, sentences, article.title)
    times["statements"] = time.perf_counter() - started
    times["passage count"] = len(passages)
    times["statement count"] = len(speech.statements)
    return times


def time_sync(seeds: Path, models: bool) -> tuple[float, float]:
    """Seconds for `assistant index` of the folder, from scratch: wall clock and CPU."""
    from assistant.surfaces.api import Assistant

    dense = None if models else [{"model": "hashing"}]
    with tempfile.TemporaryDirectory() as index:
        overrides = {"seeds": seeds, "index": Path(index)}
        if dense is not None:
            overrides["dense_models"] = dense
        assistant = Assistant(**overrides)
        started, cpu = time.perf_counter(), _cpu()
        report = assistant.sync()
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    assert not report.failures, report.failures
    return seconds, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, action="append", help="article size in MB")
    parser.add_argument("--models", action="store_true", help="embed with the real models")
    args = parser.parse_args()
    print(f"{'article':<10} {'MB':>5} {'read':>7} {'passages':>9} {'statements':>11} "
          f"{'index':>7} {'(CPU)':>7}   passages statements")  # fmt: skip
    for mb in args.mb or [5.0]:
        for kind, make in (("one line", one_line_article), ("normal", normal_article)):
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "seeds" / "long.txt"
                path.parent.mkdir()
                path.write_text(make(int(mb * 1_000_000)), encoding="utf-8")
                stages = time_stages(path)
                index, cpu = time_sync(path.parent, args.models)
            print(
                f"{kind:<10} {mb:>5.1f} {stages['read']:>6.1f}s {stages['passages']:>8.1f}s "
                f"{stages['statements']:>10.1f}s {index:>6.1f}s {cpu:>6.1f}s   "
                f"{stages['passage count']:>8} {stages['statement count']:>10}",
                flush=True,
            )


if __name__ == "__main__":
    main()
