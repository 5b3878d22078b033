"""``nl.judge``: an LLM scores each output from 1 to 5 against a rubric, with a one-line reason.

The judge is a scorer like the others, but it makes requests: one per scored row and variant, run through the
same engine as any ``nl.run`` (retries, rate limits, progress, the store), so a rerun of the same evaluation sends
no judge request at all. Its tokens and cost are counted apart from the variants' (``judge_tokens``,
``judge_cost_usd`` in ``comparison.scores``). The judge sees the rubric, the row's input columns and the label
(each can be left out) and the output to score.

Example:
    >>> judge = nl.judge(nl.GeminiStrategy(), rubric="Is the summary faithful and short?")  # doctest: +SKIP
    >>> cmp = nl.compare(df, prompts=variants, strategy=s, labels="reference", scorer=judge)  # doctest: +SKIP
    >>> cmp.scores[["mean_score", "ci_low", "ci_high", "judge_cost_usd"]]                       # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from ..core.errors import ConfigurationError
from ..core.strategy import LLMCallStrategy
from ..core.work_item import LLMWorkItem
from .modes import run_in_mode
from .scoring import RowScores, Scorer, error_text

if TYPE_CHECKING:
    from .results import Results
    from .runner import RunOptions

__all__ = ["Judge", "JudgeVerdict", "judge"]

_TEMPLATE = """You are grading an answer. {rubric}

Give a score from 1 (poor) to 5 (excellent) by that rubric, and a reason in one short line.
{input}{label}
Answer to grade:
{output}"""


class JudgeVerdict(BaseModel):
    """What the judge model answers: a 1–5 score and a one-line reason."""

    score: int = Field(ge=1, le=5, description="1 (poor) to 5 (excellent)")
    reason: str = Field(description="why, in one short line")


class Judge(Scorer):
    """An LLM-as-judge scorer; build it with :func:`judge`."""

    categorical = False
    lowest = 1.0

    def __init__(
        self, strategy: LLMCallStrategy[Any], rubric: str, *, show_input: bool, show_label: bool, pass_score: int
    ) -> None:
        self.strategy = strategy
        self.rubric = rubric
        self.show_input = show_input
        self.show_label = show_label
        self.pass_score = pass_score
        self.name = "judge"

    def __repr__(self) -> str:
        return f"Judge({self.strategy!r}, rubric={self.rubric[:40]!r}, pass_score={self.pass_score})"

    def prompt(self, inputs: Mapping[str, Any], output: Any, label: Any) -> str:
        """The judge's prompt for one output."""
        shown_input = ""
        if self.show_input:
            shown_input = "\nInput:\n" + "\n".join(f"{k}: {v}" for k, v in inputs.items()) + "\n"
        shown_label = f"\nReference answer:\n{label}\n" if self.show_label else ""
        return _TEMPLATE.format(rubric=self.rubric, input=shown_input, label=shown_label, output=_as_text(output))

    async def ascore_variants(
        self,
        inputs: pd.DataFrame,
        variants: Mapping[str, Results],
        labels: list[Any],
        answered: Mapping[str, np.ndarray],
        options: RunOptions,
        mode: str,
    ) -> tuple[dict[str, RowScores], dict[str, Results]]:
        """Judge every answered row of every variant in one run; the scores and each variant's judge results."""
        from .results import Results

        records = inputs.to_dict("records")
        items: list[LLMWorkItem[Any, Any]] = []
        positions: dict[str, np.ndarray] = {}
        for name, res in variants.items():
            positions[name] = rows = np.flatnonzero(answered[name])
            outputs = res.outputs
            items.extend(
                LLMWorkItem(f"judge/{res.results[i].item_id}", self.strategy,
                            self.prompt(records[i], outputs[i], labels[i]))
                for i in rows
            )  # fmt: skip
        outcome = await run_in_mode(items, options, mode)
        scores: dict[str, RowScores] = {}
        judged: dict[str, Results] = {}
        start = 0
        for name, rows in positions.items():
            mine = outcome.results[start : start + len(rows)]
            start += len(rows)
            judged[name] = Results(inputs.iloc[rows], mine, wall_s=outcome.wall_s)
            values = np.full(len(inputs), math.nan)
            errors: list[str | None] = [None] * len(inputs)
            reasons: list[str | None] = [None] * len(inputs)
            for row, result, output in zip(rows, mine, judged[name].outputs, strict=True):
                try:
                    if not result.success:
                        raise _JudgeFailed(result.error)
                    verdict = _verdict(output)
                except Exception as exc:  # one bad verdict is that row's error, not the evaluation's
                    errors[row] = error_text(exc)
                    continue
                values[row] = verdict.score
                reasons[row] = next(iter(verdict.reason.strip().splitlines()), "")
            scores[name] = RowScores(values, errors, binary=False, reasons=reasons)
        return scores, judged


def judge(
    strategy: LLMCallStrategy[Any] | None = None,
    *,
    rubric: str,
    show_input: bool = True,
    show_label: bool = True,
    pass_score: int = 4,
) -> Judge:
    """An LLM-as-judge scorer: ``strategy``'s model grades each output 1–5 by ``rubric``, with a one-line reason.

    Args:
        strategy: the judge's model. A plain ``GeminiStrategy`` (the default: ``nl.GeminiStrategy()``) is asked for
            JSON of :class:`JudgeVerdict`; any other strategy must return a ``JudgeVerdict``, or a dict or JSON text
            of that shape.
        rubric: what a good answer is, in your words.
        show_input, show_label: let the judge see the row's input columns / the label (reference answer).
        pass_score: the lowest score that counts as a correct answer (for ``cost_per_correct``).

    Example:
        >>> j = nl.judge(rubric="Does the reply name the right sentiment and quote the review?")  # doctest: +SKIP
    """
    if not isinstance(rubric, str) or not rubric.strip():
        raise ConfigurationError("judge needs a rubric: what makes an answer good, in a sentence or two")
    if pass_score not in range(1, 6):
        raise ConfigurationError(f"pass_score must be 1 to 5, got {pass_score!r}")
    return Judge(_verdict_strategy(strategy), rubric.strip(), show_input=show_input, show_label=show_label,
                 pass_score=pass_score)  # fmt: skip


def _verdict_strategy(strategy: LLMCallStrategy[Any] | None) -> LLMCallStrategy[Any]:
    from ..gemini import GeminiStrategy

    if strategy is None:
        strategy = GeminiStrategy()
    if not isinstance(strategy, LLMCallStrategy):
        raise ConfigurationError(f"judge needs a strategy, got {type(strategy).__name__}")
    if type(strategy) is GeminiStrategy and strategy.response_schema is None:
        return GeminiStrategy(
            strategy.client,
            strategy.model,
            config=strategy.config,
            response_schema=JudgeVerdict,
            include_metadata=True,
            retry_blocked=strategy.retry_blocked,
        )
    return strategy


def _as_text(output: Any) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, BaseModel):
        return output.model_dump_json()
    try:
        return json.dumps(output, default=str)
    except (TypeError, ValueError):
        return str(output)


def _verdict(output: Any) -> JudgeVerdict:
    if isinstance(output, (str, bytes)):
        return JudgeVerdict.model_validate_json(output)
    if isinstance(output, BaseModel) and not isinstance(output, JudgeVerdict):
        output = output.model_dump()
    return JudgeVerdict.model_validate(output)


class _JudgeFailed(Exception):
    def __init__(self, error: BaseException | None) -> None:
        super().__init__(f"the judge's request failed: {type(error).__name__}: {error}")
