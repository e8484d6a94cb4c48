"""news-dev through the CLI: index its 62 articles, ask its 100 questions (follow-ups with
their history), print the per-kind table of `assistant eval`.

    python benchmarks/news_dev.py                     # ../shared/data/news-dev/
    python benchmarks/news_dev.py --data FOLDER --json

The articles are copyrighted excerpts kept for measurement only: they are copied into a
temporary folder for the run and never into the project.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

NEWS_DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "news-dev"


def copy_articles(data: Path, seeds: Path) -> None:
    """news-dev's articles (not its questions or notes) into the folder `seeds`."""
    for article in sorted(data.glob("[a-z][a-z]_[0-9][0-9][0-9]_*.txt")):
        shutil.copy(article, seeds / article.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=NEWS_DEV, help=f"default {NEWS_DEV}")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    parser.add_argument("-k", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        seeds, index = Path(scratch) / "seeds", Path(scratch) / "index"
        seeds.mkdir()
        copy_articles(args.data, seeds)
        env = {**os.environ, "ASSISTANT_SEEDS": str(seeds), "ASSISTANT_INDEX": str(index)}
        command = [sys.executable, "-m", "assistant"]
        indexed = subprocess.run([*command, "index"], env=env, check=True, capture_output=True)
        print(indexed.stdout.decode().strip(), file=sys.stderr)
        questions = str(args.data / "questions.jsonl")
        flags = ["-k", str(args.k), *(["--json"] if args.json else [])]
        subprocess.run([*command, "eval", questions, *flags], env=env, check=True)


if __name__ == "__main__":
    main()
