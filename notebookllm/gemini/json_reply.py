"""Lossless JSON extraction from model text (the ``filter_json=True`` of batch jobs).

:func:`parse_json_reply` never throws the model's text away and never guesses silently. It returns a
:class:`JsonReply` holding the parsed value *and* the raw text, and says how it got the value:

* ``"json"`` — the text is JSON as it stands;
* ``"extracted"`` — complete JSON found inside prose or a Markdown fence (the longest complete JSON value wins,
  so a stray ``[1]`` or ``{name}`` in the prose before it is not picked);
* ``"repaired"`` — broken but complete JSON (trailing commas, single quotes...) fixed by json-repair;
* ``"truncated"`` — the JSON stops before it closes (output cut off): the value holds what json-repair could
  recover, and ``truncated`` is set so the caller can tell a partial list from a whole one;
* ``"no_json"`` / ``"empty"`` — nothing to parse; ``value`` is ``None`` and ``ok`` is false.

Example:
    >>> r = parse_json_reply('Sure! Here you go: {"category": "Geography", "tags": ["gcse",]}')
    >>> r.value, r.status
    ({'category': 'Geography', 'tags': ['gcse']}, 'repaired')
    >>> r = parse_json_reply('[{"id": 1}, {"id": 2}, {"id"')
    >>> r.status, r.truncated, r.value[:2]
    ('truncated', True, [{'id': 1}, {'id': 2}])
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

import json_repair

__all__ = ["JsonReply", "JsonStatus", "parse_json_reply"]

JsonStatus = Literal["json", "extracted", "repaired", "truncated", "no_json", "empty"]

_FENCE = re.compile(r"```(?:json|JSON)?[ \t]*\n?(.*?)(?:```|\Z)", re.DOTALL)
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class JsonReply:
    """The JSON found in a model reply, with the reply's text kept as it was.

    Attributes:
        value: the parsed JSON (``None`` when there was none).
        raw: the model's text, unchanged (``None`` when the reply carried no text).
        status: how ``value`` was obtained (see the module docstring).
    """

    value: Any
    raw: str | None
    status: JsonStatus

    @property
    def ok(self) -> bool:
        """Whether a value was found (possibly repaired or partial: check :attr:`truncated`)."""
        return self.status not in ("no_json", "empty")

    @property
    def truncated(self) -> bool:
        """The JSON was cut off; ``value`` is what could be recovered of it."""
        return self.status == "truncated"


def parse_json_reply(text: str | None) -> JsonReply:
    """Find the JSON in ``text`` (see the module docstring); never raises on model output."""
    if text is None or not text.strip():
        return JsonReply(None, text, "empty")
    body = text.strip()
    try:
        return JsonReply(json.loads(body), text, "json")
    except json.JSONDecodeError:
        pass
    fence = _FENCE.search(body)
    if fence is not None:
        body = fence.group(1).strip()
    return _best_candidate(body, text)


def _best_candidate(body: str, text: str) -> JsonReply:
    """Scan every ``{``/``[`` of ``body`` once: valid JSON beats repaired JSON, which (like truncated JSON) is
    ranked by length; openings inside a value already found are skipped."""
    best: JsonReply | None = None
    best_len = 0
    repaired: JsonReply | None = None
    repaired_len = 0
    start = 0
    while True:
        start = _next_opening(body, start)
        if start < 0:
            break
        try:
            value, end = _DECODER.raw_decode(body, start)
        except json.JSONDecodeError:
            end = _closing_end(body, start)
            if repaired_len < (end or len(body)) - start:
                value = json_repair.loads(body[start:end])
                if isinstance(value, (dict, list)) and value:
                    repaired = JsonReply(value, text, "repaired" if end is not None else "truncated")
                    repaired_len = (end or len(body)) - start
            if end is None:  # everything after this opening is inside it
                break
            start += 1
            continue
        if end - start > best_len:
            best, best_len = JsonReply(value, text, "extracted"), end - start
        start = end
    return best or repaired or JsonReply(None, text, "no_json")


def _next_opening(body: str, start: int) -> int:
    positions = [p for p in (body.find("{", start), body.find("[", start)) if p >= 0]
    return min(positions) if positions else -1


def _closing_end(body: str, start: int) -> int | None:
    """The index just past the bracket that closes the one at ``start`` (strings skipped), or ``None``."""
    depth = 0
    in_string = escaped = False
    for index in range(start, len(body)):
        ch = body[index]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return index + 1
    return None
