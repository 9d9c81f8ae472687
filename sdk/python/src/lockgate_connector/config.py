"""The install's configuration, typed. Secret fields are not readable
here: the host injects them into requests to the partner.

>>> url = config.string("planner-url", required=True)
>>> batch = config.integer("batch-size", default=100)
>>> pending = config.boolean("include-pending", default=False)
"""

from __future__ import annotations

from typing import overload

from . import _bindings as _b
from .errors import ConfigError, FieldError, field_error

__all__ = [
    "ConfigError", "FieldError", "all", "boolean", "field_error", "get", "integer", "number", "require", "string",
]

_raw = _b.config


def get(key: str) -> str | None:
    """The value of a non-secret field, or its default, or ``None``."""
    return _raw.get(key)


def require(key: str) -> str:
    """The value of a field the connector cannot work without; raises
    :class:`ConfigError` naming it when it has none."""
    value = get(key)
    if value is None:
        raise ConfigError(key, "is required")
    return value


def all() -> dict[str, str]:  # noqa: A001 - mirrors the contract's get-all
    """Every non-secret field with a value."""
    return dict(_raw.get_all())


def _value(key: str, required: bool) -> str | None:
    value = get(key)
    if value is None or value.strip() == "":
        if required:
            raise ConfigError(key, "is required")
        return None
    return value.strip()


@overload
def string(key: str, default: str, *, required: bool = False) -> str: ...
@overload
def string(key: str, default: None = None, *, required: bool = False) -> str | None: ...
def string(key: str, default: str | None = None, *, required: bool = False) -> str | None:
    """A text field: its value (or the manifest's default), else
    ``default``; an empty value counts as none."""
    value = _value(key, required)
    return default if value is None else value


@overload
def integer(key: str, default: int, *, required: bool = False) -> int: ...
@overload
def integer(key: str, default: None = None, *, required: bool = False) -> int | None: ...
def integer(key: str, default: int | None = None, *, required: bool = False) -> int | None:
    """A whole-number field; a value that is not one raises
    :class:`ConfigError` naming the field."""
    value = _value(key, required)
    if value is None:
        return default
    try:
        return int(value, 10)
    except ValueError:
        raise ConfigError(key, f"must be a whole number, not {value!r}") from None


@overload
def number(key: str, default: float, *, required: bool = False) -> float: ...
@overload
def number(key: str, default: None = None, *, required: bool = False) -> float | None: ...
def number(key: str, default: float | None = None, *, required: bool = False) -> float | None:
    """A number field, decimals allowed; a value that is not one (or is
    ``inf`` / ``nan``) raises :class:`ConfigError` naming the field."""
    value = _value(key, required)
    if value is None:
        return default
    try:
        parsed = float(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed != parsed or parsed in (float("inf"), float("-inf")):
        raise ConfigError(key, f"must be a number, not {value!r}")
    return parsed


@overload
def boolean(key: str, default: bool, *, required: bool = False) -> bool: ...
@overload
def boolean(key: str, default: None = None, *, required: bool = False) -> bool | None: ...
def boolean(key: str, default: bool | None = None, *, required: bool = False) -> bool | None:
    """A yes/no field (``true`` / ``false``, as the host stores them); any
    other value raises :class:`ConfigError` naming the field."""
    value = _value(key, required)
    if value is None:
        return default
    lowered = value.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise ConfigError(key, f"must be true or false, not {value!r}")
