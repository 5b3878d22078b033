"""``nl.compare``: the same rows through several prompts, strategies or models, side by side.

All variants run in one processor run (one progress bar, one concurrency budget, one rate limit), each row
through each variant; the store caches each variant's replies like any other run.

Example:
    >>> cmp = nl.compare(df, prompts={"short": "Sentiment: {review}",                        # doctest: +SKIP
    ...                               "guided": "Answer positive or negative. Review: {review}"},
    ...                  strategy=strategy)
    >>> cmp.df[["review", "output_short", "output_guided", "agree"]]                       # doctest: +SKIP
    >>> cmp.agreement_rate, cmp.summary()                                                  # doctest: +SKIP
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from ..core.errors import ConfigurationError
from ..core.strategy import LLMCallStrategy
from ..core.work_item import LLMWorkItem
from ..sync import run_sync
from .inputs import Data, PromptSpec, build_items
from .results import Results
from .runner import RunOptions, default_strategy, run_items

__all__ = ["Comparison", "acompare", "compare"]


class Comparison:
    """Per-variant :class:`Results` and the side-by-side view.

    Attributes:
        results: variant name → its :class:`Results` (rows in input order).
        baseline: the first variant; ``summary()`` measures agreement against it.
    """

    def __init__(self, inputs: pd.DataFrame, results: dict[str, Results]) -> None:
        self.inputs = inputs
        self.results = results
        self.baseline = next(iter(results))

    @property
    def df(self) -> pd.DataFrame:
        """Input columns, then ``output_<variant>`` for each variant, then ``agree``.

        ``agree`` is true where every variant succeeded with the same output (strings compared after trimming
        and case-folding, pydantic models by their fields).
        """
        frame = self.inputs.copy()
        for name, res in self.results.items():
            frame[f"output_{name}"] = res.df["output"]  # same index as the inputs; keeps the object dtype
        frame["agree"] = self._agree()
        return frame

    @property
    def agreement_rate(self) -> float:
        """The share of rows on which every variant succeeded and all agree (NaN if no row succeeded everywhere)."""
        all_ok = self._all_succeeded()
        return float(self._agree()[all_ok].mean()) if all_ok.any() else float("nan")

    def summary(self) -> pd.DataFrame:
        """One row per variant: outcomes, tokens, cost, mean latency, and agreement with the baseline."""
        base = [_normalise(o) for o in self.results[self.baseline].outputs]
        rows = {}
        for name, res in self.results.items():
            s = res.summary()
            both = [
                (b, _normalise(o)) for b, o in zip(base, res.outputs, strict=True) if b is not None and o is not None
            ]
            rows[name] = {
                "succeeded": s.succeeded,
                "failed": s.failed,
                "blocked": s.blocked,
                "input_tokens": s.input_tokens,
                "output_tokens": s.output_tokens,
                "cost_usd": s.cost_usd,
                "mean_latency_s": float(res.df["latency_s"].mean()) if len(res) else float("nan"),
                f"agrees_with_{self.baseline}": sum(b == o for b, o in both) / len(both) if both else float("nan"),
            }
        return pd.DataFrame.from_dict(rows, orient="index")

    def _all_succeeded(self) -> np.ndarray:
        ok = np.ones(len(self.inputs), dtype=bool)
        for res in self.results.values():
            ok &= res.df["success"].to_numpy()
        return ok

    def _agree(self) -> np.ndarray:
        per_variant = [[_normalise(o) for o in res.outputs] for res in self.results.values()]
        same = [all(v == row[0] for v in row) for row in zip(*per_variant, strict=True)]
        return np.asarray(same, dtype=bool) & self._all_succeeded()

    def __repr__(self) -> str:
        return (
            f"<Comparison of {', '.join(self.results)}: {len(self.inputs):,} rows, agreement {self.agreement_rate:.0%}>"
        )

    def _repr_html_(self) -> str:
        title = html.escape(f"{', '.join(self.results)} on {len(self.inputs):,} rows")
        return (
            f"<p><b>{title}</b> · agreement {self.agreement_rate:.0%}</p>"
            f"{self.summary().to_html()}{self.df.head(20).to_html()}"
        )


def _normalise(output: Any) -> Any:
    if isinstance(output, str):
        return output.strip().casefold()
    if isinstance(output, BaseModel):
        return output.model_dump()
    return output


async def acompare(
    data: Data,
    *,
    prompts: Mapping[str, PromptSpec] | None = None,
    strategies: Mapping[str, LLMCallStrategy[Any]] | None = None,
    models: Sequence[str] | None = None,
    prompt: PromptSpec | None = None,
    strategy: LLMCallStrategy[Any] | None = None,
    id_column: str | None = None,
    **options: Any,
) -> Comparison:
    """Run ``data`` through each variant and compare: one of ``prompts``, ``strategies`` or ``models``.

    Args:
        prompts: name → prompt template (or function); each runs with ``strategy`` (default: the default
            Gemini strategy).
        strategies: name → strategy; each runs ``prompt``.
        models: Gemini model names; each runs ``prompt`` through the default strategy for that model.
        options: the keyword options of :func:`~notebookllm.notebook.runner.arun` (``max_workers``, ``rpm``,
            ``cache``, ``progress``, ...).
    """
    given = [name for name, value in (("prompts", prompts), ("strategies", strategies), ("models", models)) if value]
    if len(given) != 1:
        raise ConfigurationError("compare needs exactly one of prompts=, strategies= or models= (with 2+ variants)")
    if prompts:
        shared = strategy or default_strategy()
        variants = {name: (p, shared) for name, p in prompts.items()}
    elif strategies:
        variants = {name: (prompt, s) for name, s in strategies.items()}
    else:
        variants = {m: (prompt, default_strategy(m)) for m in models or ()}
    if len(variants) < 2:
        raise ConfigurationError(f"compare needs at least two variants, got {list(variants)}")
    run_options = RunOptions.build(**options)

    inputs: pd.DataFrame | None = None
    items: list[LLMWorkItem[Any, Any]] = []
    for name, (variant_prompt, variant_strategy) in variants.items():
        frame, variant_items = build_items(data, prompt=variant_prompt, strategy=variant_strategy, id_column=id_column)
        inputs = frame if inputs is None else inputs
        # One run for all variants: ids must be unique across them.
        items.extend(LLMWorkItem(f"{name}/{i.item_id}", i.strategy, i.prompt, i.context) for i in variant_items)
    assert inputs is not None
    outcome = await run_items(items, run_options)
    n = len(inputs)
    results = {name: outcome.results_for(inputs, items, run_options, k * n) for k, name in enumerate(variants)}
    return Comparison(inputs, results)


def compare(data: Data, **kwargs: Any) -> Comparison:
    """:func:`acompare`, synchronously (also inside Jupyter's running loop)."""
    return run_sync(acompare(data, **kwargs))
