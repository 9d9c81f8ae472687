//! Filter options and data rules: a department filter narrows what reaches
//! the partner, a "from" date keeps what lies before it back, and excluded,
//! not-yet-hired and gone employees never reach the partner at all.

use std::collections::{BTreeMap, BTreeSet};

use lockgate_manifest::FieldType;

use super::{Sandbox, TENANT, Verdict, VetError, Vetting, sent_ids};
use crate::bindings::Trigger;
use crate::hr::Employee;
use crate::store::Store;

/// How many employees, employed today, the sandbox excludes from the
/// connector under review at least, so the data rule has someone to test.
const EXCLUDED: usize = 3;

/// Whether an employee is employed on `today` (`YYYY-MM-DD`): hired and
/// not gone, the employees a connector may see unless excluded.
fn employed(e: &Employee, today: &str) -> bool {
    employed_between(&e.hire_date, e.termination_date.as_deref(), today)
}

fn employed_between(hire: &str, termination: Option<&str>, today: &str) -> bool {
    hire <= today && termination.is_none_or(|t| t >= today)
}

/// The synthetic tenant only carries exclusions for the bundled
/// connectors; this answers "include in transfer to <connector>?" with No
/// for a few more employees, spread over the tenant, until at least
/// [`EXCLUDED`] employed ones are excluded from the connector under review.
pub(super) async fn exclude_some(store: &Store, connector: &str) -> Result<(), VetError> {
    let today = crate::time::date_text(crate::time::today());
    let excluded: BTreeSet<String> = store
        .exclusions(TENANT)
        .await?
        .into_iter()
        .filter(|(_, c)| c == connector)
        .map(|(e, _)| e)
        .collect();
    let employees = store.all_employees(TENANT).await?;
    let working: Vec<&Employee> = employees.iter().filter(|e| employed(e, &today)).collect();
    let already = working.iter().filter(|e| excluded.contains(&e.id)).count();
    let candidates: Vec<&Employee> = working
        .into_iter()
        .filter(|e| !excluded.contains(&e.id))
        .collect();
    let missing = EXCLUDED.saturating_sub(already).min(candidates.len());
    for i in 0..missing {
        let employee = candidates[i * candidates.len() / missing];
        store
            .set_included(TENANT, &employee.id, connector, false)
            .await?;
    }
    Ok(())
}

/// Employees the connector must never see: excluded from it, not hired
/// yet, or gone. Without an employed employee excluded from it the rule
/// would pass untested, so that fails.
pub(super) async fn data_rule_check(
    v: &mut Vetting<'_>,
    sandbox: &Sandbox,
    sent: &BTreeSet<String>,
) -> Result<(), VetError> {
    const NAME: &str = "excluded and out-of-window employees";
    let today = crate::time::date_text(crate::time::today());
    let connector = &sandbox.plugin.manifest.id;
    let excluded: BTreeSet<String> = sandbox
        .store
        .exclusions(TENANT)
        .await?
        .into_iter()
        .filter(|(_, c)| c == connector)
        .map(|(e, _)| e)
        .collect();
    let employees = sandbox.store.all_employees(TENANT).await?;
    if !employees
        .iter()
        .any(|e| employed(e, &today) && excluded.contains(&e.id))
    {
        v.check(
            "filters",
            NAME,
            Verdict::Fail,
            format!(
                "not tested: no employed employee in the vetting tenant is excluded from {connector}"
            ),
        );
        return Ok(());
    }
    let forbidden: BTreeSet<String> = employees
        .into_iter()
        .filter(|e| !employed(e, &today) || excluded.contains(&e.id))
        .map(|e| e.id)
        .collect();
    let leaked: Vec<_> = sent.intersection(&forbidden).cloned().collect();
    if leaked.is_empty() {
        v.check(
            "filters",
            NAME,
            Verdict::Pass,
            format!("none of the {} reached the partner", forbidden.len()),
        );
    } else {
        v.check(
            "filters",
            NAME,
            Verdict::Fail,
            format!(
                "{} reached the partner: {}",
                leaked.len(),
                leaked.join(", ")
            ),
        );
    }
    Ok(())
}

/// Dates (`YYYY-MM-DD`, also inside instants) in a text.
fn dates_in(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 10 <= b.len() {
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        if digits(i..i + 4)
            && b[i + 4] == b'-'
            && digits(i + 5..i + 7)
            && b[i + 7] == b'-'
            && digits(i + 8..i + 10)
        {
            out.push(text[i..i + 10].to_string());
            i += 10;
        } else {
            i += 1;
        }
    }
    out
}

