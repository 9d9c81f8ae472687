"""Run a connector in its own unit tests under CPython, against a stand-in
for the host.

A :class:`TestHost` holds what the real host would give the install (HR
data with paging, config, the saved state, answers to HTTP requests) and
records what the connector did (outcome rows, log lines, requests sent,
records created). Its calls (:meth:`TestHost.sync`,
:meth:`TestHost.validate_config`, ...) run the connector in-process with
every SDK function answered by this host; state persists from one call to
the next as between runs. Import this module before the connector's: in
CPython it generates the contract's bindings the SDK runs on (with
componentize-py, which the SDK depends on).

.. code-block:: python

    import unittest
    from lockgate_connector.testing import TestHost, employee, load_connector, reply_json

    Hello = load_connector("app.py")

    class HelloTest(unittest.TestCase):
        def test_everyone_is_sent(self):
            host = TestHost()
            host.config("partner-url", "https://api.partner.example")
            host.employees([employee("e-1", "Ada", "Lovelace")])
            host.on_http(lambda request: reply_json(201, {}))
            host.sync(Hello)
            self.assertEqual(host.outcomes()[0].status, OutcomeStatus.SUCCESS)

(``OutcomeStatus`` from ``lockgate_connector``.)
"""

from __future__ import annotations

import datetime as _dt
import importlib.util
import json as _json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .build import WIT, WORLD, _componentize_py


def _ensure_bindings() -> None:
    """Puts the generated ``wit_world`` package on ``sys.path`` unless it
    is there already (the SDK's own tests generate it too)."""
    try:
        import wit_world  # noqa: F401
    except ImportError:
        folder = tempfile.mkdtemp(prefix="lockgate-connector-bindings-")
        subprocess.run(
            [*_componentize_py(), "--wit-path", str(WIT), "--world", WORLD, "--quiet", "bindings", folder],
            check=True,
        )
        sys.path.insert(0, folder)


_ensure_bindings()

from . import _bindings as _b  # noqa: E402
from . import dates, http  # noqa: E402
from .connector import Connector, Event, Trigger, WebhookRequest, WebhookResponse  # noqa: E402
from .errors import ConfigError, FieldError  # noqa: E402

__all__ = [
    "UPDATED_AT",
    "LogLine",
    "SentRequest",
    "TestHost",
    "absence",
    "attendance",
    "departure",
    "employee",
    "load_connector",
    "reply",
    "reply_json",
    "webhook",
]

#: When records made by the helpers below last changed, unless a test says otherwise.
UPDATED_AT = "2026-01-01T00:00:00Z"
#: The largest page the host returns, as the real host caps it.
_MAX_PAGE = 500
#: The largest state value, as the real host allows.
_MAX_STATE_BYTES = 64 * 1024

_t = _b.types


def _host_error(case: type, message: str) -> _b.Err:
    return _b.Err(case(message))


@dataclass
class SentRequest:
    """A request the connector sent, as the test's handler sees it."""

    method: str
    url: str
    #: The host name, without a port.
    host: str
    #: The path with the query, ``/`` at least.
    path: str
    #: ``(name, value)`` pairs, names in lower case.
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return _json.loads(self.body)


@dataclass
class LogLine:
    level: Any
    message: str


def reply(status: int, body: bytes | str = b"", headers: Iterable[tuple[str, str]] = ()) -> http.Response:
    """A response with a status, a body and headers."""
    return http.Response(status=status, headers=list(headers), body=body.encode() if isinstance(body, str) else body)


def reply_json(status: int, value: Any) -> http.Response:
    """A JSON response with its content type."""
    return reply(status, _json.dumps(value), [("content-type", "application/json")])


def employee(id: str, first_name: str, last_name: str, *, department: str | None = None, **fields: Any) -> Any:
    """An active employee with a name and nothing else granted; other
    fields of the record (``updated_at``, ``contact``, ``employment``, ...)
    by keyword."""
    basic = _b.hr.BasicAttributes(
        first_name=first_name,
        last_name=last_name,
        preferred_name=None,
        department=department,
        position=None,
        status=_b.hr.EmploymentStatus.ACTIVE,
    )
    record = {"updated_at": UPDATED_AT, "basic": basic, "contact": None, "employment": None, "compensation": None}
    record.update(fields)
    return _b.hr.Employee(id=id, **record)


