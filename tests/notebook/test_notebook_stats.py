"""The statistics of an evaluation against textbook and hand-computed values (no requests)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from notebookllm.notebook.stats import (
    Significance,
    bootstrap_interval,
    macro_f1,
    mcnemar_exact,
    paired_bootstrap,
)


def test_exact_mcnemar_matches_textbook_examples() -> None:
    # Fagerland, Lydersen & Laake (2013), BMC Med Res Methodol 13:91, Table 1: discordant pairs 1 and 7,
    # exact conditional p = 0.0703 (= 2 * (C(8,0) + C(8,1)) / 2^8 = 18/256).
    assert mcnemar_exact(1, 7) == pytest.approx(18 / 256)
    assert round(mcnemar_exact(7, 1), 4) == 0.0703  # symmetric
    # By hand: n = 12, k = 2: 2 * (1 + 12 + 66) / 4096.
    assert mcnemar_exact(2, 10) == pytest.approx(158 / 4096)
    assert mcnemar_exact(5, 5) == 1.0 and mcnemar_exact(0, 0) == 1.0


def test_bootstrap_interval_of_a_proportion_is_near_the_normal_interval() -> None:
    values = np.array([1.0] * 80 + [0.0] * 20)
    low, high = bootstrap_interval(values, seed=1)
    half = 1.96 * math.sqrt(0.8 * 0.2 / 100)  # 0.0784: the textbook normal interval of 80/100
    assert low == pytest.approx(0.8 - half, abs=0.015) and high == pytest.approx(0.8 + half, abs=0.015)
    assert bootstrap_interval(values, seed=1) == (low, high)  # seeded: the same interval again
    assert bootstrap_interval(np.ones(10)) == (1.0, 1.0)
    assert all(math.isnan(v) for v in bootstrap_interval(np.array([])))


def test_bootstrap_of_many_distinct_values_resamples_rows() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(2.0, 1.0, size=2000)  # > 512 distinct values: the row-resampling path
    low, high = bootstrap_interval(values)
    se = values.std(ddof=1) / math.sqrt(len(values))
    assert low == pytest.approx(values.mean() - 1.96 * se, abs=0.01)
    assert high == pytest.approx(values.mean() + 1.96 * se, abs=0.01)


def test_paired_bootstrap_difference_interval_and_p_value() -> None:
    a = np.array([5, 4, 5, 4, 5, 4, 5, 4, 5, 4] * 5, dtype=float)
    b = a - 1
    diff, low, high, p = paired_bootstrap(a, b)
    assert (diff, low, high) == (1.0, 1.0, 1.0) and p == pytest.approx(2 / 2000)  # every resample is +1
    diff, low, high, p = paired_bootstrap(a, a)
    assert (diff, p) == (0.0, 1.0)
    noisy = np.array([1, -1] * 25, dtype=float)
    assert paired_bootstrap(noisy, np.zeros(50))[3] > 0.5


def test_macro_f1_by_hand() -> None:
    actual = pd.Series(["pos", "pos", "neg", "neg", "neu"])
    predicted = pd.Series(["pos", "neg", "neg", "neg", "pos"])
    # pos: P=1/2 R=1/2 F1=1/2; neg: P=2/3 R=1 F1=0.8; neu: F1=0.
    assert macro_f1(predicted, actual) == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert math.isnan(macro_f1(pd.Series([], dtype=object), pd.Series([], dtype=object)))


def test_significance_verdict_in_plain_words() -> None:
    real = Significance("a", "b", "exact McNemar", 100, 0.12, (0.05, 0.2), 0.003, 14, 2)
    assert real.significant and real.verdict.startswith("a is better than b by 12.0% on 100 paired rows")
    chance = Significance("a", "b", "exact McNemar", 20, -0.05, (-0.2, 0.1), 0.62, 1, 2)
    assert not chance.significant and chance.verdict.startswith("No real difference between a and b")
    assert "could be chance" in str(chance) and "<b>" in chance._repr_html_()
