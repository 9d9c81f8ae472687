"""lockgate_connector.testing as a partner uses it: a connector module
(fixtures/demo_app.py), loaded and driven against a TestHost."""

import unittest
from pathlib import Path

from lockgate_connector.testing import (  # the stand-in first: it makes the bindings
    TestHost,
    departure,
    employee,
    load_connector,
    reply,
    reply_json,
    webhook,
)

from lockgate_connector import (  # noqa: E402
    ConfigError,
    EmployeeCreated,
    NotFound,
    Operation,
    OutcomeStatus,
    Trigger,
    Unreachable,
    http,
    log,
)
from lockgate_connector.hr import DepartureReason  # noqa: E402

Demo = load_connector(Path(__file__).parent / "fixtures" / "demo_app.py")
PARTNER = "https://api.partner.example"


def host() -> TestHost:
    """A host with the partner's address, and a partner that accepts everyone but e-3."""
    return (
        TestHost()
        .config("partner-url", PARTNER)
        .on_http(lambda r: reply_json(422, {"error": "no e-mail"}) if r.path.endswith("/e-3") else reply(200))
    )


def ids(rows):
    return [(r.employee_id, r.status) for r in rows]


class Sync(unittest.TestCase):
    def test_pages_every_employee_and_records_rows_requests_and_the_log(self):
        h = host().page_size(2).employees(employee(f"e-{n}", "Ada", f"Nr {n}") for n in range(1, 6))
        h.sync(Demo, Trigger.INITIAL)
        self.assertEqual([r.path for r in h.requests()], [f"/people/e-{n}" for n in range(1, 6)])
        first = h.requests()[0]
        self.assertEqual((first.method, first.host, first.header("Content-Type")), ("PUT", "api.partner.example", "application/json"))
        self.assertEqual(first.json(), {"id": "e-1"})
        rows = h.outcomes()
        self.assertEqual(ids(rows)[2], ("e-3", OutcomeStatus.FAILED))
        self.assertEqual((rows[2].partner_status, rows[2].partner_body), (422, '{"error": "no e-mail"}'))
        self.assertEqual(sum(r.status == OutcomeStatus.SUCCESS for r in rows), 4)
        self.assertEqual([(line.level, line.message) for line in h.log()], [(log.Level.INFO, "sent 5 employee(s)")])

    def test_keeps_its_state_for_the_next_run_which_sends_changes_only(self):
        h = host().clock("2026-11-23T08:00:00Z").employees([employee("e-1", "Ada", "Lovelace"), employee("e-3", "Alan", "Turing")])
        h.sync(Demo)
        self.assertEqual(h.state_json(), {"since": "2026-11-23T08:00:00.000000Z", "retry": ["e-3"]})
        h.clear_records().clock("2026-11-24T08:00:00Z")
        h.employees([employee("e-2", "Grace", "Hopper", updated_at="2026-11-23T12:00:00Z")])
        h.sync(Demo, Trigger.SCHEDULED)
        self.assertEqual(ids(h.outcomes()), [("e-2", OutcomeStatus.SUCCESS)])
        self.assertEqual(h.state_json()["since"], "2026-11-24T08:00:00.000000Z")

    def test_a_failed_run_keeps_the_previous_state_and_a_bad_value_names_its_field(self):
        saved = '{"since":"2026-01-02T00:00:00Z","retry":[]}'
        h = host().set_state(saved).config("remove-leavers", "sometimes")
        h.employees([employee("e-1", "Ada", "Lovelace", updated_at="2026-02-01T00:00:00Z")])
        with self.assertRaises(ConfigError) as raised:
            h.sync(Demo)
        self.assertEqual([(e.field, e.message) for e in raised.exception.errors], [("remove-leavers", "must be true or false, not 'sometimes'")])
        self.assertEqual(h.state(), saved)

    def test_removes_who_left_since_the_last_run(self):
        h = host().set_state('{"since":"2026-03-01T00:00:00Z"}')
        h.departures([departure("e-7", "2026-02-01T00:00:00Z"), departure("e-9", "2026-03-05T00:00:00Z", DepartureReason.EXCLUDED)])
        h.sync(Demo)
        self.assertEqual([(r.method, r.path) for r in h.requests()], [("DELETE", "/people/e-9")])
        self.assertEqual(h.outcomes()[0].operation, Operation.DEPROVISION)


class Http(unittest.TestCase):
    def test_a_denied_host_is_a_denial_and_reaches_no_partner(self):
        h = host().deny("api.partner.example")
        with self.assertRaises(http.RequestDenied):
            h.check_connection(Demo)
        self.assertEqual(h.requests(), [])

    def test_throttling_is_retried_counted_rather_than_waited(self):
        answers = [429, 503, 200]
        h = TestHost().config("partner-url", PARTNER).employees([employee("e-1", "Ada", "Lovelace")])
        h.on_http(lambda r: reply(answers.pop(0) if answers else 200, headers=[("retry-after", "2")]))
        h.sync(Demo)
        self.assertEqual(len(h.requests()), 3)
        self.assertEqual(h.slept, 4.0)
        self.assertEqual(ids(h.outcomes()), [("e-1", OutcomeStatus.SUCCESS)])

    def test_no_response_no_handler_and_plain_http_fail_as_the_host_makes_them(self):
        def timeout(request):
            raise http.Timeout()

        with self.assertRaises(http.Timeout):
            TestHost().config("partner-url", PARTNER).on_http(timeout).check_connection(Demo)
        with self.assertRaisesRegex(Unreachable, "no answer for GET https://api.partner.example/ping"):
            TestHost().config("partner-url", PARTNER).check_connection(Demo)
        with self.assertRaisesRegex(http.RequestDenied, "plain HTTP"):
            host().config("partner-url", "http://api.partner.example").check_connection(Demo)


class OtherEntryPoints(unittest.TestCase):
    def test_validate_config_sees_the_host_config_or_the_entries_given(self):
        h = host().config("batch-size", "500")
        self.assertEqual([(e.field, e.message) for e in h.validate_config(Demo)], [("batch-size", "is at most 100")])
        self.assertEqual(h.validate_config(Demo, {"batch-size": "ten"})[0].message, "must be a whole number, not 'ten'")
        self.assertEqual(h.validate_config(Demo, {"batch-size": "50"}), [])

    def test_an_event_reads_the_employee_and_an_unknown_one_is_not_found(self):
        h = host().employees([employee("e-1", "Ada", "Lovelace")])
        h.on_event(Demo, EmployeeCreated("e-1"))
        self.assertEqual(h.requests()[0].path, "/people/e-1")
        with self.assertRaisesRegex(NotFound, "e-404"):
            h.on_event(Demo, EmployeeCreated("e-404"))

    def test_a_webhook_creates_an_employee_once_per_idempotency_key(self):
        h = host()
        hire = webhook("POST", "/hire", '{"first":"Ada","last":"Lovelace","ref":"cand-1"}')
        first = h.handle_webhook(Demo, hire)
        again = h.handle_webhook(Demo, hire)
        self.assertEqual((first.status, first.body), (201, again.body))
        [(created, id)] = h.created_employees()
        self.assertEqual((created.last_name, id), ("Lovelace", "new-1"))
        self.assertEqual(h.handle_webhook(Demo, webhook("POST", "/hire", '{"ref":"x"}')).status, 422)

    def test_the_host_is_gone_after_a_call(self):
        from lockgate_connector import config

        h = host()
        self.assertEqual(h.run(lambda: config.get("partner-url")), PARTNER)
        with self.assertRaises(NotImplementedError):
            config.get("partner-url")


if __name__ == "__main__":
    unittest.main()
