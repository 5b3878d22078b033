"""Results: the DataFrame's schema and dtypes, views, summary, HTML, plot, retry_failed, files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from nb_strategies import Scripted
from pydantic import BaseModel

import notebookllm as nl
from notebookllm import LLMCallStrategy, WorkItemResult
from notebookllm.core.tokens import TokenUsage
from notebookllm.notebook import RESULT_DTYPES, Results

MIXED = ["good", "fail this", "flaky one", "fine"]


def run(data, **options):
    return nl.run(data, **{"strategy": Scripted(), "cache": False, "progress": False, **options})


# The result columns issue 5 lists, in its order, with the dtypes downstream code relies on. Written out here
# rather than read from RESULT_DTYPES, so that a change to the library's schema fails this test.
ISSUE_5_SCHEMA = {
    "output": "object",
    "success": "bool",
    "error_type": "string",
    "error": "string",
    "attempts": "int64",
    "rate_limit_waits": "int64",  # issue 11: rate-limit waits in their own column, not in attempts
    "unavailable_waits": "int64",  # issue 14: 503s (not billed, not the row's fault) apart from attempts too
    "finish_reason": "string",
    "blocked": "bool",
    "safety_harassment": "string",
    "safety_hate_speech": "string",
    "safety_sexually_explicit": "string",
    "safety_dangerous_content": "string",
    "input_tokens": "int64",
    "output_tokens": "int64",
    "cached_tokens": "int64",
    "thoughts_tokens": "int64",
    "cost_usd": "float64",  # issue 17: every row carries its own cost (NaN where no price is known)
    "latency_s": "float64",
    "from_cache": "bool",
    "model_version": "string",  # issue 17: the model version that answered (the reply's modelVersion)
}


def test_the_published_schema_is_the_one_the_issue_lists() -> None:
    assert RESULT_DTYPES == ISSUE_5_SCHEMA and list(RESULT_DTYPES) == list(ISSUE_5_SCHEMA)


@pytest.mark.parametrize("texts", [["a", "b"], ["fail 1", "fail 2"], MIXED, []], ids=["ok", "failed", "mixed", "empty"])
def test_schema_and_dtypes_do_not_depend_on_the_data(texts: list[str], fast_retries: dict) -> None:
    df = pd.DataFrame({"text": pd.Series(texts, dtype=object), "n": range(len(texts))})
    results = run(df, prompt="{text}", **fast_retries)
    assert list(results.df.columns) == ["text", "n", *ISSUE_5_SCHEMA]
    assert {c: str(t) for c, t in results.df.dtypes.items() if c in ISSUE_5_SCHEMA} == ISSUE_5_SCHEMA


def test_row_values_for_success_failure_and_retry(fast_retries: dict) -> None:
    df = pd.DataFrame({"text": MIXED}, index=[40, 30, 20, 10])
    results = run(df, prompt="{text}", **fast_retries)
    d = results.df
    assert list(d.index) == [40, 30, 20, 10]
    assert d["success"].tolist() == [True, False, True, True]
    assert d.loc[30, "error_type"] == "ValueError" and "cannot answer" in d.loc[30, "error"]
    assert d.loc[30, "output"] is None
    assert d.loc[20, "attempts"] == 2 and d.loc[40, "attempts"] == 1
    assert d.loc[40, "input_tokens"] == 4 and d.loc[40, "cached_tokens"] == 1 and d.loc[40, "output_tokens"] == 2
    assert pd.isna(d.loc[40, "error_type"]) and pd.isna(d.loc[40, "finish_reason"])
    assert not d["blocked"].any() and not d["from_cache"].any()
    assert list(results.failed.index) == [30]
    assert results.blocked.empty


class Sentiment(BaseModel):
    label: str
    score: float


class Structured(LLMCallStrategy[Sentiment]):
    async def execute(self, prompt, attempt, timeout, state=None):
        if "fail" in prompt:
            raise ValueError("no")
        return Sentiment(label=prompt, score=0.5), None


def test_pydantic_outputs_are_expanded_into_columns_after_output() -> None:
    results = run(pd.DataFrame({"label": ["pos", "fail"]}), prompt="{label}", strategy=Structured())
    cols = list(results.df.columns)
    # "label" is an input column already, so the field gets the output_ prefix.
    assert cols[:4] == ["label", "output", "output_label", "score"]
    assert results.df.loc[0, "output_label"] == "pos" and pd.isna(results.df.loc[1, "output_label"])
    assert results.df.loc[0, "score"] == 0.5
    assert isinstance(results.df.loc[0, "output"], Sentiment)


def synthetic(n: int, **metadata) -> list[WorkItemResult]:
    usage = TokenUsage(input_tokens=10, output_tokens=5)
    return [WorkItemResult(f"i{k}", True, f"out {k}", token_usage=usage, metadata=dict(metadata)) for k in range(n)]


def test_metadata_becomes_finish_reason_blocked_and_safety_columns() -> None:
    ratings = {"HARM_CATEGORY_HARASSMENT": "MEDIUM", "HARM_CATEGORY_HATE_SPEECH": "NEGLIGIBLE"}
    rs = synthetic(2, finish_reason="STOP", safety_ratings=ratings, cost_usd=0.25)
    rs[1] = WorkItemResult("i1", False, error=ValueError("x"), metadata={"blocked": True, "finish_reason": "SAFETY"})
    res = Results(pd.DataFrame({"q": ["a", "b"]}), rs)
    d = res.df
    assert d["finish_reason"].tolist() == ["STOP", "SAFETY"]
    assert d["blocked"].tolist() == [False, True]
    assert d.loc[0, "safety_harassment"] == "MEDIUM" and d.loc[0, "safety_hate_speech"] == "NEGLIGIBLE"
    assert pd.isna(d.loc[0, "safety_dangerous_content"])
    s = res.summary()
    assert (s.total, s.succeeded, s.failed, s.blocked) == (2, 1, 1, 1)
    assert s.cost_usd == 0.25
    assert s.finish_reasons == {"STOP": 1, "SAFETY": 1}
    assert s.safety["HARM_CATEGORY_HARASSMENT"] == {"MEDIUM": 1}
    assert "finish reasons  STOP: 1, SAFETY: 1" in str(s)


def test_html_view_highlights_failures_and_medium_high_safety_and_escapes() -> None:
    rs = synthetic(3, safety_ratings={"HARM_CATEGORY_HARASSMENT": "HIGH"})
    rs[1] = WorkItemResult("i1", False, error=ValueError("<script>alert(1)</script>"))
    html = Results(pd.DataFrame({"q": ["<b>x</b>", "b", "c"]}), rs)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert html.count("background:#fdecea") == 1  # the failed row
    assert html.count("background:#f5a3a3") == 2  # the two HIGH harassment cells
    assert "1 failed" in html


def test_html_header_shows_a_cost_below_a_cent_in_the_summary_format() -> None:
    html = Results(pd.DataFrame({"q": ["a"]}), synthetic(1, cost_usd=0.0000123))._repr_html_()
    assert "cost $0.000012" in html  # not rounded away to $0.0000


def test_summary_bills_this_run_and_reports_what_the_store_saved() -> None:
    rs = synthetic(3, cost_usd=0.5)
    rs[0].from_cache = rs[2].from_cache = True
    s = Results(pd.DataFrame({"q": ["a", "b", "c"]}), rs).summary()
    assert (s.from_cache, s.input_tokens, s.output_tokens) == (2, 10, 5)  # only the row requested now
    assert s.cost_usd == 0.5 and s.saved_cost_usd == 1.0 and s.saved_tokens == 30
    assert "saved by cache  $1.0000 (30 tokens)" in str(s)

    for r in rs:
        r.from_cache = True
    s = Results(pd.DataFrame({"q": ["a", "b", "c"]}), rs).summary()
    assert (s.cost_usd, s.saved_cost_usd, s.input_tokens) == (0.0, 1.5, 0)  # a rerun wholly from the store
    assert Results(pd.DataFrame({"q": ["a"]}), synthetic(1)).summary().cost_usd is None  # no price anywhere


def test_html_view_of_10000_rows_shows_the_head_and_the_tail_around_a_marked_gap() -> None:
    res = Results(pd.DataFrame({"q": range(10_000)}), synthetic(10_000))
    html = res._repr_html_()
    assert html.count("<tr>") == 21  # the header and 20 rows
    assert "<th style='text-align:left;vertical-align:top'>9</th>" in html
    assert "<th style='text-align:left;vertical-align:top'>9990</th>" in html
    assert "<th style='text-align:left;vertical-align:top'>10</th>" not in html
    assert "<tr class='notebookllm-gap'>" in html and "9,980 rows not shown" in html
    assert "showing the first 10 and last 10 of 10,000 rows" in html
    few = Results(pd.DataFrame({"q": range(20)}), synthetic(20))._repr_html_()
    assert few.count("<tr>") == 21 and "notebookllm-gap" not in few and "showing" not in few


def test_html_view_cuts_long_values_and_keeps_the_whole_text_one_click_away() -> None:
    long_output = "word " * 400  # 2,000 characters
    rs = [WorkItemResult("i0", True, long_output), WorkItemResult("i1", True, "x" * 30_000)]
    html = Results(pd.DataFrame({"q": ["a", "b"]}), rs)._repr_html_()
    summary, full = html.split("<details class='notebookllm-long'><summary>")[1].split("</summary>")
    assert len(summary) < 200 and "(2,000 chars)" in summary
    assert long_output in full  # the whole text, escaped the same way
    assert "x" * 20_000 in html and "x" * 20_001 not in html and "10,000 more characters in <code>.df</code>" in html


def test_html_view_scrolls_a_wide_schema_inside_its_own_box() -> None:
    wide = pd.DataFrame({f"input_column_{k}": ["v"] for k in range(60)})
    html = Results(wide, synthetic(1))._repr_html_()
    box = html.split("<table>")[0]
    assert "overflow:auto;max-width:100%" in box
    assert html.count("<th style=") == 60 + len(RESULT_DTYPES) + 2  # every column, the index's and the row's


def test_html_view_marks_blocked_and_failed_rows_and_colours_every_safety_level() -> None:
    levels = ["NEGLIGIBLE", "LOW", "MEDIUM", "HIGH"]
    rs = [WorkItemResult(f"i{k}", True, "ok", metadata={"safety_ratings": {"HARM_CATEGORY_HARASSMENT": lv}})
          for k, lv in enumerate(levels)]  # fmt: skip
    rs.append(WorkItemResult("i4", False, error=ValueError("x"), metadata={"blocked": True}))
    rs.append(WorkItemResult("i5", False, error=ValueError("y")))
    html = Results(pd.DataFrame({"q": list("abcdef")}), rs)._repr_html_()
    styles = [html.split(f"class='notebookllm-safety-{lv}' style='")[1].split("'")[0] for lv in levels]
    assert len(set(styles)) == 4  # four levels, four colours
    assert html.count("<tr class='notebookllm-blocked'") == 1 and "title='blocked'>⊘ 4</th>" in html
    assert html.count("<tr class='notebookllm-failed'") == 1 and "title='failed'>✗ 5</th>" in html


def test_dataframe_of_100k_results_is_built_column_wise() -> None:
    res = Results(pd.DataFrame({"q": range(100_000)}), synthetic(100_000, finish_reason="STOP"))
    assert len(res.df) == 100_000
    assert res.summary().input_tokens == 1_000_000


def test_retry_failed_reruns_only_failures_and_merges_them_back() -> None:
    class FailOnce(Scripted):
        async def execute(self, prompt, attempt, timeout, state=None):
            self.calls.append((prompt, attempt))
            if "x" in prompt and len([c for c in self.calls if c[0] == prompt]) == 1:
                raise ValueError("first time")
            return prompt.upper(), None

    s = FailOnce()
    first = run(pd.DataFrame({"t": ["a", "x1", "b", "x2"]}), prompt="{t}", strategy=s)
    assert first.df["success"].tolist() == [True, False, True, False]
    second = first.retry_failed()
    assert second.df["success"].all()
    assert second.outputs == ["A", "X1", "B", "X2"]
    assert [p for p, _ in s.calls] == ["a", "x1", "b", "x2", "x1", "x2"]
    assert first.df["success"].tolist() == [True, False, True, False]  # the original is unchanged
    assert second.retry_failed() is second  # nothing left to retry


def test_retry_failed_leaves_blocked_rows_alone_unless_asked() -> None:
    rs = synthetic(1)
    rs.append(WorkItemResult("i1", False, error=ValueError("blocked"), metadata={"blocked": True}))
    calls = []

    async def rerun(base, positions, options):
        calls.append(positions)
        return base

    res = Results(pd.DataFrame({"q": [1, 2]}), rs, rerun=rerun)
    assert res.retry_failed() is res and calls == []
    res.retry_failed(include_blocked=True)
    assert calls == [[1]]


def test_plot_has_latency_tokens_and_finish_reason_panels(fast_retries: dict) -> None:
    results = run(pd.DataFrame({"text": MIXED}), prompt="{text}", **fast_retries)
    fig = results.plot()
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["latency per item", "tokens per item", "finish reasons"]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_files_round_trip(tmp_path: Path, fmt: str, fast_retries: dict) -> None:
    df = pd.DataFrame({"text": MIXED, "n": [1, 2, 3, 4]}, index=pd.Index(["a", "b", "c", "d"], name="key"))
    results = run(df, prompt="{text}", **fast_retries)
    path = tmp_path / f"results.{fmt}"
    getattr(results, f"to_{fmt}")(path)
    back = getattr(Results, f"read_{fmt}")(path)
    expected = results.df
    if fmt == "csv":  # CSV has no dtypes for the input columns; the result columns get theirs back
        back = back.astype({"text": expected["text"].dtype})
    pd.testing.assert_frame_equal(back, expected)


def test_pydantic_outputs_are_written_as_json(tmp_path: Path) -> None:
    results = run(pd.DataFrame({"x": ["pos"]}), prompt="{x}", strategy=Structured())
    results.to_parquet(tmp_path / "r.parquet")
    back = Results.read_parquet(tmp_path / "r.parquet")
    assert Sentiment.model_validate_json(back.loc[0, "output"]) == results.df.loc[0, "output"]
