"""Working time (attendance periods), with ``attendances.read`` and
``attendances.write``. The host applies the data rules: only visible
employees, only days inside their employment and the granted window.
Writes are keyed by the connector's own id for the period (the external
id), so a retried webhook or a re-run sync never duplicates one.
"""

from __future__ import annotations

from typing import Any

from . import _bindings as _b
from ._records import with_defaults
from .errors import NotFound, host_call
from .hr import PAGE, Pages

_raw = _b.attendances

Attendance = _raw.Attendance
AttendanceStatus = _raw.AttendanceStatus

AttendanceQuery = with_defaults(
    _raw.AttendanceQuery,
    "AttendanceQuery",
    "Periods on days in ``[from_, to]`` (dates ``YYYY-MM-DD``).",
    limit=PAGE,
)
AttendanceInput = with_defaults(
    _raw.AttendanceInput,
    "AttendanceInput",
    "A period as a connector writes it: start and end, or a duration.",
    break_minutes=0,
    status=_raw.AttendanceStatus.CONFIRMED,
)


def attendances(from_: str, to: str, **filters: Any) -> Pages[Attendance]:
    """Every visible period on days in ``[from_, to]``; keyword filters
    ``employee_id``, ``updated_since``, ``cursor``, ``limit``."""
    return Pages(AttendanceQuery(from_=from_, to=to, **filters), _raw.fetch_attendances)


def attendance(id: str) -> Attendance:
    """One visible period by the host's id."""
    return host_call(_raw.get_attendance, id)


def create(external_id: str, period: Any) -> Attendance:
    """Records the period the connector knows as ``external_id``; the same
    id again returns the first period unchanged."""
    return host_call(_raw.create_attendance, external_id, period)


def update(external_id: str, period: Any) -> Attendance:
    """Replaces the period the connector knows as ``external_id``."""
    return host_call(_raw.update_attendance, external_id, period)


def put(external_id: str, period: Any) -> Attendance:
    """Creates the period, or replaces it when the connector wrote it
    before: what a reconciling sync wants."""
    try:
        return update(external_id, period)
    except NotFound:
        return create(external_id, period)


def delete(external_id: str) -> bool:
    """Removes the period; ``False`` when there was none."""
    return host_call(_raw.delete_attendance, external_id)
