"""Job applications, with ``recruiting.write``. There is no reading back:
what a connector sends is the tenant's."""

from __future__ import annotations

from typing import Any

from . import _bindings as _b
from ._records import with_defaults
from .errors import host_call

_raw = _b.recruiting

Attachment = _raw.Attachment
NewApplication = with_defaults(
    _raw.NewApplication,
    "NewApplication",
    "An application for one of the tenant's positions (by id, or by name ignoring case).",
)


def create_application(application: Any, idempotency_key: str) -> str:
    """Creates an application and returns its id; the same
    ``idempotency_key`` always yields the first one's id. An unknown
    position raises :class:`~lockgate_connector.errors.NotFound`."""
    return host_call(_raw.create_application, application, idempotency_key)
