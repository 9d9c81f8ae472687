//! Working time (Anwesenheiten): the periods an employee worked on a day,
//! as the tenant and connectors write them. A period is timed (a start and
//! an end of day, `HH:MM`; an end at or before the start ends the next
//! day, a night shift) or only a duration. Two timed periods of one
//! employee may not overlap on the minute line; duration-only periods
//! never overlap.

use serde::{Deserialize, Serialize};

use lockgate_manifest::manifest::is_date;

use super::shape::{MAX_COMMENT_CHARS, MAX_TEXT_CHARS, employee_id_problem, text_problem};

/// Minutes in a day: the longest period, and the most a duration-only
/// period and its break may add up to.
pub const MINUTES_PER_DAY: u32 = 1440;

/// A period as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attendance {
    /// The host's id (the tenant's, or one the host gave a connector's period).
    pub id: String,
    /// The id the connector that wrote the period gave it.
    pub external_id: Option<String>,
    /// The connector that wrote the period; `null` when the tenant did.
    pub source: Option<String>,
    pub employee_id: String,
    /// The day the period starts, `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM`; both times or neither.
    pub start_time: Option<String>,
    /// `HH:MM`; at or before `start_time` it is on the next day.
    pub end_time: Option<String>,
    /// Minutes worked, breaks not counted.
    pub duration_minutes: u32,
    pub break_minutes: u32,
    pub project: Option<String>,
    pub comment: Option<String>,
    /// `confirmed` or `pending`.
    pub status: String,
    pub updated_at: String,
}

/// A period as a writer (the tenant or a connector) supplies it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttendancePeriod {
    pub employee_id: String,
    pub date: String,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    /// Required without times; with times it is computed, and a given
    /// one must agree.
    pub duration_minutes: Option<u32>,
    pub break_minutes: u32,
    pub project: Option<String>,
    pub comment: Option<String>,
    pub status: String,
}

/// The statuses a period may have.
pub const ATTENDANCE_STATUSES: &[&str] = &["confirmed", "pending"];

/// Filters for reading periods, in the order of (date, id).
#[derive(Debug, Clone, Default)]
pub struct AttendanceFilter {
    /// The [`Attendance::page_key`] of the last period of the previous page.
    pub after: Option<String>,
    /// The store answers up to `limit + 1` periods, so
    /// [`split_attendance_page`] can tell whether more follow.
    pub limit: u32,
    /// Periods on days from `from` to `to`, both included.
    pub from: Option<String>,
    pub to: Option<String>,
    pub employee_id: Option<String>,
    /// Periods written at or after this instant.
    pub updated_since: Option<String>,
}

impl AttendanceFilter {
    /// `after` as (date, id); `None` when there is none, `Some(Err)` when
    /// it is no page key.
    pub fn after_key(&self) -> Option<Result<(&str, &str), String>> {
        let after = self.after.as_deref()?;
        Some(
            after
                .split_once('|')
                .filter(|(date, id)| !date.is_empty() && !id.is_empty())
                .ok_or_else(|| format!("{after:?} is no attendance page key (date|id)")),
        )
    }
}

/// Why a write was not done, for a person to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttendanceRefusal {
    /// The period or its employee is not there (or not visible to the writer).
    NotFound(String),
    /// The period breaks a rule: its shape, a window, an overlap.
    Invalid(String),
}

impl std::fmt::Display for AttendanceRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AttendanceRefusal::NotFound(m) | AttendanceRefusal::Invalid(m) => f.write_str(m),
        }
    }
}

/// How a connector writes a period by its own id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Records it, or answers the period recorded first under that id.
    Create,
    /// Replaces the period recorded under that id.
    Update,
}

/// A write that was done: `before` is `None` for a new period; `before`
/// equal to `after` but for `updated_at` (or entirely) means nothing changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendanceWrite {
    pub before: Option<Attendance>,
    pub after: Attendance,
}

