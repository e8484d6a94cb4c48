"""Draw the hand-checked sample of speaker readings: sentences of the news sets' articles
that the statement reader makes statements of, and sentences that look like speech
(quotation marks or a reporting word) that it does not, so that both the precision and the
recall of who-said-what can be measured (`speakers.py`).

    python benchmarks/speaker_sample.py                       # ../shared/data/news-dev, news3-dev
    python benchmarks/speaker_sample.py --out FILE --seed 26

Each row is a set, an article file, a sentence's character offsets in that file and, once
checked by hand, its label: the speaker's full name as the article gives it, or "none"
(nobody speaks, or the text does not say who). Rows already in the output keep their
labels. Only offsets are kept: the articles' texts never enter the repository.

The draw is stratified by language (each of en, de, es, fr, it, pt gets up to
`--statements` statements and `--others` speech-like sentences, from both sets) with a
fixed seed. It depends on the reader it was drawn with; the labels do not.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from assistant.ingest.articles import Article, parse_article
from assistant.ingest.passages import split_passages
from assistant.language.lexicon import lexicon
from assistant.speech.statements import Statement, article_speech

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SETS = (SHARED / "news-dev", SHARED / "news3-dev")
SAMPLE = Path(__file__).resolve().parent / "data" / "speaker_sample.jsonl"
LANGUAGES = ("en", "de", "es", "fr", "it", "pt")
# A quotation mark, or one of the language's reporting words (as the reader reads them).
_QUOTE = re.compile(r"[\"“”„«»]")
_CUE = r"(?<!\w)(?:{speech.reporting})(?!\w)|{speech.reporting_unbounded}"


@dataclass(frozen=True)
class ReadArticle:
    """An article file read as the index reads it, with its sentences and statements."""

    set_name: str
    file: str
    article: Article
    offset: int  # where `article.text` starts in the file's (decoded) text
    sentences: list[tuple[int, int]]  # offsets into `article.text`
    statements: dict[int, Statement]  # by sentence start


def read_sets(folders: tuple[Path, ...] = SETS) -> list[ReadArticle]:
    """Every article of the sets, read, split into sentences and read for statements
    exactly as indexing does (the sentences of its passages)."""
    found = []
    for folder in folders:
        for path in sorted(folder.glob("[a-z][a-z]_[0-9][0-9][0-9]_*.txt")):
            found.append(read_article(folder.name, path))
    return found


def read_article(set_name: str, path: Path) -> ReadArticle:
    raw = path.read_bytes()
    article = parse_article(path, path.name, raw)
    content = file_text(path)
    offset = content.find(article.text)
    if offset < 0:
        raise SystemExit(f"{path}: the article's body is not found in its file")
    passages = split_passages(article)
    sentences = sorted({span for p in passages for span in p.sentences})
    speech = article_speech(article.text, article.language, sentences, article.title)
    statements = {s.start: s for s in speech.statements}
    return ReadArticle(set_name, path.name, article, offset, sentences, statements)


def file_text(path: Path) -> str:
    """The file's text the offsets count characters in: UTF-8, Unix line ends."""
    return path.read_text(encoding="utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")


def speech_like(sentence: str, language: str) -> bool:
    """Quotation marks or a reporting word: a sentence a reader could take for speech."""
    return bool(_QUOTE.search(sentence) or lexicon(language).regex(_CUE).search(sentence))


def draw(articles: list[ReadArticle], seed: int, statements: int, others: int) -> list[dict]:
    """The stratified sample: per language, up to `statements` sentences read as statements
    and `others` speech-like ones that are not, as sample rows (unlabelled)."""
    rng = random.Random(seed)
    rows = []
    for language in LANGUAGES:
        read, unread = [], []
        for a in articles:
            if a.article.language != language:
                continue
            for start, end in a.sentences:
                row = {
                    "set": a.set_name,
                    "file": a.file,
                    "start": a.offset + start,
                    "end": a.offset + end,
                }
                if start in a.statements:
                    read.append(row)
                elif speech_like(a.article.text[start:end], language):
                    unread.append(row)
        rows += rng.sample(read, min(statements, len(read)))
        rows += rng.sample(unread, min(others, len(unread)))
    return sorted(rows, key=lambda r: (r["set"], r["file"], r["start"]))


def load_sample(path: Path = SAMPLE) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def save_sample(rows: list[dict], path: Path = SAMPLE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SAMPLE, help=f"default {SAMPLE}")
    parser.add_argument("--seed", type=int, default=26)
    parser.add_argument("--statements", type=int, default=36, help="per language")
    parser.add_argument("--others", type=int, default=20, help="per language")
    args = parser.parse_args()
    kept = {(r["set"], r["file"], r["start"]): r for r in load_sample(args.out)}
    rows = draw(read_sets(), args.seed, args.statements, args.others)
    merged = [kept.get((r["set"], r["file"], r["start"]), r) for r in rows]
    save_sample(merged, args.out)
    print(f"{len(merged)} sentences in {args.out}")


if __name__ == "__main__":
    main()
