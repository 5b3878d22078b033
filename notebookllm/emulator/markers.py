"""Prompt markers: ``[[name]]`` or ``[[name:args]]`` in a prompt picks an outcome (see the package docstring).

Only known names are markers; other ``[[...]]`` text is left alone. A known name with bad arguments is answered
with 400 INVALID_ARGUMENT so typos don't pass silently.

>>> m = parse_markers("Rate this [[unsafe:harassment:HIGH]] [[fail:503x2]]")
>>> m.unsafe, m.fail, m.fail_times
({'HARM_CATEGORY_HARASSMENT': 'HIGH'}, Fault(kind='status', code=503, seconds=None), 2)
"""

from __future__ import annotations

import re

from .errors import ApiError
from .faults import Fault
from .safety import BLOCK_REASONS, PROBABILITIES, category_from_name

_MARKER = re.compile(r"\[\[([a-z-]+)(?::([^\[\]]*))?\]\]")
_FAIL_TIMES = re.compile(r"^(.*?)(?:x(\d+|\*))?$")

_FINISH_MARKERS = {"recitation": "RECITATION", "other": "OTHER", "max-tokens": "MAX_TOKENS"}
# Finish reasons the Developer API answers with (google-genai 3.6's FinishReason, less the Vertex-only ones).
FINISH_REASONS = (
    "STOP",
    "MAX_TOKENS",
    "SAFETY",
    "RECITATION",
    "LANGUAGE",
    "OTHER",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "MALFORMED_FUNCTION_CALL",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_OTHER",
    "NO_IMAGE",
    "IMAGE_RECITATION",
    "UNEXPECTED_TOOL_CALL",
    "TOO_MANY_TOOL_CALLS",
    "MISSING_THOUGHT_SIGNATURE",
    "MALFORMED_RESPONSE",
    "ESCALATION",
    "PUP_LIMITED_DISABLED",
    "CONTINUATION",
)
_ALWAYS_FAULTS = ("hang", "truncate", "non-json", "stream-error")
_JOB_OUTCOMES = ("fail", "expire", "stall")


class Markers:
    """The outcomes a prompt asks for. ``fail_times`` is None for "always"."""

    __slots__ = (
        "bad_json",
        "block",
        "fail",
        "fail_times",
        "finish",
        "function_call",
        "job",
        "reply_tokens",
        "safety_stop",
        "unsafe",
    )

    def __init__(self) -> None:
        self.unsafe: dict[str, str] = {}
        self.block: str | None = None
        self.safety_stop: str | None = None
        self.finish: str | None = None
        self.function_call = False
        self.fail: Fault | None = None
        self.fail_times: int | None = None
        self.bad_json = False
        self.job: str | None = None
        self.reply_tokens: int | None = None


NO_MARKERS = Markers()


def parse_markers(text: str) -> Markers:
    """The markers in ``text`` (a shared empty result, cheaply, when there are none)."""
    if "[[" not in text:
        return NO_MARKERS
    markers = Markers()
    found = False
    for match in _MARKER.finditer(text):
        name, arg = match.group(1), match.group(2)
        try:
            known = _apply(markers, name, arg)
        except (ValueError, KeyError) as exc:
            raise ApiError.invalid(f"Bad emulator marker {match.group(0)!r}: {exc}") from None
        found = found or known
    return markers if found else NO_MARKERS


def _apply(markers: Markers, name: str, arg: str | None) -> bool:
    """Record one marker; False when ``name`` is not a marker at all."""
    if name == "unsafe":
        category, _, level = (arg or "").partition(":")
        level = level.upper() or "HIGH"
        if level not in PROBABILITIES:
            raise ValueError(f"level must be one of {', '.join(PROBABILITIES)}")
        markers.unsafe[category_from_name(category)] = level
    elif name == "block":
        markers.block = _one_of(arg or "SAFETY", BLOCK_REASONS, "block reason")
    elif name == "safety-stop":
        markers.safety_stop = category_from_name(arg or "harassment")
    elif name in _FINISH_MARKERS:
        markers.finish = _FINISH_MARKERS[name]
    elif name == "finish":
        markers.finish = _one_of(arg or "", FINISH_REASONS, "finish reason")
    elif name == "function-call":
        markers.function_call = True
    elif name == "fail":
        spec, times = _FAIL_TIMES.match(arg or "").groups()  # type: ignore[union-attr]
        markers.fail = Fault.parse(spec)
        markers.fail_times = None if times == "*" else int(times or 1)
    elif name in _ALWAYS_FAULTS:
        markers.fail = Fault.parse(f"{name}:{arg}" if arg else name)
        markers.fail_times = None
    elif name == "bad-json":
        markers.bad_json = True
    elif name == "job":
        if arg not in _JOB_OUTCOMES:
            raise ValueError(f"job outcome must be one of {', '.join(_JOB_OUTCOMES)}")
        markers.job = arg
    elif name == "tokens":
        markers.reply_tokens = int(arg or "")
    else:
        return False
    return True


def _one_of(value: str, allowed: tuple[str, ...], what: str) -> str:
    upper = value.upper()
    if upper not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}")
    return upper
