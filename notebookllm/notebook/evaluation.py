"""Scores against labels: which variant is right more often, whether the difference is real, and what it costs.

An :class:`Evaluation` holds every variant's outputs scored row by row (see :mod:`~notebookllm.notebook.scoring`)
and derives the reports from them: :attr:`Evaluation.scores` (one row per variant), :meth:`Evaluation.confusion`,
:meth:`Evaluation.significance`, :attr:`Evaluation.disagreements` and :meth:`Evaluation.plot`. Scoring reads the
outputs already in memory (or the store, for the judge): re-scoring with another scorer sends nothing unless that
scorer is a judge whose verdicts the store does not hold yet.

Example:
    >>> cmp = nl.compare(df, prompts={"short": ..., "guided": ...}, strategy=s, labels="sentiment")  # doctest: +SKIP
    >>> cmp.scores       # accuracy [95% interval], macro-F1, cost per correct   # doctest: +SKIP
    >>> cmp.significance("short", "guided").verdict        # doctest: +SKIP
    >>> cmp.confusion("guided").plot()                     # doctest: +SKIP
"""

from __future__ import annotations

import functools
import html
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core.errors import ConfigurationError
from ..core.redaction import redact
from .results import format_usd, is_missing
from .scoring import RowScores, coerce_scorer, map_distinct, normalise_label, object_array
from .stats import Significance, bootstrap_interval, macro_f1, mcnemar_exact, paired_bootstrap

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .judge import Judge
    from .results import Results
    from .runner import RunOptions
    from .scoring import Scorer

__all__ = ["ConfusionMatrix", "Evaluation", "aevaluate", "resolve_labels"]

Labels = str | Sequence[Any] | pd.Series

_FAILED = "(failed)"
_UNSCORED = "(scorer error)"


def resolve_labels(inputs: pd.DataFrame, labels: Labels) -> tuple[str, list[Any]]:
    """The label column's name and its values in row order; a :class:`ConfigurationError` if they do not fit.

    ``labels`` is a column of the inputs (its name) or one label per row (a list or a Series on the same index).
    """
    if isinstance(labels, str):
        if labels not in inputs.columns:
            raise ConfigurationError(
                f"labels={labels!r} is not a column of the data; its columns are {', '.join(map(str, inputs.columns))}"
            )
        return labels, inputs[labels].to_numpy(dtype=object).tolist()
    if isinstance(labels, pd.Series):
        if not labels.index.equals(inputs.index):
            raise ConfigurationError("a labels Series must have the data's index (one label per row)")
        return str(labels.name or "label"), list(labels.array)
    if isinstance(labels, Sequence) and not isinstance(labels, bytes):
        if len(labels) != len(inputs):
            raise ConfigurationError(f"{len(labels)} labels for {len(inputs)} rows")
        return "label", list(labels)
    raise ConfigurationError(f"labels must be a column name or one label per row, got {type(labels).__name__}")


class ConfusionMatrix:
    """Label (rows) against prediction (columns) for one variant; ``.df`` is the table, ``.plot()`` a heat map.

    Predictions are normalised as exact matching compares them; failed rows show as ``(failed)``.
    """

    def __init__(self, variant: str, df: pd.DataFrame) -> None:
        self.variant = variant
        self.df = df

    def plot(self) -> Figure:
        """A heat map of the counts, the diagonal (right answers) outlined."""
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(1.2 + 0.9 * self.df.shape[1], 1.0 + 0.7 * self.df.shape[0]),
                               layout="constrained")  # fmt: skip
        ax.imshow(self.df.to_numpy(), cmap="Blues")
        ax.set_xticks(range(self.df.shape[1]), [str(c) for c in self.df.columns], rotation=30, ha="right")
        ax.set_yticks(range(self.df.shape[0]), [str(i) for i in self.df.index])
        ax.set(xlabel="prediction", ylabel="label", title=f"confusion: {self.variant}")
        peak = self.df.to_numpy().max() or 1
        for (r, c), count in np.ndenumerate(self.df.to_numpy()):
            ax.text(c, r, f"{count:,}", ha="center", va="center", color="white" if count > peak / 2 else "black")
            if self.df.index[r] == self.df.columns[c]:
                ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="#2e7d32", linewidth=2))
        plt.close(fig)
        return fig

    def __repr__(self) -> str:
        return f"Confusion matrix of {self.variant} (label × prediction)\n{self.df}"

    def _repr_html_(self) -> str:
        return f"<p><b>confusion matrix: {html.escape(self.variant)}</b> (label × prediction)</p>{self.df.to_html()}"


