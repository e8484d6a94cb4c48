"""The CLI, run in-process with Typer's CliRunner against a real index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.surfaces.cli import app
from tests.conftest import SEED
from tests.test_dates import QUESTION as DATED_QUESTION
from tests.test_dates import write_dated_articles

# Each command loads the real models, as a user's does: not in the fast loop.
pytestmark = pytest.mark.slow


@pytest.fixture
def run(seeds: Path, tmp_path: Path):
    """The real command in this process; each invocation loads its models, as a user's does."""
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None):
        return runner.invoke(
            app, ["--seeds", str(seeds), "--index", str(tmp_path / "index"), *args], input=stdin
        )

    return invoke


def test_ask_without_index_says_how_to_build_one(run):
    result = run("ask", "What did Rubio say about Russia?")
    assert result.exit_code == 1
    assert "assistant index" in result.stderr


def test_index_then_ask_json(run):
    indexed = run("index")
    assert indexed.exit_code == 0, indexed.output
    assert "1 added" in indexed.stdout and "passages" in indexed.stdout
    again = run("index")
    assert "1 unchanged" in again.stdout and "(0 embedded)" in again.stdout
    result = run("ask", "--json", "-k", "3", "What did Rubio say about Russia?")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["question"] == "What did Rubio say about Russia?"
    assert len(payload["retrieved"]) == 3
    assert all(f"[{c['n']}]" in payload["answer"] for c in payload["citations"])


def test_ask_reads_questions_from_stdin_one_json_per_line(run):
    run("index")
    questions = "Who will talk to the G7?\nWie lange soll die Waffenruhe dauern?\n"
    result = run("ask", "--json", "-", stdin=questions)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["question"] for line in lines] == [
        "Who will talk to the G7?",
        "Wie lange soll die Waffenruhe dauern?",
    ]
    assert any("30-tägigen" in c["quote"] for c in lines[1]["citations"])


def test_every_input_line_gets_one_output_line_even_blank_or_undecodable(run):
    """A byte that is not UTF-8 is replaced and a blank line answered with an error line,
    so the batch goes on and outputs pair with inputs line by line."""
    run("index")
    stdin = b"Who is Rubio?\nWho is \xff Waltz?\n\nWhat about the G7?\n"
    result = run("ask", "--json", "-", stdin=stdin)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 4, result.output
    assert lines[1]["question"] == "Who is \ufffd Waltz?" and "answer" in lines[1]
    assert lines[2] == {"question": "", "error": lines[2]["error"]}
    assert "empty" in lines[2]["error"]
    assert lines[3]["citations"]
    assert result.exit_code == 1  # the blank line failed
    assert "Traceback" not in result.output


def test_bad_question_in_a_batch_keeps_the_others(run):
    run("index")
    result = run("ask", "--json", "-", stdin="?!\nWho will talk to the G7?\n")
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert "error" in lines[0] and lines[1]["citations"]


def test_empty_question_is_a_readable_error(run):
    run("index")
    result = run("ask", "  ")
    assert result.exit_code == 1
    assert "The question is empty" in result.stderr
    assert "Traceback" not in result.output


