//! `lockgate sandbox clock show | set | advance | reset`: the sandbox
//! tenant's own clock. It runs with the system clock, as far ahead (or
//! behind) as it was set; `sandbox hire / change / terminate` stamp by it
//! and `plugin run` runs the connector by it (today, and the connector's
//! own wall clock), so "advance 1d, run again" is a day later.

use std::process::ExitCode;

use anyhow::bail;
use clap::Subcommand;
use time::Duration;

use lockgate::time::{Clock, parse_date, parse_instant, parse_span};

use super::open_seeded;
use crate::cli::DbArgs;

#[derive(Subcommand)]
pub enum ClockCommand {
    /// Show the sandbox clock.
    Show {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Set it to an instant (2026-03-01T09:00:00Z) or a date (its
    /// midnight, UTC); it runs on from there.
    Set {
        #[arg(value_name = "INSTANT-OR-DATE")]
        at: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Move it on by a span: 3d, 12h, 2w, 30m, 1d12h; -1d moves it back.
    Advance {
        #[arg(allow_hyphen_values = true, value_name = "SPAN")]
        by: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Follow the system clock again.
    Reset {
        #[command(flatten)]
        db: DbArgs,
    },
}

pub async fn run(command: ClockCommand) -> anyhow::Result<ExitCode> {
    let db = match &command {
        ClockCommand::Show { db }
        | ClockCommand::Set { db, .. }
        | ClockCommand::Advance { db, .. }
        | ClockCommand::Reset { db } => db,
    };
    let store = open_seeded(db).await?;
    let tenant = &db.tenant;
    let ahead = store.sandbox_clock_ahead(tenant).await?;
    let new = match &command {
        ClockCommand::Show { .. } => ahead,
        ClockCommand::Set { at, .. } => {
            let Some(at) = parse_instant(at.trim())
                .or_else(|| parse_date(at.trim()).map(|d| d.midnight().assume_utc()))
            else {
                bail!(
                    "{at:?} is neither an instant nor a date: give e.g. 2026-03-01T09:00:00Z or 2026-03-01"
                );
            };
            Some(at - lockgate::time::now())
        }
        ClockCommand::Advance { by, .. } => {
            let by = parse_span(by).map_err(anyhow::Error::msg)?;
            Some(ahead.unwrap_or(Duration::ZERO) + by)
        }
        ClockCommand::Reset { .. } => None,
    };
    if !matches!(command, ClockCommand::Show { .. }) {
        store.set_sandbox_clock(tenant, new).await?;
    }
    let clock = match new {
        Some(by) => Clock::ahead(by),
        None => Clock::system(),
    };
    println!(
        "sandbox clock of {tenant:?} in {}: {} ({})",
        db.db.display(),
        clock.now_text(),
        relation(new)
    );
    Ok(ExitCode::SUCCESS)
}

/// How the clock relates to the system clock, in words.
pub fn relation(ahead: Option<Duration>) -> String {
    match ahead {
        None => "follows the system clock".into(),
        Some(by) if by.whole_seconds() == 0 => "the system's time, set".into(),
        Some(by) if by.is_negative() => format!("{} behind the system clock", span_text(-by)),
        Some(by) => format!("{} ahead of the system clock", span_text(by)),
    }
}

/// `3d 2h 5m`, to the minute (seconds when under one).
fn span_text(by: Duration) -> String {
    let parts = [
        (by.whole_days(), "d"),
        (by.whole_hours() % 24, "h"),
        (by.whole_minutes() % 60, "m"),
    ];
    let text: Vec<_> = parts
        .iter()
        .filter(|(n, _)| *n != 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    if text.is_empty() {
        format!("{}s", by.whole_seconds())
    } else {
        text.join(" ")
    }
}
