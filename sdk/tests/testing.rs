//! `lockgate_sdk::testing` as a partner uses it: a small connector, written
//! as one would be, run natively against the stand-in host
//! (`cargo test -p lockgate-sdk --features testing`).

use lockgate_sdk::dates;
use lockgate_sdk::hr::{DepartureReason, NewEmployee};
use lockgate_sdk::http::HttpError;
use lockgate_sdk::log::Level;
use lockgate_sdk::prelude::*;
use lockgate_sdk::testing::{
    SentRequest, TestHost, departure, employee, reply, reply_json, webhook,
};
use serde_json::json;

/// Sends changed employees to the partner, removes those who left, hires
/// from a webhook.
struct Demo;

fn base() -> Result<String, Error> {
    Ok(config::require_string("partner-url")?
        .trim_end_matches('/')
        .to_string())
}

impl Connector for Demo {
    fn validate_config(entries: &[(String, String)]) -> Result<(), Vec<FieldError>> {
        let config = config::Config::of(entries);
        if config.integer("batch-size")?.is_some_and(|n| n > 100) {
            return Err(vec![FieldError::new("batch-size", "is at most 100")]);
        }
        Ok(())
    }

    fn check_connection() -> Result<(), Error> {
        let res = http::get(&format!("{}/ping", base()?)).send()?;
        if res.is_success() {
            Ok(())
        } else {
            Err(Error::partner(res.status, "the partner refused", &res.body))
        }
    }

    fn sync(_trigger: Trigger) -> Result<(), Error> {
        let base = base()?;
        let notify_leavers = config::boolean("remove-leavers")?.unwrap_or(true);
        let cursor = state::Cursor::load();
        let started = dates::now();
        let mut rows = Outcomes::new();
        let query = EmployeeQuery {
            department: config::string("department"),
            updated_since: cursor.since.clone(),
            ..Default::default()
        };
        let mut sent = 0;
        for employee in hr::employees(query) {
            let employee = employee?;
            let res = http::put(&format!("{base}/people/{}", http::encode(&employee.id)))
                .json(&json!({ "id": employee.id }))?
                .retrying()
                .send()?;
            sent += 1;
            rows.push(if res.is_success() {
                Outcome::success(&employee.id, Operation::Update, "sent")
            } else {
                Outcome::failed(&employee.id, Operation::Update, "rejected")
                    .with_partner(res.status, &res.body)
            })?;
        }
        if notify_leavers {
            let since = cursor.since.as_deref().unwrap_or("1970-01-01T00:00:00Z");
            for left in hr::departures(since) {
                let left = left?;
                http::delete(&format!("{base}/people/{}", left.employee_id)).send()?;
                rows.push(Outcome::success(
                    &left.employee_id,
                    Operation::Deprovision,
                    "removed",
                ))?;
            }
        }
        log::info(&format!("sent {sent} employee(s)"));
        state::Cursor::advance(&started, rows.finish_failed()?)
    }

    fn on_event(event: Event) -> Result<(), Error> {
        if let Event::EmployeeCreated(id) = event {
            let employee = hr::employee(&id)?;
            http::put(&format!("{}/people/{}", base()?, employee.id)).send()?;
        }
        Ok(())
    }

    fn handle_webhook(request: WebhookRequest) -> WebhookResponse {
        let answer = |status: u16, body: serde_json::Value| WebhookResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        };
        let Ok(hire) = serde_json::from_slice::<serde_json::Value>(&request.body) else {
            return answer(400, json!({ "error": "not JSON" }));
        };
        let new = NewEmployee {
            first_name: hire["first"].as_str().unwrap_or_default().into(),
            last_name: hire["last"].as_str().unwrap_or_default().into(),
            work_email: None,
            personal_email: None,
            phone: None,
            department: None,
            position: None,
            legal_entity: None,
            contract_type: None,
            start_date: None,
        };
        let key = hire["ref"].as_str().unwrap_or_default();
        match hr::create_employee(&new, key) {
            Ok(id) => answer(201, json!({ "id": id })),
            Err(e) => answer(422, json!({ "error": format!("{e:?}") })),
        }
    }
}

lockgate_sdk::export_connector!(Demo, manifest = "tests/demo/connector.toml");

const PARTNER: &str = "https://api.partner.example";

/// A host with the partner's address and a partner that accepts everyone
/// but `e-3`.
fn host() -> TestHost {
    let host = TestHost::new();
    host.config("partner-url", PARTNER)
        .on_http(|request: &SentRequest| {
            if request.path.ends_with("/e-3") {
                reply_json(422, &json!({ "error": "no e-mail" }))
            } else {
                reply(200, "")
            }
        });
    host
}

