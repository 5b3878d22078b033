"""Scorers: how one output is scored against its label.

* :func:`exact` (the default): the output equals the label after normalisation — case, runs of white space and
  surrounding punctuation do not count (``" Positive."`` matches ``"positive"``). Categorical: the scores get a
  macro-F1 and a confusion matrix.
* :func:`field`: the same comparison on one field of a pydantic (or dict) output, e.g. ``nl.field("sentiment")``.
* any callable ``scorer(output, label) -> bool | float``: right/wrong when it returns booleans, a graded score
  otherwise.
* :func:`~notebookllm.notebook.judge.judge`: an LLM scores each output from 1 to 5 (see that module).

A row whose label is missing is not scored (counted as ``unlabelled``); a row the variant failed on scores as
wrong (the lowest score) without calling the scorer; a scorer that raises on a row records that row's error and
scoring goes on.

Example:
    >>> exact()(" Positive. ", "positive")
    True
    >>> field("sentiment").key({"sentiment": "NEG"})
    'neg'
"""

from __future__ import annotations

import enum
import math
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from ..core.redaction import redact

__all__ = ["CallableScorer", "ExactMatch", "FieldMatch", "RowScores", "Scorer", "exact", "field", "normalise_label"]

_SURROUNDING = string.punctuation + string.whitespace + "“”‘’«»…"

ScoreFunction = Callable[[Any, Any], "bool | float"]


def normalise_label(value: Any) -> Any:
    """What exact matching compares: text without case, repeated white space or surrounding punctuation.

    Enums compare by value; numbers and other scalars by their text; ``None`` stays ``None``.
    """
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, BaseModel):
        raise TypeError(
            f"a structured output ({type(value).__name__}) has no single text to match: "
            "use scorer=nl.field('<field name>')"
        )
    text = value if isinstance(value, str) else str(value)
    return " ".join(text.split()).strip(_SURROUNDING).casefold()


@dataclass
class RowScores:
    """One variant's scores, row by row (arrays in input order).

    ``values``: the score (1.0/0.0 for right/wrong; NaN where not scored); ``scored``: the label was present and
    the scorer gave a value; ``errors``: the scorer's error per row (``None`` where it did not raise);
    ``binary``: every score is right/wrong; ``predicted``: the normalised prediction (categorical scorers);
    ``reasons``: the judge's reasons.
    """

    values: np.ndarray
    errors: list[str | None]
    binary: bool
    predicted: list[Any] | None = None
    reasons: list[str | None] | None = None

    @property
    def scored(self) -> np.ndarray:
        """Rows with a score."""
        return ~np.isnan(self.values)


class Scorer:
    """The base of every scorer; ``categorical`` ones compare label classes (macro-F1, confusion matrix).

    ``lowest`` is the score of a row the variant failed on.
    """

    name: str = "scorer"
    categorical: bool = False
    lowest: float = 0.0

    def score_rows(self, outputs: Sequence[Any], labels: Sequence[Any], answered: np.ndarray) -> RowScores:
        """Scores for the rows where ``answered`` (label present and the variant succeeded); NaN elsewhere (the
        caller gives failed labelled rows the lowest score)."""
        raise NotImplementedError


@dataclass(frozen=True)
class ExactMatch(Scorer):
    """The output equals the label after :func:`normalise_label`."""

    name: str = "exact match"
    categorical: bool = True

    def key(self, output: Any) -> Any:
        """What is compared for ``output``."""
        return normalise_label(output)

    def __call__(self, output: Any, label: Any) -> bool:
        return self.key(output) == normalise_label(label)

    def score_rows(self, outputs: Sequence[Any], labels: Sequence[Any], answered: np.ndarray) -> RowScores:
        n = len(outputs)
        guesses, guess_errors = map_distinct(self.key, object_array(outputs)[answered])
        truths, truth_errors = map_distinct(normalise_label, object_array(labels)[answered])
        row_errors = np.where(np.equal(guess_errors, None), truth_errors, guess_errors)  # a bad row is recorded
        ok = np.equal(row_errors, None)
        values = np.full(n, math.nan)
        values[np.flatnonzero(answered)[ok]] = (guesses[ok] == truths[ok]).astype(float)
        errors = np.full(n, None, dtype=object)
        errors[answered] = row_errors
        predicted = np.full(n, None, dtype=object)
        predicted[answered] = guesses
        return RowScores(values, errors.tolist(), binary=True, predicted=predicted.tolist())