def test_eval_reports_recall_and_hit_rate(run, tmp_path: Path):
    run("index")
    qa = tmp_path / "qa.jsonl"
    qa.write_text(
        json.dumps({"question": "Who will talk to the G7?", "answer": "Lasagne"})
        + "\n"
        + json.dumps({"question": "Who will talk to the G7?", "answer": "G7-Staaten"})
        + "\n",
        encoding="utf-8",
    )
    result = run("eval", str(qa), "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["questions"] == 2
    assert metrics["recall@5"] == 0.5 and metrics["cited_hit_rate"] == 0.5
    assert metrics["mrr@5"] == 0.5


def test_eval_reads_the_news_format_and_scores_each_kind(run, tmp_path: Path):
    run("index")
    seed = "000_bdd157e6eb167cd2.txt"
    rubio = "What did Rubio say about Russia?"
    entries = [
        {"q": rubio, "lang": "en", "answers": ["Russland am Zug"], "article": seed,
         "alt_articles": [], "kind": "speaker"},
        {"q": rubio, "lang": "en", "answers": ["kein solcher Satz"], "article": "other.txt",
         "alt_articles": [], "kind": "fact"},
        {"q": "Und was sagte er über die Ukraine?", "lang": "de",
         "answers": ["positiven Schritt"], "article": seed,
         "alt_articles": [], "kind": "followup",
         "history": [{"role": "user", "content": rubio}, {"role": "assistant", "content": "…"}]},
    ]  # fmt: skip
    qa = tmp_path / "news.jsonl"
    qa.write_text("\n".join(json.dumps(e) for e in entries), encoding="utf-8")
    result = run("eval", str(qa), "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["by_kind"]["speaker"]["quotes_hold_answer"] == 1.0
    assert metrics["by_kind"]["speaker"]["first_cite_right"] == 1.0
    # The second question's gold string is in no article, and its "article" is not indexed.
    assert metrics["by_kind"]["fact"] == metrics["by_kind"]["fact"] | {
        "quotes_hold_answer": 0.0,
        "first_cite_right": 0.0,
        "gold_in_top_k": 0.0,
    }
    assert metrics["by_kind"]["followup"]["quotes_hold_answer"] == 1.0
    assert metrics["overall"]["questions"] == 3 and metrics["overall"]["quoted_chars"] > 0
    table = run("eval", str(qa))
    assert "speaker" in table.stdout and "first_cite_right" in table.stdout


def test_ask_with_a_history_file_resolves_the_follow_up(run, tmp_path: Path):
    run("index")
    history = tmp_path / "history.json"
    history.write_text(
        json.dumps(
            [
                {"role": "user", "content": "What will Rubio do next?"},
                {"role": "assistant", "content": "He will talk to the G7."},
            ]
        ),
        encoding="utf-8",
    )
    result = run("ask", "--json", "--history", str(history), "And Waltz?")
    assert result.exit_code == 0, result.output
    assert any("Waltz" in c["quote"] for c in json.loads(result.stdout)["citations"])


def test_malformed_history_file_is_a_readable_error(run, tmp_path: Path):
    history = tmp_path / "history.json"
    history.write_text('{"role": "user"}', encoding="utf-8")
    result = run("ask", "--history", str(history), "And Waltz?")
    assert result.exit_code == 2
    assert "must be a list of" in result.stderr


def test_people_lists_who_is_quoted_and_answers_name_the_speaker(run):
    indexed = run("index")
    assert "statements by" in indexed.stdout
    listed = run("people", "--json")
    assert listed.exit_code == 0, listed.output
    people = json.loads(listed.stdout)
    rubio = next(p for p in people if p["name"] == "Marco Rubio")
    assert rubio["statements"] >= 5 and rubio["articles"] == ["000_bdd157e6eb167cd2.txt"]
    assert people == sorted(people, key=lambda p: (-p["statements"], p["name"]))
    table = run("people")
    assert "Marco Rubio" in table.stdout and "Mike Waltz" in table.stdout
    answer = json.loads(run("ask", "--json", "What did Waltz say?").stdout)
    assert answer["citations"] and {c["speaker"] for c in answer["citations"]} == {"Mike Waltz"}


def test_seed_questions_are_answered_or_refused_as_they_should_be(run, tmp_path: Path):
    """The seed questions of the "knows when it doesn't know" issue, asked as a user would."""
    run("index")
    questions = [
        "What did Palissa write on Facebook?",
        "Who took the photo of the US negotiators?",
        "How long is the proposed ceasefire?",
        "What did Vladimir Putin say about the ceasefire?",
        "Who won the Super Bowl?",
        "Who published the joint statement?",
    ]
    result = run("ask", "--json", "-", stdin="\n".join(questions) + "\n")
    assert result.exit_code == 0, result.output
    answers = map(json.loads, result.stdout.splitlines())
    palissa, photo, length, putin, super_bowl, published = answers
    assert palissa["citations"][0]["speaker"] == "Pawlo Palissa"
    assert "Ich habe die Bestätigung" in palissa["citations"][0]["quote"]
    assert photo["citations"][0]["quote"] == "(Quelle: Saul Loeb)"  # a credit line, quoted
    assert "30-tägigen Waffenruhe" in length["citations"][0]["quote"]  # the duration asked
    assert putin["abstained"] and putin["citations"] == []
    assert putin["answer"].startswith("The articles don't mention Vladimir Putin")
    # ... but they report that Moscow has not commented, and say so first.
    assert "no comment" in putin["answer"]
    assert "Stellungnahme der Regierung in Moskau" in putin["nearest"][0]["quote"]
    assert not published["abstained"]  # the German passive's agent, asked in English
    assert published["citations"][0]["quote"].startswith("Veröffentlicht wurde die Erklärung")
    assert super_bowl["abstained"] and super_bowl["confidence"] < 0.1
    history = tmp_path / "history.json"
    history.write_text(
        json.dumps([{"role": "user", "content": "Who is Pawlo Palissa?"},
                    {"role": "assistant", "content": "A deputy head of the office."}]),
        encoding="utf-8",
    )  # fmt: skip
    follow_up = run("ask", "--json", "--history", str(history), "What did he write on Facebook?")
    cited = json.loads(follow_up.stdout)["citations"]
    assert cited and cited[0]["speaker"] == "Pawlo Palissa"


@pytest.fixture
def run_hashing(seeds: Path, tmp_path: Path):
    """The command with the model-free embedder, where the models are not the point."""
    runner = CliRunner()
    env = {"ASSISTANT_DENSE_MODELS": json.dumps([{"model": "hashing", "quote_weight": 1.0}])}

    def invoke(*args: str):
        where = ["--seeds", str(seeds), "--index", str(tmp_path / "index")]
        return runner.invoke(app, [*where, *args], env=env)

    return invoke


def test_version_prints_the_installed_version(run_hashing):
    from importlib.metadata import version

    result = run_hashing("--version")
    assert (result.exit_code, result.stdout) == (0, f"assistant {version('assistant')}\n")


def test_index_articles_and_people_print_json(run_hashing):
    indexed = run_hashing("index", "--json")
    assert indexed.exit_code == 0, indexed.output
    report = json.loads(indexed.stdout)
    assert set(report) == {
        "rebuilt", "added", "updated", "removed", "unchanged", "skipped", "passages",
        "passages_embedded", "statements", "speakers", "seconds",
    }  # fmt: skip
    assert (report["added"], report["removed"], report["skipped"]) == ([SEED.name], [], [])
    assert report["passages"] == report["passages_embedded"] > 0
    again = json.loads(run_hashing("index", "--json").stdout)
    assert (again["added"], again["unchanged"], again["passages_embedded"]) == ([], 1, 0)

    articles = json.loads(run_hashing("articles", "--json").stdout)
    assert [a["id"] for a in articles] == [SEED.name]
    assert set(articles[0]) == {
        "id", "title", "date", "date_source", "language", "author", "url", "source", "passages",
    }  # fmt: skip
    assert (articles[0]["date"], articles[0]["language"]) == ("2025-03", "de")
    assert articles[0]["passages"] == report["passages"]

    people = json.loads(run_hashing("people", "--json").stdout)
    assert all(set(p) == {"name", "statements", "articles"} for p in people)
    assert "Marco Rubio" in [p["name"] for p in people]


def test_usage_errors_exit_2_and_fixable_errors_1(run_hashing):
    assert run_hashing("index", "--check", "--watch").exit_code == 2
    assert run_hashing("articles", "--no-such-option").exit_code == 2
    clash = run_hashing("serve", "--mcp", "--auth", "analyst:secret")
    assert clash.exit_code == 2 and "--mcp" in clash.stderr
    assert run_hashing("articles", "--json").exit_code == 1  # no index yet


def test_watching_a_missing_folder_is_an_error_saying_so(tmp_path: Path):
    env = {"ASSISTANT_DENSE_MODELS": json.dumps([{"model": "hashing", "quote_weight": 1.0}])}
    where = ["--seeds", str(tmp_path / "nowhere"), "--index", str(tmp_path / "index")]
    for command in (["index", "--watch"], ["serve", "--watch"]):
        result = CliRunner().invoke(app, [*where, *command], env=env)
        assert result.exit_code == 1, result.output
        assert "No articles folder" in result.stderr


def test_ask_and_chat_take_a_date_range_and_an_as_of_date(tmp_path: Path):
    seeds = tmp_path / "dated"
    write_dated_articles(seeds)
    runner = CliRunner()
    base = ["--seeds", str(seeds), "--index", str(tmp_path / "dated-index")]
    assert runner.invoke(app, [*base, "index"]).exit_code == 0
    june = ["--since", "2024-06-01", "--until", "2024-06-30"]
    result = runner.invoke(app, [*base, "ask", "--json", *june, DATED_QUESTION])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["citations"]
    assert {c["date"] for c in payload["citations"]} <= {"2024-06-18", "2024-06-20"}
    assert "Undated articles left out: 1." in payload["answer"]
    relative = runner.invoke(
        app,
        [*base, "ask", "--json", "--as-of", "2024-06-26", "What did Lena Brandt say last week?"],
    )
    assert {c["date"] for c in json.loads(relative.stdout)["citations"]} <= {
        "2024-06-18",
        "2024-06-20",
    }
    chat = runner.invoke(app, [*base, "chat", "--since", "2024-09"], input=DATED_QUESTION + "\n")
    assert chat.exit_code == 0, chat.output
    assert "Dates: [1] 2024-09" in chat.stdout and "2024-06" not in chat.stdout


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--since", "June"], "since must be a date such as 2024-06-12"),
        (["--since", "2024-07-01", "--until", "2024-06-01"], "is after until"),
        (["--as-of", "yesterday"], "as_of must be a date"),
    ],
)
def test_bad_dates_are_refused_with_what_to_write(run, options: list[str], message: str):
    run("index")
    result = run("ask", *options, "What did Rubio say?")
    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.output