fn ids(rows: &[Outcome]) -> Vec<(&str, OutcomeStatus)> {
    rows.iter()
        .map(|r| (r.employee_id.as_deref().unwrap_or(""), r.status))
        .collect()
}

#[test]
fn a_sync_pages_every_employee_and_records_rows_requests_and_log() {
    let host = host();
    host.page_size(2)
        .employees((1..=5).map(|n| employee(&format!("e-{n}"), "Ada", &format!("Nr {n}"))));
    host.sync::<Demo>(Trigger::Initial).unwrap();

    let paths: Vec<_> = host.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "/people/e-1",
            "/people/e-2",
            "/people/e-3",
            "/people/e-4",
            "/people/e-5"
        ],
        "three pages of two walked in id order"
    );
    let first = &host.requests()[0];
    assert_eq!(
        (first.method.as_str(), first.host.as_str()),
        ("PUT", "api.partner.example")
    );
    assert_eq!(first.header("Content-Type"), Some("application/json"));
    assert_eq!(
        first.json::<serde_json::Value>().unwrap(),
        json!({ "id": "e-1" })
    );

    let rows = host.outcomes();
    assert_eq!(ids(&rows)[2], ("e-3", OutcomeStatus::Failed));
    assert_eq!(rows[2].partner_status, Some(422));
    assert_eq!(
        rows[2].partner_body.as_deref(),
        Some(r#"{"error":"no e-mail"}"#)
    );
    assert_eq!(
        rows.iter()
            .filter(|r| r.status == OutcomeStatus::Success)
            .count(),
        4
    );
    assert!(
        host.log()
            .iter()
            .any(|l| l.level == Level::Info && l.message == "sent 5 employee(s)"),
        "{:?}",
        host.log()
    );
}

#[test]
fn state_persists_between_runs_and_the_next_sends_changes_and_rejections() {
    let host = host();
    host.clock("2026-11-23T08:00:00Z").employees([
        employee("e-1", "Ada", "Lovelace"),
        employee("e-3", "Alan", "Turing"),
    ]);
    host.sync::<Demo>(Trigger::Initial).unwrap();
    let cursor = host.state_as::<state::Cursor>().unwrap();
    assert_eq!(cursor.since.as_deref(), Some("2026-11-23T08:00:00.000000Z"));
    assert_eq!(cursor.retry.into_iter().collect::<Vec<_>>(), ["e-3"]);

    // Nobody changed; e-2 joins after the first run.
    host.clear_records()
        .clock("2026-11-24T08:00:00Z")
        .employees([employee("e-2", "Grace", "Hopper").with_updated_at("2026-11-23T12:00:00Z")]);
    host.sync::<Demo>(Trigger::Scheduled).unwrap();
    assert_eq!(
        ids(&host.outcomes()),
        [("e-2", OutcomeStatus::Success)],
        "only what changed since the first run"
    );
    assert_eq!(
        host.state_as::<state::Cursor>().unwrap().since.as_deref(),
        Some("2026-11-24T08:00:00.000000Z")
    );
}

