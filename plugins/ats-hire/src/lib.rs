//! ATS hire: the applicant tracker calls the webhook when a candidate
//! moves; a move into the hire column creates the employee, once per
//! candidate. See this crate's README for the delivery format.

use lockgate_sdk::dates;
use lockgate_sdk::prelude::*;
use serde::Deserialize;

/// The instant the host received the delivery, which the host adds to
/// every delivery it hands over (RFC 3339, UTC).
const RECEIVED_AT: &str = "x-lockgate-received-at";

struct AtsHire;

#[derive(Deserialize)]
struct Move {
    column: String,
    candidate: Candidate,
}

#[derive(Deserialize)]
struct Candidate {
    id: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    first_name: String,
    work_email: Option<String>,
    personal_email: Option<String>,
    phone: Option<String>,
    department: Option<String>,
    contract_type: Option<String>,
    contract_start: Option<String>,
}

fn answer(status: u16, body: serde_json::Value) -> WebhookResponse {
    WebhookResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    }
}

fn given(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The day the host received the delivery: the day the candidate was
/// hired, however late the queued delivery is handled.
fn received_day(request: &WebhookRequest) -> Option<String> {
    let (_, at) = request
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(RECEIVED_AT))?;
    let day = at.get(..10)?;
    dates::to_days(day).map(|_| day.to_string())
}

impl Connector for AtsHire {
    fn sync(_trigger: Trigger) -> Result<(), Error> {
        // Hires arrive through the webhook; a sync has nothing to fetch.
        Ok(())
    }

    fn check_connection() -> Result<(), Error> {
        // The tracker calls in; there is nothing to call out to.
        Ok(())
    }

    fn handle_webhook(request: WebhookRequest) -> WebhookResponse {
        let moved: Move = match serde_json::from_slice(&request.body) {
            Ok(m) => m,
            Err(e) => {
                return answer(
                    400,
                    serde_json::json!({ "error": format!("not a candidate move: {e}") }),
                );
            }
        };
        let column = config::get("hire-column").unwrap_or_else(|| "hired".into());
        let candidate = moved.candidate;
        if !moved.column.trim().eq_ignore_ascii_case(column.trim()) {
            let _ = lockgate_sdk::outcomes::report(&Outcome::skipped(
                &candidate.id,
                Operation::Skip,
                &format!("candidate moved to {:?}, not {column:?}", moved.column),
            ));
            return answer(200, serde_json::json!({ "ignored": true }));
        }
        if candidate.first_name.trim().is_empty() || candidate.last_name.trim().is_empty() {
            let _ = lockgate_sdk::outcomes::report(&Outcome::failed(
                &candidate.id,
                Operation::Create,
                "the candidate has no first or last name",
            ));
            return answer(
                422,
                serde_json::json!({ "error": "first_name and last_name are required" }),
            );
        }
        let new = NewEmployee {
            first_name: candidate.first_name.trim().into(),
            last_name: candidate.last_name.trim().into(),
            work_email: given(candidate.work_email),
            personal_email: given(candidate.personal_email),
            phone: given(candidate.phone),
            department: given(candidate.department),
            position: None,
            legal_entity: None,
            contract_type: given(candidate.contract_type),
            // Without a contract start, the contract starts on the day of
            // the hire.
            start_date: given(candidate.contract_start).or_else(|| received_day(&request)),
        };
        match hr::create_employee(&new, &format!("candidate-{}", candidate.id)) {
            Ok(id) => {
                let _ = lockgate_sdk::outcomes::report(&Outcome::success(
                    &id,
                    Operation::Create,
                    &format!("created from candidate {}", candidate.id),
                ));
                answer(201, serde_json::json!({ "employee_id": id }))
            }
            Err(e) => {
                let _ = lockgate_sdk::outcomes::report(&Outcome::failed(
                    &candidate.id,
                    Operation::Create,
                    &format!("the employee could not be created: {e:?}"),
                ));
                answer(
                    500,
                    serde_json::json!({ "error": "the employee could not be created; try again" }),
                )
            }
        }
    }
}

lockgate_sdk::export_connector!(AtsHire);
