//! Account provisioning over SCIM 2.0: provision new employees, update
//! changed ones, link existing accounts by work e-mail, deprovision on the
//! termination date. See this crate's README for the partner API.

use std::collections::BTreeMap;

use lockgate_sdk::dates;
use lockgate_sdk::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PAGE: usize = 100;

struct Provisioning;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct ScimUser {
    id: String,
    #[serde(default)]
    external_id: Option<String>,
    user_name: String,
    #[serde(default)]
    active: bool,
    #[serde(default)]
    name: Option<ScimName>,
    #[serde(default)]
    emails: Vec<ScimEmail>,
    #[serde(
        rename = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        default
    )]
    enterprise: Option<Enterprise>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct ScimName {
    #[serde(default)]
    given_name: String,
    #[serde(default)]
    family_name: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
struct ScimEmail {
    value: String,
    #[serde(default)]
    primary: bool,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
struct Enterprise {
    #[serde(default)]
    department: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListResponse {
    #[serde(default)]
    total_results: usize,
    #[serde(rename = "Resources", default)]
    resources: Vec<ScimUser>,
}

/// What the account should look like for an employee.
struct Wanted {
    id: String,
    first_name: String,
    last_name: String,
    email: Option<String>,
    department: Option<String>,
    active: bool,
}

fn base() -> Result<String, Error> {
    Ok(config::require("scim-url")?
        .trim_end_matches('/')
        .to_string())
}

fn wanted(employee: Employee, today: &str) -> Option<Wanted> {
    let basic = employee.basic?;
    let email = employee
        .contact
        .and_then(|c| c.work_email.or(c.personal_email));
    let leaving = employee
        .employment
        .and_then(|e| e.termination_date)
        .is_some_and(|t| t.as_str() <= today);
    Some(Wanted {
        id: employee.id,
        first_name: basic.first_name,
        last_name: basic.last_name,
        email,
        department: basic.department,
        active: !leaving,
    })
}

fn body(w: &Wanted, existing: Option<&ScimUser>) -> serde_json::Value {
    let user_name = w
        .email
        .clone()
        .or_else(|| existing.map(|u| u.user_name.clone()))
        .unwrap_or_else(|| w.id.clone());
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "externalId": w.id,
        "userName": user_name,
        "name": { "givenName": w.first_name, "familyName": w.last_name },
        "emails": w.email.iter().map(|e| json!({ "value": e, "primary": true })).collect::<Vec<_>>(),
        "active": w.active,
        ENTERPRISE: { "department": w.department },
    })
}

fn differs(w: &Wanted, u: &ScimUser) -> bool {
    let name = u.name.clone().unwrap_or_default();
    let email = u
        .emails
        .iter()
        .find(|e| e.primary)
        .or(u.emails.first())
        .map(|e| e.value.clone());
    let department = u.enterprise.clone().unwrap_or_default().department;
    name.given_name != w.first_name
        || name.family_name != w.last_name
        || email != w.email
        || department != w.department
        || u.active != w.active
}

/// Every account in the tool.
fn accounts(base: &str) -> Result<Vec<ScimUser>, Error> {
    let mut all = Vec::new();
    loop {
        let res = http::get(&format!(
            "{base}/scim/v2/Users?startIndex={}&count={PAGE}",
            all.len() + 1
        ))
        .retrying()
        .send()?;
        if !res.is_success() {
            return Err(Error::partner(
                res.status,
                "the tool refused to list its accounts",
                &res.body,
            ));
        }
        let page: ListResponse = res.json().map_err(|e| {
            Error::partner(
                res.status,
                format!("unreadable account list: {e}"),
                &res.body,
            )
        })?;
        let got = page.resources.len();
        all.extend(page.resources);
        if got == 0 || all.len() >= page.total_results {
            return Ok(all);
        }
    }
}

/// Sends one change and reports its row.
fn apply(
    base: &str,
    rows: &mut Outcomes,
    employee: &str,
    operation: Operation,
    existing: Option<&ScimUser>,
    payload: serde_json::Value,
) -> Result<(), Error> {
    let request = match existing {
        Some(u) => http::put(&format!("{base}/scim/v2/Users/{}", u.id)),
        None => http::post(&format!("{base}/scim/v2/Users")),
    };
    let res = request
        .header("content-type", "application/scim+json")
        .json(&payload)?
        .retrying()
        .send()?;
    if res.status == 401 || res.status == 403 {
        return Err(Error::partner(
            res.status,
            "the tool refused the SCIM token",
            &res.body,
        ));
    }
    let what = match operation {
        Operation::Provision => "account created",
        Operation::Link => "existing account linked by e-mail",
        Operation::Deprovision => "account deactivated",
        _ => "account updated",
    };
    rows.push(if res.is_success() {
        Outcome::success(employee, operation, what).with_partner(res.status, b"")
    } else {
        Outcome::failed(
            employee,
            operation,
            &format!("the tool answered {}", res.status),
        )
        .with_partner(res.status, &res.body)
    })
}

/// Brings the accounts of `employees` in step; with `all`, also
/// deactivates accounts whose employee is no longer there.
fn reconcile(employees: Vec<Employee>, all: bool) -> Result<(), Error> {
    let base = base()?;
    let today = dates::today();
    let users = accounts(&base)?;
    let by_external: BTreeMap<String, &ScimUser> = users
        .iter()
        .filter_map(|u| u.external_id.clone().map(|e| (e, u)))
        .collect();
    let by_email: BTreeMap<String, &ScimUser> = users
        .iter()
        .filter(|u| u.external_id.is_none())
        .flat_map(|u| {
            u.emails
                .iter()
                .map(|e| e.value.to_lowercase())
                .chain([u.user_name.to_lowercase()])
                .map(move |e| (e, u))
        })
        .collect();
    let mut rows = Outcomes::new();
    let mut seen = std::collections::BTreeSet::new();
    for employee in employees {
        let Some(w) = wanted(employee, &today) else {
            continue;
        };
        seen.insert(w.id.clone());
        if let Some(user) = by_external.get(&w.id) {
            if !differs(&w, user) {
                continue;
            }
            let operation = if user.active && !w.active {
                Operation::Deprovision
            } else {
                Operation::Update
            };
            apply(
                &base,
                &mut rows,
                &w.id,
                operation,
                Some(user),
                body(&w, Some(user)),
            )?;
        } else if !w.active {
            // Gone before ever having an account: nothing to do.
        } else if let Some(user) = w
            .email
            .as_ref()
            .and_then(|e| by_email.get(&e.to_lowercase()))
        {
            apply(
                &base,
                &mut rows,
                &w.id,
                Operation::Link,
                Some(user),
                body(&w, Some(user)),
            )?;
        } else {
            apply(
                &base,
                &mut rows,
                &w.id,
                Operation::Provision,
                None,
                body(&w, None),
            )?;
        }
    }
    if all {
        for (external, user) in &by_external {
            if user.active && !seen.contains(external) {
                let mut payload = serde_json::to_value(user)?;
                payload["active"] = json!(false);
                apply(
                    &base,
                    &mut rows,
                    external,
                    Operation::Deprovision,
                    Some(user),
                    payload,
                )?;
            }
        }
    }
    rows.finish()
}

impl Connector for Provisioning {
    fn validate_config(config: &[(String, String)]) -> Result<(), Vec<FieldError>> {
        match config.iter().find(|(k, _)| k == "scim-url") {
            Some((_, url)) if !url.trim().is_empty() => Ok(()),
            _ => Err(vec![FieldError {
                field: "scim-url".into(),
                message: "give your tool's SCIM address, e.g. https://acme.teamtool.example".into(),
            }]),
        }
    }

    fn check_connection() -> Result<(), Error> {
        let res = http::get(&format!("{}/scim/v2/Users?startIndex=1&count=1", base()?))
            .retrying()
            .send()?;
        if res.is_success() {
            Ok(())
        } else {
            Err(Error::partner(
                res.status,
                "the tool refused the account list",
                &res.body,
            ))
        }
    }

    fn sync(_trigger: Trigger) -> Result<(), Error> {
        let employees: Vec<Employee> =
            hr::employees(EmployeeQuery::default()).collect::<Result<_, _>>()?;
        reconcile(employees, true)
    }

    fn on_event(event: Event) -> Result<(), Error> {
        let id = match event {
            Event::EmployeeCreated(id)
            | Event::EmployeeUpdated(id)
            | Event::EmployeeTerminated(id) => id,
            _ => return Ok(()),
        };
        match hr::employee(&id) {
            Ok(employee) => reconcile(vec![employee], false),
            // No longer visible: the daily sync deactivates the account.
            Err(_) => Ok(()),
        }
    }
}

lockgate_sdk::export_connector!(Provisioning);
