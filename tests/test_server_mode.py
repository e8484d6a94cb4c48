"""The sync and ask suites again, with the vectors on a real `chroma run` server.

The server is started by the `chroma_server` fixture on a free loopback port and stopped
after the session. Every test imported below runs here with ASSISTANT_CHROMA_URL set.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import StoreUnavailable
from assistant.surfaces.api import Assistant
from tests.test_answer import (  # noqa: F401 (collected again, in server mode)
    test_every_citation_points_at_its_exact_place,
    test_follow_up_uses_the_previous_question,
    test_question_the_articles_do_not_cover_abstains,
    test_rubio_on_russia_cites_where_rubio_speaks_about_russia,
)
from tests.test_cli import (  # noqa: F401
    run,
    test_index_then_ask_json,
)
from tests.test_dates import (  # noqa: F401
    dated,
    test_a_date_range_restricts_the_answer_and_says_undated_articles_were_left_out,
    test_chroma_filters_every_models_search_by_the_stored_dates,
)
from tests.test_keywords import (  # noqa: F401
    test_edits_and_removals_keep_the_saved_index_in_step,
)
from tests.test_sync import (  # noqa: F401
    test_added_and_removed_articles,
    test_edit_reembeds_only_changed_passages,
    test_first_sync_adds_and_second_changes_nothing,
    test_index_built_with_other_settings_is_refused,
    test_rebuild_keeps_answers_identical,
    test_removing_the_articles_folder_content_empties_the_index,
    test_second_writer_is_told_the_index_is_busy,
    test_unreadable_article_is_skipped_and_reported,
)


@pytest.fixture(autouse=True)
def _server_mode(chroma_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", chroma_server)


def test_vectors_live_on_the_server_and_old_generations_are_dropped(
    built: Assistant, seeds: Path, chroma_server: str
):
    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=int(chroma_server.rsplit(":", 1)[1]))
    live = built.retriever().store.folder.name
    names = {c.name for c in client.list_collections()}
    assert {f"{live}-passages-0", f"{live}-passages-1"} <= names
    folder = built.retriever().store.folder
    assert not (folder / "chroma").exists()
    assert list((folder / "sentences-0").glob("*.npy"))  # read by id only: kept beside records
    assert (folder / "keywords" / "bm25").is_dir()  # so is the keyword index
    # Two more generations: the first one is neither live nor previous any more.
    (seeds / "neu.txt").write_text("Neu\n\nDie Brücke wurde eröffnet.", encoding="utf-8")
    built.sync()
    (seeds / "neu.txt").unlink()
    built.sync()
    names = {c.name for c in client.list_collections()}
    assert not any(name.startswith(live) for name in names)
    assert built.ask("What did Rubio say about Russia?").citations


def test_unreachable_server_is_a_clear_error(assistant: Assistant):
    unreachable = Assistant(assistant.settings, chroma_url="http://127.0.0.1:9")
    with pytest.raises(StoreUnavailable, match="chroma run --path"):
        unreachable.sync()