class Evaluation:
    """Every variant's outputs scored against the labels, and the reports on them.

    Attributes:
        results: variant → its :class:`Results`.
        rows: variant → its :class:`~notebookllm.notebook.scoring.RowScores`.
        judged: variant → the judge's :class:`Results` (only with a judge).
        label_name, labels, scorer: what was scored against, and how.
        label_is_input: the labels are the input column ``label_name`` (so :attr:`df` does not repeat them).
    """

    def __init__(
        self,
        inputs: pd.DataFrame,
        results: Mapping[str, Results],
        *,
        label_name: str,
        labels: list[Any],
        scorer: Scorer,
        rows: Mapping[str, RowScores],
        judged: Mapping[str, Results] | None = None,
        label_is_input: bool = False,
        seed: int = 0,
    ) -> None:
        self.inputs = inputs
        self.results = dict(results)
        self.label_name = label_name
        self.labels = labels
        self.scorer = scorer
        self.rows = dict(rows)
        self.judged = dict(judged or {})
        self.label_is_input = label_is_input
        self.seed = seed
        self._labelled = labelled_mask(labels)

    @property
    def binary(self) -> bool:
        """Whether every score is right/wrong (accuracy) rather than graded (mean score)."""
        return all(r.binary for r in self.rows.values())

    @property
    def unlabelled(self) -> int:
        """Rows left out of the scores because their label is missing."""
        return int((~self._labelled).sum())

    # ------------------------------------------------------------------------------------------- reports
    @property
    def scores(self) -> pd.DataFrame:
        """One row per variant: rows scored, accuracy (or mean score) with its 95% bootstrap interval, macro-F1
        (categorical labels), failed / blocked / unlabelled rows and scorer errors, tokens, cost, cost per correct
        answer, latency p50/p95 and, with a judge, the judge's tokens and cost.

        Tokens and cost are those of every row's answer, including rows the store answered (what the variant
        costs, not what this rerun paid). Each access returns a copy.
        """
        return self._scores.copy()

    @functools.cached_property
    def _scores(self) -> pd.DataFrame:
        # computed once: the bootstrap is the costly part, and nothing it reads changes
        metric = "accuracy" if self.binary else "mean_score"
        table = {}
        for name, res in self.results.items():
            scored = self.rows[name]
            values = scored.values[scored.scored]
            low, high = bootstrap_interval(values, seed=self.seed)
            df = res.df
            cost = _answers_cost(res)
            correct = self._correct(values)
            latency = df["latency_s"].dropna()
            row: dict[str, Any] = {
                "n_scored": len(values),
                metric: float(values.mean()) if len(values) else math.nan,
                "ci_low": low,
                "ci_high": high,
            }
            if self.scorer.categorical:
                row["macro_f1"] = self._macro_f1(name)
            row.update(
                failed=int((~df["success"] & ~df["blocked"]).sum()),
                blocked=int(df["blocked"].sum()),
                unlabelled=self.unlabelled,
                scorer_errors=sum(e is not None for e in scored.errors),
                tokens=_tokens(df),
                cost_usd=cost,
                cost_per_correct=cost / correct if cost is not None and correct else math.nan,
                latency_p50_s=float(latency.quantile(0.5)) if len(latency) else math.nan,
                latency_p95_s=float(latency.quantile(0.95)) if len(latency) else math.nan,
            )
            if name in self.judged:
                row["judge_tokens"] = _tokens(self.judged[name].df)
                row["judge_cost_usd"] = _answers_cost(self.judged[name])
            table[name] = row
        return pd.DataFrame.from_dict(table, orient="index")

    def confusion(self, variant: str) -> ConfusionMatrix:
        """Label × prediction counts for ``variant`` over the labelled rows (categorical scorers only)."""
        self._check_variant(variant)
        if not self.scorer.categorical:
            raise ConfigurationError(f"a confusion matrix needs categorical labels; the {self.scorer.name} scorer "
                                     "gives scores, not classes")  # fmt: skip
        labels, predicted = self._classes(variant)
        table = pd.crosstab(pd.Series(labels, name="label"), pd.Series(predicted, name="prediction"))
        labels, predicted = labels.tolist(), predicted.tolist()
        classes = list(dict.fromkeys([*sorted(set(labels)), *sorted(set(predicted) - set(labels))]))
        return ConfusionMatrix(variant, table.reindex(index=sorted(set(labels)), columns=classes, fill_value=0))

    def significance(self, a: str, b: str, *, alpha: float = 0.05) -> Significance:
        """Whether ``a`` and ``b`` really differ on the rows both have scores for.

        Right/wrong scores: exact McNemar (a binomial test on the rows exactly one of them got right). Graded
        scores: a paired bootstrap of the mean difference. Both with a plain-words ``verdict``.
        """
        self._check_variant(a)
        self._check_variant(b)
        both = self.rows[a].scored & self.rows[b].scored
        va, vb = self.rows[a].values[both], self.rows[b].values[both]
        difference, low, high, p_bootstrap = paired_bootstrap(va, vb, seed=self.seed)
        if self.rows[a].binary and self.rows[b].binary:
            only_a = int(np.count_nonzero((va == 1) & (vb == 0)))
            only_b = int(np.count_nonzero((va == 0) & (vb == 1)))
            return Significance(a, b, "exact McNemar", int(both.sum()), difference, (low, high),
                                mcnemar_exact(only_a, only_b), only_a, only_b, alpha)  # fmt: skip
        return Significance(a, b, "paired bootstrap", int(both.sum()), difference, (low, high), p_bootstrap,
                            alpha=alpha)  # fmt: skip

    @property
    def disagreements(self) -> pd.DataFrame:
        """The rows where the variants' answers differ (normalised as the scorer compares them), with the label,
        each variant's output and score."""
        keys = [self._keys(name) for name in self.results]
        differ = np.fromiter((len(set(map(repr, row))) > 1 for row in zip(*keys, strict=True)), dtype=bool,
                             count=len(self.inputs))  # fmt: skip
        return self.df[differ]

    @property
    def df(self) -> pd.DataFrame:
        """Input columns, the label, then ``output_<variant>``, ``score_<variant>`` (and ``reason_<variant>`` with a
        judge, ``scorer_error_<variant>`` where the scorer raised) for each variant."""
        frame = self.inputs.copy()
        if not self.label_is_input:
            frame[f"label_{self.label_name}" if self.label_name in frame.columns else self.label_name] = self.labels
        for name, res in self.results.items():
            scored = self.rows[name]
            frame[f"output_{name}"] = res.df["output"].to_numpy()
            frame[f"score_{name}"] = scored.values
            if scored.reasons is not None:
                frame[f"reason_{name}"] = scored.reasons
            if any(e is not None for e in scored.errors):
                frame[f"scorer_error_{name}"] = scored.errors
        return frame

    def plot(self) -> Figure:
        """Score against cost per variant, with the 95% intervals; the Pareto front (no other variant is both
        cheaper and better) is joined and marked."""
        import matplotlib.pyplot as plt

        s = self.scores
        metric = "accuracy" if self.binary else "mean_score"
        cost = s["cost_usd"].astype(float).fillna(0.0)
        score = s[metric].astype(float)
        front = _pareto_front(cost.to_numpy(), score.to_numpy())
        fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
        errors = np.vstack([score - s["ci_low"], s["ci_high"] - score]).clip(min=0)
        ax.errorbar(cost, score, yerr=errors, fmt="o", color="#4c72b0", ecolor="#9bb0d3", capsize=4)
        order = np.argsort(cost.to_numpy()[front])
        ax.plot(cost.to_numpy()[front][order], score.to_numpy()[front][order], "-", color="#2e7d32",
                label="Pareto front")  # fmt: skip
        ax.scatter(cost[front], score[front], s=140, facecolors="none", edgecolors="#2e7d32", linewidths=2)
        for name, x, y in zip(s.index, cost, score, strict=True):
            ax.annotate(str(name), (x, y), textcoords="offset points", xytext=(6, 6))
        ax.set(xlabel="cost (USD)", ylabel=metric.replace("_", " "), title=f"{metric.replace('_', ' ')} vs cost")
        ax.legend(loc="lower right")
        plt.close(fig)
        return fig

    # ------------------------------------------------------------------------------------------- display
    def __repr__(self) -> str:
        metric = "accuracy" if self.binary else "mean score"
        parts = [f"{name} {row.iloc[1]:.3g}" for name, row in self.scores.iterrows()]
        return f"<Evaluation ({self.scorer.name}, {metric}) against {self.label_name!r}: {', '.join(parts)}>"

    def _repr_html_(self) -> str:
        metric = "accuracy" if self.binary else "mean score (1–5)" if self.judged else "mean score"
        left_out = f" · {self.unlabelled:,} without a label (left out)" if self.unlabelled else ""
        label = html.escape(str(self.label_name))
        head = (f"<p><b>{html.escape(metric)}</b> by {html.escape(self.scorer.name)} against "
                f"<code>{label}</code> · {len(self.inputs):,} rows{left_out}</p>")  # fmt: skip
        s = self.scores
        shown = s.copy()
        for column in ("cost_usd", "cost_per_correct", "judge_cost_usd"):
            if column in shown:
                shown[column] = [format_usd(None if is_missing(v) else float(v)) for v in shown[column]]
        verdict = ""
        if len(s) >= 2:
            best, second = s.sort_values(s.columns[1], ascending=False).index[:2]
            verdict = f"<p>{html.escape(self.significance(str(best), str(second)).verdict)}</p>"
        return redact(head + shown.to_html(float_format=lambda v: f"{v:.3g}") + verdict)

    # ------------------------------------------------------------------------------------------- internals
    def _check_variant(self, name: str) -> None:
        if name not in self.results:
            raise ConfigurationError(f"no variant {name!r}; the variants are {', '.join(self.results)}")

    def _correct(self, values: np.ndarray) -> float:
        pass_score = getattr(self.scorer, "pass_score", None)
        if pass_score is not None:
            return float(np.count_nonzero(values >= pass_score))
        return float(values.sum())

    def _classes(self, variant: str) -> tuple[np.ndarray, np.ndarray]:
        """The normalised labels of the labelled rows and ``variant``'s predictions on them (failed rows as
        ``(failed)``, rows the scorer could not read as ``(scorer error)``)."""
        scored = self.rows[variant]
        predicted = np.empty(len(self.labels), dtype=object)
        predicted[:] = scored.predicted if scored.predicted is not None else [None] * len(self.labels)
        predicted[np.fromiter((e is not None for e in scored.errors), dtype=bool, count=len(self.labels))] = _UNSCORED
        predicted[~self.results[variant].df["success"].to_numpy()] = _FAILED
        return self._normalised_labels[self._labelled], predicted[self._labelled]

    @functools.cached_property
    def _normalised_labels(self) -> np.ndarray:
        labels = np.full(len(self.labels), None, dtype=object)
        labels[self._labelled] = map_distinct(normalise_label, object_array(self.labels)[self._labelled])[0]
        return labels

    def _macro_f1(self, variant: str) -> float:
        labels, predicted = self._classes(variant)
        return macro_f1(predicted, labels)

    def _keys(self, variant: str) -> list[Any]:
        """Each row's answer as the scorer compares it (categorical), else as agreement compares it."""
        from .compare import normalise_output

        key = getattr(self.scorer, "key", None)
        outputs = self.results[variant].outputs
        if key is None:
            return [normalise_output(o) for o in outputs]
        return [None if o is None else _key_or_error(key, o) for o in outputs]


