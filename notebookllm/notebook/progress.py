"""Live progress of a run: a widget in Jupyter, one line on a terminal's stderr, nothing elsewhere.

A :class:`Progress` keeps a :class:`ProgressState` (counts, tokens, cost, cooldown, last error) that the runner
updates on every processor event and finished item — plain counter updates, nothing drawn — and redraws it from a
ticker at most ``1 / min_interval`` times a second (5 by default). Cooldowns and the end of the run are drawn at
once; the end is always drawn, whatever ended the run, with its status: ``done``, ``interrupted`` or ``failed``.

Pass ``progress=WidgetProgress()`` (or ``TextProgress()``) to ``nl.run`` to keep a handle on it; afterwards
``results.progress.state`` has the final values and ``WidgetProgress`` exposes its widgets (``bar``,
``counts``, ``tokens``, ``cooldown``, ``error``).

Example:
    >>> p = TextProgress()
    >>> p.state.total
    0
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TextIO

from ..core.errors import ConfigurationError, ItemCancelledError
from ..core.redaction import get_logger, redact
from ..environment import in_jupyter_kernel, progress_kind
from .results import format_usd

if TYPE_CHECKING:
    from ..core.budget import Budget
    from ..core.classification import ErrorInfo
    from ..core.results import WorkItemResult

__all__ = [
    "Progress",
    "ProgressState",
    "TextProgress",
    "WidgetProgress",
    "check_progress_option",
    "final_line_bundle",
    "make_progress",
]

Status = Literal["waiting", "running", "done", "interrupted", "failed"]

_ERROR_CHARS = 300

logger = get_logger("notebookllm")


@dataclass
class ProgressState:
    """What the display shows. Derived values (rate, ETA, cooldown left, in flight) are refreshed on every draw.

    ``done`` counts finished items (``succeeded + failed``, cache hits included); ``unfinished`` the items an
    interrupt stopped. ``retrying`` is the failed attempts waiting for their retry now (backoff or cooldown),
    ``retries`` the extra attempts finished items took (rate-limit waits included). ``in_flight`` is estimated
    from the workers, the items left and those waiting. Tokens and cost count what this run was billed (not
    what the cache answered). ``phase`` is shown ahead of the counts when set (a batch job's state).
    ``budget`` is the spend cap's spent / cap (``"$0.0400 / $0.05"``) when the run has one.
    """

    total: int = 0
    done: int = 0
    succeeded: int = 0
    failed: int = 0
    from_cache: int = 0
    unfinished: int = 0
    in_flight: int = 0
    retrying: int = 0
    retries: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float = 0.0
    cooldowns: int = 0
    cooldown_left_s: float = 0.0
    last_error: str | None = None
    status: Status = "waiting"
    elapsed_s: float = 0.0
    items_per_s: float = 0.0
    eta_s: float | None = None
    phase: str = ""
    budget: str = ""

    @property
    def cooling_down(self) -> bool:
        """A rate-limit cooldown is running now."""
        return self.cooldown_left_s > 0

    def counts_text(self) -> str:
        """``"120/500 · 118 succeeded · 2 failed · 1 retrying · 8 in flight · 45.1 items/s · ETA 8s"``."""
        parts = [f"{self.done:,}/{self.total:,}", f"{self.succeeded:,} succeeded", f"{self.failed:,} failed"]
        if self.phase:
            parts.insert(0, self.phase)
        if self.retrying or self.retries:
            parts.append(f"{self.retrying:,} retrying ({self.retries:,} retries)")
        parts.append(f"{self.in_flight:,} in flight")
        if self.from_cache:
            parts.append(f"{self.from_cache:,} from cache")
        if self.unfinished:
            parts.append(f"{self.unfinished:,} not finished")
        parts.append(f"{self.items_per_s:,.1f} items/s")
        if self.status == "running" and self.eta_s is not None:
            parts.append(f"ETA {_duration(self.eta_s)}")
        elif self.status != "running":
            parts.append(f"in {_duration(self.elapsed_s)}")
        return " · ".join(parts)

    def tokens_text(self) -> str:
        """``"tokens 12,345 in / 4,567 out / 0 cached · $0.0123"`` (and ``" · budget $0.0123 / $0.05"``)."""
        text = (
            f"tokens {self.input_tokens:,} in / {self.output_tokens:,} out / {self.cached_tokens:,} cached"
            f" · {format_usd(self.cost_usd)}"
        )
        return f"{text} · budget {self.budget}" if self.budget else text

    def line(self) -> str:
        """The whole state on one line: ``"done 100% | 10/10 · ... | tokens ... · $0.0012 | 1 rate-limit cooldown"``."""
        return " | ".join(self._line_parts())

    def _line_parts(self) -> list[str]:
        percent = f"{self.done / self.total:4.0%}" if self.total else "    "
        parts = [f"{self.status} {percent}", self.counts_text(), self.tokens_text()]
        if cooldown := self.cooldown_text():
            parts.append(cooldown)
        return parts

    def cooldown_text(self) -> str:
        """``"cooling down 12s (rate limit)"`` during a cooldown, a count of them afterwards, else empty."""
        if self.cooling_down:
            return f"cooling down {self.cooldown_left_s:.0f}s (rate limit)"
        if self.cooldowns:
            return f"{self.cooldowns} rate-limit cooldown{'s' if self.cooldowns > 1 else ''}"
        return ""


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    """Tracks one run and draws it; subclasses implement :meth:`draw`. One instance per run."""

    #: Seconds between redraws while the run goes.
    min_interval: float = 0.2

    def __init__(self) -> None:
        self.state = ProgressState()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started_at = 0.0
        self._workers = 1
        self._fresh_done = 0  # done minus answered from cache: what the rate and the ETA are about
        self._cooldown_until = 0.0
        # Failed attempts classified as worth another try, and how many of those the finished items account for
        # (their extra attempts, plus a final attempt that was retryable but out of attempts): the difference is
        # the attempts waiting to be retried right now.
        self._retryable_failures = 0
        self._settled_failures = 0
        self._ticker: asyncio.Task[None] | None = None
        self._budget: Budget | None = None
        # Finished results wait here until the next draw counts them: per item the runner only appends.
        self._unseen: list[WorkItemResult] = []
        #: ``item_finished(result)``: ``result`` is final for its item (queued; counted at the next draw).
        self.item_finished = self._unseen.append

    # ------------------------------------------------------------------------------------ fed by the runner
    def start(self, total: int, cached: Iterable[WorkItemResult] = (), workers: int = 1) -> None:
        """The run begins: ``total`` items, ``cached`` of them already answered, ``workers`` at a time."""
        self._loop = asyncio.get_running_loop()
        self._started_at = self._loop.time()
        self._workers = workers
        self.state = ProgressState(total=total, status="running")
        self._unseen.extend(cached)
        self.refresh()
        self._ticker = self._loop.create_task(self._tick())

    def attempt_failed(self, error: BaseException, info: ErrorInfo, cooldown_s: float | None = None) -> None:
        """An attempt failed and was classified as ``info``; a rate limit pauses everyone ``cooldown_s`` seconds.

        Called once per failed attempt, so it may do more than count.
        """
        self._set_error(error)
        if info.retryable and not info.is_quota_exhausted:
            self._retryable_failures += 1
        if cooldown_s is not None:
            assert self._loop is not None
            now = self._loop.time()
            starts = now >= self._cooldown_until  # errors during a cooldown extend it, as the processor does
            self._cooldown_until = max(self._cooldown_until, now + cooldown_s)
            if starts:
                self.state.cooldowns += 1
                self.refresh()  # at once, not at the next tick (a burst of 429s draws once)

    def set_budget(self, budget: Budget) -> None:
        """Show ``budget``'s spent / cap with the tokens, from the next draw on."""
        self._budget = budget

    def set_phase(self, phase: str) -> None:
        """Show what the run waits for (e.g. a batch job's state) ahead of the counts, drawn at once."""
        self.state.phase = phase
        self.refresh()

    def finish(self, status: Status, results: Iterable[WorkItemResult] | None = None) -> None:
        """The run ended with ``status``; draw the final state (always, whatever ended the run).

        ``results``: every item's final result, to count from scratch when the run was cut short and not every
        result reached :meth:`item_finished`.
        """
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        if results is not None:
            self.state = ProgressState(total=self.state.total, last_error=self.state.last_error,
                                       cooldowns=self.state.cooldowns)  # fmt: skip
            self._fresh_done = self._settled_failures = 0
            self._unseen[:] = results
        self.state.status = status
        self._cooldown_until = 0.0
        self._retryable_failures = self._settled_failures
        self.refresh()
        self.close()

    # ------------------------------------------------------------------------------------ drawing
    def refresh(self) -> None:
        """Count the results finished since the last draw, recompute the derived values and draw."""
        self._count_new()
        s = self.state
        if self._budget is not None:
            s.budget = self._budget.text()
        if self._loop is not None:
            now = self._loop.time()
            s.elapsed_s = now - self._started_at
            s.cooldown_left_s = max(0.0, self._cooldown_until - now)
        s.retrying = max(0, self._retryable_failures - self._settled_failures)
        # Estimated: every worker with an item left is sending, unless it waits for a retry or a cooldown.
        open_items = s.total - s.done - s.unfinished
        waiting = s.cooldown_left_s > 0 or s.status != "running"
        s.in_flight = 0 if waiting else max(0, min(self._workers, open_items) - s.retrying)
        s.items_per_s = self._fresh_done / s.elapsed_s if s.elapsed_s > 0 else 0.0
        s.eta_s = (s.total - s.done) / s.items_per_s if s.items_per_s > 0 else None
        try:
            self.draw(s)
        except Exception:  # a display that breaks (a closed comm, a closed stream) must not break the run
            logger.exception("the progress display failed to draw; the run goes on")

    def draw(self, state: ProgressState) -> None:
        """Show ``state``. The base class shows nothing (state only)."""

    def close(self) -> None:
        """Called once after the final draw."""

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.min_interval)
            self.refresh()

    def _count_new(self) -> None:
        """Add up the results queued since the last draw (a tight loop over locals: this runs for every item)."""
        s = self.state
        plain = input_tokens = output_tokens = cached_tokens = 0
        cost = 0.0
        for result in self._unseen:
            if (
                result.attempts == 1
                and result.success
                and not result.from_cache
                and not result.rate_limit_waits
                and not result.unavailable_waits
            ):
                plain += 1
            elif not self._count_unusual(result):
                continue
            usage = result.token_usage
            input_tokens += usage.input_tokens
            output_tokens += usage.output_tokens
            cached_tokens += usage.cached_input_tokens
            item_cost = result.metadata.get("cost_usd")
            if item_cost:
                cost += item_cost
        self._unseen.clear()
        s.done += plain
        s.succeeded += plain
        self._fresh_done += plain
        s.input_tokens += input_tokens
        s.output_tokens += output_tokens
        s.cached_tokens += cached_tokens
        s.cost_usd += cost

    def _count_unusual(self, result: WorkItemResult) -> bool:
        """Count a retried, failed, interrupted or cached result; return whether this run paid for it."""
        s = self.state
        extra = (result.attempts - 1 if result.attempts > 1 else 0) + result.rate_limit_waits + result.unavailable_waits
        info = result.error_info
        self._settled_failures += extra + (1 if info is not None and info.retryable else 0)
        if isinstance(result.error, ItemCancelledError):  # not done: the run stopped before it
            s.unfinished += 1
            return True
        s.done += 1
        s.retries += extra
        if result.success:
            s.succeeded += 1
        else:
            s.failed += 1
            if result.error is not None:
                self._set_error(result.error)
        if result.from_cache:  # paid for by an earlier run
            s.from_cache += 1
            return False
        self._fresh_done += 1
        return True

    def _set_error(self, error: BaseException) -> None:
        self.state.last_error = redact(f"{type(error).__name__}: {error}")[:_ERROR_CHARS]