impl AttendanceWrite {
    /// Whether the write changed anything a reader would notice.
    pub fn changed(&self) -> bool {
        self.before
            .as_ref()
            .is_none_or(|b| !b.same_values(&self.after))
    }
}

/// The minute of the day of a time `HH:MM` (two digits each, 00:00 to
/// 23:59).
pub fn minute_of_day(time: &str) -> Option<u32> {
    let b = time.as_bytes();
    if b.len() != 5
        || b[2] != b':'
        || !b
            .iter()
            .enumerate()
            .all(|(i, c)| i == 2 || c.is_ascii_digit())
    {
        return None;
    }
    let hours = u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0');
    let minutes = u32::from(b[3] - b'0') * 10 + u32::from(b[4] - b'0');
    (hours < 24 && minutes < 60).then_some(hours * 60 + minutes)
}

impl AttendancePeriod {
    /// The period's start and end in minutes from its day's 00:00 (the end
    /// past 1440 for a night shift), when it has two good times.
    pub fn minutes(&self) -> Option<(u32, u32)> {
        let start = minute_of_day(self.start_time.as_deref()?)?;
        let end = minute_of_day(self.end_time.as_deref()?)?;
        let end = if end <= start {
            end + MINUTES_PER_DAY
        } else {
            end
        };
        Some((start, end))
    }

    /// The minutes worked: from the times less the break, else the given
    /// duration.
    pub fn worked_minutes(&self) -> Option<u32> {
        match self.minutes() {
            Some((start, end)) => (end - start).checked_sub(self.break_minutes),
            None => self.duration_minutes,
        }
    }

