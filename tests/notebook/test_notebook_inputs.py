"""Input normalisation and validation: every bad input fails with a clear message before any request."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from nb_strategies import Scripted

import notebookllm as nl
from notebookllm import ConfigurationError, InvalidWorkItemError, LLMWorkItem


def run(data, strategy, **options):
    return nl.run(data, strategy=strategy, **{"cache": False, "progress": False, **options})


def test_template_over_dataframe_keeps_index_order_and_columns() -> None:
    df = pd.DataFrame({"review": ["good", "bad", "fine"], "stars": [5, 1, 3]}, index=["z", "a", "m"])
    s = Scripted()
    results = run(df, s, prompt="{review} ({stars} stars)")
    assert list(results.df.index) == ["z", "a", "m"]
    assert list(results.df.columns[:2]) == ["review", "stars"]
    assert results.df["output"].tolist() == ["GOOD (5 STARS)", "BAD (1 STARS)", "FINE (3 STARS)"]
    assert [r.item_id for r in results] == ["z", "a", "m"]


def test_callable_prompt_gets_row_with_key_and_attribute_access() -> None:
    df = pd.DataFrame({"a": ["x", "y"], "b": [1, 2]})
    results = run(df, Scripted(), prompt=lambda row: f"{row['a']}-{row.b}")
    assert results.outputs == ["X-1", "Y-2"]


def test_list_of_strings_and_dicts_and_series() -> None:
    assert run(["one", "two"], Scripted()).outputs == ["ONE", "TWO"]
    assert run(["one"], Scripted(), prompt="say {text}").outputs == ["SAY ONE"]
    assert run([{"q": "hi"}], Scripted(), prompt="{q}!").df.columns[0] == "q"
    series = pd.Series(["p", "q"], index=[10, 20], name="word")
    results = run(series, Scripted())
    assert list(results.df.index) == [10, 20] and results.outputs == ["P", "Q"]


def test_work_items_are_used_as_given() -> None:
    s = Scripted()
    items = [LLMWorkItem("first", s, "hello"), LLMWorkItem("second", s, "world")]
    results = nl.run(items, cache=False, progress=False)
    assert results.df[["item_id", "prompt", "output"]].values.tolist() == [
        ["first", "hello", "HELLO"],
        ["second", "world", "WORLD"],
    ]
    with pytest.raises(ConfigurationError, match="prompt"):
        nl.run(items, prompt="{x}", cache=False, progress=False)


def test_id_column_gives_the_item_ids() -> None:
    df = pd.DataFrame({"key": ["k1", "k2"], "text": ["a", "b"]})
    results = run(df, Scripted(), prompt="{text}", id_column="key")
    assert [r.item_id for r in results] == ["k1", "k2"]


def test_missing_template_column_is_named_with_the_columns_there_are() -> None:
    s = Scripted()
    df = pd.DataFrame({"review": ["x"], "stars": [1]})
    with pytest.raises(ConfigurationError, match=r"'revew'.*columns: 'review', 'stars'"):
        run(df, s, prompt="Classify {revew}")
    assert s.calls == []


def test_empty_prompt_names_the_row() -> None:
    s = Scripted()
    df = pd.DataFrame({"text": ["fine", "   "]}, index=["r1", "r2"])
    with pytest.raises(InvalidWorkItemError, match=r"row 'r2'.*empty"):
        run(df, s, prompt="{text}")
    with pytest.raises(InvalidWorkItemError, match=r"row 'r1'.*empty"):
        run(df, s, prompt=lambda row: "" if row.text == "fine" else "ok")
    assert s.calls == []


def test_missing_value_in_a_template_column_names_row_and_column() -> None:
    s = Scripted()
    df = pd.DataFrame({"text": ["a", np.nan]}, index=["r1", "r2"])
    with pytest.raises(InvalidWorkItemError, match=r"row 'r2'.*'text'"):
        run(df, s, prompt="Say {text}")
    assert s.calls == []


def test_duplicate_ids_are_named() -> None:
    s = Scripted()
    with pytest.raises(InvalidWorkItemError, match=r"duplicate item id 'a'.*index"):
        run(pd.DataFrame({"t": ["x", "y", "z"]}, index=["a", "a", "b"]), s, prompt="{t}")
    with pytest.raises(InvalidWorkItemError, match=r"duplicate item id 'k'.*column 'key'"):
        run(pd.DataFrame({"t": ["x", "y"], "key": ["k", "k"]}), s, prompt="{t}", id_column="key")
    assert s.calls == []


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"max_workers": 0}, "max_workers"),
        ({"rpm": -5}, "requests_per_minute"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"timeout": 0}, "timeout_per_item"),
        ({"progress": "fancy"}, "progress"),
        ({"cache": "sometimes"}, "cache mode"),
        ({"dry_run": "yes"}, "dry_run"),
        ({"run": ""}, "run"),
        ({"prompt": "{0}"}, "positional"),
        ({"prompt": "{unclosed"}, "not valid"),
        ({"prompt": None}, "prompt is required"),
        ({"id_column": "nope"}, "id_column 'nope'"),
    ],
)
def test_bad_options_raise_configuration_error_before_any_request(options: dict, match: str) -> None:
    s = Scripted()
    kwargs = {"prompt": "{t}", **options}
    with pytest.raises(ConfigurationError, match=match):
        run(pd.DataFrame({"t": ["x"]}), s, **kwargs)
    assert s.calls == []


def test_not_a_strategy_and_bad_data() -> None:
    with pytest.raises(ConfigurationError, match="LLMCallStrategy"):
        nl.run(["x"], strategy=object(), cache=False, progress=False)
    with pytest.raises(ConfigurationError, match="data must be"):
        run("just a string", Scripted())
    with pytest.raises(ConfigurationError, match="mix"):
        run(["x", 1], Scripted())


def test_duplicate_column_names_are_refused() -> None:
    df = pd.DataFrame([["a", "b"]], columns=["t", "t"])
    with pytest.raises(ConfigurationError, match=r"duplicate column names \['t'\]"):
        run(df, Scripted(), prompt="{t}")


def test_input_columns_named_like_result_columns_are_renamed_with_a_warning() -> None:
    first = run(pd.DataFrame({"text": ["a"]}), Scripted(), prompt="{text}")
    with pytest.warns(UserWarning, match=r"'output'.*input_output"):
        second = run(first.df[["text", "output"]], Scripted(), prompt="again {output}")
    assert second.df.loc[0, "input_output"] == "A"
    assert second.df.loc[0, "output"] == "AGAIN A"


def test_empty_data_gives_empty_results() -> None:
    results = run(pd.DataFrame({"t": pd.Series([], dtype=str)}), Scripted(), prompt="{t}")
    assert len(results.df) == 0
    assert results.summary().total == 0
