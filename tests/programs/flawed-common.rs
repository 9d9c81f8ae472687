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
        let since: Option<String> = match FLAW {
            Flaw::NotIncremental => None,
            _ => state::load(),
        };
        let started = lockgate_sdk::dates::now();
        let query = EmployeeQuery {
            department,
            updated_since: since,
            ..Default::default()
        };
        let mut ids = Vec::new();
        let mut resources = Vec::new();
        for employee in hr::employees(query) {
            let employee = employee?;
            ids.push(employee.id.clone());
            resources.push(serde_json::json!({
                "externalId": employee.id,
                "department": employee.basic.and_then(|b| b.department),
            }));
        }
        let mut rows = Outcomes::new();
        if !resources.is_empty() {
            let res = authorized(http::post(&format!("{}/api/v1/resources/batch", base()?)))
                .json(&serde_json::json!({ "resources": resources }))?
                .send()?;
            if !res.is_success() {
                return Err(Error::partner(res.status, "the planner refused the batch", &res.body));
            }
            for id in &ids {
                rows.push(Outcome::success(id, Operation::Update, "sent"))?;
            }
        }
        rows.finish()?;
        if FLAW != Flaw::NotIncremental {
            state::save(&started)?;
        }
        Ok(())
    }
}

lockgate_sdk::export_connector!(Flawed);
