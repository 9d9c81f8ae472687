"""Why a connector call failed, as exceptions.

Raise a :class:`ConnectorError` (or let one from the SDK pass) out of
``sync``, ``check_connection`` or ``on_event`` and the host records the run
as failed with its reason. Each class maps to one case of the contract's
``connector-error``: :class:`ConfigError` to ``config``,
:class:`PartnerError` to ``partner``, :class:`Unreachable` (and every
:class:`lockgate_connector.http.HttpError`) to ``unreachable``,
:class:`HostError` to ``host``, and any other ``ConnectorError`` to
``other``. Host calls raise the :class:`HostError` subclass that matches the
host's ``host-error``: :class:`Denied`, :class:`InvalidArgument`,
:class:`LimitExceeded`, :class:`NotFound`, :class:`Unavailable`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from . import _bindings as _b

#: Partner bodies are cut to this many bytes (the host keeps 4 KiB).
BODY_LIMIT = 4096

FieldError = _b.types.FieldError


def field_error(field: str, message: str) -> FieldError:
    """One problem with one configuration field, in words a tenant admin
    can act on."""
    return FieldError(field=field, message=message)


def truncate_body(body: bytes | str) -> str:
    """The body as text, cut at 4 KiB on a character boundary."""
    raw = body.encode() if isinstance(body, str) else bytes(body)
    if len(raw) <= BODY_LIMIT:
        return raw.decode("utf-8", errors="replace")
    return raw[:BODY_LIMIT].decode("utf-8", errors="ignore") + "…"


class ConnectorError(Exception):
    """A failure described for a person; the host shows it as the run's
    reason. Raised as is, it is the contract's ``other``."""

    def to_wit(self) -> _b.types.ConnectorError:
        return _b.types.ConnectorError_Other(str(self))


class ConfigError(ConnectorError):
    """The configuration is unusable.

    ``ConfigError("planner-url", "must start with https://")`` names one
    field; :meth:`of` takes several :func:`field_error` values, so every
    problem is reported at once.
    """

    def __init__(self, field: str, message: str) -> None:
        self.errors: list[FieldError] = [field_error(field, message)]
        super().__init__(self._text())

    @classmethod
    def of(cls, errors: Iterable[FieldError]) -> ConfigError:
        errors = list(errors)
        if not errors:
            raise ValueError("a ConfigError needs at least one field error")
        error = cls(errors[0].field, errors[0].message)
        error.errors = errors
        error.args = (error._text(),)
        return error

    def _text(self) -> str:
        return "configuration:" + "".join(f" {e.field}: {e.message};" for e in self.errors)

    def to_wit(self) -> _b.types.ConnectorError:
        return _b.types.ConnectorError_Config(list(self.errors))


class PartnerError(ConnectorError):
    """The partner answered with an error status; ``body`` (bytes or text)
    is kept, cut to 4 KiB."""

    def __init__(self, status: int, message: str, body: bytes | str | None = None) -> None:
        self.status = status
        self.message = message
        self.body = truncate_body(body) if body else None
        super().__init__(f"partner answered {status}: {message}")

    def to_wit(self) -> _b.types.ConnectorError:
        return _b.types.ConnectorError_Partner(
            _b.types.PartnerError(status=self.status, message=self.message, body=self.body)
        )


class Unreachable(ConnectorError):
    """The partner could not be reached, or the host refused the request."""

    def to_wit(self) -> _b.types.ConnectorError:
        return _b.types.ConnectorError_Unreachable(str(self))


class HostError(ConnectorError):
    """A host call did not do what was asked; the subclass says why and the
    message names the detail (the missing grant, the bad argument, ...)."""

    #: The case of the contract's ``host-error``.
    case: type = _b.types.HostError_Unavailable

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return f"host: {type(self).__name__.lower()}: {self.message}"

    def to_host(self) -> _b.types.HostError:
        return self.case(self.message)

    def to_wit(self) -> _b.types.ConnectorError:
        return _b.types.ConnectorError_Host(self.to_host())


class Denied(HostError):
    """The install was not granted what the call needs."""

    case = _b.types.HostError_Denied


class InvalidArgument(HostError):
    """An argument is malformed."""

    case = _b.types.HostError_InvalidArgument


class LimitExceeded(HostError):
    """A per-run limit (outcome rows, log bytes, ...) is used up."""

    case = _b.types.HostError_LimitExceeded


class NotFound(HostError):
    """The record does not exist or is not visible to this install."""

    case = _b.types.HostError_NotFound


class Unavailable(HostError):
    """The host could not complete the call; a later retry may work."""

    case = _b.types.HostError_Unavailable


_HOST_ERRORS: dict[type, type[HostError]] = {
    cls.case: cls for cls in (Denied, InvalidArgument, LimitExceeded, NotFound, Unavailable)
}

T = TypeVar("T")


def from_host(error: object) -> HostError:
    """The exception for a ``host-error`` value."""
    cls = _HOST_ERRORS.get(type(error), Unavailable)
    return cls(str(getattr(error, "value", error)))


def host_call(call: Callable[..., T], *args: object) -> T:
    """Calls a host function, raising its ``host-error`` as a
    :class:`HostError`."""
    try:
        return call(*args)
    except _b.Err as e:
        raise from_host(e.value) from None