class WidgetProgress(Progress):
    """An ipywidgets display: a bar with the status, counts and rate, tokens and cost, cooldown, last error.

    Beside the widget it leaves a static line (HTML and plain text) that receives the final state when the run
    ends, so a notebook saved after the run reads well where widgets are not drawn: on GitHub, in exported HTML,
    in a frontend without the widget manager, or reopened without a kernel.
    """

    def __init__(self, *, display: bool | None = None) -> None:
        """``display``: show the widget when the run starts (default: only inside a Jupyter kernel)."""
        super().__init__()
        import ipywidgets as w

        self.bar = w.IntProgress(value=0, min=0, max=1, description="waiting", bar_style="")
        self.counts = w.HTML()
        self.tokens = w.HTML()
        self.cooldown = w.HTML()
        self.error = w.HTML()
        self.widget = w.VBox([w.HBox([self.bar, self.counts]), self.tokens, self.cooldown, self.error])
        self._display = in_jupyter_kernel() if display is None else display
        self._final_line: Any = None  # the IPython display handle of the static line

    def start(self, total: int, cached: Iterable[WorkItemResult] = (), workers: int = 1) -> None:
        self.bar.max = max(total, 1)
        super().start(total, cached, workers)  # draws first, so even the widget's plain-text fallback is not blank
        if self._display:
            from IPython.display import display

            display(self.widget)
            # Empty while the widget is live (one message here, one at the end: nothing per draw).
            self._final_line = display({"text/plain": ""}, raw=True, display_id=True)

    def close(self) -> None:
        if self._final_line is not None:
            self._final_line.update(final_line_bundle(self.state), raw=True)

    def draw(self, state: ProgressState) -> None:
        import html

        # ipywidgets sends a message only for a value that changed, so unchanged fields cost nothing.
        self.bar.value = state.done
        self.bar.description = state.status
        self.bar.bar_style = _bar_style(state)
        self.counts.value = html.escape(state.counts_text())
        self.tokens.value = html.escape(state.tokens_text())
        cooldown = state.cooldown_text()
        self.cooldown.value = f"<b style='color:#b36b00'>{cooldown}</b>" if state.cooling_down else cooldown
        self.error.value = (
            f"<span style='color:#b00020'>last error: {html.escape(state.last_error)}</span>"
            if state.last_error
            else ""
        )


