"""The outcome of a run as a data scientist wants it: a DataFrame with one row per input, and views on it.

:class:`Results` keeps the engine's :class:`~notebookllm.core.results.WorkItemResult` objects in input order and
builds :attr:`Results.df` from them column by column (lists first, one DataFrame at the end), so 100,000 rows take
well under two seconds.

Example:
    >>> results = nl.run(df, prompt="Classify: {review}", strategy=strategy)   # doctest: +SKIP
    >>> results.df[["review", "output", "finish_reason", "safety_harassment"]]  # doctest: +SKIP
    >>> results.failed                                                          # doctest: +SKIP
    >>> results.summary()                                                       # doctest: +SKIP
    >>> results = results.retry_failed()                                        # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import BaseModel

from ..core.redaction import redact
from ..core.tokens import ZERO_USAGE, format_usd
from ..quota_day import describe_reset
from .tables import key_value_html, key_value_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..core.results import WorkItemResult
    from ..core.tokens import TokenUsage
    from .deadline import DeadlineOutcome
    from .evaluation import Evaluation

__all__ = ["RESULT_DTYPES", "SAFETY_COLUMNS", "Results", "RunSummary", "input_column_name"]

#: Safety columns of :attr:`Results.df` and the API's harm category each one shows.
SAFETY_COLUMNS: dict[str, str] = {
    "safety_harassment": "HARM_CATEGORY_HARASSMENT",
    "safety_hate_speech": "HARM_CATEGORY_HATE_SPEECH",
    "safety_sexually_explicit": "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "safety_dangerous_content": "HARM_CATEGORY_DANGEROUS_CONTENT",
}

#: The columns every :attr:`Results.df` has after the input columns, in order, with their dtypes. These never
#: depend on the data (an all-success run still has ``string`` error columns), so downstream code can rely on them.
#: Pydantic outputs add one column per field right after ``output``.
RESULT_DTYPES: dict[str, str] = {
    "output": "object",
    "success": "bool",
    "error_type": "string",
    "error": "string",
    "attempts": "int64",
    "rate_limit_waits": "int64",
    "unavailable_waits": "int64",
    "finish_reason": "string",
    "blocked": "bool",
    **dict.fromkeys(SAFETY_COLUMNS, "string"),
    "input_tokens": "int64",
    "output_tokens": "int64",
    "cached_tokens": "int64",
    "thoughts_tokens": "int64",
    "cost_usd": "float64",
    "latency_s": "float64",
    "from_cache": "bool",
    "model_version": "string",
}

# The token columns that add up to what a row was billed (cached tokens are part of the input tokens).
_BILLED_TOKEN_COLUMNS = ["input_tokens", "output_tokens", "thoughts_tokens"]
_HTML_ROWS = 20
_HTML_CELL_CHARS = 160


@dataclass(frozen=True, repr=False)
class RunSummary:
    """Counts, tokens, cost and breakdowns of one run; ``str()`` gives a short report, Jupyter shows a table.

    Tokens and ``cost_usd`` are what this run was billed: rows answered from the store count under
    ``saved_tokens`` and ``saved_cost_usd`` instead (the progress display counts the same way). ``cost_usd`` and
    ``saved_cost_usd`` are ``None`` when no such row carried a price (a strategy without a price table).
    ``safety`` maps a harm category to ``{probability: rows}``; ``finish_reasons`` and ``error_types`` map a
    value to its number of rows. ``cache_saving_usd`` is what cache hits (implicit or explicit) saved against the
    full input price; ``cache_storage_usd`` what the run's explicit context caches cost to store (not in
    ``cost_usd``); both ``None`` when there was none. ``budget``: a capped run's spent / cap and the rows it did
    not send (``None`` without a cap). ``daily_quota``: when a spent daily quota stopped the run, which model and
    when it resets (``retry_failed()`` after that continues). ``requests_today``: answered requests per model since
    the quota day began (midnight Pacific), from the run's store only (``None`` without a store). ``deadline``: what
    a batch run with a deadline did (job cancelled, rows answered by the job and finished online; ``None`` without a
    deadline). After :meth:`Results.retry_failed` the totals cover every attempt, the first run's included, and
    ``retry_tokens`` / ``retry_cost_usd`` / ``retried`` say what the retry's own requests billed and over how many
    rows (``None`` / ``None`` / 0 for a run that is not a retry).
    """

    total: int
    succeeded: int
    failed: int
    blocked: int
    from_cache: int
    interrupted: bool
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    thoughts_tokens: int
    cost_usd: float | None
    saved_cost_usd: float | None
    wall_s: float | None
    finish_reasons: dict[str, int] = field(default_factory=dict)
    error_types: dict[str, int] = field(default_factory=dict)
    safety: dict[str, dict[str, int]] = field(default_factory=dict)
    saved_tokens: int = 0
    cache_saving_usd: float | None = None
    cache_storage_usd: float | None = None
    store_warning: str | None = None
    budget: str | None = None
    daily_quota: str | None = None
    requests_today: dict[str, int] | None = None
    deadline: str | None = None
    retried: int = 0
    retry_tokens: int | None = None
    retry_cost_usd: float | None = None

    @property
    def success_rate(self) -> float:
        """Succeeded rows over all rows (0.0 for an empty run)."""
        return self.succeeded / self.total if self.total else 0.0

    def _lines(self) -> list[tuple[str, str]]:
        rows = [("store", f"⚠ {self.store_warning}")] if self.store_warning else []
        rows += [
            ("rows", f"{self.total:,}" + (" (interrupted)" if self.interrupted else "")),
            ("succeeded", f"{self.succeeded:,} ({self.success_rate:.0%})"),
            ("failed", f"{self.failed:,}"),
            ("blocked", f"{self.blocked:,}"),
            ("from cache", f"{self.from_cache:,}"),
            (
                "tokens",
                f"{self.input_tokens:,} in / {self.output_tokens:,} out / {self.cached_tokens:,} cached"
                f" / {self.thoughts_tokens:,} thoughts",
            ),
            ("cost", format_usd(self.cost_usd)),
        ]
        if self.budget:
            rows.append(("budget", self.budget))
        if self.daily_quota:
            rows.append(("daily quota", self.daily_quota))
        if self.requests_today:
            rows.append(("requests today", _counts(self.requests_today) + " (this store only: other notebooks "
                         "and keys are not seen)"))  # fmt: skip
        if self.deadline:
            rows.append(("deadline", self.deadline))
        if self.retry_tokens is not None:
            spent = f"{format_usd(self.retry_cost_usd)} ({self.retry_tokens:,} tokens, {self.retried:,} rows retried)"
            rows.append(("retry spent", spent))
        if self.cache_storage_usd is not None:
            rows.append(("cache storage", format_usd(self.cache_storage_usd)))
        if self.cache_saving_usd is not None:
            rows.append(("cache hits saved", format_usd(self.cache_saving_usd)))
        if self.from_cache:
            rows.append(("saved by cache", f"{format_usd(self.saved_cost_usd)} ({self.saved_tokens:,} tokens)"))
        if self.wall_s:
            rows.append(("time", f"{self.wall_s:.1f}s ({self.total / self.wall_s:,.1f} rows/s)"))
        rows.append(("finish reasons", _counts(self.finish_reasons)))
        if self.error_types:
            rows.append(("errors", _counts(self.error_types)))
        for category, probs in self.safety.items():
            rows.append((category.removeprefix("HARM_CATEGORY_").lower(), _counts(probs)))
        return rows

    def __str__(self) -> str:
        return key_value_text(self._lines())

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return key_value_html(self._lines())


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v:,}" for k, v in counter.items()) or "-"


def _daily_quota_line(results: Sequence[WorkItemResult]) -> str | None:
    """``"gemini-x spent; resets at 08:00 UTC (00:00 Pacific), in 5 h 12 min"`` when a spent daily quota stopped
    the run (every row it stopped carries the same error)."""
    for r in results:
        resets_at = getattr(r.error, "resets_at", None)  # a GeminiAccountError for a spent daily quota
        if resets_at is not None:
            when = describe_reset(resets_at, time.time())
            return f"{r.error.model} spent; resets at {when}, then results.retry_failed() goes on"  # type: ignore[union-attr]
    return None


class Results:
    """The results of one run, in input order.

    Attributes:
        results: the engine's :class:`WorkItemResult` objects, one per input row, in input order.
        interrupted: the run was interrupted (Ctrl+C); unfinished rows failed with ``ItemCancelledError`` and
            re-running the same cell requests only them when the store is on.
        progress: the progress display the run drew (its ``state`` holds the final counts).
    """

    def __init__(
        self,
        inputs: pd.DataFrame,
        results: Sequence[WorkItemResult],
        *,
        interrupted: bool = False,
        wall_s: float | None = None,
        progress: Any = None,
        rerun: Callable[[Results, list[int], dict[str, Any]], Awaitable[Results]] | None = None,
        store_warning: str | None = None,
        budget: str | None = None,
        requests_today: dict[str, int] | None = None,
        deadline: DeadlineOutcome | None = None,
        retry: Sequence[WorkItemResult] = (),
    ) -> None:
        if len(inputs) != len(results):
            raise ValueError(f"{len(inputs)} input rows but {len(results)} results")
        self.inputs = inputs
        self.results: list[WorkItemResult] = list(results)
        self.interrupted = interrupted
        self.wall_s = wall_s
        self.progress = progress
        self._rerun = rerun
        #: Set while the store's file was not taking results at the end of the run (they are kept in memory).
        self.store_warning = store_warning
        #: A capped run's spent / cap and the rows it did not send (``nl.run(max_cost=...)``), else ``None``.
        self.budget = budget
        #: Answered requests per model since the quota day began, from the run's store (``None`` without one).
        self.requests_today = requests_today
        #: What a batch run with ``deadline=`` did (a :class:`~notebookllm.notebook.deadline.DeadlineOutcome`).
        self.deadline = deadline
        #: After :meth:`retry_failed`: the retry's own results (what its requests billed), else empty.
        self.retry: list[WorkItemResult] = list(retry)

    def __len__(self) -> int:
        return len(self.results)

    def __iter__(self) -> Iterator[WorkItemResult]:
        return iter(self.results)

    # ----------------------------------------------------------------------------------------------- the table
    @functools.cached_property
    def df(self) -> pd.DataFrame:
        """One row per input, same order and index: input columns, then the columns of :data:`RESULT_DTYPES`."""
        return _build_frame(self.inputs, self.results)

    @property
    def failed(self) -> pd.DataFrame:
        """The rows that did not succeed (blocked ones included)."""
        return self.df[~self.df["success"]]

    @property
    def blocked(self) -> pd.DataFrame:
        """The rows a safety filter blocked (prompt or response)."""
        return self.df[self.df["blocked"]]

    @property
    def outputs(self) -> list[Any]:
        """The outputs in input order (``None`` where an item failed)."""
        return self.df["output"].tolist()

    # ----------------------------------------------------------------------------------------------- reports
    def summary(self) -> RunSummary:
        """Counts, tokens and cost billed by this run, what the store saved, finish-reason, error and safety
        breakdowns."""
        df = self.df
        billed = df[~df["from_cache"]]
        costs: dict[bool, list[float]] = {False: [], True: []}  # from_cache → the rows' costs
        cache_costs: dict[str, list[float]] = {"cache_saving_usd": [], "cache_storage_usd": []}
        for r in self.results:
            metadata = r.metadata or {}
            cost = metadata.get("cost_usd")
            if cost is not None:
                costs[bool(r.from_cache)].append(cost)
            if not r.from_cache:
                for key, values in cache_costs.items():
                    if metadata.get(key) is not None:
                        values.append(metadata[key])
        safety = {
            category: {str(k): int(v) for k, v in df[column].value_counts().items()}
            for column, category in SAFETY_COLUMNS.items()
            if df[column].notna().any()
        }
        return RunSummary(
            total=len(df),
            succeeded=int(df["success"].sum()),
            failed=int((~df["success"]).sum()),
            blocked=int(df["blocked"].sum()),
            from_cache=int(df["from_cache"].sum()),
            interrupted=self.interrupted,
            input_tokens=int(billed["input_tokens"].sum()),
            output_tokens=int(billed["output_tokens"].sum()),
            cached_tokens=int(billed["cached_tokens"].sum()),
            thoughts_tokens=int(billed["thoughts_tokens"].sum()),
            # A run answered wholly from a priced store cost 0.0; a run with no prices at all is "unknown".
            cost_usd=math.fsum(costs[False]) if costs[False] or costs[True] else None,
            saved_cost_usd=math.fsum(costs[True]) if costs[True] else None,
            saved_tokens=int(df.loc[df["from_cache"], _BILLED_TOKEN_COLUMNS].to_numpy().sum()),
            wall_s=self.wall_s,
            finish_reasons={str(k): int(v) for k, v in df["finish_reason"].value_counts().items()},
            error_types={str(k): int(v) for k, v in df["error_type"].value_counts().items()},
            safety=safety,
            **{key: math.fsum(values) if values else None for key, values in cache_costs.items()},
            store_warning=self.store_warning,
            budget=self.budget,
            daily_quota=_daily_quota_line(self.results),
            requests_today=self.requests_today,
            deadline=str(self.deadline) if self.deadline is not None else None,
            **_retry_spend(self.retry),
        )

    async def ascore(self, labels: Any, scorer: Any = None, *, mode: str = "online", **options: Any) -> Evaluation:
        """Score the outputs against ``labels`` (a column name of the inputs, or one label per row).

        ``scorer``: exact match after normalisation (default), ``nl.field(name)``, ``nl.judge(...)`` or a function
        ``(output, label) -> bool | float``. Only a judge sends requests (run with ``options`` and ``mode``, answered
        from the store where it can). The variant is called ``"run"`` in the reports.
        """
        from .evaluation import aevaluate
        from .modes import check_mode
        from .runner import RunOptions

        return await aevaluate(self.inputs, {"run": self}, labels=labels, scorer=scorer,
                               options=RunOptions.build(**options), mode=check_mode(mode))  # fmt: skip

    def score(self, labels: Any, scorer: Any = None, *, mode: str = "online", **options: Any) -> Evaluation:
        """:meth:`ascore`, synchronously. Example: ``results.score(labels="sentiment").scores``."""
        from ..sync import run_sync

        return run_sync(self.ascore(labels, scorer, mode=mode, **options))

    def plot(self) -> Figure:
        """Latency histogram, tokens per item and finish reasons, side by side (matplotlib through pandas)."""
        from .plots import plot_results

        return plot_results(self.df)

    def __repr__(self) -> str:
        s = self.summary()
        flag = ", interrupted" if self.interrupted else ""
        return (
            f"<Results: {s.total:,} rows, {s.succeeded:,} succeeded, {s.failed:,} failed, {s.blocked:,} blocked{flag}>"
        )

    def _repr_html_(self) -> str:
        from .html_view import results_html

        return redact(results_html(self.summary(), self.df, max_rows=_HTML_ROWS, cell_chars=_HTML_CELL_CHARS))

    # ----------------------------------------------------------------------------------------------- reruns
    async def aretry_failed(self, *, include_blocked: bool = False, **options: Any) -> Results:
        """Run the failed rows again (blocked ones only if asked) and return all rows with the new outcomes.

        ``options`` override the original run's (e.g. ``max_attempts=5``, ``timeout=300``).
        """
        if self._rerun is None:
            raise RuntimeError("these results cannot be rerun: they were not produced by nl.run, nl.arun or nl.compare")
        positions = [
            i
            for i, r in enumerate(self.results)
            if not r.success and (include_blocked or not (r.metadata or {}).get("blocked"))
        ]
        if not positions:
            return self
        return await self._rerun(self, positions, options)

    def retry_failed(self, *, include_blocked: bool = False, **options: Any) -> Results:
        """:meth:`aretry_failed`, synchronously (also inside Jupyter's running loop)."""
        from ..sync import run_sync

        return run_sync(self.aretry_failed(include_blocked=include_blocked, **options))

    def merged(self, positions: Sequence[int], new: Sequence[WorkItemResult], **changes: Any) -> Results:
        """A copy whose rows at ``positions`` hold the rerun's results ``new`` instead (used by reruns).

        A rerun row's tokens and ``cost_usd`` add what the row had already billed, so every attempt counts once;
        :attr:`retry` keeps ``new`` as it came, for what the rerun itself spent.
        """
        results = list(self.results)
        for position, result in zip(positions, new, strict=True):
            results[position] = _with_earlier_spend(result, results[position])
        kwargs: dict[str, Any] = {
            "interrupted": self.interrupted,
            "wall_s": self.wall_s,
            "progress": self.progress,
            "rerun": self._rerun,
            "store_warning": self.store_warning,
            "budget": self.budget,
            "requests_today": self.requests_today,
            "deadline": self.deadline,
            "retry": new,
        }
        return Results(self.inputs, results, **{**kwargs, **changes})

    # ----------------------------------------------------------------------------------------------- files
    def to_parquet(self, path: str | Path, **kwargs: Any) -> None:
        """Write :attr:`df` to Parquet; non-string outputs are stored as JSON. Read back with :meth:`read_parquet`."""
        _storable(self.df).to_parquet(path, **kwargs)

    def to_csv(self, path: str | Path, **kwargs: Any) -> None:
        """Write :attr:`df` (index included) to CSV; read back with :meth:`read_csv` to get the dtypes back."""
        _storable(self.df).to_csv(path, **kwargs)

    @staticmethod
    def read_parquet(path: str | Path, **kwargs: Any) -> pd.DataFrame:
        """A results DataFrame written by :meth:`to_parquet`, with the dtypes of :data:`RESULT_DTYPES`."""
        return _restore_dtypes(pd.read_parquet(path, **kwargs))

    @staticmethod
    def read_csv(path: str | Path, **kwargs: Any) -> pd.DataFrame:
        """A results DataFrame written by :meth:`to_csv`, with the dtypes of :data:`RESULT_DTYPES`."""
        return _restore_dtypes(pd.read_csv(path, index_col=0, **kwargs))


def _with_earlier_spend(result: WorkItemResult, earlier: WorkItemResult) -> WorkItemResult:
    """``result`` also carrying what ``earlier`` (the same row's previous outcome) billed.

    A row the store answered (now or before) keeps the store's figures, which the summary counts as saved, not
    billed; the earlier failed attempts of a row another run has since answered are then not in the totals.
    """
    if result.from_cache or earlier.from_cache:
        return result
    before = (earlier.metadata or {}).get("cost_usd")
    metadata = result.metadata or {}
    now = metadata.get("cost_usd")
    cost = now if before is None else before if now is None else before + now
    return dataclasses.replace(
        result,
        token_usage=earlier.token_usage + result.token_usage,
        metadata={**metadata, "cost_usd": cost} if cost is not None else metadata,
    )


def _billed_tokens(usage: TokenUsage) -> int:
    """The tokens a usage was billed for, as the summary adds them up (cached tokens are part of the input)."""
    return usage.input_tokens + usage.output_tokens + usage.thoughts_tokens


def _retry_spend(retry: Sequence[WorkItemResult]) -> dict[str, Any]:
    """The summary's ``retried`` / ``retry_tokens`` / ``retry_cost_usd`` of a retry's own results."""
    if not retry:
        return {}
    billed = [r for r in retry if not r.from_cache]
    costs = [c for r in billed if (c := (r.metadata or {}).get("cost_usd")) is not None]
    return {
        "retried": len(retry),
        "retry_tokens": sum(_billed_tokens(r.token_usage) for r in billed),
        "retry_cost_usd": math.fsum(costs) if costs else None,
    }


# --------------------------------------------------------------------------------------------------- building
@functools.cache
def _wrapper_type() -> type | None:
    """GeminiResponse, whose ``.output`` is what belongs in the output column (``include_metadata=True``)."""
    try:
        from ..gemini import GeminiResponse
    except ImportError:  # the Gemini layer is optional for engine-only use
        return None
    return GeminiResponse


def _build_frame(inputs: pd.DataFrame, results: Sequence[WorkItemResult]) -> pd.DataFrame:
    wrapper = _wrapper_type()
    columns: dict[str, list[Any]] = {name: [] for name in RESULT_DTYPES}
    outputs, success, attempts = columns["output"], columns["success"], columns["attempts"]
    waits, unavailable = columns["rate_limit_waits"], columns["unavailable_waits"]
    error_type, error = columns["error_type"], columns["error"]
    finish, blocked = columns["finish_reason"], columns["blocked"]
    safety = [(columns[c], category) for c, category in SAFETY_COLUMNS.items()]
    in_tok, out_tok = columns["input_tokens"], columns["output_tokens"]
    cached_tok, thought_tok = columns["cached_tokens"], columns["thoughts_tokens"]
    latency, from_cache, row_cost = columns["latency_s"], columns["from_cache"], columns["cost_usd"]
    model_version = columns["model_version"]
    # One pass of plain list appends: the per-row cost that decides how long 100,000 rows take.
    for r in results:
        out = r.output
        if wrapper is not None and isinstance(out, wrapper):
            out = out.output
        outputs.append(out)
        success.append(bool(r.success))
        err = r.error
        error_type.append(None if err is None else type(err).__name__)
        error.append(None if err is None else redact(str(err)))
        attempts.append(r.attempts)
        waits.append(r.rate_limit_waits)
        unavailable.append(r.unavailable_waits)
        md = r.metadata or {}
        finish.append(md.get("finish_reason"))
        blocked.append(bool(md.get("blocked")))
        ratings = md.get("safety_ratings") or {}
        for column, category in safety:
            column.append(ratings.get(category))
        usage = r.token_usage or ZERO_USAGE
        in_tok.append(usage.input_tokens)
        out_tok.append(usage.output_tokens)
        cached_tok.append(usage.cached_input_tokens)
        thought_tok.append(usage.thoughts_tokens)
        cost = md.get("cost_usd")
        row_cost.append(math.nan if cost is None else cost)
        latency.append(math.nan if r.latency_s is None else r.latency_s)
        from_cache.append(bool(r.from_cache))
        model_version.append(md.get("model_version"))

    data: dict[str, Any] = {input_column_name(name): inputs[name].array for name in inputs.columns}
    data["output"] = _object_array(outputs)
    data.update(_model_fields(outputs, taken=set(data) | set(RESULT_DTYPES)))
    for name, values in columns.items():
        if name != "output":
            data[name] = pd.array(values, dtype=RESULT_DTYPES[name])
    frame = pd.DataFrame(data, copy=False)
    frame.index = inputs.index  # set, not passed: passing it would align the Series on it
    return frame


def input_column_name(name: Any) -> Any:
    """The name an input column gets in :attr:`Results.df`: ``input_<name>`` if a result column has its name.

    That happens when results are fed into a second run (``nl.run(results.df, prompt="... {output}")``).
    """
    return f"input_{name}" if name in RESULT_DTYPES else name


def _object_array(values: list[Any]) -> pd.Series:
    """``values`` as an object column (a bare array of strings would be inferred as a string column)."""
    import numpy as np

    array = np.empty(len(values), dtype=object)
    array[:] = values  # slice assignment keeps list/tuple outputs as single cells
    return pd.Series(array, dtype=object, copy=False)


def _model_fields(outputs: list[Any], taken: set[str]) -> dict[str, Any]:
    """One column per field of the pydantic outputs (``output_<field>`` where the name is taken)."""
    names: dict[str, None] = {}
    for out in outputs:
        if isinstance(out, BaseModel):
            names.update(dict.fromkeys(type(out).model_fields))
    fields: dict[str, Any] = {}
    for name in names:
        column = f"output_{name}" if name in taken else name
        fields[column] = [getattr(o, name, None) if isinstance(o, BaseModel) else None for o in outputs]
    return fields


# --------------------------------------------------------------------------------------------------- files
def _storable(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with outputs a file format can hold: strings stay strings, models and other objects become JSON."""
    out = df.copy()
    out["output"] = [_jsonable(v) for v in df["output"]]
    return out


def _jsonable(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value, default=str)


def _restore_dtypes(df: pd.DataFrame) -> pd.DataFrame:
    for name, dtype in RESULT_DTYPES.items():
        if name not in df.columns:
            continue
        if dtype == "object":
            df[name] = _object_array([None if is_missing(v) else v for v in df[name]]).set_axis(df.index)
        else:
            df[name] = df[name].astype(dtype)
    return df


def is_missing(value: Any) -> bool:
    """``None``, ``pd.NA`` or NaN: an empty cell, whatever the column's dtype."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
