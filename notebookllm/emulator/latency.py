"""Response latency drawn from a seeded distribution.

>>> Latency(0.0, "fixed", seed=0).draw()
0.0
>>> 0.0 <= Latency(0.1, "uniform", seed=0).draw() <= 0.2
True
"""

from __future__ import annotations

import math
import random

DISTRIBUTIONS = ("fixed", "uniform", "exponential", "lognormal")


class Latency:
    """``mean_s`` seconds on average: fixed, uniform on [0, 2·mean], exponential, or lognormal (σ = 0.5)."""

    def __init__(self, mean_s: float, distribution: str, seed: int) -> None:
        if distribution not in DISTRIBUTIONS:
            raise ValueError(f"latency distribution must be one of {', '.join(DISTRIBUTIONS)}")
        self.mean_s = mean_s
        self.distribution = distribution
        self._rng = random.Random(f"latency-{seed}")

    def draw(self) -> float:
        if self.mean_s <= 0.0:
            return 0.0
        if self.distribution == "uniform":
            return self._rng.uniform(0.0, 2.0 * self.mean_s)
        if self.distribution == "exponential":
            return self._rng.expovariate(1.0 / self.mean_s)
        if self.distribution == "lognormal":
            sigma = 0.5
            return self._rng.lognormvariate(math.log(self.mean_s) - sigma * sigma / 2, sigma)
        return self.mean_s
