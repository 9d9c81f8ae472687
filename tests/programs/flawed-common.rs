// Shared by the deliberately flawed connectors in `tests/programs/flawed-*`:
// a small planner export whose one flaw each crate picks with `FLAW`. The
// automated review must catch every one of them.

use lockgate_sdk::prelude::*;

#[derive(PartialEq, Eq)]
#[allow(dead_code, reason = "each crate uses one flaw")]
enum Flaw {
    /// Sends everyone, whatever the department filter says.
    IgnoresDepartment,
    /// Keeps no cursor: every run sends everyone again.
    NotIncremental,
    /// Asks for salary data and never sends it.
    UnusedCompensation,
    /// Takes its credential from a field not marked secret.
    UnmarkedSecret,
    /// Its listing has no English text.
    NoEnglish,
    /// Forgets the records the partner rejected: they are never sent again.
    LosesRejected,
}

struct Flawed;

fn base() -> Result<String, Error> {
    Ok(config::require("planner-url")?
        .trim_end_matches('/')
        .to_string())
}

fn authorized(request: http::Request) -> http::Request {
    if FLAW == Flaw::UnmarkedSecret {
        // The anti-pattern: the connector handles the credential itself.
        let token = config::get("api-token").unwrap_or_default();
        request.header("authorization", &format!("Bearer {token}"))
    } else {
        request
    }
}

impl Connector for Flawed {
    fn validate_config(config: &[(String, String)]) -> Result<(), Vec<FieldError>> {
        match config.iter().find(|(k, _)| k == "planner-url") {
            Some((_, v)) if !v.trim().is_empty() => Ok(()),
            _ => Err(vec![FieldError {
                field: "planner-url".into(),
                message: "give the planner's address".into(),
            }]),
        }
    }

    fn check_connection() -> Result<(), Error> {
        let res = authorized(http::get(&format!("{}/api/v1/account", base()?))).send()?;
        if res.is_success() {
            Ok(())
        } else {
            Err(Error::partner(res.status, "the planner refused the account check", &res.body))
        }
    }

    fn sync(_trigger: Trigger) -> Result<(), Error> {
        let department = match FLAW {
            Flaw::IgnoresDepartment => None,
            _ => config::get("base-department").filter(|d| !d.trim().is_empty()),
        };
        let cursor = match FLAW {
            Flaw::NotIncremental => state::Cursor::default(),
            _ => state::Cursor::load(),
        };
        let started = lockgate_sdk::dates::now();
        let query = EmployeeQuery {
            department,
            updated_since: cursor.since.clone(),
            ..Default::default()
        };
        let mut ids = Vec::new();
        let mut resources = Vec::new();
        let mut add = |employee: Employee| {
            if !ids.contains(&employee.id) {
                resources.push(serde_json::json!({
                    "externalId": employee.id,
                    "department": employee.basic.and_then(|b| b.department),
                }));
                ids.push(employee.id);
            }
        };
        for employee in hr::employees(query) {
            add(employee?);
        }
        for id in &cursor.retry {
            if let Ok(employee) = hr::employee(id) {
                add(employee);
            }
        }
        let mut rows = Outcomes::new();
        if !resources.is_empty() {
            let res = authorized(http::post(&format!("{}/api/v1/resources/batch", base()?)))
                .json(&serde_json::json!({ "resources": resources }))?
                .send()?;
            if res.status == 401 || res.status == 403 {
                return Err(Error::partner(res.status, "the planner refused the key", &res.body));
            }
            for id in &ids {
                rows.push(if res.is_success() {
                    Outcome::success(id, Operation::Update, "sent")
                } else {
                    Outcome::failed(id, Operation::Update, "the planner refused the batch")
                        .with_partner(res.status, &res.body)
                })?;
            }
        }
        let rejected = rows.finish_failed()?;
        match FLAW {
            Flaw::NotIncremental => {}
            Flaw::LosesRejected => state::Cursor::advance(&started, Default::default())?,
            _ => state::Cursor::advance(&started, rejected)?,
        }
        Ok(())
    }
}

lockgate_sdk::export_connector!(Flawed);
