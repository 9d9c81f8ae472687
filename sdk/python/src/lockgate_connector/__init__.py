"""Write Lockgate connectors in Python.

Subclass :class:`Connector` (only :meth:`Connector.sync` is required), put
a ``connector.toml`` manifest beside your module, and build with
``python -m lockgate_connector.build DIR``: one ``.wasm`` file that carries
the manifest; no WIT reading needed.

.. code-block:: python

    from lockgate_connector import Connector, Operation, Outcome, Outcomes, hr, http

    class Hello(Connector):
        def sync(self, trigger):
            with Outcomes() as rows:
                for employee in hr.employees():
                    res = http.post("https://api.partner.example/people", json={"id": employee.id})
                    if res.ok:
                        rows.push(Outcome.success(employee.id, Operation.UPDATE, "sent"))
                    else:
                        rows.push(Outcome.failed(employee.id, Operation.UPDATE, "rejected")
                                  .with_partner(res.status, res.body))

Modules: :mod:`~lockgate_connector.hr` (paged employee and absence reads,
departures, creating employees), :mod:`~lockgate_connector.attendances`,
:mod:`~lockgate_connector.recruiting`, :mod:`~lockgate_connector.http`
(outbound requests through the host's filter),
:mod:`~lockgate_connector.outcomes` (monitoring rows, batched),
:mod:`~lockgate_connector.config`, :mod:`~lockgate_connector.state` (kept
between runs, and checkpoints within one), :mod:`~lockgate_connector.log`
and :mod:`~lockgate_connector.dates`. Errors are in
:mod:`~lockgate_connector.errors`. The SDK targets contract
``lockgate:connector@0.2.0``; its bindings are generated from the WIT the
package carries when the connector is built.
"""

import importlib
from typing import Any

# Names are imported on first use (PEP 562): the build command runs in a
# plain Python, where the generated bindings do not exist.
_MODULES = {
    "attendances", "config", "dates", "errors", "hr", "http", "log", "outcomes", "recruiting", "state",
}
_FROM = {
    "connector": [
        "AbsenceCancelled", "AbsenceCreated", "AbsenceUpdated", "AttendanceCreated",
        "AttendanceDeleted", "AttendanceUpdated", "Connector", "EmployeeCreated",
        "EmployeeTerminated", "EmployeeUpdated", "Event", "Trigger", "WebhookRequest",
        "WebhookResponse",
    ],
    "errors": [
        "ConfigError", "ConnectorError", "Denied", "FieldError", "HostError", "InvalidArgument",
        "LimitExceeded", "NotFound", "PartnerError", "Unavailable", "Unreachable", "field_error",
    ],
    "outcomes": ["Operation", "Outcome", "Outcomes", "OutcomeStatus"],
}
_WHERE = {name: module for module, names in _FROM.items() for name in names}


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__version__ = "0.1.0"
#: The contract the SDK targets.
CONTRACT = "lockgate:connector@0.2.0"

__all__ = [
    "CONTRACT",
    "AbsenceCancelled",
    "AbsenceCreated",
    "AbsenceUpdated",
    "AttendanceCreated",
    "AttendanceDeleted",
    "AttendanceUpdated",
    "ConfigError",
    "Connector",
    "ConnectorError",
    "Denied",
    "EmployeeCreated",
    "EmployeeTerminated",
    "EmployeeUpdated",
    "Event",
    "FieldError",
    "HostError",
    "InvalidArgument",
    "LimitExceeded",
    "NotFound",
    "Operation",
    "Outcome",
    "OutcomeStatus",
    "Outcomes",
    "PartnerError",
    "Trigger",
    "Unavailable",
    "Unreachable",
    "WebhookRequest",
    "WebhookResponse",
    "attendances",
    "config",
    "dates",
    "errors",
    "field_error",
    "hr",
    "http",
    "log",
    "outcomes",
    "recruiting",
    "state",
]