def absence(id: str, employee_id: str, type_name: str, start_date: str, end_date: str, **fields: Any) -> Any:
    """An approved whole-day absence from ``start_date`` to ``end_date``."""
    record = {
        "half_day_start": False,
        "half_day_end": False,
        "status": _b.hr.AbsenceStatus.APPROVED,
        "updated_at": UPDATED_AT,
    }
    record.update(fields)
    return _b.hr.Absence(id=id, employee_id=employee_id, type_name=type_name, start_date=start_date, end_date=end_date, **record)


def departure(employee_id: str, left_at: str, reason: Any = None) -> Any:
    """An employee who stopped being visible at ``left_at``."""
    return _b.hr.Departure(employee_id=employee_id, left_at=left_at, reason=reason or _b.hr.DepartureReason.TERMINATED)


def attendance(id: str, employee_id: str, date: str, start: str, end: str) -> Any:
    """A confirmed period worked on ``date`` from ``start`` to ``end`` (``HH:MM``)."""
    span = _minutes(end) - _minutes(start)
    return _b.attendances.Attendance(
        id=id,
        external_id=None,
        employee_id=employee_id,
        date=date,
        start_time=start,
        end_time=end,
        duration_minutes=span if span > 0 else span + 1440,
        break_minutes=0,
        project=None,
        comment=None,
        status=_b.attendances.AttendanceStatus.CONFIRMED,
        updated_at=UPDATED_AT,
    )


def webhook(method: str, path: str, body: bytes | str = b"", headers: Iterable[tuple[str, str]] = ()) -> WebhookRequest:
    """An inbound call from the partner."""
    return WebhookRequest(
        method=method,
        path=path,
        headers=list(headers),
        body=body.encode() if isinstance(body, str) else body,
        received_at=UPDATED_AT,
    )


def load_connector(path: str | Path) -> type[Connector]:
    """The :class:`Connector` subclass the module at ``path`` (``app.py``,
    say) defines, imported under its file name."""
    path = Path(path).resolve()
    name = f"lockgate_connector_under_test_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    found = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, Connector) and v.__module__ == name]
    if len(found) != 1:
        raise TypeError(f"{path} defines {len(found)} Connector subclasses; a connector module defines exactly one")
    return found[0]


def _minutes(t: str) -> int:
    h, _, m = t.partition(":")
    if not (h.isdigit() and m.isdigit() and int(h) < 24 and int(m) < 60):
        raise _host_error(_t.HostError_InvalidArgument, f"{t!r} is not HH:MM")
    return int(h) * 60 + int(m)


