"""The SDK's behaviour in CPython, against the generated bindings with the
host's functions replaced by fakes."""

import filecmp
import json
import unittest
from pathlib import Path
from unittest import mock

from . import bindings  # noqa: F401 - generates wit_world first

from componentize_py_types import Err  # noqa: E402
from wit_world.imports import lockgate_connector_types as types  # noqa: E402

from lockgate_connector import (  # noqa: E402
    ConfigError,
    Denied,
    LimitExceeded,
    NotFound,
    Operation,
    Outcome,
    OutcomeStatus,
    PartnerError,
    Unreachable,
    _bindings,
    build,
    config,
    hr,
    http,
    state,
)
from lockgate_connector.outcomes import BATCH, Outcomes  # noqa: E402

REPO = Path(__file__).resolve().parents[3]


class Records(unittest.TestCase):
    def test_optional_fields_default_to_none_and_queries_to_a_full_page(self):
        new = hr.NewEmployee(first_name="Zoë", last_name="Van den Berg", department="Sales")
        self.assertIsInstance(new, _bindings.hr.NewEmployee)
        self.assertEqual((new.department, new.start_date, new.work_email), ("Sales", None, None))
        query = hr.EmployeeQuery()
        self.assertEqual((query.limit, query.cursor), (hr.PAGE, None))
        self.assertEqual(hr.AbsenceQuery(from_="2026-01-01", to="2026-02-01").statuses, [])
        with self.assertRaises(TypeError):
            hr.NewEmployee(first_name="only")

    def test_outcome_constructors(self):
        row = Outcome.failed("e-1", Operation.UPDATE, "rejected").with_partner(422, b"x" * 5000)
        self.assertIsInstance(row, _bindings.outcomes.Outcome)
        self.assertEqual((row.status, row.partner_status), (OutcomeStatus.FAILED, 422))
        self.assertEqual(len(row.partner_body.encode()), 4096 + len("…".encode()))
        self.assertIsNone(Outcome.success("e-1", Operation.LINK, "ok").partner_body)


def page(items, cursor):
    return _bindings.hr.EmployeePage(items=items, next_cursor=cursor)


class Paging(unittest.TestCase):
    def test_records_across_pages_with_the_cursor_of_the_next(self):
        pages = {None: page(["a", "b"], "c1"), "c1": page(["c"], "c2"), "c2": page([], None)}
        asked = []

        def fetch(query):
            asked.append((query.cursor, query.department))
            return pages[query.cursor]

        with mock.patch.object(_bindings.hr, "fetch_employees", fetch):
            found = hr.employees(department="Sales")
            self.assertIsNone(found.query.cursor)
            self.assertEqual(found.next_page(), ["a", "b"])
            self.assertEqual(found.cursor, "c1")
            self.assertEqual(list(found), ["c"])
            self.assertIsNone(found.cursor, "none after the last page")
        self.assertEqual(asked, [(None, "Sales"), ("c1", "Sales"), ("c2", "Sales")])

    def test_a_refused_page_raises_the_host_error_once(self):
        def fetch(query):
            raise Err(types.HostError_Denied("employees.basic not granted"))

        with mock.patch.object(_bindings.hr, "fetch_employees", fetch):
            found = hr.employees()
            with self.assertRaises(Denied) as raised:
                list(found)
            self.assertEqual(raised.exception.message, "employees.basic not granted")
            self.assertEqual(list(found), [])


