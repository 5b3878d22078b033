"""Charts of a results DataFrame: where the time went, what the tokens were, why generation stopped.

matplotlib is imported on first use only (it is the slowest import of the layer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_results"]


def plot_results(df: pd.DataFrame) -> Figure:
    """Three panels from a :attr:`Results.df`: latency histogram, tokens per item, finish reasons.

    Returns the figure (Jupyter shows it once; it is closed in pyplot so it is not drawn a second time).
    """
    import matplotlib.pyplot as plt

    fig, (latency_ax, tokens_ax, reasons_ax) = plt.subplots(1, 3, figsize=(14, 3.6), layout="constrained")
    latency = df["latency_s"].dropna()
    if len(latency):
        latency.plot.hist(ax=latency_ax, bins=min(30, max(5, len(latency) // 5)), color="#4c72b0")
    latency_ax.set(title="latency per item", xlabel="seconds", ylabel="items")

    tokens = df[["input_tokens", "output_tokens", "cached_tokens", "thoughts_tokens"]]
    tokens = tokens.loc[:, tokens.sum() > 0]  # hide kinds this run never used (thoughts on a non-thinking model)
    if tokens.shape[1]:
        tokens.reset_index(drop=True).plot(ax=tokens_ax, kind="line", alpha=0.8)
    tokens_ax.set(title="tokens per item", xlabel="row", ylabel="tokens")

    reasons = df["finish_reason"].astype("object").fillna("(none: failed)").value_counts()
    reasons.plot.barh(ax=reasons_ax, color="#55a868")
    reasons_ax.set(title="finish reasons", xlabel="items", ylabel="")
    plt.close(fig)
    return fig