    /// Everything wrong with the period, all at once, as (field, message).
    /// Whether its employee exists, and overlaps, are the store's question.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(p) = employee_id_problem(&self.employee_id) {
            out.push(("employee_id", p));
        }
        if !is_date(&self.date) {
            out.push(("date", "give a date, YYYY-MM-DD".into()));
        }
        let times = [
            ("start_time", &self.start_time),
            ("end_time", &self.end_time),
        ];
        let mut bad_time = false;
        for (field, value) in times {
            if value.as_deref().is_some_and(|t| minute_of_day(t).is_none()) {
                out.push((
                    field,
                    "give a time of day, HH:MM from 00:00 to 23:59".into(),
                ));
                bad_time = true;
            }
        }
        match (&self.start_time, &self.end_time) {
            (Some(_), None) => out.push((
                "end_time",
                "give end_time with start_time, or neither and duration_minutes".into(),
            )),
            (None, Some(_)) => out.push((
                "start_time",
                "give start_time with end_time, or neither and duration_minutes".into(),
            )),
            (None, None) => self.duration_problems(&mut out),
            (Some(_), Some(_)) if !bad_time => self.timed_problems(&mut out),
            (Some(_), Some(_)) => {}
        }
        if !ATTENDANCE_STATUSES.contains(&self.status.as_str()) {
            out.push(("status", "give confirmed or pending".into()));
        }
        for (field, value, max) in [
            ("project", &self.project, MAX_TEXT_CHARS),
            ("comment", &self.comment, MAX_COMMENT_CHARS),
        ] {
            if let Some(p) = value.as_deref().and_then(|v| text_problem(v, max)) {
                out.push((field, p));
            }
        }
        out
    }

    fn timed_problems(&self, out: &mut Vec<(&'static str, String)>) {
        let Some((start, end)) = self.minutes() else {
            return;
        };
        let span = end - start;
        if self.break_minutes >= span {
            out.push((
                "break_minutes",
                format!("must be shorter than the period ({span} minutes)"),
            ));
            return;
        }
        let worked = span - self.break_minutes;
        if let Some(given) = self.duration_minutes
            && given != worked
        {
            out.push((
                "duration_minutes",
                format!(
                    "is {given}, but {}–{} less a {}-minute break is {worked} minutes; give {worked} or leave it out",
                    self.start_time.as_deref().unwrap_or_default(),
                    self.end_time.as_deref().unwrap_or_default(),
                    self.break_minutes
                ),
            ));
        }
    }

    fn duration_problems(&self, out: &mut Vec<(&'static str, String)>) {
        match self.duration_minutes {
            None => out.push((
                "duration_minutes",
                "is required without start_time and end_time".into(),
            )),
            Some(d) if d == 0 || d > MINUTES_PER_DAY => out.push((
                "duration_minutes",
                format!("must be 1 to {MINUTES_PER_DAY} minutes"),
            )),
            Some(d)
                if u64::from(d) + u64::from(self.break_minutes) > u64::from(MINUTES_PER_DAY) =>
            {
                out.push((
                    "break_minutes",
                    format!(
                        "with the {d} minutes worked, more than a day ({MINUTES_PER_DAY} minutes)"
                    ),
                ));
            }
            Some(_) => {}
        }
    }

    /// The period as stored under `id`, written at `updated_at`; `None`
    /// when it has [problems](AttendancePeriod::problems).
    pub fn to_attendance(
        &self,
        id: &str,
        external_id: Option<String>,
        source: Option<String>,
        updated_at: String,
    ) -> Option<Attendance> {
        if !self.problems().is_empty() {
            return None;
        }
        Some(Attendance {
            id: id.to_string(),
            external_id,
            source,
            employee_id: self.employee_id.clone(),
            date: self.date.clone(),
            start_time: self.start_time.clone(),
            end_time: self.end_time.clone(),
            duration_minutes: self.worked_minutes()?,
            break_minutes: self.break_minutes,
            project: self.project.clone(),
            comment: self.comment.clone(),
            status: self.status.clone(),
            updated_at,
        })
    }

    /// The problems as one sentence, for a refusal.
    pub fn problems_text(&self) -> Option<String> {
        let problems = self.problems();
        (!problems.is_empty()).then(|| {
            problems
                .iter()
                .map(|(field, message)| format!("{field}: {message}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
}

impl Attendance {
    /// The key of the period in the (date, id) order of pages: `date|id`.
    pub fn page_key(&self) -> String {
        format!("{}|{}", self.date, self.id)
    }

    /// Whether two periods hold the same values (`updated_at` aside).
    pub fn same_values(&self, other: &Attendance) -> bool {
        let mut same = other.clone();
        same.updated_at = self.updated_at.clone();
        *self == same
    }

    /// The period on the absolute minute line (days since the epoch of
    /// the Julian calendar × 1440 + minute), `[start, end)`; `None` for a
    /// duration-only period.
    pub fn interval(&self) -> Option<(i64, i64)> {
        let day = crate::time::parse_date(&self.date)?.to_julian_day();
        let start = minute_of_day(self.start_time.as_deref()?)?;
        let mut end = minute_of_day(self.end_time.as_deref()?)?;
        if end <= start {
            end += MINUTES_PER_DAY;
        }
        let base = i64::from(day) * i64::from(MINUTES_PER_DAY);
        Some((base + i64::from(start), base + i64::from(end)))
    }

    /// Whether two timed periods of the same employee share a minute.
    pub fn overlaps(&self, other: &Attendance) -> bool {
        if self.employee_id != other.employee_id {
            return false;
        }
        match (self.interval(), other.interval()) {
            (Some((a0, a1)), Some((b0, b1))) => a0 < b1 && b0 < a1,
            _ => false,
        }
    }

    /// The refusal of a period that overlaps this one.
    pub fn overlap_refusal(&self) -> AttendanceRefusal {
        AttendanceRefusal::Invalid(format!(
            "overlaps the period {}–{} on {} (id {})",
            self.start_time.as_deref().unwrap_or_default(),
            self.end_time.as_deref().unwrap_or_default(),
            self.date,
            self.id
        ))
    }
}

/// Cuts periods fetched with one extra beyond `limit` down to a page; the
/// key of the last one kept is there only when more follow.
pub fn split_attendance_page(
    mut rows: Vec<Attendance>,
    limit: u32,
) -> (Vec<Attendance>, Option<String>) {
    if rows.len() <= limit as usize {
        return (rows, None);
    }
    rows.truncate(limit as usize);
    let key = rows.last().map(Attendance::page_key);
    (rows, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timed(start: &str, end: &str) -> AttendancePeriod {
        AttendancePeriod {
            employee_id: "e-1".into(),
            date: "2026-03-02".into(),
            start_time: Some(start.into()),
            end_time: Some(end.into()),
            status: "confirmed".into(),
            ..AttendancePeriod::default()
        }
    }

    fn stored(p: &AttendancePeriod, id: &str) -> Attendance {
        p.to_attendance(id, None, None, String::new()).unwrap()
    }

    #[test]
    fn times_of_day() {
        assert_eq!(minute_of_day("00:00"), Some(0));
        assert_eq!(minute_of_day("23:59"), Some(1439));
        for bad in [
            "24:00", "7:30", "07:60", "07-30", "0730", "07:3a", "", "07:300",
        ] {
            assert_eq!(minute_of_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations_are_computed_and_checked() {
        let mut p = timed("08:00", "16:30");
        p.break_minutes = 30;
        assert!(p.problems().is_empty());
        assert_eq!(p.worked_minutes(), Some(480));
        p.duration_minutes = Some(510);
        assert_eq!(p.problems()[0].0, "duration_minutes");
        let mut night = timed("22:00", "06:00");
        assert_eq!(night.worked_minutes(), Some(480));
        night.break_minutes = 480;
        assert_eq!(night.problems()[0].0, "break_minutes");
        assert_eq!(timed("09:00", "09:00").worked_minutes(), Some(1440));
    }

    #[test]
    fn every_problem_at_once() {
        let p = AttendancePeriod {
            employee_id: "a b".into(),
            date: "2026-02-30".into(),
            start_time: Some("25:00".into()),
            end_time: None,
            status: "done".into(),
            project: Some("p\u{0}".into()),
            comment: Some("c".repeat(MAX_COMMENT_CHARS + 1)),
            ..AttendancePeriod::default()
        };
        let fields: Vec<_> = p.problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "employee_id",
                "date",
                "start_time",
                "end_time",
                "status",
                "project",
                "comment"
            ]
        );
        let mut only = timed("08:00", "09:00");
        only.start_time = None;
        only.end_time = None;
        assert_eq!(only.problems()[0].0, "duration_minutes");
        only.duration_minutes = Some(1441);
        assert_eq!(only.problems()[0].0, "duration_minutes");
        only.duration_minutes = Some(1400);
        only.break_minutes = 41;
        assert_eq!(only.problems()[0].0, "break_minutes");
    }

    #[test]
    fn overlaps_on_the_minute_line() {
        let morning = stored(&timed("08:00", "12:00"), "a");
        let afternoon = stored(&timed("12:00", "16:00"), "b");
        assert!(!morning.overlaps(&afternoon), "touching is no overlap");
        assert!(morning.overlaps(&stored(&timed("11:59", "13:00"), "c")));
        let night = stored(&timed("22:00", "06:00"), "n");
        let mut next_morning = timed("05:30", "07:00");
        next_morning.date = "2026-03-03".into();
        assert!(night.overlaps(&stored(&next_morning, "m")));
        next_morning.start_time = Some("06:00".into());
        assert!(!night.overlaps(&stored(&next_morning, "m")));
        let mut duration = timed("08:00", "12:00");
        duration.start_time = None;
        duration.end_time = None;
        duration.duration_minutes = Some(600);
        assert!(!morning.overlaps(&stored(&duration, "d")));
        let refusal = morning.overlap_refusal().to_string();
        assert_eq!(
            refusal,
            "overlaps the period 08:00–12:00 on 2026-03-02 (id a)"
        );
    }
}
