"""List pagination: ``pageSize``/``pageToken`` in, ``nextPageToken`` out (absent on the last page).

>>> page([1, 2, 3], page_size=2, page_token=None)
([1, 2], '2')
>>> page([1, 2, 3], page_size=2, page_token='2')
([3], None)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from .errors import ApiError

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def page(items: Sequence[T], page_size: int | str | None, page_token: str | None) -> tuple[list[T], str | None]:
    """One page of ``items`` and the token of the next page (None when this is the last)."""
    try:
        size = int(page_size) if page_size else DEFAULT_PAGE_SIZE
        start = int(page_token) if page_token else 0
    except ValueError:
        raise ApiError.invalid("Invalid page size or page token.", "pageToken") from None
    size = min(max(size, 1), MAX_PAGE_SIZE)
    end = start + size
    return list(items[start:end]), (str(end) if end < len(items) else None)
