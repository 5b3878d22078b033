"""Exponential backoff between retries of one item.

Example:
    >>> from notebookllm.core.config import RetryConfig
    >>> cfg = RetryConfig(initial_wait=1, exponential_base=2, max_wait=5, jitter=False)
    >>> [backoff_delay(cfg, n) for n in (1, 2, 3, 4)]
    [1.0, 2.0, 4.0, 5.0]
"""

from __future__ import annotations

import random

from .config import RetryConfig

__all__ = ["backoff_delay"]


def backoff_delay(config: RetryConfig, failed_attempt: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after attempt number ``failed_attempt`` (from 1) failed with a retryable error.

    With ``config.jitter`` the wait is uniform in ``[delay / 2, delay]``: never less than half the schedule, so
    retries still back off, but spread so that workers failing together do not retry together.
    """
    delay = min(config.max_wait, config.initial_wait * config.exponential_base ** (failed_attempt - 1))
    if config.jitter:
        delay = (rng or random).uniform(delay / 2, delay)
    return delay
