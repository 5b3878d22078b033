"""``nl.compare``: the same rows through several prompts, strategies or models, side by side.

All variants run in one processor run (one progress bar, one concurrency budget, one rate limit), each row
through each variant; the store caches each variant's replies like any other run.

With ``labels=`` the outputs are also scored (see :mod:`~notebookllm.notebook.evaluation`): ``cmp.scores``,
``cmp.confusion(variant)``, ``cmp.significance(a, b)``, ``cmp.disagreements``, ``cmp.plot()``. ``mode="batch"``
runs every variant (and a judge) as Batch API jobs at half price.

Example:
    >>> cmp = nl.compare(df, prompts={"short": "Sentiment: {review}",                        # doctest: +SKIP
    ...                               "guided": "Answer positive or negative. Review: {review}"},
    ...                  strategy=strategy, labels="sentiment")
    >>> cmp.df[["review", "output_short", "output_guided", "agree"]]                       # doctest: +SKIP
    >>> cmp.agreement_rate, cmp.summary()                                                  # doctest: +SKIP
    >>> cmp.scores, cmp.significance("short", "guided")                                   # doctest: +SKIP
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from ..core.errors import ConfigurationError
from ..core.strategy import LLMCallStrategy
from ..core.work_item import LLMWorkItem
from ..sync import run_sync
from .deadline import check_deadline_mode
from .evaluation import ConfusionMatrix, Evaluation, Labels, aevaluate, resolve_labels
from .inputs import Data, PromptSpec, build_items
from .modes import check_mode, run_in_mode
from .results import Results
from .runner import RunOptions, default_strategy
from .scoring import coerce_scorer
from .stats import Significance

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["Comparison", "acompare", "compare", "normalise_output"]


class Comparison:
    """Per-variant :class:`Results` and the side-by-side view.

    Attributes:
        results: variant name → its :class:`Results` (rows in input order).
        baseline: the first variant; ``summary()`` measures agreement against it.
        evaluation: the scores against the labels given to ``compare`` (``None`` without labels).
    """

    def __init__(
        self,
        inputs: pd.DataFrame,
        results: dict[str, Results],
        *,
        evaluation: Evaluation | None = None,
        options: RunOptions | None = None,
        mode: str = "online",
    ) -> None:
        self.inputs = inputs
        self.results = results
        self.baseline = next(iter(results))
        self.evaluation = evaluation
        self._options = options or RunOptions.build()
        self._mode = mode

    # ----------------------------------------------------------------------------------------------- scoring
    async def ascore(self, labels: Labels | None = None, scorer: Any = None, *, seed: int = 0) -> Evaluation:
        """Score the outputs against ``labels`` (default: those given to ``compare``) with ``scorer``.

        Reads the outputs already here: nothing is sent, except a judge's requests the store cannot answer (run
        with this comparison's options and mode). Returns a new :class:`Evaluation`; ``self.evaluation`` is kept.
        """
        if labels is None:
            if self.evaluation is None:
                raise ConfigurationError("no labels: pass labels= (a column name or one label per row)")
            given = self.evaluation
            labels = given.label_name if given.label_is_input else pd.Series(given.labels, self.inputs.index,
                                                                             name=given.label_name)  # fmt: skip
        return await aevaluate(self.inputs, self.results, labels=labels, scorer=scorer, options=self._options,
                               mode=self._mode, seed=seed)  # fmt: skip

    def score(self, labels: Labels | None = None, scorer: Any = None, *, seed: int = 0) -> Evaluation:
        """:meth:`ascore`, synchronously (also inside Jupyter's running loop)."""
        return run_sync(self.ascore(labels, scorer, seed=seed))

    @property
    def scores(self) -> pd.DataFrame:
        """:attr:`Evaluation.scores` of the labels given to ``compare``: one row per variant."""
        return self._evaluation().scores

    def confusion(self, variant: str) -> ConfusionMatrix:
        """:meth:`Evaluation.confusion`: label × prediction for ``variant`` (``.df``, ``.plot()``)."""
        return self._evaluation().confusion(variant)

    def significance(self, a: str, b: str, *, alpha: float = 0.05) -> Significance:
        """:meth:`Evaluation.significance`: whether ``a`` and ``b`` really differ, with a plain-words verdict."""
        return self._evaluation().significance(a, b, alpha=alpha)

    @property
    def disagreements(self) -> pd.DataFrame:
        """:attr:`Evaluation.disagreements`: rows where the variants differ, with the label."""
        return self._evaluation().disagreements

    def plot(self) -> Figure:
        """:meth:`Evaluation.plot`: score against cost, with intervals and the Pareto front."""
        return self._evaluation().plot()

    def _evaluation(self) -> Evaluation:
        if self.evaluation is None:
            raise ConfigurationError("this comparison has no labels: pass labels= to compare, or call .score(labels=)")
        return self.evaluation

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
        base = [normalise_output(o) for o in self.results[self.baseline].outputs]
        rows = {}
        for name, res in self.results.items():
            s = res.summary()
            pairs = zip(base, res.outputs, strict=True)
            both = [(b, normalise_output(o)) for b, o in pairs if b is not None and o is not None]
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
        per_variant = [[normalise_output(o) for o in res.outputs] for res in self.results.values()]
        same = [all(v == row[0] for v in row) for row in zip(*per_variant, strict=True)]
        return np.asarray(same, dtype=bool) & self._all_succeeded()

    def __repr__(self) -> str:
        return (
            f"<Comparison of {', '.join(self.results)}: {len(self.inputs):,} rows, agreement {self.agreement_rate:.0%}>"
        )

    def _repr_html_(self) -> str:
        title = html.escape(f"{', '.join(self.results)} on {len(self.inputs):,} rows")
        scores = self.evaluation._repr_html_() if self.evaluation is not None else self.summary().to_html()
        return f"<p><b>{title}</b> · agreement {self.agreement_rate:.0%}</p>{scores}{self.df.head(20).to_html()}"


def normalise_output(output: Any) -> Any:
    """What agreement compares: text trimmed and case-folded, pydantic models by their fields."""
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
    labels: Labels | None = None,
    scorer: Any = None,
    mode: str = "online",
    seed: int = 0,
    **options: Any,
) -> Comparison:
    """Run ``data`` through each variant and compare: one of ``prompts``, ``strategies`` or ``models``.

    Args:
        prompts: name → prompt template (or function); each runs with ``strategy`` (default: the default
            Gemini strategy).
        strategies: name → strategy; each runs ``prompt``.
        models: Gemini model names; each runs ``prompt`` through the default strategy for that model.
        labels: a column of ``data`` (or one label per row) holding the right answers: the outputs are scored
            (``comparison.scores``, ``.confusion``, ``.significance``, ``.disagreements``, ``.plot()``).
        scorer: how an output is scored against its label: exact match after normalisation (default),
            ``nl.field("name")``, ``nl.judge(strategy, rubric=...)`` or a function ``(output, label) -> bool | float``.
        mode: ``"online"`` or ``"batch"``: every variant (and the judge) as Batch API jobs at the batch price,
            one job per strategy, resumable like any batch run; with ``deadline=`` (in ``options``) each job not
            done in time is cancelled and its unanswered rows finished online (see ``arun``).
        seed: the seed of the bootstrap intervals.
        options: the keyword options of :func:`~notebookllm.notebook.runner.arun` (``max_workers``, ``rpm``,
            ``cache``, ``progress``, ...).

    Raises:
        ConfigurationError: a bad option, a ``labels`` column the data lacks, an unknown scorer — before any
            request.
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
    mode = check_mode(mode)
    check_deadline_mode(run_options, mode)
    chosen_scorer = coerce_scorer(scorer) if labels is not None else None
    if scorer is not None and labels is None:
        raise ConfigurationError("a scorer needs labels= (the column of right answers)")

    inputs: pd.DataFrame | None = None
    items: list[LLMWorkItem[Any, Any]] = []
    for name, (variant_prompt, variant_strategy) in variants.items():
        frame, variant_items = build_items(data, prompt=variant_prompt, strategy=variant_strategy, id_column=id_column)
        inputs = frame if inputs is None else inputs
        # One run for all variants: ids must be unique across them.
        items.extend(LLMWorkItem(f"{name}/{i.item_id}", i.strategy, i.prompt, i.context) for i in variant_items)
    assert inputs is not None
    if labels is not None:
        resolve_labels(inputs, labels)  # a missing label column fails here, before any request
    outcome = await run_in_mode(items, run_options, mode)
    n = len(inputs)
    results = {name: outcome.results_for(inputs, items, run_options, k * n) for k, name in enumerate(variants)}
    evaluation = None
    if labels is not None:
        evaluation = await aevaluate(inputs, results, labels=labels, scorer=chosen_scorer, options=run_options,
                                     mode=mode, seed=seed)  # fmt: skip
    return Comparison(inputs, results, evaluation=evaluation, options=run_options, mode=mode)


def compare(data: Data, **kwargs: Any) -> Comparison:
    """:func:`acompare`, synchronously (also inside Jupyter's running loop)."""
    return run_sync(acompare(data, **kwargs))