@dataclass(frozen=True)
class FieldMatch(ExactMatch):
    """Exact match on one field of a pydantic (or dict) output."""

    field_name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"field {self.field_name!r}")

    def key(self, output: Any) -> Any:
        if isinstance(output, dict):
            if self.field_name not in output:
                raise KeyError(f"the output has no field {self.field_name!r}")
            return normalise_label(output[self.field_name])
        if not hasattr(output, self.field_name):
            raise AttributeError(f"a {type(output).__name__} output has no field {self.field_name!r}")
        return normalise_label(getattr(output, self.field_name))


@dataclass(frozen=True)
class CallableScorer(Scorer):
    """Your function ``fn(output, label) -> bool | float``, row by row."""

    fn: ScoreFunction | None = None
    name: str = "custom"

    def score_rows(self, outputs: Sequence[Any], labels: Sequence[Any], answered: np.ndarray) -> RowScores:
        assert self.fn is not None
        n = len(outputs)
        values = np.full(n, math.nan)
        errors: list[str | None] = [None] * n
        all_bool = True
        for i in np.flatnonzero(answered):
            try:
                value = self.fn(outputs[i], labels[i])
                all_bool = all_bool and isinstance(value, (bool, np.bool_))
                values[i] = float(value)
            except Exception as exc:
                errors[i] = error_text(exc)
        return RowScores(values, errors, binary=all_bool)


def object_array(values: Sequence[Any]) -> np.ndarray:
    """``values`` as a 1-d object array (list or tuple values stay single cells)."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def map_distinct(fn: Callable[[Any], Any], values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``fn`` of each value, and each value's error text (``None`` where ``fn`` did not raise); object arrays.

    Text values repeat (a classifier's few classes): ``fn`` runs once per distinct string.
    """
    if pd.api.types.infer_dtype(values, skipna=False) == "string":  # only text: equal values are the same value
        codes, distinct = pd.factorize(values)
    else:
        codes, distinct = np.arange(len(values)), values
    mapped = np.full(len(distinct), None, dtype=object)
    failures = np.full(len(distinct), None, dtype=object)
    for j, value in enumerate(distinct):
        try:
            mapped[j] = fn(value)
        except Exception as exc:
            failures[j] = error_text(exc)
    return mapped[codes], failures[codes]


def exact() -> ExactMatch:
    """The default scorer: exact match after normalisation (case, white space, surrounding punctuation)."""
    return ExactMatch()


def field(name: str) -> FieldMatch:
    """Exact match of one field of a structured output against the label.

    Example: ``cmp = nl.compare(df, prompts=..., strategy=s, labels="sentiment", scorer=nl.field("sentiment"))``
    """
    if not isinstance(name, str) or not name:
        from ..core.errors import ConfigurationError

        raise ConfigurationError(f"field needs a field name, got {name!r}")
    return FieldMatch(field_name=name)


def coerce_scorer(scorer: Any) -> Scorer:
    """A :class:`Scorer` from what the user passed (``None`` → exact match, a callable → :class:`CallableScorer`)."""
    from ..core.errors import ConfigurationError

    if scorer is None:
        return ExactMatch()
    if isinstance(scorer, Scorer):
        return scorer
    if callable(scorer):
        return CallableScorer(fn=scorer, name=getattr(scorer, "__name__", "custom"))
    raise ConfigurationError(
        f"scorer must be nl.exact(), nl.field(name), nl.judge(...) or a function (output, label) -> bool | float, "
        f"got {type(scorer).__name__}"
    )


def error_text(exc: BaseException) -> str:
    """A row's scoring error as shown: its type and message, keys redacted."""
    return redact(f"{type(exc).__name__}: {exc}")