def _key_or_error(key: Any, output: Any) -> Any:
    try:
        return key(output)
    except Exception:  # the scorer's error is reported in scores; here the row just has no comparable answer
        return _UNSCORED


def labelled_mask(labels: Sequence[Any]) -> np.ndarray:
    """Rows whose label is present (not None, NA or NaN)."""
    return ~pd.isna(object_array(labels))


def _answers_cost(results: Results) -> float | None:
    costs = [c for r in results.results if (c := (r.metadata or {}).get("cost_usd")) is not None]
    return math.fsum(costs) if costs else None


def _tokens(df: pd.DataFrame) -> int:
    return int(df[["input_tokens", "output_tokens", "thoughts_tokens"]].to_numpy().sum())


def _pareto_front(cost: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Variants no other variant beats on both: at most the cost and at least the score, one of them strictly."""
    ok = ~np.isnan(score)
    front = np.zeros(len(cost), dtype=bool)
    for i in np.flatnonzero(ok):
        dominated = ok & (cost <= cost[i]) & (score >= score[i]) & ((cost < cost[i]) | (score > score[i]))
        front[i] = not dominated.any()
    return front


async def aevaluate(
    inputs: pd.DataFrame,
    results: Mapping[str, Results],
    *,
    labels: Labels,
    scorer: Any = None,
    options: RunOptions | None = None,
    mode: str = "online",
    seed: int = 0,
) -> Evaluation:
    """Score every variant's outputs against ``labels`` with ``scorer`` (see :mod:`~notebookllm.notebook.scoring`).

    A judge runs its requests with ``options`` (the run's options: store, cache, limits, progress) in ``mode``.
    """
    from .judge import Judge
    from .runner import RunOptions

    label_name, values = resolve_labels(inputs, labels)
    chosen = coerce_scorer(scorer)
    labelled = labelled_mask(values)
    answered = {name: labelled & res.df["success"].to_numpy() for name, res in results.items()}
    judged: dict[str, Results] = {}
    if isinstance(chosen, Judge):
        judge: Judge = chosen
        shown = inputs.drop(columns=[labels]) if isinstance(labels, str) else inputs  # the label only if show_label
        # updated(): a Progress instance the variants' run drew is not drawn again
        run_options = options.updated() if options is not None else RunOptions.build()
        rows, judged = await judge.ascore_variants(shown, results, values, answered, run_options, mode)
    else:
        rows = {name: chosen.score_rows(res.outputs, values, answered[name]) for name, res in results.items()}
    for name, scored in rows.items():
        scored.values[labelled & ~answered[name]] = chosen.lowest  # a labelled row the variant failed on is wrong
    return Evaluation(inputs, results, label_name=label_name, labels=values, scorer=chosen, rows=rows,
                      judged=judged, label_is_input=isinstance(labels, str), seed=seed)  # fmt: skip