def final_line_bundle(state: ProgressState) -> dict[str, str]:
    """The static line a finished run leaves beside its widget, as a MIME bundle (``text/html``, ``text/plain``).

    Example:
        >>> final_line_bundle(ProgressState(total=2, done=2, succeeded=2, status="done"))["text/plain"][:24]
        'notebookllm: done 100% |'
    """
    import html

    status, *rest = state._line_parts()
    text = f"notebookllm: {state.line()}"
    markup = (
        f"<div class='notebookllm-progress-final' style='font-family:monospace;font-size:90%'>"
        f"<b style='color:{_STATUS_COLOUR[_bar_style(state)]}'>notebookllm: {html.escape(status)}</b>"
        f" | {html.escape(' | '.join(rest))}"
    )
    if state.last_error:
        text += f"\nlast error: {state.last_error}"
        markup += f"<br><span style='color:#b00020'>last error: {html.escape(state.last_error)}</span>"
    return {"text/html": markup + "</div>", "text/plain": text}


# The colours of ipywidgets' bar styles, so the static line looks like the bar it stands in for.
_STATUS_COLOUR = {"": "#2196f3", "success": "#4caf50", "warning": "#ff9800", "danger": "#f44336"}


def _bar_style(state: ProgressState) -> str:
    if state.status in ("interrupted", "failed"):
        return "danger"
    if state.cooling_down or (state.failed and state.status == "done"):
        return "warning"
    if state.status == "done":
        return "success"
    return ""


