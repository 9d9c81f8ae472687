"""HR data as the install may see it. The host filters: employees outside
their employment window or excluded by the tenant never appear, attribute
groups the install was not granted are ``None``, and absences are limited
to the granted window.

>>> for employee in hr.employees(department="Sales"):
...     print(employee.id, employee.basic.last_name if employee.basic else "")
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from . import _bindings as _b
from ._records import with_defaults
from .errors import host_call

_raw = _b.hr

#: Page size the iterators ask for (the host caps it at 500).
PAGE = 500

AttributeGroup = _raw.AttributeGroup
EmploymentStatus = _raw.EmploymentStatus
BasicAttributes = _raw.BasicAttributes
ContactAttributes = _raw.ContactAttributes
EmploymentAttributes = _raw.EmploymentAttributes
Money = _raw.Money
CompensationAttributes = _raw.CompensationAttributes
Employee = _raw.Employee
AbsenceStatus = _raw.AbsenceStatus
Absence = _raw.Absence
DepartureReason = _raw.DepartureReason
Departure = _raw.Departure

EmployeeQuery = with_defaults(
    _raw.EmployeeQuery,
    "EmployeeQuery",
    "Which employees to read: department, updated-since, status; a page cursor.",
    limit=PAGE,
)
AbsenceQuery = with_defaults(
    _raw.AbsenceQuery,
    "AbsenceQuery",
    "Absences overlapping ``[from_, to]`` (dates ``YYYY-MM-DD``); empty ``statuses`` is every status.",
    limit=PAGE,
)
DepartureQuery = with_defaults(
    _raw.DepartureQuery,
    "DepartureQuery",
    "Departures at or after ``since`` (RFC 3339).",
    limit=PAGE,
)
NewEmployee = with_defaults(
    _raw.NewEmployee,
    "NewEmployee",
    "A new hire; the host fills what is missing from the tenant's defaults.",
)

T = TypeVar("T")


class Pages(Generic[T]):
    """The records of a paged query, fetched a page at a time. Iterate it
    for records, or call :meth:`pages` for whole pages. A page that cannot
    be fetched raises its :class:`~lockgate_connector.errors.HostError`
    and ends the iteration."""

    def __init__(self, query: Any, fetch: Callable[[Any], Any]) -> None:
        #: The query; its ``cursor`` is the next page's.
        self.query = query
        self._fetch = fetch
        self._buffer: deque[T] = deque()
        self._done = False

    @property
    def cursor(self) -> str | None:
        """The cursor of the page after those returned so far by
        :meth:`next_page`: what to checkpoint, and to pass as ``cursor``
        when a run continues. ``None`` before the first page and after
        the last."""
        return None if self._done else self.query.cursor

    def next_page(self) -> list[T] | None:
        """The next whole page (what is left of the current one first), or
        ``None`` after the last."""
        if self._buffer:
            rest = list(self._buffer)
            self._buffer.clear()
            return rest
        if self._done:
            return None
        try:
            page = host_call(self._fetch, self.query)
        except Exception:
            self._done = True
            raise
        self._done = page.next_cursor is None
        self.query.cursor = page.next_cursor
        if not page.items and self._done:
            return None
        return list(page.items)

    def pages(self) -> Iterator[list[T]]:
        """Whole pages, for connectors that send pages to the partner."""
        while (page := self.next_page()) is not None:
            yield page

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        while not self._buffer:
            page = self.next_page()
            if page is None:
                raise StopIteration
            self._buffer.extend(page)
        return self._buffer.popleft()


def employees(query: Any = None, **filters: Any) -> Pages[Employee]:
    """Every visible employee matching ``query`` (an :data:`EmployeeQuery`)
    or the keyword filters (``department``, ``updated_since``, ``status``,
    ``cursor``, ``limit``)."""
    return Pages(query or EmployeeQuery(**filters), _raw.fetch_employees)


def absences(from_: str, to: str, **filters: Any) -> Pages[Absence]:
    """Every visible absence overlapping ``[from_, to]``; keyword filters
    ``employee_id``, ``type_name``, ``statuses``, ``updated_since``,
    ``cursor``, ``limit``."""
    return Pages(AbsenceQuery(from_=from_, to=to, **filters), _raw.fetch_absences)


def departures(since: str, **filters: Any) -> Pages[Departure]:
    """Employees who stopped being visible at or after ``since``
    (terminated, excluded by the tenant, removed), oldest first: whom to
    remove at the partner, without remembering every id sent."""
    return Pages(DepartureQuery(since=since, **filters), _raw.fetch_departures)


def employee(id: str) -> Employee:
    """One visible employee by id."""
    return host_call(_raw.get_employee, id)


def absence(id: str) -> Absence:
    """One visible absence by id, whatever its status."""
    return host_call(_raw.get_absence, id)


def create_employee(new: Any, idempotency_key: str) -> str:
    """Creates an employee (a :data:`NewEmployee`) and returns its id; the
    same ``idempotency_key`` always yields the first employee's id."""
    return host_call(_raw.create_employee, new, idempotency_key)
