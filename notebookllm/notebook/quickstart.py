"""The quickstart job — ``notebooks/01_quickstart.ipynb`` — as data and as one call for the command line.

The notebook and ``make demo`` share :func:`sample_reviews` and :data:`PROMPT`, so both run the same job: product
reviews classified by Gemini (the embedded emulator without an API key), with the outcomes Gemini sometimes gives
— a MEDIUM safety rating, a blocked prompt, a reply stopped for safety, one cut at the token limit (a failure of
its own, not retried), a transient 503.

Example:
    >>> results = run_quickstart()  # doctest: +SKIP
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from .results import Results

__all__ = ["PROMPT", "run_quickstart", "sample_reviews"]

PROMPT = "Classify this review as positive, negative or neutral. Answer with one word.\n\nReview: {review}"

# The [[...]] markers are read by the emulator only (see notebookllm.emulator); to the real API they are text.
_REVIEWS = [
    ("Lovely tea, arrived quickly and well packed.", 5),
    ("The kettle broke after a week. Disappointed.", 1),
    ("It is a mug. It holds coffee.", 3),
    ("The seller was rude to me on the phone [[unsafe:harassment:MEDIUM]]", 2),
    ("Would buy again, five stars!", 5),
    ("Terrible, I want a refund [[block]]", 1),
    ("Packaging was fine, taste is average [[fail:503x1]]", 3),
    ("Angry rant about the courier [[safety-stop]]", 1),
    ("A very long story about my grandmother's teapot [[max-tokens]]", 4),
    ("Good value for the price.", 4),
]

_SHOWN = ["review", "output", "success", "attempts", "finish_reason", "blocked", "safety_harassment", "input_tokens"]


def sample_reviews() -> pd.DataFrame:
    """Ten product reviews with their star ratings, indexed ``r00`` … ``r09``."""
    return pd.DataFrame(
        {"review": [text for text, _ in _REVIEWS], "stars": [stars for _, stars in _REVIEWS]},
        index=pd.Index([f"r{i:02d}" for i in range(len(_REVIEWS))], name="review_id"),
    )


def run_quickstart(
    *,
    client: Any = None,
    progress: Any = True,
    cache: Any = False,
    store: str | Path | None = None,
    out: TextIO | None = None,
) -> Results:
    """Run the quickstart job, print its results table and summary to ``out`` (stdout), and return the results.

    ``client`` defaults to ``nl.connect()``'s; ``progress``/``cache``/``store`` are ``nl.run``'s options. By default
    nothing is stored, so every call sends the same requests.
    """
    from ..gemini import GeminiStrategy, connect
    from .runner import run

    out = out if out is not None else sys.stdout
    strategy = GeminiStrategy(client or connect(), include_metadata=True)
    results = run(
        sample_reviews(), prompt=PROMPT, strategy=strategy, max_workers=8, progress=progress, cache=cache, store=store
    )
    with pd.option_context("display.width", 160, "display.max_colwidth", 48):
        print(results.df[_SHOWN].to_string(), file=out)
    print(file=out)
    print(results.summary(), file=out)
    return results
