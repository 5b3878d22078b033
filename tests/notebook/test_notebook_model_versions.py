"""Reproducibility on the emulator: every row says which model version answered (fresh, from the store, from a batch
job), and a run whose alias now resolves to another version than the stored rows warns once, naming both."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import notebookllm as nl
from notebookllm.gemini import GeminiStrategy
from notebookllm.store import Store

ALIAS = "gemini-flash-latest"  # this test is about aliases: it names them
SUFFIX = "-notebookllm-emulator"


def _rows(n: int, word: str = "row") -> pd.DataFrame:
    return pd.DataFrame({"text": [f"{word} {i}" for i in range(n)]})


def _run(client, data, store, **options):
    return nl.run(data, prompt="{text}", strategy=GeminiStrategy(client, ALIAS), store=store, progress=False, **options)


def _version_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, nl.ModelVersionWarning)]


def test_every_row_names_the_version_that_answered_fresh_stored_and_batch(emulator, store_path):
    client = emulator.client()
    fresh = _run(client, _rows(3), store_path)
    assert fresh.df["model_version"].tolist() == ["gemini-3.8-flash" + SUFFIX] * 3
    assert str(fresh.df["model_version"].dtype) == "string"
    again = _run(client, _rows(3), store_path)
    assert again.df["from_cache"].all() and again.df["model_version"].tolist() == ["gemini-3.8-flash" + SUFFIX] * 3
    batch = _run(client, _rows(2, "batch"), store_path, mode="batch")
    assert emulator.count(endpoint="batchGenerateContent") == 1
    assert batch.df["model_version"].tolist() == ["gemini-3.8-flash" + SUFFIX] * 2


def test_an_alias_that_moved_warns_once_naming_both_versions(emulator, store_path):
    client = emulator.client()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _run(client, _rows(3), store_path)
        _run(client, _rows(2, "second"), store_path)  # same version: nothing to say
    assert _version_warnings(caught) == []

    emulator.point_alias(ALIAS, "gemini-3.7-flash")  # Google moves the alias
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        moved = _run(client, _rows(4, "third"), store_path)
    assert _version_warnings(caught) == [
        f"{ALIAS} answered as gemini-3.7-flash{SUFFIX} now; 5 stored rows came from gemini-3.8-flash{SUFFIX}"
    ]
    assert set(moved.df["model_version"]) == {"gemini-3.7-flash" + SUFFIX}

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mixed = _run(client, pd.concat([_rows(3), _rows(1, "fourth")], ignore_index=True), store_path)
    assert mixed.df["from_cache"].sum() == 3  # the old answers are served as they were, each row saying so
    assert mixed.df["model_version"].tolist() == [f"gemini-3.8-flash{SUFFIX}"] * 3 + [f"gemini-3.7-flash{SUFFIX}"]
    assert len(_version_warnings(caught)) == 1


def test_the_warning_can_be_filtered_by_its_category(emulator, store_path):
    client = emulator.client()
    _run(client, _rows(1), store_path)
    emulator.point_alias(ALIAS, "gemini-3.6-flash")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=nl.ModelVersionWarning)
        _run(client, _rows(1, "other"), store_path)


def test_point_alias_refuses_a_name_that_is_not_an_alias(emulator):
    with pytest.raises(ValueError, match="not an alias"):
        emulator.point_alias("gemini-3.8-flash", "gemini-3.7-flash")


def test_the_version_lookup_searches_the_model_index(tmp_path):
    store = Store.open(tmp_path / "s.sqlite")
    plan = store._db.run(
        lambda conn: conn.execute(
            "EXPLAIN QUERY PLAN " + nl.store.history._VERSIONS_SQL,  # type: ignore[attr-defined]
            (ALIAS,),
        ).fetchall()
    )
    assert (
        len(plan) == 1 and plan[0][-1].startswith("SEARCH responses USING") and "responses_model_version" in plan[0][-1]
    )
    store.close()


def test_a_batch_job_answered_by_a_moved_alias_warns_too(emulator, store_path):
    client = emulator.client()
    _run(client, _rows(2), store_path)
    emulator.point_alias(ALIAS, "gemini-3.7-flash")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        moved = _run(client, _rows(3, "batch"), store_path, mode="batch")
    assert emulator.count(endpoint="batchGenerateContent") == 1
    assert _version_warnings(caught) == [
        f"{ALIAS} answered as gemini-3.7-flash{SUFFIX} now; 2 stored rows came from gemini-3.8-flash{SUFFIX}"
    ]
    assert set(moved.df["model_version"]) == {"gemini-3.7-flash" + SUFFIX}
