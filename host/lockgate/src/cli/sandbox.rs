//! `lockgate sandbox`: `seed` (here) makes a synthetic tenant, deterministic
//! per seed, in a sandbox SQLite file; [`people`] hires, changes and
//! terminates one of its employees by hand and [`clock`] moves the
//! sandbox's own clock, so a partner can watch a connector follow.

pub mod clock;
pub mod people;

use std::process::ExitCode;

use anyhow::bail;
use clap::Args;

use lockgate::store::Store;

use super::{DbArgs, ensure_sandbox, open_store};

#[derive(Args)]
pub struct SeedArgs {
    #[command(flatten)]
    db: DbArgs,
    #[arg(long, default_value_t = 200)]
    employees: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long)]
    json: bool,
}

pub async fn seed(args: SeedArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(&args.db.db).await?;
    if store.tenant_exists(&args.db.tenant).await? {
        bail!(
            "tenant {:?} already exists in {}; pick another --tenant or --db",
            args.db.tenant,
            args.db.db.display()
        );
    }
    ensure_sandbox(&store, &args.db.tenant, args.employees, args.seed).await?;
    let employees = store.all_employees(&args.db.tenant).await?;
    let absences = store.all_absences(&args.db.tenant).await?;
    let exclusions = store.exclusions(&args.db.tenant).await?;
    let today = lockgate::time::date_text(lockgate::time::today());
    let future = employees.iter().filter(|e| e.hire_date > today).count();
    let left = employees
        .iter()
        .filter(|e| {
            e.termination_date
                .as_deref()
                .is_some_and(|t| t < today.as_str())
        })
        .count();
    let summary = serde_json::json!({
        "db": args.db.db,
        "tenant": args.db.tenant,
        "seed": args.seed,
        "employees": employees.len(),
        "future_hires": future,
        "past_leavers": left,
        "current": employees.len() - future - left,
        "absences": absences.len(),
        "exclusions": exclusions.len(),
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "seeded tenant {} in {}: {} employees ({} current, {} future hires, {} past leavers), {} absences, {} exclusions",
            args.db.tenant,
            args.db.db.display(),
            employees.len(),
            employees.len() - future - left,
            future,
            left,
            absences.len(),
            exclusions.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Opens a sandbox file that `sandbox seed` made, with the tenant in it;
/// otherwise says how to make it.
pub async fn open_seeded(db: &DbArgs) -> anyhow::Result<Store> {
    let seed = format!(
        "lockgate sandbox seed --db {} --tenant {}",
        db.db.display(),
        db.tenant
    );
    if !db.db.is_file() {
        bail!(
            "there is no sandbox at {}; create it with `{seed}` (or give --db)",
            db.db.display()
        );
    }
    let store = open_store(&db.db).await?;
    if !store.tenant_exists(&db.tenant).await? {
        bail!(
            "tenant {:?} is not in {}; create it with `{seed}` (or give --tenant)",
            db.tenant,
            db.db.display()
        );
    }
    Ok(store)
}
