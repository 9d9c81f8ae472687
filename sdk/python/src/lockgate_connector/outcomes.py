"""Monitoring rows: one per employee and operation. :class:`Outcomes`
batches them, so a sync of 100 000 employees is a few hundred host calls,
and remembers whose records failed, so the next run can send them again
(see :class:`lockgate_connector.state.Cursor`).

>>> with Outcomes() as rows:
...     rows.push(Outcome.success("e-1", Operation.UPDATE, "sent"))
"""

from __future__ import annotations

from . import _bindings as _b
from . import state
from ._records import with_defaults
from .errors import host_call, truncate_body

_raw = _b.outcomes

Operation = _raw.Operation
OutcomeStatus = _raw.OutcomeStatus

#: Rows are sent to the host in batches of this size.
BATCH = 500

_OutcomeRecord = with_defaults(_raw.Outcome, "_OutcomeRecord", "")


class Outcome(_OutcomeRecord):  # type: ignore[misc, valid-type]
    """One monitoring row."""

    @classmethod
    def success(cls, employee_id: str | None, operation: Operation, message: str) -> Outcome:
        return cls(
            employee_id=employee_id,
            operation=operation,
            status=OutcomeStatus.SUCCESS,
            message=message,
        )

    @classmethod
    def failed(cls, employee_id: str | None, operation: Operation, message: str) -> Outcome:
        return cls(
            employee_id=employee_id,
            operation=operation,
            status=OutcomeStatus.FAILED,
            message=message,
        )

    @classmethod
    def skipped(cls, employee_id: str | None, operation: Operation, message: str) -> Outcome:
        return cls(
            employee_id=employee_id,
            operation=operation,
            status=OutcomeStatus.SKIPPED,
            message=message,
        )

    def with_partner(self, status: int, body: bytes | str) -> Outcome:
        """Attaches the partner's answer (status and body, cut to 4 KiB)."""
        self.partner_status = status
        self.partner_body = truncate_body(body) if body else None
        return self


def report(outcome: Outcome) -> None:
    """Sends one row right away."""
    host_call(_raw.report, outcome)


class Outcomes:
    """A buffer of rows, sent in batches of :data:`BATCH`. Call
    :meth:`finish` (or :meth:`finish_failed`) at the end; used as a
    context manager, what is left is sent on leaving the block."""

    def __init__(self) -> None:
        self._pending: list[Outcome] = []
        #: The employees with at least one failed row so far.
        self.failed: set[str] = set()

    def push(self, outcome: Outcome) -> None:
        """Queues a row; sends a batch when full. Raises
        :class:`~lockgate_connector.errors.LimitExceeded` when the host
        refuses the batch (the run's row limit is reached)."""
        if outcome.status == OutcomeStatus.FAILED and outcome.employee_id is not None:
            self.failed.add(outcome.employee_id)
        self._pending.append(outcome)
        if len(self._pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Sends the queued rows now."""
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        host_call(_raw.report_batch, batch)

    def checkpoint(self, value: str) -> None:
        """Sends the rows queued so far and commits ``value`` as the state
        with them: a run cut short after this leaves the next run this
        state and these rows, so it continues rather than starting over."""
        self.flush()
        state.checkpoint(value)

    def finish(self) -> None:
        """Sends what is left."""
        self.flush()

    def finish_failed(self) -> set[str]:
        """Sends what is left; returns the employees with a failed row, for
        :meth:`lockgate_connector.state.Cursor.advance`."""
        self.flush()
        failed, self.failed = self.failed, set()
        return failed

    def __enter__(self) -> Outcomes:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if kind is None:
            self.flush()
        else:
            # The block failed: send the rows anyway, but let its error be
            # the one that counts.
            try:
                self.flush()
            except Exception:
                pass
