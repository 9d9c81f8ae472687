//! `lockgate sandbox hire | change | terminate`: one employee of a sandbox
//! tenant changed by hand, checked by the tenant's rules and stamped by
//! the sandbox clock, so the next `plugin run` finds the change.

use std::process::ExitCode;

use anyhow::bail;
use clap::Args;

use lockgate::sandbox::edits::{self, Change, EditError, Hire};

use super::open_seeded;
use crate::cli::DbArgs;

#[derive(Args)]
pub struct HireArgs {
    #[arg(long)]
    first_name: String,
    #[arg(long)]
    last_name: String,
    #[arg(long)]
    department: Option<String>,
    #[arg(long)]
    position: Option<String>,
    /// YYYY-MM-DD (default: today by the sandbox clock).
    #[arg(long, value_name = "YYYY-MM-DD")]
    hire_date: Option<String>,
    /// Work e-mail address.
    #[arg(long)]
    email: Option<String>,
    /// The new employee's id (default: a new random one).
    #[arg(long)]
    id: Option<String>,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Args)]
pub struct ChangeArgs {
    /// The employee's id (`sandbox hire` prints it).
    id: String,
    #[arg(long)]
    first_name: Option<String>,
    #[arg(long)]
    last_name: Option<String>,
    /// An empty value clears it; so for the other optional fields.
    #[arg(long)]
    preferred_name: Option<String>,
    #[arg(long)]
    department: Option<String>,
    #[arg(long)]
    position: Option<String>,
    /// active or inactive (long leave).
    #[arg(long)]
    status: Option<String>,
    /// Work e-mail address.
    #[arg(long)]
    email: Option<String>,
    #[arg(long)]
    phone: Option<String>,
    #[arg(long, value_name = "YYYY-MM-DD")]
    hire_date: Option<String>,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Args)]
pub struct TerminateArgs {
    /// The employee's id.
    id: String,
    /// The last day of employment.
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: String,
    #[command(flatten)]
    db: DbArgs,
}

/// The option a field of the tenant's rules is given by.
fn flag(field: &str) -> String {
    match field {
        "work_email" => "--email".into(),
        "termination_date" => "--date".into(),
        "id" => "--id".into(),
        other => format!("--{}", other.replace('_', "-")),
    }
}

/// An edit's refusal, naming what to give instead.
fn refusal(what: &str, db: &DbArgs, e: EditError) -> anyhow::Error {
    match e {
        EditError::Invalid(problems) => {
            let lines: Vec<_> = problems
                .iter()
                .map(|p| format!("{}: {}", flag(&p.field), p.message))
                .collect();
            anyhow::anyhow!("cannot {what}:\n  {}", lines.join("\n  "))
        }
        EditError::NoEmployee { tenant, id } => anyhow::anyhow!(
            "tenant {tenant:?} in {} has no employee {id:?}; `lockgate sandbox hire` prints the id of a new one",
            db.db.display()
        ),
        EditError::Exists { id, .. } => anyhow::anyhow!(
            "--id {id:?} is taken; change that employee with `lockgate sandbox change {id}`, or give another --id"
        ),
        EditError::NothingToChange => anyhow::anyhow!(
            "nothing to change: give at least one of --first-name, --last-name, --preferred-name, --department, --position, --status, --email, --phone, --hire-date"
        ),
        other => anyhow::Error::new(other),
    }
}

pub async fn hire(args: HireArgs) -> anyhow::Result<ExitCode> {
    let store = open_seeded(&args.db).await?;
    let clock = store.sandbox_clock(&args.db.tenant).await?;
    let hire = Hire {
        id: args.id,
        first_name: args.first_name,
        last_name: args.last_name,
        department: args.department,
        position: args.position,
        work_email: args.email,
        hire_date: args.hire_date,
    };
    let employee = edits::hire(&store, &args.db.tenant, &clock, hire)
        .await
        .map_err(|e| refusal("hire", &args.db, e))?;
    // The id alone on standard output, for `id=$(lockgate sandbox hire …)`.
    println!("{}", employee.id);
    eprintln!(
        "hired {} {}, from {} (stamped {} by the sandbox clock)",
        employee.first_name, employee.last_name, employee.hire_date, employee.updated_at
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn change(args: ChangeArgs) -> anyhow::Result<ExitCode> {
    let store = open_seeded(&args.db).await?;
    let clock = store.sandbox_clock(&args.db.tenant).await?;
    let change = Change {
        first_name: args.first_name,
        last_name: args.last_name,
        preferred_name: args.preferred_name,
        department: args.department,
        position: args.position,
        status: args.status,
        work_email: args.email,
        phone: args.phone,
        hire_date: args.hire_date,
    };
    let (before, after) = edits::change(&store, &args.db.tenant, &clock, &args.id, change)
        .await
        .map_err(|e| refusal("change the employee", &args.db, e))?;
    let shown = |v: Option<&str>| v.map_or_else(|| "(none)".to_string(), |v| format!("{v:?}"));
    let mut changed = Vec::new();
    for (name, was, is) in [
        (
            "first name",
            Some(before.first_name.as_str()),
            Some(after.first_name.as_str()),
        ),
        (
            "last name",
            Some(before.last_name.as_str()),
            Some(after.last_name.as_str()),
        ),
        (
            "preferred name",
            before.preferred_name.as_deref(),
            after.preferred_name.as_deref(),
        ),
        (
            "department",
            before.department.as_deref(),
            after.department.as_deref(),
        ),
        (
            "position",
            before.position.as_deref(),
            after.position.as_deref(),
        ),
        (
            "status",
            Some(before.status.as_str()),
            Some(after.status.as_str()),
        ),
        (
            "e-mail",
            before.work_email.as_deref(),
            after.work_email.as_deref(),
        ),
        ("phone", before.phone.as_deref(), after.phone.as_deref()),
        (
            "hire date",
            Some(before.hire_date.as_str()),
            Some(after.hire_date.as_str()),
        ),
    ] {
        if was != is {
            changed.push(format!("{name} {} -> {}", shown(was), shown(is)));
        }
    }
    let what = if changed.is_empty() {
        "nothing new (stamped again)".to_string()
    } else {
        changed.join(", ")
    };
    println!(
        "changed {}: {what}; updated at {} by the sandbox clock",
        after.id, after.updated_at
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn terminate(args: TerminateArgs) -> anyhow::Result<ExitCode> {
    let store = open_seeded(&args.db).await?;
    let clock = store.sandbox_clock(&args.db.tenant).await?;
    let Some(last_day) = lockgate::time::parse_date(args.date.trim())
        .filter(|_| lockgate_manifest::manifest::is_date(args.date.trim()))
    else {
        bail!(
            "--date {:?} is not a date: give the last day of employment as YYYY-MM-DD",
            args.date
        );
    };
    let employee = edits::terminate(&store, &args.db.tenant, &clock, &args.id, &args.date)
        .await
        .map_err(|e| refusal("terminate", &args.db, e))?;
    let gone = lockgate::time::day_start(lockgate::time::add_days(last_day, 1));
    println!(
        "terminated {}: last day {}; connectors see the departure from {gone} (today by the sandbox clock: {})",
        employee.id,
        lockgate::time::date_text(last_day),
        lockgate::time::date_text(clock.today())
    );
    Ok(ExitCode::SUCCESS)
}
