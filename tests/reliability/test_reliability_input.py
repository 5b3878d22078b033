"""Hostile input: every bad template, cell or prompt function is a clear error naming the row and column,
raised before any request reaches the emulator, and the store is left untouched."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import notebookllm as nl
from notebookllm import ConfigurationError, InvalidWorkItemError
from notebookllm.emulator import Emulator


@pytest.fixture
def refused(emulator: Emulator, store_path: Path, strategy: Any) -> Any:
    """``refused(data, error, match, **options)``: ``nl.run`` raises ``error``, nothing is sent or stored."""

    def check(data: Any, error: type, match: str, **kw: Any) -> BaseException:
        with pytest.raises(error, match=match) as caught:
            nl.run(data, strategy=strategy, progress=False, store=store_path, **kw)
        assert emulator.count(endpoint="generateContent") == 0
        assert not store_path.exists() or _rows(store_path) == 0
        return caught.value

    return check


def _rows(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM responses").fetchone()[0]


FRAME = pd.DataFrame({"text": ["short", "a longer review"], "w": [10, 20]}, index=["r1", "r2"])


@pytest.mark.parametrize(
    ("template", "match"),
    [
        ("Classify: {text.upper}", r"\{text\.upper\}.*attribute or an item of column 'text'"),
        ("Classify: {text[5]}", r"\{text\[5\]\}.*column 'text'"),
        ("Classify: {text:>{w}}", r"\{text:>\{w\}\}.*inside its format spec"),
        ("Classify: {text!z}", r"unknown conversion !z"),
        ('Answer as JSON like {"label": "pos"}: {text}', r"\{\{ and \}\}"),
        ('Answer as JSON like {\n  "label": "pos"\n}: {text}', r"\{\{ and \}\}"),
        ("Answer as JSON like {label: pos}: {text}", r"\{\{ and \}\}"),
        ("A lone } brace: {text}", r"\{\{ and \}\}"),
        ("{0}", "positional"),
    ],
)
def test_bad_templates_are_refused_before_any_request(refused, template, match) -> None:
    refused(FRAME, ConfigurationError, match, prompt=template)


def test_a_doubled_json_example_works(emulator, store_path, strategy) -> None:
    results = nl.run(FRAME, strategy=strategy, progress=False, store=store_path, prompt='{{"label": "x"}} {text}')
    assert results.df["success"].all()
    assert emulator.count(endpoint="generateContent") == 2


def test_a_format_spec_that_does_not_fit_a_value_names_row_and_column(refused) -> None:
    err = refused(
        FRAME,
        InvalidWorkItemError,
        r"row 'r1'.*column 'text'",
        prompt="Classify: {text:d}",
    )
    assert "short" in str(err)


@pytest.mark.parametrize(
    ("cell", "match"),
    [
        (None, r"row 'r2': column 'text' has no value"),
        (np.nan, r"row 'r2': column 'text' has no value"),
        (["a", "list"], r"row 'r2': column 'text' holds a list"),
        ({"a": 1}, r"row 'r2': column 'text' holds a dict"),
        (str.upper, r"row 'r2': column 'text' holds a method_descriptor"),
        (object(), r"row 'r2': column 'text' holds a object"),
    ],
)
def test_cells_that_are_not_plain_data_name_row_and_column(refused, cell, match) -> None:
    frame = pd.DataFrame({"text": ["fine", cell]}, index=["r1", "r2"], dtype=object)
    refused(frame, InvalidWorkItemError, match, prompt="Classify: {text}")


def test_plain_values_of_every_kind_are_written_as_text(emulator, store_path, strategy) -> None:
    frame = pd.DataFrame(
        {"n": [1, 2], "x": [0.5, 1.5], "b": [True, False], "d": pd.to_datetime(["2026-01-01", "2026-01-02"])}
    )
    results = nl.run(frame, strategy=strategy, progress=False, store=store_path, prompt="{n} {x:.1f} {b} {d:%Y}")
    assert results.df["success"].all()


def test_a_prompt_function_that_raises_names_the_row(refused) -> None:
    def prompt(row: Any) -> str:
        return f"Classify: {row.text[10]}"

    err = refused(
        FRAME,
        InvalidWorkItemError,
        r"row 'r1': the prompt function raised IndexError",
        prompt=prompt,
    )
    assert isinstance(err.__cause__, IndexError)


def test_duplicate_and_multiindex_indexes(refused, store_path, strategy) -> None:
    dup = pd.DataFrame({"text": ["a", "b"]}, index=["x", "x"])
    refused(
        dup,
        InvalidWorkItemError,
        r"duplicate item id 'x' in the index",
        prompt="{text}",
    )
    multi = pd.DataFrame({"text": ["a", "b"]}, index=pd.MultiIndex.from_tuples([("g", 1), ("g", 2)]))
    results = nl.run(multi, strategy=strategy, progress=False, store=store_path, prompt="{text}")
    assert list(results.df.index) == [("g", 1), ("g", 2)]
    assert results.df["success"].all()


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"max_workers": 0}, "max_workers"),
        ({"max_workers": -3}, "max_workers"),
        ({"rpm": -1}, "requests_per_minute"),
        ({"rpm": float("nan")}, "requests_per_minute"),
        ({"tpm": 0}, "tokens_per_minute"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": 10**9}, "max_attempts"),
        ({"timeout": -1}, "timeout_per_item"),
        ({"timeout": float("inf")}, "timeout_per_item"),
        ({"timeout": 0}, "timeout_per_item"),
        ({"rpm": 0}, "requests_per_minute"),
        ({"rpm": float("inf")}, "requests_per_minute.*finite"),
        ({"tpm": float("inf")}, "tokens_per_minute.*finite"),
        ({"max_attempts": 1.5}, "max_attempts.*fractional"),
        ({"max_attempts": -1}, "max_attempts"),
    ],
)
def test_zero_negative_and_absurd_options(refused, options, match) -> None:
    refused(FRAME, ConfigurationError, match, prompt="{text}", **options)


def test_a_prompt_over_the_input_limit_fails_its_row_once_with_the_service_reason(make_emulator: Any) -> None:
    # Decided: no countTokens before each row (a request per row, and the limit is the service's to know); the
    # service's 400 fails that row alone, never retried, its message saying the count and the limit.
    emu: Emulator = make_emulator(input_token_limit=50)
    strategy = nl.GeminiStrategy(client=emu.client())
    frame = pd.DataFrame({"text": ["short", "long " * 60, "also short"]}, index=["a", "huge", "c"])
    results = nl.run(frame, strategy=strategy, prompt="{text}", progress=False, cache=False)
    assert results.df["success"].tolist() == [True, False, True]
    huge = results.results[1]
    assert huge.attempts == 1 and huge.error_info is not None and not huge.error_info.retryable
    assert "exceeds the maximum number of tokens allowed (50)" in str(huge.error)
    assert emu.count(endpoint="generateContent") == 3  # sent once, not retried; the other rows unaffected


def test_an_absurd_worker_count_runs_only_what_there_is(emulator: Emulator, strategy: Any) -> None:
    results = nl.run(FRAME, strategy=strategy, prompt="{text}", progress=False, cache=False, max_workers=10**6)
    assert results.df["success"].all()
    assert emulator.count(endpoint="generateContent") == 2
