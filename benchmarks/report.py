"""Benchmark tables written into docs/benchmarks.md (`--write-docs` of the benchmark scripts).

Each table lives between `<!-- begin NAME -->` and `<!-- end NAME -->`; a script replaces
only its own section, with the commit and date it was measured on, and leaves the rest of
the page (the prose around the tables) as it is.
"""

from __future__ import annotations

import datetime
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs" / "benchmarks.md"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table: one header row, then `rows`, every cell already formatted."""
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def figures_table(figures_by_set: dict[str, dict]) -> str:
    """A Markdown table of one row of figures per set (the columns: the figures' keys;
    shares to three decimals)."""
    header = ["set", *next(iter(figures_by_set.values()))]
    rows = [
        [name, *(f"{v:.3f}" if isinstance(v, float) else str(v) for v in figures.values())]
        for name, figures in figures_by_set.items()
    ]
    return markdown_table(header, rows)


def measured_on() -> str:
    """The commit and date of this run, "commit abc1234, 2026-12-03" (the date alone
    outside a git checkout)."""
    today = datetime.date.today().isoformat()
    try:
        done = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return today
    return f"commit {done.stdout.strip()}, {today}"


def write_section(name: str, markdown: str, path: Path = DOCS) -> None:
    """Replace the text between `<!-- begin name -->` and `<!-- end name -->` in `path`.

    Args:
        name: the section's name, as in its markers.
        markdown: the new text of the section (a table and the lines that go with it).
        path: the page; docs/benchmarks.md by default.

    Raises:
        SystemExit: the page has no such section (add its two markers where it belongs).
    """
    page = path.read_text(encoding="utf-8")
    pattern = re.compile(
        rf"(<!-- begin {re.escape(name)} -->\n).*?(<!-- end {re.escape(name)} -->)", re.DOTALL
    )
    if not pattern.search(page):
        raise SystemExit(
            f"{path} has no section '{name}': add <!-- begin {name} --> and "
            f"<!-- end {name} --> where its table belongs."
        )
    body = f"{markdown.strip()}\n\n*{measured_on()}*\n"
    path.write_text(pattern.sub(lambda m: m[1] + body + m[2], page, count=1), encoding="utf-8")
    print(f"wrote section '{name}' of {path}")
