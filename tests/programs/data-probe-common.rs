// Shared by `tests/programs/data-probe*`: a connector that makes one call of
// contract 0.2.0 per run, chosen by the `action` config value, and reports
// the host's answer as one row ("ok …" or "<error kind>: …"). The tests
// drive the data rules and scopes of attendances, recruiting, departures
// and checkpoints through it; the two crates differ only in their grant.

use lockgate_sdk::attendances::{self, AttendanceInput, AttendanceQuery, AttendanceStatus};
use lockgate_sdk::prelude::*;
use lockgate_sdk::recruiting::{self, NewApplication};

struct Probe;

fn answer(e: &HostError) -> String {
    match e {
        HostError::Denied(m) => format!("denied: {m}"),
        HostError::InvalidArgument(m) => format!("invalid-argument: {m}"),
        HostError::LimitExceeded(m) => format!("limit-exceeded: {m}"),
        HostError::NotFound(m) => format!("not-found: {m}"),
        HostError::Unavailable(m) => format!("unavailable: {m}"),
    }
}

fn get(key: &str) -> String {
    config::get(key).unwrap_or_default()
}

fn period() -> AttendanceInput {
    let opt = |k: &str| Some(get(k)).filter(|v| !v.is_empty());
    AttendanceInput {
        employee_id: get("employee"),
        date: get("date"),
        start_time: opt("start"),
        end_time: opt("end"),
        duration_minutes: None,
        break_minutes: 0,
        project: None,
        comment: None,
        status: AttendanceStatus::Confirmed,
    }
}

fn act() -> Result<String, HostError> {
    let external = get("external-id");
    match get("action").as_str() {
        "create" => attendances::create(&external, &period()).map(|a| format!("ok {}", a.id)),
        "update" => attendances::update(&external, &period()).map(|a| format!("ok {}", a.id)),
        "delete" => attendances::delete(&external).map(|gone| format!("ok {gone}")),
        "read" => {
            let date = get("date");
            let mut seen = Vec::new();
            for a in attendances::attendances(AttendanceQuery::between(&date, &date)) {
                let a = a?;
                seen.push(format!(
                    "{}:{}:{}",
                    a.employee_id,
                    a.external_id.unwrap_or_else(|| "-".into()),
                    a.start_time.unwrap_or_default()
                ));
            }
            Ok(format!("ok [{}]", seen.join(" ")))
        }
        "apply" => recruiting::create_application(
            &NewApplication {
                first_name: "Ada".into(),
                last_name: "Probe".into(),
                email: Some("ada@example.org".into()),
                phone: None,
                position: get("position"),
                source: Some("probe".into()),
                message: None,
                attachments: Vec::new(),
            },
            &external,
        )
        .map(|id| format!("ok {id}")),
        "departures" => {
            let mut seen = Vec::new();
            for d in hr::departures(&get("since")) {
                let d = d?;
                let reason = match d.reason {
                    hr::DepartureReason::Terminated => "terminated",
                    hr::DepartureReason::Excluded => "excluded",
                    hr::DepartureReason::OutOfScope => "out-of-scope",
                };
                seen.push(format!("{}:{reason}@{}", d.employee_id, d.left_at));
            }
            Ok(format!("ok [{}]", seen.join(" ")))
        }
        other => Ok(format!("ok nothing to do for {other:?}")),
    }
}

impl Connector for Probe {
    fn sync(_trigger: Trigger) -> Result<(), Error> {
        let mut rows = Outcomes::new();
        let row = match act() {
            Ok(message) => Outcome::success("probe", Operation::Update, &message),
            Err(e) => Outcome::failed("probe", Operation::Update, &answer(&e)),
        };
        rows.push(row)?;
        rows.finish()
    }
}

lockgate_sdk::export_connector!(Probe);