#[test]
fn a_failed_run_keeps_the_previous_state_and_a_malformed_config_names_its_field() {
    let host = host();
    host.set_state(r#"{"since":"2026-01-02T00:00:00Z","retry":[]}"#)
        .config("remove-leavers", "sometimes")
        .employees([employee("e-1", "Ada", "Lovelace").with_updated_at("2026-02-01T00:00:00Z")]);
    let error = host.sync::<Demo>(Trigger::Manual).unwrap_err();
    match error {
        Error::Config(fields) => assert_eq!(
            fields,
            [FieldError::new(
                "remove-leavers",
                "\"sometimes\" is neither true nor false"
            )]
        ),
        other => panic!("not a config error: {other:?}"),
    }
    assert_eq!(
        host.state().as_deref(),
        Some(r#"{"since":"2026-01-02T00:00:00Z","retry":[]}"#)
    );
}

#[test]
fn departures_since_the_last_run_are_removed_at_the_partner() {
    let host = host();
    host.set_state(r#"{"since":"2026-03-01T00:00:00Z"}"#)
        .departures([
            departure("e-7", "2026-02-01T00:00:00Z", DepartureReason::Terminated),
            departure("e-9", "2026-03-05T00:00:00Z", DepartureReason::Excluded),
        ]);
    host.sync::<Demo>(Trigger::Scheduled).unwrap();
    let requests = host.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("DELETE", "/people/e-9")
    );
    assert_eq!(host.outcomes()[0].operation, Operation::Deprovision);
}

#[test]
fn a_denied_host_is_a_denial_and_throttling_is_waited_out_without_waiting() {
    let host = host();
    host.deny("api.partner.example");
    let error = host.check_connection::<Demo>().unwrap_err();
    assert!(
        matches!(&error, Error::Unreachable(why) if why.starts_with("request denied by the host")),
        "{error:?}"
    );
    assert!(
        host.requests().is_empty(),
        "a denied request reaches no partner"
    );

    let host = TestHost::new();
    let mut answers = vec![429, 503, 200].into_iter();
    host.config("partner-url", PARTNER)
        .employees([employee("e-1", "Ada", "Lovelace")])
        .on_http(move |_: &SentRequest| {
            reply(answers.next().unwrap_or(200), "").with_header("Retry-After", "2")
        });
    host.sync::<Demo>(Trigger::Manual).unwrap();
    assert_eq!(host.requests().len(), 3);
    assert_eq!(host.slept(), std::time::Duration::from_secs(4));
    assert_eq!(ids(&host.outcomes()), [("e-1", OutcomeStatus::Success)]);
}

#[test]
fn a_handler_can_fail_a_request_and_plain_http_is_refused() {
    let host = TestHost::new();
    host.config("partner-url", PARTNER).on_http(
        |_: &SentRequest| -> Result<lockgate_sdk::http::Response, HttpError> {
            Err(HttpError::Timeout)
        },
    );
    assert!(matches!(
        host.check_connection::<Demo>(),
        Err(Error::Unreachable(why)) if why == "timed out"
    ));
    host.config("partner-url", "http://api.partner.example");
    assert!(matches!(
        host.check_connection::<Demo>(),
        Err(Error::Unreachable(why)) if why.contains("plain HTTP")
    ));
}

#[test]
fn validate_config_sees_the_hosts_config() {
    let host = host();
    host.config("batch-size", "500");
    assert_eq!(
        host.validate_config::<Demo>().unwrap_err(),
        [FieldError::new("batch-size", "is at most 100")]
    );
    host.config("batch-size", "ten");
    assert_eq!(
        host.validate_config::<Demo>().unwrap_err(),
        [FieldError::new(
            "batch-size",
            "\"ten\" is not a whole number"
        )]
    );
    host.config("batch-size", "50");
    assert!(host.validate_config::<Demo>().is_ok());
}

#[test]
fn events_read_the_employee_and_an_unknown_one_is_not_found() {
    let host = host();
    host.employees([employee("e-1", "Ada", "Lovelace")]);
    host.on_event::<Demo>(Event::EmployeeCreated("e-1".into()))
        .unwrap();
    assert_eq!(host.requests()[0].path, "/people/e-1");
    assert!(matches!(
        host.on_event::<Demo>(Event::EmployeeCreated("e-404".into())),
        Err(Error::Host(HostError::NotFound(why))) if why.contains("e-404")
    ));
}

#[test]
fn a_webhook_creates_an_employee_once_per_idempotency_key() {
    let host = host();
    let hire = || {
        webhook(
            "POST",
            "/hire",
            r#"{"first":"Ada","last":"Lovelace","ref":"cand-1"}"#,
        )
    };
    let first = host.handle_webhook::<Demo>(hire());
    let again = host.handle_webhook::<Demo>(hire());
    assert_eq!(first.status, 201);
    assert_eq!(first.body, again.body);
    let created = host.created_employees();
    assert_eq!(created.len(), 1);
    assert_eq!(
        (created[0].0.last_name.as_str(), created[0].1.as_str()),
        ("Lovelace", "new-1")
    );
    let refused = host.handle_webhook::<Demo>(webhook("POST", "/hire", r#"{"ref":"x"}"#));
    assert_eq!(
        refused.status, 422,
        "a nameless hire is an invalid argument"
    );
}

#[test]
fn helpers_run_against_the_host_and_without_one_the_sdk_says_so() {
    let host = host();
    assert_eq!(host.run(base).unwrap(), PARTNER);
    host.run(|| state::set("kept")).unwrap();
    assert_eq!(host.state().as_deref(), Some("kept"));
    let outside = std::panic::catch_unwind(|| config::get("partner-url")).unwrap_err();
    let message = outside
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| outside.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    assert!(message.contains("no test host on this thread"), "{message}");
}