class TextProgress(Progress):
    """One line on ``stream`` (stderr), rewritten in place; a newline after the final state."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self._stream = stream if stream is not None else sys.stderr
        self._width = 0

    def draw(self, state: ProgressState) -> None:
        line = state.line()
        # Pad over the previous, possibly longer, line instead of relying on terminal escape codes.
        self._stream.write("\r" + line.ljust(self._width))
        self._width = len(line)
        self._stream.flush()

    def close(self) -> None:
        if self.state.last_error and self.state.status != "done":
            self._stream.write(f"\nlast error: {self.state.last_error}")
        self._stream.write("\n")
        self._stream.flush()


_OPTIONS = (True, False, None, "auto", "widget", "text", "none")


def check_progress_option(option: Any) -> None:
    """Raise :class:`ConfigurationError` unless ``option`` is a valid ``progress=`` value."""
    if not isinstance(option, Progress) and not any(
        option is o or (isinstance(o, str) and option == o) for o in _OPTIONS
    ):
        raise ConfigurationError(
            f"progress must be True, False, 'auto', 'widget', 'text' or a Progress instance, got {option!r}"
        )


def make_progress(option: Any) -> Progress | None:
    """The display for the ``progress=`` option of ``nl.run``; ``None`` means no display at all.

    ``True`` / ``"auto"``: the widget in Jupyter, text on a terminal's stderr, nothing otherwise.
    ``False`` / ``None``: nothing. ``"widget"`` / ``"text"``: that display. A :class:`Progress`: used as given.
    """
    check_progress_option(option)
    if isinstance(option, Progress):
        return option
    if option is True or option == "auto":
        option = progress_kind()
    if option == "widget":
        return WidgetProgress()
    if option == "text":
        return TextProgress()
    return None
