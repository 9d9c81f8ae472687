//! Scopes: each attribute group a connector asks for must change what it
//! sends, and asked-for absences must be read.

use lockgate_manifest::Scope;

use super::{Exchange, Outcome, Sandbox, Verdict, VetError, Vetting};
use crate::bindings::Trigger;

/// Each attribute group asked for must change what reaches the partner.
pub(super) async fn scope_checks(
    v: &mut Vetting<'_>,
    sandbox: &mut Sandbox,
    first: &Outcome,
) -> Result<(), VetError> {
    let asked = sandbox.plugin.manifest.scopes.clone();
    let bodies = |exchanges: &[Exchange]| -> Vec<String> {
        let mut b: Vec<_> = exchanges.iter().map(|e| e.request_body.clone()).collect();
        b.sort();
        b
    };
    let baseline = bodies(&first.exchanges);
    for scope in &asked {
        match scope {
            Scope::EmployeesContact | Scope::EmployeesEmployment | Scope::EmployeesCompensation => {
                let without: Vec<Scope> = asked.iter().copied().filter(|s| s != scope).collect();
                let config = sandbox.config.clone();
                let install = sandbox.install(&config);
                sandbox.store.create_install(&install).await?;
                let (outcome, _) = sandbox
                    .sync(&install, &config, Trigger::Initial, Some(without))
                    .await?;
                if bodies(&outcome.exchanges) == baseline {
                    // Pay data asked for and not used is a finding, not a hint.
                    let verdict = if *scope == Scope::EmployeesCompensation {
                        Verdict::Fail
                    } else {
                        Verdict::Warn
                    };
                    v.check("scopes", scope.as_str(), verdict, format!(
                        "asks for {} ({}) but sends exactly the same without it; drop the scope",
                        scope.as_str(),
                        scope.describe()
                    ));
                } else {
                    v.check(
                        "scopes",
                        scope.as_str(),
                        Verdict::Pass,
                        "used: what is sent depends on it",
                    );
                }
            }
            Scope::AbsencesRead => {
                if first.absences_read == 0 {
                    v.check(
                        "scopes",
                        scope.as_str(),
                        Verdict::Warn,
                        "asks for absences but read none in the first sync",
                    );
                } else {
                    v.check(
                        "scopes",
                        scope.as_str(),
                        Verdict::Pass,
                        format!("read {} absence(s)", first.absences_read),
                    );
                }
            }
            Scope::EmployeesBasic
            | Scope::EmployeesCreate
            | Scope::AttendancesRead
            | Scope::AttendancesWrite
            | Scope::RecruitingWrite => {}
        }
    }
    Ok(())
}
