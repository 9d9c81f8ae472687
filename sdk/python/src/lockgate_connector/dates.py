"""Calendar dates as the contract carries them (``YYYY-MM-DD``), and the
current instant as an RFC 3339 timestamp in UTC."""

from __future__ import annotations

import datetime as _dt
import re

_EPOCH = _dt.date(1970, 1, 1)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def to_days(date: str) -> int | None:
    """Days since 1970-01-01 of a ``YYYY-MM-DD`` date; ``None`` if it is
    not one."""
    if not isinstance(date, str) or _DATE.fullmatch(date) is None:
        return None
    try:
        return (_dt.date.fromisoformat(date) - _EPOCH).days
    except ValueError:
        return None


def from_days(days: int) -> str:
    """The ``YYYY-MM-DD`` date ``days`` after 1970-01-01."""
    return (_EPOCH + _dt.timedelta(days=days)).isoformat()


def add_days(date: str, days: int) -> str | None:
    """``date`` moved by ``days`` (negative goes back)."""
    start = to_days(date)
    return None if start is None else from_days(start + days)


def _utcnow() -> _dt.datetime:
    # The one reading of the clock; a test host replaces it.
    return _dt.datetime.now(_dt.timezone.utc)


def today() -> str:
    """Today in UTC."""
    return _utcnow().date().isoformat()


def now() -> str:
    """Now, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    return _utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
