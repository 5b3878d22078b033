"""The Gemini Developer API's quota day: when per-day quotas reset, and how to say it.

Standard library only and below every layer: the client side (the store's count of today's requests, a spent
daily quota's reset) and the emulator (its per-day quota) read the same day from here.

Google's rate-limits page (https://ai.google.dev/gemini-api/docs/rate-limits, read 2026-12-03) says "Requests per
day (RPD) quotas reset at midnight Pacific time", and a Google staff answer on discuss.ai.google.dev
("Daily rate limits reset at midnight in Mountain View, CA") agrees. So the quota day runs from one midnight in
``America/Los_Angeles`` to the next: 08:00 UTC in winter (PST), 07:00 UTC in summer (PDT). A daily 429's
``RetryInfo.retryDelay`` is believed only when it points past that midnight (today's service often puts a
per-minute window's seconds there; see ``gemini/connection.py``).

Example:
    >>> start = 1_795_348_800.0                     # 2026-11-22 12:00 UTC, 04:00 in Mountain View
    >>> reset = next_reset(start)
    >>> (reset - start) / 3600, (start - quota_day_start(start)) / 3600
    (20.0, 4.0)
    >>> describe_reset(reset, start, local=timezone.utc)
    '08:00 UTC (00:00 Pacific), in 20 h 0 min'
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

__all__ = ["PACIFIC", "describe_reset", "next_reset", "quota_day_start"]

PACIFIC = ZoneInfo("America/Los_Angeles")
"""Where the Developer API's quota day begins and ends (at midnight)."""


def quota_day_start(now: float) -> float:
    """Epoch seconds of the last midnight Pacific at or before ``now``: when today's per-day quotas began."""
    local = datetime.fromtimestamp(now, PACIFIC)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def next_reset(now: float) -> float:
    """Epoch seconds of the next midnight Pacific after ``now``: when today's per-day quotas reset."""
    today = datetime.fromtimestamp(now, PACIFIC).date()
    # Built from the calendar date, not start + 24 h: the days DST begins or ends last 23 or 25 hours.
    return datetime.combine(today + timedelta(days=1), datetime.min.time(), PACIFIC).timestamp()


def describe_reset(at: float, now: float, *, local: tzinfo | None = None) -> str:
    """``"08:00 UTC (00:00 Pacific, 09:00 CET here), in 5 h 12 min"``: the reset ``at`` as a UTC time, Pacific
    time, the reader's local time (``local``, default the machine's zone; left out where it shows UTC), and how long
    from ``now``."""
    moment = datetime.fromtimestamp(at, timezone.utc)
    here = moment.astimezone(local) if local is not None else moment.astimezone()
    zones = [f"{moment.astimezone(PACIFIC):%H:%M} Pacific"]
    if here.utcoffset() != timedelta(0):
        zones.append(f"{here:%H:%M} {here.tzname() or 'local'} here")
    return f"{moment:%H:%M} UTC ({', '.join(zones)}), {_in(at - now)}"


def _in(seconds: float) -> str:
    if seconds <= 0:
        return "now"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    return f"in {hours} h {minutes} min" if hours else f"in {minutes} min"