def _parse_instant(instant: str) -> _dt.datetime:
    try:
        parsed = _dt.datetime.fromisoformat(instant.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.utcoffset() != _dt.timedelta(0):
        raise ValueError(f"{instant!r} is not an RFC 3339 instant in UTC like 2026-11-23T08:00:00Z")
    return parsed


class TestHost:
    """A stand-in for the host: what the install may see and what the
    connector did. One per test; methods that set something up return the
    host, so they chain."""

    __test__ = False  # not a test case, for runners that collect by name

    def __init__(self) -> None:
        self._config: dict[str, str] = {}
        self._employees: dict[str, Any] = {}
        self._absences: dict[str, Any] = {}
        self._departures: list[Any] = []
        self._attendances: dict[str, Any] = {}
        self._page_size = _MAX_PAGE
        self._saved: str | None = None
        self._staged: str | None = None
        self._outcomes: list[Any] = []
        self._log: list[LogLine] = []
        self._requests: list[SentRequest] = []
        self._handler: Callable[[SentRequest], http.Response] | None = None
        self._denied: set[str] = set()
        self._created: list[tuple[str, Any, str]] = []
        self._applications: list[tuple[str, Any, str]] = []
        self._now: _dt.datetime | None = None
        #: Seconds the connector waited (retrying a throttled request):
        #: counted, not waited.
        self.slept = 0.0

    # What the install is given.

    def config(self, key: str, value: str) -> TestHost:
        """Sets a non-secret config field (secret ones never reach a connector)."""
        self._config[key] = value
        return self

    def employees(self, employees: Iterable[Any]) -> TestHost:
        """Adds employees, or replaces those with the same id; queries return them by id."""
        for e in employees:
            self._employees[e.id] = e
        return self

    def remove_employee(self, id: str) -> TestHost:
        """No longer visible, as after a termination."""
        self._employees.pop(id, None)
        return self

    def absences(self, absences: Iterable[Any]) -> TestHost:
        for a in absences:
            self._absences[a.id] = a
        return self

    def departures(self, departures: Iterable[Any]) -> TestHost:
        self._departures.extend(departures)
        return self

    def attendances(self, periods: Iterable[Any]) -> TestHost:
        for a in periods:
            self._attendances[a.id] = a
        return self

    def page_size(self, size: int) -> TestHost:
        """Pages hold at most ``size`` records (the real host: 500)."""
        self._page_size = max(1, size)
        return self

    def set_state(self, value: str) -> TestHost:
        """The state a previous run saved."""
        self._saved = value
        return self

    def clock(self, instant: str) -> TestHost:
        """Fixes the current instant (:func:`dates.now`, :func:`dates.today`)."""
        self._now = _parse_instant(instant)
        return self

    def on_http(self, handler: Callable[[SentRequest], http.Response]) -> TestHost:
        """Answers the connector's requests: ``handler(request)`` returns a
        :class:`lockgate_connector.http.Response` (see :func:`reply`,
        :func:`reply_json`) or raises an :class:`lockgate_connector.http.HttpError`
        (``http.Timeout()``, say). Without one, a request fails as a
        connection error naming it."""
        self._handler = handler
        return self

    def deny(self, host: str) -> TestHost:
        """Refuses requests to ``host`` as the real host refuses one not
        granted: :class:`lockgate_connector.http.RequestDenied`."""
        self._denied.add(host.removeprefix("https://").removeprefix("http://").rstrip("/"))
        return self

    # The connector's entry points, run against this host.

    def sync(self, connector: type[Connector], trigger: Any = None) -> None:
        """One sync run (``Trigger.MANUAL`` unless given). What the
        connector raises comes through as raised; state it set is kept
        only when it raises nothing, checkpoints either way."""
        self._call(lambda: connector().sync(trigger if trigger is not None else Trigger.MANUAL))

    def validate_config(self, connector: type[Connector], entries: dict[str, str] | None = None) -> list[FieldError]:
        """The field errors for ``entries`` (default: this host's config); ``[]`` when good."""
        given = dict(self._config if entries is None else entries)
        try:
            self._call(lambda: connector().validate_config(given))
        except ConfigError as e:
            return list(e.errors)
        return []

    def check_connection(self, connector: type[Connector]) -> None:
        self._call(lambda: connector().check_connection())

    def on_event(self, connector: type[Connector], event: Event) -> None:
        self._call(lambda: connector().on_event(event))

    def handle_webhook(self, connector: type[Connector], request: WebhookRequest) -> WebhookResponse:
        return self._call(lambda: connector().handle_webhook(request))

    def run(self, f: Callable[[], Any]) -> Any:
        """Runs any code against this host (a helper of the connector, say);
        state it sets is kept."""
        return self._call(f)

    def _call(self, f: Callable[[], Any]) -> Any:
        self._staged = None
        saved = self._install()
        try:
            result = f()
        except BaseException:
            self._staged = None
            raise
        finally:
            self._uninstall(saved)
        if self._staged is not None:
            self._saved = self._staged
        self._staged = None
        return result

    # What the connector did.

    def outcomes(self) -> list[Any]:
        """Every outcome row reported so far, in order."""
        return list(self._outcomes)

    def log(self) -> list[LogLine]:
        return list(self._log)

    def requests(self) -> list[SentRequest]:
        """Every request that reached the handler (not the denied ones)."""
        return list(self._requests)

    def state(self) -> str | None:
        """The state the next run would start from."""
        return self._saved

    def state_json(self) -> Any:
        """:meth:`state` as JSON; ``None`` without state."""
        return None if self._saved is None else _json.loads(self._saved)

    def created_employees(self) -> list[tuple[Any, str]]:
        """Employees the connector created, with the ids the host gave them."""
        return [(e, id) for _, e, id in self._created]

    def applications(self) -> list[tuple[Any, str]]:
        return [(a, id) for _, a, id in self._applications]

    def periods(self) -> list[Any]:
        """Every attendance period: those given and those the connector wrote."""
        return list(self._attendances.values())

    def clear_records(self) -> TestHost:
        """Forgets the rows, log lines and requests so far (not the state)."""
        self._outcomes, self._log, self._requests = [], [], []
        return self

    # The host's side: the generated imports (stubs in CPython) and the
    # HTTP transport, replaced for the length of a call.

    def _replacements(self) -> list[tuple[Any, str, Any]]:
        hr, att, rec, out = _b.hr, _b.attendances, _b.recruiting, _b.outcomes
        return [
            (_b.config, "get", self._config.get),
            (_b.config, "get_all", lambda: list(self._config.items())),
            (_b.state, "get", lambda: self._staged if self._staged is not None else self._saved),
            (_b.state, "set", self._state_set),
            (_b.state, "checkpoint", self._state_checkpoint),
            (_b.log, "log", lambda level, message: self._log.append(LogLine(level, message))),
            (out, "report", lambda row: self._outcomes.append(row)),
            (out, "report_batch", lambda rows: self._outcomes.extend(rows)),
            (hr, "fetch_employees", self._fetch_employees),
            (hr, "get_employee", lambda id: self._get(self._employees, id, "employee")),
            (hr, "fetch_absences", self._fetch_absences),
            (hr, "get_absence", lambda id: self._get(self._absences, id, "absence")),
            (hr, "fetch_departures", self._fetch_departures),
            (hr, "create_employee", self._create_employee),
            (att, "fetch_attendances", self._fetch_attendances),
            (att, "get_attendance", lambda id: self._get(self._attendances, id, "attendance")),
            (att, "create_attendance", self._create_attendance),
            (att, "update_attendance", self._update_attendance),
            (att, "delete_attendance", self._delete_attendance),
            (rec, "create_application", self._create_application),
            (http.Request, "_send_once", lambda request: self._send(request)),
            (http, "sleep", self._sleep),
            (dates, "_utcnow", self._utcnow),
        ]

    def _install(self) -> list[tuple[Any, str, Any]]:
        saved = []
        for owner, name, value in self._replacements():
            saved.append((owner, name, owner.__dict__[name]))
            setattr(owner, name, value)
        return saved

    @staticmethod
    def _uninstall(saved: list[tuple[Any, str, Any]]) -> None:
        for owner, name, value in saved:
            setattr(owner, name, value)

    def _page(self, items: list[Any], query: Any, page_type: type) -> Any:
        start = 0
        if query.cursor is not None:
            if not query.cursor.isdigit() or int(query.cursor) > len(items):
                raise _host_error(_t.HostError_InvalidArgument, f"cursor {query.cursor!r} is not one this host gave")
            start = int(query.cursor)
        size = min(max(query.limit, 1), _MAX_PAGE, self._page_size)
        end = min(start + size, len(items))
        return page_type(items=items[start:end], next_cursor=str(end) if end < len(items) else None)

    @staticmethod
    def _get(records: dict[str, Any], id: str, kind: str) -> Any:
        if id not in records:
            raise _host_error(_t.HostError_NotFound, f"no visible {kind} {id}")
        return records[id]

    def _fetch_employees(self, q: Any) -> Any:
        found = [
            e
            for _, e in sorted(self._employees.items())
            if (q.department is None or (e.basic is not None and e.basic.department == q.department))
            and (q.status is None or (e.basic is not None and e.basic.status == q.status))
            and (q.updated_since is None or e.updated_at >= q.updated_since)
        ]
        return self._page(found, q, _b.hr.EmployeePage)

    def _fetch_absences(self, q: Any) -> Any:
        found = [
            a
            for _, a in sorted(self._absences.items())
            if a.start_date <= q.to
            and a.end_date >= q.from_
            and (q.employee_id is None or a.employee_id == q.employee_id)
            and (q.type_name is None or a.type_name == q.type_name)
            and (not q.statuses or a.status in q.statuses)
            and (q.updated_since is None or a.updated_at >= q.updated_since)
        ]
        return self._page(found, q, _b.hr.AbsencePage)

    def _fetch_departures(self, q: Any) -> Any:
        found = sorted((d for d in self._departures if d.left_at >= q.since), key=lambda d: (d.left_at, d.employee_id))
        return self._page(found, q, _b.hr.DeparturePage)

    def _create_employee(self, new: Any, key: str) -> str:
        if not new.first_name.strip() or not new.last_name.strip():
            raise _host_error(_t.HostError_InvalidArgument, "a new employee needs a first and a last name")
        for known_key, _, id in self._created:
            if known_key == key:
                return id
        id = f"new-{len(self._created) + 1}"
        self._created.append((key, new, id))
        return id

    def _fetch_attendances(self, q: Any) -> Any:
        found = sorted(
            (
                a
                for a in self._attendances.values()
                if q.from_ <= a.date <= q.to
                and (q.employee_id is None or a.employee_id == q.employee_id)
                and (q.updated_since is None or a.updated_at >= q.updated_since)
            ),
            key=lambda a: (a.date, a.id),
        )
        return self._page(found, q, _b.attendances.AttendancePage)

    def _written(self, external_id: str) -> Any:
        return next((a for a in self._attendances.values() if a.external_id == external_id), None)

    def _period(self, id: str, external_id: str, p: Any) -> Any:
        if p.start_time is not None and p.end_time is not None:
            span = _minutes(p.end_time) - _minutes(p.start_time)
            duration = max((span if span > 0 else span + 1440) - p.break_minutes, 0)
        elif p.start_time is None and p.end_time is None and p.duration_minutes is not None:
            duration = p.duration_minutes
        else:
            raise _host_error(_t.HostError_InvalidArgument, "give start and end time, or neither and a duration")
        return _b.attendances.Attendance(
            id=id,
            external_id=external_id,
            employee_id=p.employee_id,
            date=p.date,
            start_time=p.start_time,
            end_time=p.end_time,
            duration_minutes=duration,
            break_minutes=p.break_minutes,
            project=p.project,
            comment=p.comment,
            status=p.status,
            updated_at=dates.now(),
        )

    def _create_attendance(self, external_id: str, period: Any) -> Any:
        known = self._written(external_id)
        if known is not None:
            return known
        created = self._period(f"att-{len(self._attendances) + 1}", external_id, period)
        self._attendances[created.id] = created
        return created

    def _update_attendance(self, external_id: str, period: Any) -> Any:
        known = self._written(external_id)
        if known is None:
            raise _host_error(_t.HostError_NotFound, f"this connector wrote no attendance {external_id}")
        updated = self._period(known.id, external_id, period)
        self._attendances[known.id] = updated
        return updated

    def _delete_attendance(self, external_id: str) -> bool:
        known = self._written(external_id)
        return known is not None and self._attendances.pop(known.id, None) is not None

    def _create_application(self, application: Any, key: str) -> str:
        if not application.position.strip():
            raise _host_error(_t.HostError_InvalidArgument, "an application names a position")
        for known_key, _, id in self._applications:
            if known_key == key:
                return id
        id = f"application-{len(self._applications) + 1}"
        self._applications.append((key, application, id))
        return id

    def _state_set(self, value: str) -> None:
        self._check_state_size(value)
        self._staged = value

    def _state_checkpoint(self, value: str) -> None:
        self._check_state_size(value)
        self._saved = self._staged = value

    @staticmethod
    def _check_state_size(value: str) -> None:
        size = len(value.encode())
        if size > _MAX_STATE_BYTES:
            raise _host_error(_t.HostError_LimitExceeded, f"state is {size} bytes; at most {_MAX_STATE_BYTES}")

    def _sleep(self, seconds: float) -> None:
        self.slept += max(seconds, 0)

    def _utcnow(self) -> _dt.datetime:
        return self._now if self._now is not None else _dt.datetime.now(_dt.timezone.utc)

    def _send(self, request: http.Request) -> http.Response:
        scheme, sep, rest = request.url.partition("://")
        if not sep or scheme not in ("https", "http"):
            raise http.InvalidUrl(request.url)
        cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
        authority, path = rest[:cut], rest[cut:]
        if not authority:
            raise http.InvalidUrl(request.url)
        path = "/" + path if path.startswith("?") else path or "/"
        host = authority.rsplit(":", 1)[0] if ":" in authority else authority
        if scheme != "https":
            raise http.RequestDenied(f"plain HTTP is not allowed ({request.url}); the host sends https only")
        if host in self._denied or authority in self._denied:
            raise http.RequestDenied("host not granted or not allowed")
        sent = SentRequest(request.method.upper(), request.url, host, path, list(request.headers), bytes(request.body))
        self._requests.append(sent)
        if self._handler is None:
            raise http.ConnectionFailed(
                f"the test host has no answer for {sent.method} {sent.url}; give one with TestHost.on_http"
            )
        response = self._handler(sent)
        if not isinstance(response, http.Response):
            raise TypeError(f"the on_http handler returned {response!r}; return reply(...) or reply_json(...)")
        return http.Response(status=response.status, headers=list(response.headers), body=bytes(response.body))