class Batching(unittest.TestCase):
    def test_rows_go_in_batches_and_failed_employees_are_remembered(self):
        sent = []
        with mock.patch.object(_bindings.outcomes, "report_batch", lambda rows: sent.append(list(rows))):
            rows = Outcomes()
            for n in range(BATCH + 3):
                make = Outcome.failed if n % 100 == 0 else Outcome.success
                rows.push(make(f"e-{n}", Operation.UPDATE, "x"))
            self.assertEqual([len(b) for b in sent], [BATCH])
            failed = rows.finish_failed()
        self.assertEqual([len(b) for b in sent], [BATCH, 3])
        self.assertEqual(failed, {"e-0", "e-100", "e-200", "e-300", "e-400", "e-500"})

    def test_a_checkpoint_sends_the_rows_before_the_state(self):
        calls = []
        with (
            mock.patch.object(_bindings.outcomes, "report_batch", lambda rows: calls.append(("rows", len(rows)))),
            mock.patch.object(_bindings.state, "checkpoint", lambda value: calls.append(("state", value))),
        ):
            with Outcomes() as rows:
                rows.push(Outcome.success("e-1", Operation.UPDATE, "x"))
                rows.checkpoint("page-2")
                rows.push(Outcome.success("e-2", Operation.UPDATE, "x"))
        self.assertEqual(calls, [("rows", 1), ("state", "page-2"), ("rows", 1)])

    def test_the_row_limit_is_a_limit_error(self):
        def refuse(rows):
            raise Err(types.HostError_LimitExceeded("outcome limit 1000 rows reached"))

        with mock.patch.object(_bindings.outcomes, "report_batch", refuse):
            rows = Outcomes()
            rows.push(Outcome.success("e-1", Operation.UPDATE, "x"))
            with self.assertRaises(LimitExceeded):
                rows.finish()


class Config(unittest.TestCase):
    def values(self, **values):
        return mock.patch.object(_bindings.config, "get", lambda key: values.get(key))

    def test_typed_values_and_errors_that_name_the_field(self):
        with self.values(**{"batch-size": "250", "pending": "true", "url": " https://x "}):
            self.assertEqual(config.integer("batch-size"), 250)
            self.assertIs(config.boolean("pending"), True)
            self.assertEqual(config.string("url"), "https://x")
            self.assertEqual(config.integer("missing", default=7), 7)
            with self.assertRaises(ConfigError) as raised:
                config.string("missing", required=True)
            self.assertEqual(raised.exception.errors[0].field, "missing")
        with self.values(**{"rate": " 0.25 "}):
            self.assertEqual(config.number("rate"), 0.25)
        with self.values(**{"batch-size": "lots", "pending": "maybe", "rate": "nan"}):
            for read, key, says in [
                (config.integer, "batch-size", "whole number"),
                (config.boolean, "pending", "true or false"),
                (config.number, "rate", "must be a number"),
            ]:
                with self.assertRaises(ConfigError) as raised:
                    read(key)
                [error] = raised.exception.errors
                self.assertEqual(error.field, key)
                self.assertIn(says, error.message)

    def test_several_field_errors_at_once(self):
        error = ConfigError.of([config.field_error("a", "bad"), config.field_error("b", "worse")])
        wit = error.to_wit()
        self.assertIsInstance(wit, types.ConnectorError_Config)
        self.assertEqual([e.field for e in wit.value], ["a", "b"])
        self.assertEqual(str(error), "configuration: a: bad; b: worse;")


class Errors(unittest.TestCase):
    def test_each_error_maps_to_its_contract_case(self):
        cases = [
            (PartnerError(409, "taken", b"{}"), types.ConnectorError_Partner),
            (Unreachable("connection refused"), types.ConnectorError_Unreachable),
            (http.RequestDenied("host not granted"), types.ConnectorError_Unreachable),
            (NotFound("e-9"), types.ConnectorError_Host),
        ]
        for error, case in cases:
            self.assertIsInstance(error.to_wit(), case, error)
        self.assertIsInstance(NotFound("e-9").to_host(), types.HostError_NotFound)

    def test_the_world_maps_exceptions_to_error_values(self):
        from lockgate_connector import _world, connector

        logged = []

        class Failing(connector.Connector):
            def sync(self, trigger):
                raise PartnerError(401, "bad key")

            def check_connection(self):
                raise KeyError("token")

            def handle_webhook(self, request):
                raise ValueError("bad body")

        world = _world.WitWorld()
        request = _bindings.world.WebhookRequest("POST", "/", [], b"{}", "2026-11-30T00:00:00Z")
        with (
            mock.patch.object(connector, "_registered", [Failing]),
            mock.patch.object(_bindings.log, "log", lambda level, message: logged.append(message)),
        ):
            with self.assertRaises(Err) as raised:
                world.sync(_bindings.world.Trigger.MANUAL)
            self.assertEqual(raised.exception.value.value.status, 401)
            with self.assertRaises(Err) as raised:
                world.check_connection()
            self.assertEqual(raised.exception.value, types.ConnectorError_Other("KeyError: 'token'"))
            answer = world.handle_webhook(request)
            self.assertEqual(answer.status, 500)
        self.assertTrue(any("Traceback" in line and "bad body" in line for line in logged), logged)


