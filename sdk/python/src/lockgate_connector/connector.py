"""The :class:`Connector` base class and the types of its entry points.

Subclass :class:`Connector` once in your module and override what your
connector does (only :meth:`Connector.sync` is required); the build
(``python -m lockgate_connector.build``) exports it. Each call runs in a
fresh instance: keep what must survive a run in
:mod:`lockgate_connector.state`, not in attributes or globals.
"""

from __future__ import annotations

import json as _json
from typing import Any

from . import _bindings as _b
from ._records import with_defaults

_w = _b.world

Trigger = _w.Trigger
Event = _w.Event
EmployeeCreated = _w.Event_EmployeeCreated
EmployeeUpdated = _w.Event_EmployeeUpdated
EmployeeTerminated = _w.Event_EmployeeTerminated
AbsenceCreated = _w.Event_AbsenceCreated
AbsenceUpdated = _w.Event_AbsenceUpdated
AbsenceCancelled = _w.Event_AbsenceCancelled
AttendanceCreated = _w.Event_AttendanceCreated
AttendanceUpdated = _w.Event_AttendanceUpdated
AttendanceDeleted = _w.Event_AttendanceDeleted


class WebhookRequest(_w.WebhookRequest):
    """An inbound call from the partner: ``method``, ``path`` (below the
    install's webhook URL, with the query), ``headers``, ``body`` (bytes)
    and ``received_at``, when the host accepted the delivery."""

    def header(self, name: str) -> str | None:
        """The first header of that name, ignoring case."""
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def text(self) -> str:
        return bytes(self.body).decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; raises ``ValueError`` when it is not."""
        return _json.loads(bytes(self.body))


_WebhookResponseRecord = with_defaults(_w.WebhookResponse, "_WebhookResponseRecord", "", status=200, body=b"")


class WebhookResponse(_WebhookResponseRecord):  # type: ignore[misc, valid-type]
    """The answer to the partner's call."""

    @classmethod
    def json(cls, status: int, value: Any) -> WebhookResponse:
        """A JSON answer with its content type."""
        return cls(
            status=status,
            headers=[("content-type", "application/json")],
            body=_json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode(),
        )


_registered: list[type[Connector]] = []


class Connector:
    """A connector. Override the entry points it needs; the defaults accept
    any configuration, pass the connection check, ignore events and answer
    webhooks with 404."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _registered.append(cls)

    def validate_config(self, config: dict[str, str]) -> None:
        """Checks a configuration beyond its schema (the host already
        checked types, required fields and enums); raise
        :class:`~lockgate_connector.errors.ConfigError` for what is wrong.
        Secret fields are not passed."""

    def check_connection(self) -> None:
        """Proves the partner is reachable and accepts the credentials;
        raise a :class:`~lockgate_connector.errors.ConnectorError` if not."""

    def sync(self, trigger: Trigger) -> None:
        """One synchronisation run."""
        raise NotImplementedError(f"{type(self).__name__} does not implement sync")

    def on_event(self, event: Event) -> None:
        """An HR change this install may see (``match event: case
        EmployeeCreated(id): ...``)."""

    def handle_webhook(self, request: WebhookRequest) -> WebhookResponse:
        """An inbound call from the partner."""
        return WebhookResponse(status=404, body=b"this connector takes no webhooks")


def exported() -> type[Connector]:
    """The one :class:`Connector` subclass the connector's module defined."""
    if len(_registered) != 1:
        names = ", ".join(c.__qualname__ for c in _registered) or "none"
        raise TypeError(
            "a connector module defines exactly one subclass of lockgate_connector.Connector "
            f"(found: {names})"
        )
    return _registered[0]
