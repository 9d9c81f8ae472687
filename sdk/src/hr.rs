//! HR data as the install may see it. The host filters: employees outside
//! their employment window or excluded by the tenant never appear, attribute
//! groups the install was not granted are `None`, and absences are limited to
//! the granted window.

pub use crate::bindings::contract::hr::{
    Absence, AbsenceQuery, AbsenceStatus, AttributeGroup, BasicAttributes, CompensationAttributes,
    ContactAttributes, Departure, DepartureQuery, DepartureReason, Employee, EmployeeQuery,
    EmploymentAttributes, EmploymentStatus, Money, NewEmployee,
};
use crate::bindings::contract::types::HostError;
use crate::imports::hr as raw;

/// Page size the iterators ask for.
pub const PAGE: u32 = 500;

impl Default for EmployeeQuery {
    fn default() -> Self {
        EmployeeQuery {
            cursor: None,
            limit: PAGE,
            department: None,
            updated_since: None,
            status: None,
        }
    }
}

impl AbsenceQuery {
    /// Absences overlapping `[from, to]` (dates `YYYY-MM-DD`), any status.
    pub fn between(from: &str, to: &str) -> Self {
        AbsenceQuery {
            cursor: None,
            limit: PAGE,
            from: from.to_string(),
            to: to.to_string(),
            employee_id: None,
            type_name: None,
            statuses: Vec::new(),
            updated_since: None,
        }
    }
}

/// Every visible employee matching `query`, fetched a page at a time.
pub fn employees(query: EmployeeQuery) -> Pages<Employee, EmployeeQuery> {
    Pages::new(query, |q| {
        raw::fetch_employees(q).map(|page| (page.items, page.next_cursor))
    })
}

/// Every visible absence matching `query`, fetched a page at a time.
pub fn absences(query: AbsenceQuery) -> Pages<Absence, AbsenceQuery> {
    Pages::new(query, |q| {
        raw::fetch_absences(q).map(|page| (page.items, page.next_cursor))
    })
}

/// Employees who stopped being visible at or after `since` (terminated,
/// excluded by the tenant, removed), oldest first: whom to remove at the
/// partner, without remembering every id sent.
pub fn departures(since: &str) -> Pages<Departure, DepartureQuery> {
    let query = DepartureQuery {
        since: since.to_string(),
        cursor: None,
        limit: PAGE,
    };
    Pages::new(query, |q| {
        raw::fetch_departures(q).map(|page| (page.items, page.next_cursor))
    })
}

/// The last day of employment of a departure by termination: the host dates
/// one entered in time at the start of the day after the last day, and one
/// entered later at the moment it was entered; `None` for the latter (a
/// departure entered at exactly midnight UTC reads as in time).
pub fn last_day(left_at: &str) -> Option<String> {
    let (day, time) = left_at.split_once('T')?;
    let midnight = time
        .strip_suffix('Z')?
        .chars()
        .all(|c| matches!(c, '0' | ':' | '.'));
    if midnight {
        crate::dates::add_days(day, -1)
    } else {
        None
    }
}

/// One visible absence by id, whatever its status.
pub fn absence(id: &str) -> Result<Absence, HostError> {
    raw::get_absence(id)
}

pub fn employee(id: &str) -> Result<Employee, HostError> {
    raw::get_employee(id)
}

/// Creates an employee; the same `idempotency_key` always yields the first
/// employee's id.
pub fn create_employee(new: &NewEmployee, idempotency_key: &str) -> Result<String, HostError> {
    raw::create_employee(new, idempotency_key)
}

/// Queries that carry a paging cursor.
pub trait Paged {
    fn set_cursor(&mut self, cursor: Option<String>);
    fn cursor(&self) -> Option<&str>;
}

macro_rules! paged {
    ($($query:ty),*) => {$(
        impl Paged for $query {
            fn set_cursor(&mut self, cursor: Option<String>) {
                self.cursor = cursor;
            }

            fn cursor(&self) -> Option<&str> {
                self.cursor.as_deref()
            }
        }
    )*};
}
paged!(
    EmployeeQuery,
    AbsenceQuery,
    DepartureQuery,
    crate::attendances::AttendanceQuery
);

pub(crate) type Fetch<T, Q> = fn(&Q) -> Result<(Vec<T>, Option<String>), HostError>;

/// An iterator over paged results. Yields an error once and stops if a page
/// cannot be fetched.
pub struct Pages<T, Q> {
    query: Q,
    fetch: Fetch<T, Q>,
    buffer: std::vec::IntoIter<T>,
    done: bool,
}

impl<T, Q: Paged> Pages<T, Q> {
    pub(crate) fn new(query: Q, fetch: Fetch<T, Q>) -> Self {
        Pages {
            query,
            fetch,
            buffer: Vec::new().into_iter(),
            done: false,
        }
    }

    /// The cursor of the page after the ones returned so far by
    /// [`Pages::next_page`]: what to checkpoint, and to start from again
    /// (set it as the query's cursor) when a run continues. `None` before
    /// the first page and after the last.
    pub fn cursor(&self) -> Option<&str> {
        if self.done { None } else { self.query.cursor() }
    }

    /// The next whole page, for connectors that send pages to the partner.
    pub fn next_page(&mut self) -> Option<Result<Vec<T>, HostError>> {
        let rest: Vec<T> = self.buffer.by_ref().collect();
        if !rest.is_empty() {
            return Some(Ok(rest));
        }
        if self.done {
            return None;
        }
        match (self.fetch)(&self.query) {
            Ok((items, next)) => {
                self.done = next.is_none();
                self.query.set_cursor(next);
                if items.is_empty() && self.done {
                    None
                } else {
                    Some(Ok(items))
                }
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl<T, Q: Paged> Iterator for Pages<T, Q> {
    type Item = Result<T, HostError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.buffer.next() {
                return Some(Ok(item));
            }
            match self.next_page()? {
                Ok(items) => self.buffer = items.into_iter(),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::last_day;

    #[test]
    fn a_termination_dated_at_the_start_of_a_day_names_the_day_before() {
        assert_eq!(
            last_day("2026-10-16T00:00:00.000000Z").as_deref(),
            Some("2026-10-15")
        );
        assert_eq!(
            last_day("2026-10-01T00:00:00Z").as_deref(),
            Some("2026-09-30")
        );
        // Entered after the last day: dated when it was entered.
        assert_eq!(last_day("2026-10-20T09:14:02.118000Z"), None);
        assert_eq!(last_day("2026-10-20"), None);
    }
}
