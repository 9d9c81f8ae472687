"""The run log the tenant admin and the partner see."""

from __future__ import annotations

from . import _bindings as _b

_raw = _b.log
Level = _raw.Level


def debug(message: str) -> None:
    _raw.log(Level.DEBUG, message)


def info(message: str) -> None:
    _raw.log(Level.INFO, message)


def warn(message: str) -> None:
    _raw.log(Level.WARN, message)


def error(message: str) -> None:
    _raw.log(Level.ERROR, message)