class Http(unittest.TestCase):
    def test_a_denied_request_is_reported_as_denied(self):
        from wit_world.imports import wasi_http_types as t

        self.assertIsInstance(http._from_code(t.ErrorCode_HttpRequestDenied()), http.RequestDenied)
        self.assertIsInstance(http._from_code(t.ErrorCode_ConnectionRefused()), http.ConnectionFailed)
        self.assertIsInstance(
            http._from_code(t.ErrorCode_InternalError("sign-in: 401 from token endpoint")), http.SignInFailed
        )

    def answers(self, *statuses, retry_after="0"):
        answers = [http.Response(s, [("Retry-After", retry_after)], b"") for s in statuses]
        return mock.patch.object(http.Request, "_send_once", lambda self: answers.pop(0))

    def test_throttling_is_retried_within_the_budget(self):
        slept = []
        with mock.patch.object(http, "sleep", slept.append):
            with self.answers(429, 503, 200):
                res = http.get("https://p.example/x", retry=True)
            self.assertEqual((res.status, res.retries), (200, 2))
            with self.answers(429, 429, retry_after="15"):
                res = http.get("https://p.example/x", retry=http.Retry(budget=20))
            self.assertEqual((res.status, res.retries), (429, 1), "a second 15 s wait is past the budget")
            with self.answers(429):
                self.assertEqual(http.get("https://p.example/x").status, 429, "no retry unless asked")
        self.assertEqual(slept, [0.0, 0.0, 15.0])

    def test_encode(self):
        self.assertEqual(http.encode("a b/é~"), "a%20b%2F%C3%A9~")


class State(unittest.TestCase):
    def test_the_cursor_round_trips_as_json(self):
        saved = {}
        with (
            mock.patch.object(_bindings.state, "set", lambda value: saved.update(value=value)),
            mock.patch.object(_bindings.state, "get", lambda: saved.get("value")),
        ):
            self.assertTrue(state.Cursor.load().is_first())
            state.Cursor.advance("2026-11-30T08:00:00Z", {"e-2", "e-1"})
            self.assertEqual(json.loads(saved["value"]), {"since": "2026-11-30T08:00:00Z", "retry": ["e-1", "e-2"]})
            cursor = state.Cursor.load()
        self.assertEqual((cursor.since, cursor.retry), ("2026-11-30T08:00:00Z", {"e-1", "e-2"}))


class Build(unittest.TestCase):
    def test_the_package_carries_the_repository_contract(self):
        compared = filecmp.dircmp(build.WIT, REPO / "wit")
        self.assertEqual((compared.left_only, compared.right_only, compared.diff_files), ([], [], []))
        self.assertEqual(build.WIT.resolve(), (REPO / "wit").resolve())

    def test_the_readme_shows_the_example_as_it_is(self):
        example = (REPO / "sdk/python/example/app.py").read_text()
        self.assertIn(f"```python\n{example}```", (REPO / "README.md").read_text())

    def test_the_manifest_section(self):
        section = build.custom_section("lockgate-manifest", b"x" * 200)
        # id 0, size 218 as LEB128 (two bytes), name length, name, data.
        self.assertEqual(section[:4], bytes([0, 0xDA, 0x01, 17]))
        self.assertEqual(section[4:21], b"lockgate-manifest")
        self.assertEqual(len(section), 3 + 218)

    def test_a_missing_or_broken_manifest_is_named(self):
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            with self.assertRaisesRegex(build.BuildError, "connector.toml is missing"):
                build.read_manifest(Path(tmp))
            (Path(tmp) / "connector.toml").write_text('version = "0.1.0"\n')
            with self.assertRaisesRegex(build.BuildError, "has no `id`"):
                build.read_manifest(Path(tmp))


if __name__ == "__main__":
    unittest.main()
