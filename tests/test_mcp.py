"""`assistant serve --mcp --watch`: an MCP client (the `mcp` package) calls ask, people and
articles on the running server over streamable HTTP on 127.0.0.1, and sees an article dropped
into the watched folder."""

from __future__ import annotations

import ast
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from assistant.surfaces.api import Assistant
from tests.conftest import REPO, SEED

pytestmark = pytest.mark.slow  # starts a server

HASHING = [{"model": "hashing", "quote_weight": 1.0}]
START_SECONDS = 180  # the server loads LangChain and Gradio; the machine may be busy


@pytest.fixture
def server(seeds: Path, tmp_path: Path) -> Iterator[str]:
    """`assistant serve --mcp --watch` over the indexed seed article; its MCP URL. Stopped
    with SIGTERM, it exits with code 0."""
    Assistant(seeds=seeds, index=tmp_path / "index", dense_models=HASHING).sync()
    port = _free_port()
    env = {
        **os.environ,
        "ASSISTANT_DENSE_MODELS": json.dumps(HASHING),
        "ASSISTANT_SEEDS": str(seeds),
        "ASSISTANT_INDEX": str(tmp_path / "index"),
        "PYTHONPATH": str(REPO),
    }
    command = [sys.executable, "-m", "assistant", "serve", "--mcp", "--watch", "--port", str(port)]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        try:
            _wait_until_serving(process, f"http://127.0.0.1:{port}/", log)
            yield f"http://127.0.0.1:{port}/gradio_api/mcp/"
        finally:
            process.terminate()
            process.wait(timeout=60)
        log.seek(0)
        assert process.returncode == 0, log.read().decode()[-3000:]


def _wait_until_serving(process: subprocess.Popen, url: str, log) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"serve exited:\n{log.read().decode()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    pytest.fail("the server did not start")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _session_calls(url: str) -> dict:
    """The tools listed, and each tool's reply, through one MCP session."""
    async with (
        streamable_http_client(url) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        calls = {
            "ask": await session.call_tool("ask", {"question": "Was sagte Rubio über Russland?"}),
            "people": await session.call_tool("people", {}),
            "articles": await session.call_tool("articles", {}),
            "timeline": await session.call_tool("timeline", {"person": "Rubio"}),
            "empty": await session.call_tool("ask", {"question": "   "}),
            "unmatched": await session.call_tool(
                "ask", {"question": "Who is Rubio?", "articles": ["nowhere/*"]}
            ),
            "chosen": await session.call_tool(
                "ask", {"question": "Was sagte Rubio über Russland?", "articles": [SEED.name]}
            ),
            "timeline_chosen": await session.call_tool(
                "timeline", {"person": "Rubio", "articles": [SEED.name]}
            ),
            "timeline_unmatched": await session.call_tool(
                "timeline", {"person": "Rubio", "articles": ["nowhere/*"]}
            ),
        }
        return {"tools": tools, **calls}


def _value(result) -> object:
    """A tool's reply: Gradio hands back the returned value as its Python text."""
    assert not result.isError, result.content
    return ast.literal_eval(result.content[0].text)


def test_mcp_clients_call_ask_people_articles_and_timeline(server: str):
    replies = asyncio.run(_session_calls(server))
    tools = replies["tools"]
    assert set(tools) == {"ask", "people", "articles", "timeline"}
    # An agent learns from the descriptions what each tool does and how to cite.
    assert "title and date" in tools["ask"].description
    assert tools["ask"].inputSchema["required"] == ["question"]
    assert "follow-up" in tools["ask"].inputSchema["properties"]["history"]["description"]
    assert "sub-folders" in tools["ask"].inputSchema["properties"]["articles"]["description"]

    answer = _value(replies["ask"])
    assert answer["question"] == "Was sagte Rubio über Russland?" and not answer["abstained"]
    assert answer["citations"], answer
    for citation in answer["citations"]:
        assert f"[{citation['n']}]" in answer["answer"]
        assert citation["title"].startswith("Vorschlag für Waffenruhe")
        assert citation["date"] == "2025-03"
        assert citation["speaker"] == "Marco Rubio"

    people = _value(replies["people"])
    assert {"name": "Marco Rubio", "statements": 7, "articles": [SEED.name]} in people
    articles = _value(replies["articles"])
    assert [(a["id"], a["date"]) for a in articles] == [(SEED.name, "2025-03")]
    timeline = _value(replies["timeline"])
    assert [entry["date"] for entry in timeline["entries"]] == ["2025-03"]

    assert replies["empty"].isError  # a bad question is the tool's error, with the reason
    assert "question" in replies["empty"].content[0].text.lower()
    # Chosen articles: the answer comes from them; a pattern matching none is named.
    assert _value(replies["chosen"]) == answer
    assert replies["unmatched"].isError and "nowhere/*" in replies["unmatched"].content[0].text
    assert "sub-folders" in tools["timeline"].inputSchema["properties"]["articles"]["description"]
    assert _value(replies["timeline_chosen"]) == timeline
    unmatched = replies["timeline_unmatched"]
    assert (
        unmatched.isError and "No indexed article matches 'nowhere/*'" in unmatched.content[0].text
    )


async def _article_ids(url: str) -> list[str]:
    async with (
        streamable_http_client(url) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        return [a["id"] for a in _value(await session.call_tool("articles", {}))]


def test_an_article_dropped_into_the_watched_folder_reaches_the_tools(server: str, seeds: Path):
    (seeds / "korvath.txt").write_text(
        "date 2026-02-03 Lighthouse of Korvath reopens\n\nThe lighthouse of Korvath reopened.\n",
        encoding="utf-8",
    )
    deadline = time.monotonic() + 60
    while (ids := asyncio.run(_article_ids(server))) != sorted([SEED.name, "korvath.txt"]):
        assert time.monotonic() < deadline, ids
        time.sleep(0.5)
