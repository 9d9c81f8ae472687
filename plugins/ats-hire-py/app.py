"""ATS hire: the applicant tracker calls the webhook when a candidate
moves; a move into the hire column creates the employee, once per
candidate. See the README for the delivery format.
"""

from __future__ import annotations

import json
from typing import Any

from lockgate_connector import (
    Connector,
    HostError,
    Operation,
    Outcome,
    WebhookRequest,
    WebhookResponse,
    config,
    dates,
    hr,
    outcomes,
)

#: The instant the host received the delivery, which the host adds to every
#: delivery it hands over (RFC 3339, UTC).
RECEIVED_AT = "x-lockgate-received-at"


def given(value: Any) -> str | None:
    """A text value the tracker filled in, trimmed; ``None`` when blank."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def received_day(request: WebhookRequest) -> str | None:
    """The day the host received the delivery: the day the candidate was
    hired, however late the queued delivery is handled."""
    at = request.header(RECEIVED_AT)
    if at is None:
        return None
    day = at[:10]
    return day if dates.to_days(day) is not None else None


_OPTIONAL = (
    "work_email",
    "personal_email",
    "phone",
    "department",
    "contract_type",
    "contract_start",
)


def parse_move(request: WebhookRequest) -> tuple[str, dict[str, Any]]:
    """The column and the candidate of a delivery; ``ValueError`` saying
    what is wrong when it is not a candidate move."""
    try:
        move = request.json()
    except ValueError as e:
        raise ValueError(f"the body is not JSON ({e})") from None
    if not isinstance(move, dict):
        raise ValueError("expected a JSON object")
    column, candidate = move.get("column"), move.get("candidate")
    if not isinstance(column, str):
        raise ValueError("`column` is missing or not a string")
    if not isinstance(candidate, dict):
        raise ValueError("`candidate` is missing or not an object")
    if not isinstance(candidate.get("id"), str):
        raise ValueError("`candidate.id` is missing or not a string")
    for key in ("first_name", "last_name"):
        if key in candidate and not isinstance(candidate[key], str):
            raise ValueError(f"`candidate.{key}` is not a string")
    for key in _OPTIONAL:
        if candidate.get(key) is not None and not isinstance(candidate[key], str):
            raise ValueError(f"`candidate.{key}` is not a string")
    return column, candidate


def same_column(a: str, b: str) -> bool:
    """Column names are compared trimmed, ignoring ASCII case."""
    return a.strip().encode().lower() == b.strip().encode().lower()


def report(outcome: Outcome) -> None:
    """Records the row; the answer to the tracker does not depend on it."""
    try:
        outcomes.report(outcome)
    except HostError:
        pass


class AtsHire(Connector):
    def sync(self, trigger):
        # Hires arrive through the webhook; a sync has nothing to fetch.
        pass

    def check_connection(self):
        # The tracker calls in; there is nothing to call out to.
        pass

    def handle_webhook(self, request: WebhookRequest) -> WebhookResponse:
        try:
            column, candidate = parse_move(request)
        except ValueError as e:
            return WebhookResponse.json(400, {"error": f"not a candidate move: {e}"})
        hire_column = config.get("hire-column") or "hired"
        candidate_id = candidate["id"]
        if not same_column(column, hire_column):
            report(
                Outcome.skipped(
                    candidate_id,
                    Operation.SKIP,
                    f"candidate moved to {json.dumps(column, ensure_ascii=False)}, not {json.dumps(hire_column, ensure_ascii=False)}",
                )
            )
            return WebhookResponse.json(200, {"ignored": True})
        first_name = given(candidate.get("first_name"))
        last_name = given(candidate.get("last_name"))
        if first_name is None or last_name is None:
            report(
                Outcome.failed(candidate_id, Operation.CREATE, "the candidate has no first or last name")
            )
            return WebhookResponse.json(422, {"error": "first_name and last_name are required"})
        new = hr.NewEmployee(
            first_name=first_name,
            last_name=last_name,
            work_email=given(candidate.get("work_email")),
            personal_email=given(candidate.get("personal_email")),
            phone=given(candidate.get("phone")),
            department=given(candidate.get("department")),
            contract_type=given(candidate.get("contract_type")),
            # Without a contract start, the contract starts on the day of
            # the hire.
            start_date=given(candidate.get("contract_start")) or received_day(request),
        )
        try:
            employee_id = hr.create_employee(new, f"candidate-{candidate_id}")
        except HostError as e:
            report(
                Outcome.failed(candidate_id, Operation.CREATE, f"the employee could not be created: {e}")
            )
            return WebhookResponse.json(500, {"error": "the employee could not be created; try again"})
        report(
            Outcome.success(employee_id, Operation.CREATE, f"created from candidate {candidate_id}")
        )
        return WebhookResponse.json(201, {"employee_id": employee_id})
