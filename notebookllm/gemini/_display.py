"""Telling the user something plainly wherever they are: an HTML banner in a notebook, a warning elsewhere.

Where we run is decided by :mod:`notebookllm.environment`, the one place that asks.
"""

from __future__ import annotations

import warnings

from .. import environment

__all__ = ["EmulatorInUseWarning", "announce"]


class EmulatorInUseWarning(UserWarning):
    """Shown in a terminal when notebookllm answers from the local emulator instead of the real Gemini API."""


def announce(text: str, html: str) -> None:
    """Show ``html`` as output in a notebook kernel; elsewhere emit ``text`` as an :class:`EmulatorInUseWarning`."""
    if environment.in_jupyter_kernel():
        from IPython.display import HTML, display

        display(HTML(html))
    else:
        warnings.warn(text, EmulatorInUseWarning, stacklevel=3)
