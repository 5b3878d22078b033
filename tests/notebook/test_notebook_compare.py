"""nl.compare with engine-only strategies: side-by-side outputs, agreement, per-variant summary and reruns."""

from __future__ import annotations

import pandas as pd
import pytest
from nb_strategies import Scripted

import notebookllm as nl
from notebookllm import ConfigurationError


def test_prompt_variants_side_by_side_with_agreement() -> None:
    df = pd.DataFrame({"t": ["a", "b", "fail c"]}, index=["x", "y", "z"])
    cmp = nl.compare(df, prompts={"v1": "{t}", "v2": "{t}!", "v3": " {t} "}, strategy=Scripted(), cache=False,
                     progress=False)  # fmt: skip
    d = cmp.df
    assert list(d.index) == ["x", "y", "z"]
    assert d["output_v1"].tolist() == ["A", "B", None] and d["output_v2"].tolist() == ["A!", "B!", None]
    assert d["agree"].tolist() == [False, False, False]
    assert cmp.agreement_rate == 0.0  # the failed row does not count either way
    s = cmp.summary()
    assert s.loc["v3", "agrees_with_v1"] == 1.0 and s.loc["v2", "agrees_with_v1"] == 0.0  # trimmed, case-folded
    assert s.loc["v1", "failed"] == 1 and s.loc["v1", "input_tokens"] == 2  # the failed row billed nothing


def test_strategy_variants_and_a_rerun_of_one_variant() -> None:
    class Picky(Scripted):
        async def execute(self, prompt, attempt, timeout, state=None):
            self.calls.append((prompt, attempt))
            if prompt == "b" and len(self.calls) <= 2:
                raise ValueError("not yet")
            return prompt.upper(), None

    picky = Picky()
    cmp = nl.compare(["a", "b"], strategies={"plain": Scripted(), "picky": picky}, prompt="{text}", cache=False,
                     progress=False)  # fmt: skip
    assert cmp.agreement_rate == 1.0  # only row "a" succeeded everywhere, and it agrees
    fixed = cmp.results["picky"].retry_failed()
    assert fixed.outputs == ["A", "B"] and [p for p, _ in picky.calls] == ["a", "b", "b"]


def test_compare_needs_exactly_one_kind_of_variant() -> None:
    with pytest.raises(ConfigurationError, match="exactly one"):
        nl.compare(["a"], prompts={"v1": "{text}"}, strategies={"s": Scripted()}, strategy=Scripted())
    with pytest.raises(ConfigurationError, match="at least two"):
        nl.compare(["a"], prompts={"v1": "{text}"}, strategy=Scripted())


def test_agreement_rate_counts_only_rows_every_variant_answered() -> None:
    class Disagrees(Scripted):
        async def execute(self, prompt, attempt, timeout, state=None):
            if prompt == "c":
                return "something else", None
            return await super().execute(prompt, attempt, timeout, state)

    cmp = nl.compare(["a", "b", "c", "fail d"], strategies={"base": Scripted(), "other": Disagrees()}, prompt="{text}",
                     cache=False, progress=False)  # fmt: skip
    assert cmp.df["agree"].tolist() == [True, True, False, False]
    assert cmp.agreement_rate == pytest.approx(2 / 3)  # "fail d" failed in both: neither agreement nor disagreement
    assert cmp.summary().loc["other", "agrees_with_base"] == pytest.approx(2 / 3)
    assert "agreement 67%" in repr(cmp)
