"""A small value kept between runs (a sync cursor, say). What a run saves
is committed when the run finishes without an error, even if the partner
rejected some or all of its records: the connector decides what to keep.
A run that raises, traps or hits a limit commits nothing.
:class:`Cursor` is the usual choice.

A long run can also :func:`checkpoint`: the value is committed at once,
with the rows reported before it, and a run cut short later leaves the
next run that value to continue from. With buffered rows, use
:meth:`lockgate_connector.outcomes.Outcomes.checkpoint` so they are sent
first.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import _bindings as _b
from .errors import host_call

_raw = _b.state


def get() -> str | None:
    """The value saved by the last run that did not fail."""
    return _raw.get()


def set(value: str) -> None:  # noqa: A001 - mirrors the contract's set
    """Saves ``value`` (at most 64 KiB); committed when the run ends
    without failing."""
    host_call(_raw.set, value)


def checkpoint(value: str) -> None:
    """Commits ``value`` now, together with every row already reported."""
    host_call(_raw.checkpoint, value)


def load() -> Any:
    """The saved value as JSON; ``None`` on the first run. A value that no
    longer parses (an older layout) also reads as ``None``."""
    text = get()
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def save(value: Any) -> None:
    """Saves ``value`` as JSON."""
    set(json.dumps(value, separators=(",", ":")))


@dataclass
class Cursor:
    """The usual state of an incremental sync: the instant the next run
    reads changes from, and the employees whose records the partner
    rejected, sent again next run whether they changed or not.

    >>> cursor = state.Cursor.load()
    >>> started = dates.now()
    >>> # ... send what changed since cursor.since, and cursor.retry ...
    >>> state.Cursor.advance(started, rows.finish_failed())
    """

    #: When the last finished run started; ``None`` before the first.
    since: str | None = None
    #: Employees whose records were rejected.
    retry: set[str] = field(default_factory=builtins.set)

    @classmethod
    def load(cls) -> Cursor:
        """The saved cursor, or an empty one on the first run."""
        saved = load()
        if not isinstance(saved, dict):
            return cls()
        since = saved.get("since")
        retry = saved.get("retry") or []
        return cls(
            since=since if isinstance(since, str) else None,
            retry={r for r in retry if isinstance(r, str)},
        )

    def is_first(self) -> bool:
        """Whether no run has finished yet."""
        return self.since is None

    @staticmethod
    def advance(started: str, rejected: Iterable[str]) -> None:
        """Saves the cursor for the next run: changes from ``started`` on,
        and ``rejected`` again."""
        save({"since": started, "retry": sorted(rejected)})