/// A "from" date must keep what lies before it from the partner: with a
/// late start, fewer dates before that start are sent than with an early one.
pub(super) async fn date_filter_checks(
    v: &mut Vetting<'_>,
    sandbox: &mut Sandbox,
) -> Result<(), VetError> {
    let fields: Vec<_> = sandbox
        .plugin
        .manifest
        .config
        .iter()
        .filter(|f| f.kind == FieldType::Date)
        .filter(|f| {
            let k = f.key.to_ascii_lowercase();
            k.contains("from") || k.contains("since") || k.contains("start")
        })
        .map(|f| f.key.clone())
        .collect();
    let today = crate::time::today();
    let back = sandbox
        .plugin
        .manifest
        .absence_window
        .map_or(30, |w| i64::from(w.past_days).min(90));
    let early = crate::time::date_text(crate::time::add_days(today, -back));
    let late = crate::time::date_text(crate::time::add_days(today, -(back / 8).max(1)));
    for key in fields {
        let mut before_late = Vec::new();
        for start in [&early, &late] {
            let mut config = sandbox.config.clone();
            config.public.insert(key.clone(), start.clone());
            let install = sandbox.install(&config);
            sandbox.store.create_install(&install).await?;
            let (outcome, _) = sandbox
                .sync(&install, &config, Trigger::Initial, None)
                .await?;
            let count = outcome
                .exchanges
                .iter()
                .flat_map(|e| dates_in(&e.request_body))
                .filter(|d| d.as_str() < late.as_str())
                .count();
            before_late.push(count);
        }
        let (with_early, with_late) = (before_late[0], before_late[1]);
        if with_early == 0 {
            v.check(
                "filters",
                &format!("filter {key}"),
                Verdict::Pass,
                format!("nothing dated before {late} was sent either way"),
            );
        } else if with_late < with_early {
            v.check("filters", &format!("filter {key}"), Verdict::Pass, format!(
                "starting on {late} instead of {early} sent {with_late} instead of {with_early} date(s) before {late}"
            ));
        } else {
            v.check("filters", &format!("filter {key}"), Verdict::Fail, format!(
                "ignores {key}: starting on {late} sent as much from before {late} ({with_late} dates) as starting on {early}"
            ));
        }
    }
    Ok(())
}

/// A department filter must narrow what is sent to that department.
pub(super) async fn filter_checks(
    v: &mut Vetting<'_>,
    sandbox: &mut Sandbox,
    sent: &BTreeSet<String>,
) -> Result<(), VetError> {
    let fields: Vec<_> = sandbox
        .plugin
        .manifest
        .config
        .iter()
        .filter(|f| {
            f.kind == FieldType::String
                && !f.secret
                && f.key.to_ascii_lowercase().contains("department")
        })
        .map(|f| f.key.clone())
        .collect();
    if fields.is_empty() {
        v.check(
            "filters",
            "filter options",
            Verdict::Pass,
            "the connector has no department filter",
        );
        return Ok(());
    }
    let employees = sandbox.store.all_employees(TENANT).await?;
    let in_department = |d: &str| -> BTreeSet<String> {
        employees
            .iter()
            .filter(|e| e.department.as_deref() == Some(d))
            .map(|e| e.id.clone())
            .collect()
    };
    // The department with the most employees that were sent unfiltered.
    let mut departments: BTreeMap<String, usize> = BTreeMap::new();
    for e in employees.iter().filter(|e| sent.contains(&e.id)) {
        if let Some(d) = &e.department {
            *departments.entry(d.clone()).or_default() += 1;
        }
    }
    let Some((department, _)) = departments.into_iter().max_by_key(|(_, n)| *n) else {
        v.check(
            "filters",
            "filter options",
            Verdict::Warn,
            "not checked: the first sync sent nobody",
        );
        return Ok(());
    };
    let members = in_department(&department);
    for key in fields {
        let mut config = sandbox.config.clone();
        config.public.insert(key.clone(), department.clone());
        let install = sandbox.install(&config);
        sandbox.store.create_install(&install).await?;
        let (outcome, _) = sandbox
            .sync(&install, &config, Trigger::Initial, None)
            .await?;
        let filtered = sent_ids(&outcome.exchanges);
        let outside: Vec<_> = filtered.difference(&members).cloned().collect();
        if filtered.is_empty() {
            v.check(
                "filters",
                &format!("filter {key}"),
                Verdict::Fail,
                format!(
                    "with {key} = {department:?} nobody was sent, though {} employee(s) are in it",
                    sent.intersection(&members).count()
                ),
            );
        } else if !outside.is_empty() {
            v.check("filters", &format!("filter {key}"), Verdict::Fail, format!(
                "ignores the department filter: with {key} = {department:?}, {} employee(s) from other departments were sent ({})",
                outside.len(),
                outside.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
            ));
        } else {
            v.check(
                "filters",
                &format!("filter {key}"),
                Verdict::Pass,
                format!(
                    "with {key} = {department:?} only its {} employee(s) were sent",
                    filtered.len()
                ),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_text() {
        assert_eq!(
            dates_in(r#"{"start":"2026-11-02","at":"2026-11-23T10:00:00Z","n":"20261"}"#),
            vec!["2026-11-02", "2026-11-23"]
        );
    }

    #[test]
    fn employed_today() {
        let today = "2026-03-15";
        assert!(employed_between("2020-01-01", None, today));
        assert!(employed_between("2026-03-15", Some("2026-03-15"), today));
        assert!(!employed_between("2026-03-16", None, today));
        assert!(!employed_between("2020-01-01", Some("2026-03-14"), today));
    }

    /// A partner connector the synthetic tenant knows nothing of gets
    /// excluded employees too, and a bundled one keeps its own.
    #[tokio::test]
    async fn the_connector_under_review_has_excluded_employees() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        crate::sandbox::ensure_tenant(&store, TENANT, super::super::EMPLOYEES, 11)
            .await
            .unwrap();
        let today = crate::time::date_text(crate::time::today());
        let before = store.exclusions(TENANT).await.unwrap();
        for connector in ["partner-crm", "planner-export"] {
            exclude_some(&store, connector).await.unwrap();
            let employees = store.all_employees(TENANT).await.unwrap();
            let exclusions = store.exclusions(TENANT).await.unwrap();
            let excluded = employees
                .iter()
                .filter(|e| employed(e, &today))
                .filter(|e| exclusions.contains(&(e.id.clone(), connector.to_string())))
                .count();
            assert!(excluded >= EXCLUDED, "{connector}: {excluded}");
        }
        let after = store.exclusions(TENANT).await.unwrap();
        assert!(before.iter().all(|x| after.contains(x)));
        assert!(!before.iter().any(|(_, c)| c == "partner-crm"));
    }
}
