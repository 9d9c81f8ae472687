//! The OpenAPI document served at `/api/v1/openapi.json`: the paths,
//! parameters and prose of the hand-written `openapi.json`, with the schema
//! of every body generated from the Rust types the handlers take and
//! answer (`utoipa`'s `ToSchema`), so the document cannot drift from what
//! the server reads and sends. [`bodies`] says which type goes where.

mod shapes;

use std::sync::OnceLock;

use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

use super::FieldProblem;
use super::answers::{
    AbsencePage, ApplicationPage, AttendancePage, DeliveryAnswer, EmployeeAnswer, EmployeePage,
    EmployeeViewDoc, Health, ImportAnswer, InstallList, InstallView, PositionPage, Preview, Queued,
    RowPage, RunPage, RunView, SignInStarted, SignedOutAnswer, Tenant, TenantSettingsView,
    WebhookSecret,
};
use super::catalog::ReviewBody;
use super::catalog::test_access::TestAccessInput;
use super::catalog::views::{
    ListingDetail, ListingPreview, Listings, ReviewItem, ReviewQueue, Submission, Submissions,
};
use super::hr::{AbsenceInput, AttendanceInput, EmployeeInput, NewTenant, TenantSettingsInput};
use super::installs::{ConnectInput, ReconfigureInput, UpgradeInput};
use super::operator::{ConnectorOverviews, FailingInstalls, TenantOverviews};
use super::partner_sandbox::{SandboxInput, SandboxPatch, SandboxView};
use super::requests::{RequestInput, RequestList};
use crate::hr::{Absence, Application, Attendance, Position, PositionInput};
use crate::principal::Principal;
use crate::store::requests::IntegrationRequest;

/// The hand-written part: paths, parameters, summaries and descriptions.
pub const PROSE: &str = include_str!("openapi.json");

/// Every error answer: `{"error": {"code", "message", "fields"?}}`.
#[derive(Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorAnswer {
    pub error: ErrorDetail,
}

/// What went wrong, and what to fix.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable: `unauthorized`, `not_found`, `invalid_fields`,
    /// `bad_json`, `too_large`, …
    pub code: String,
    /// What to fix, for a person.
    pub message: String,
    /// Every field that needs fixing, when the request had any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldProblem>,
}

type Schemas = Vec<(String, RefOr<Schema>)>;

/// The document being put together.
struct Doc {
    doc: Value,
    schemas: Schemas,
}

impl Doc {
    /// A reference to `T`'s schema, which (with what it uses) goes into
    /// `components.schemas`.
    fn named<T: ToSchema>(&mut self) -> Value {
        let name = T::name().to_string();
        self.schemas.push((name.clone(), T::schema()));
        T::schemas(&mut self.schemas);
        json!({ "$ref": format!("#/components/schemas/{name}") })
    }

    fn op(&mut self, method: &str, path: &str) -> &mut Value {
        let op = &mut self.doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not in openapi.json");
        op
    }

    /// `method path` takes a JSON object shaped as `T`.
    fn request<T: ToSchema>(&mut self, method: &str, path: &str) {
        let schema = self.named::<T>();
        let op = self.op(method, path);
        op["requestBody"]["required"] = json!(true);
        op["requestBody"]["content"] = json!({ "application/json": { "schema": schema } });
    }

    /// `method path` answers `status` with JSON shaped as `T`.
    fn response<T: ToSchema>(&mut self, method: &str, path: &str, status: u16) {
        let schema = self.named::<T>();
        let answer = &mut self.op(method, path)["responses"][status.to_string()];
        if answer.get("description").is_none() {
            answer["description"] = json!("OK");
        }
        answer["content"] = json!({ "application/json": { "schema": schema } });
    }
}

/// Which type each JSON body is.
fn bodies(doc: &mut Doc) {
    const T: &str = "/api/v1/tenants/{tenant}";
    doc.request::<ReviewBody>("post", "/api/v1/review/{plugin}/{version}");
    const ACCESS: &str = "/api/v1/partner/submissions/{plugin}/{version}/test-access";
    doc.request::<TestAccessInput>("put", ACCESS);
    doc.request::<SandboxInput>("post", "/api/v1/partner/sandbox");
    doc.request::<SandboxPatch>("patch", "/api/v1/partner/sandbox");
    doc.request::<NewTenant>("post", "/api/v1/tenants");
    doc.request::<EmployeeInput>("put", &format!("{T}/employees/{{id}}"));
    doc.request::<AbsenceInput>("put", &format!("{T}/absences/{{id}}"));
    doc.request::<AttendanceInput>("put", &format!("{T}/attendances/{{id}}"));
    doc.request::<TenantSettingsInput>("put", &format!("{T}/settings"));
    doc.request::<PositionInput>("put", &format!("{T}/positions/{{id}}"));
    doc.request::<ConnectInput>("post", &format!("{T}/installs"));
    doc.request::<ConnectInput>("post", &format!("{T}/installs/preview"));
    doc.request::<ReconfigureInput>("patch", &format!("{T}/installs/{{id}}"));
    doc.request::<UpgradeInput>("post", &format!("{T}/installs/{{id}}/upgrade"));
    doc.request::<RequestInput>("post", &format!("{T}/requests"));
    csv_columns(doc, &format!("{T}/employees/import"));
    attendance_csv_columns(doc, &format!("{T}/attendances/import"));

    doc.response::<Health>("get", "/healthz", 200);
    doc.response::<Health>("get", "/healthz", 503);
    doc.response::<Principal>("get", "/api/v1/me", 200);
    doc.response::<Submission>("post", "/api/v1/partner/submissions", 201);
    doc.response::<Submissions>("get", "/api/v1/partner/submissions", 200);
    doc.response::<Submission>("put", ACCESS, 202);
    doc.response::<Submission>("delete", ACCESS, 202);
    doc.response::<ListingPreview>(
        "get",
        "/api/v1/partner/submissions/{plugin}/{version}/preview",
        200,
    );
    doc.response::<SandboxView>("post", "/api/v1/partner/sandbox", 201);
    doc.response::<SandboxView>("get", "/api/v1/partner/sandbox", 200);
    doc.response::<SandboxView>("patch", "/api/v1/partner/sandbox", 200);
    doc.response::<ReviewQueue>("get", "/api/v1/review/queue", 200);
    doc.response::<ReviewItem>("post", "/api/v1/review/{plugin}/{version}", 200);
    doc.response::<ReviewItem>("post", "/api/v1/review/{plugin}/{version}/vet", 200);
    doc.response::<Listings>("get", "/api/v1/marketplace", 200);
    doc.response::<ListingDetail>("get", "/api/v1/marketplace/{id}", 200);
    doc.response::<IntegrationRequest>("post", &format!("{T}/requests"), 201);
    doc.response::<RequestList>("get", &format!("{T}/requests"), 200);
    doc.response::<RequestList>("get", "/api/v1/requests", 200);
    doc.response::<RequestList>("get", "/api/v1/partner/requests", 200);
    doc.response::<ConnectorOverviews>("get", "/api/v1/operator/connectors", 200);
    doc.response::<TenantOverviews>("get", "/api/v1/operator/tenants", 200);
    doc.response::<FailingInstalls>("get", "/api/v1/operator/failing-installs", 200);
    doc.response::<Tenant>("post", "/api/v1/tenants", 201);
    doc.response::<TenantSettingsView>("get", &format!("{T}/settings"), 200);
    doc.response::<TenantSettingsView>("put", &format!("{T}/settings"), 200);
    doc.response::<EmployeePage>("get", &format!("{T}/employees"), 200);
    doc.response::<EmployeeAnswer>("put", &format!("{T}/employees/{{id}}"), 200);
    doc.response::<EmployeeViewDoc>("get", &format!("{T}/employees/{{id}}"), 200);
    doc.response::<ImportAnswer>("post", &format!("{T}/employees/import"), 200);
    doc.response::<AbsencePage>("get", &format!("{T}/absences"), 200);
    doc.response::<Absence>("put", &format!("{T}/absences/{{id}}"), 200);
    doc.response::<Absence>("get", &format!("{T}/absences/{{id}}"), 200);
    doc.response::<AttendancePage>("get", &format!("{T}/attendances"), 200);
    doc.response::<Attendance>("put", &format!("{T}/attendances/{{id}}"), 200);
    doc.response::<Attendance>("get", &format!("{T}/attendances/{{id}}"), 200);
    doc.response::<ImportAnswer>("post", &format!("{T}/attendances/import"), 200);
    doc.response::<PositionPage>("get", &format!("{T}/positions"), 200);
    doc.response::<Position>("put", &format!("{T}/positions/{{id}}"), 200);
    doc.response::<Position>("get", &format!("{T}/positions/{{id}}"), 200);
    doc.response::<ApplicationPage>("get", &format!("{T}/applications"), 200);
    doc.response::<Application>("get", &format!("{T}/applications/{{id}}"), 200);
    doc.response::<InstallList>("get", &format!("{T}/installs"), 200);
    doc.response::<InstallView>("post", &format!("{T}/installs"), 201);
    doc.response::<Preview>("post", &format!("{T}/installs/preview"), 200);
    for (method, tail) in [
        ("get", ""),
        ("patch", ""),
        ("post", "/check"),
        ("post", "/reactivate"),
        ("post", "/deactivate"),
        ("post", "/upgrade"),
    ] {
        doc.response::<InstallView>(method, &format!("{T}/installs/{{id}}{tail}"), 200);
    }
    doc.response::<Queued>("post", &format!("{T}/installs/{{id}}/sync"), 202);
    doc.response::<WebhookSecret>("post", &format!("{T}/installs/{{id}}/webhook-secret"), 200);
    doc.response::<SignInStarted>("post", &format!("{T}/installs/{{id}}/sign-in"), 200);
    doc.response::<SignedOutAnswer>("post", &format!("{T}/installs/{{id}}/sign-out"), 200);
    doc.response::<RunPage>("get", &format!("{T}/installs/{{id}}/runs"), 200);
    doc.response::<RunView>("get", &format!("{T}/runs/{{run}}"), 200);
    doc.response::<RowPage>("get", &format!("{T}/runs/{{run}}/rows"), 200);
    doc.response::<DeliveryAnswer>("post", "/hooks/{install}", 202);
}

/// The import's columns, from the lists the import reads them by.
fn csv_columns(doc: &mut Doc, path: &str) {
    use super::hr::{NUMBER_COLUMNS, REQUIRED_COLUMNS, TEXT_COLUMNS};
    let mut properties = serde_json::Map::new();
    properties.insert(
        "id".into(),
        json!({ "type": "string", "description": "The employee id" }),
    );
    for column in TEXT_COLUMNS {
        properties.insert((*column).into(), json!({ "type": "string" }));
    }
    for column in NUMBER_COLUMNS {
        properties.insert(
            (*column).into(),
            json!({ "type": "string", "description": "A number; a decimal comma is read as a point (38,5)" }),
        );
    }
    let mut required = vec!["id"];
    required.extend(REQUIRED_COLUMNS);
    let row = json!({
        "type": "object",
        "description": "One line of the import file, by column (header) name. Besides these: `attribute:<name>` columns set custom attributes, `include:<connector>` columns (yes/no, true/false, 1/0, empty for no answer) the inclusion answer for a connector id the catalog knows. Cells are trimmed; an empty cell is no value.",
        "required": required,
        "properties": properties,
        "patternProperties": {
            "^attribute:": { "type": "string" },
            "^include:": { "type": "string", "enum": ["yes", "no", "true", "false", "1", "0", ""] }
        },
        "additionalProperties": false
    });
    let op = doc.op("post", path);
    let csv = &mut op["requestBody"]["content"]["text/csv"]["schema"];
    csv["type"] = json!("string");
    csv["x-csv-row"] = json!({ "$ref": "#/components/schemas/EmployeeCsvRow" });
    csv["description"] = json!(
        "A CSV file with a header line: UTF-8 (with or without a byte order mark), UTF-16 with a byte order mark, or Windows-1252; separated by `,`, `;` or tabs, as the header line shows. Its columns are those of EmployeeCsvRow."
    );
    doc.doc["components"]["schemas"]["EmployeeCsvRow"] = row;
}

/// The attendance import's columns, from the list the import reads them by.
fn attendance_csv_columns(doc: &mut Doc, path: &str) {
    use super::hr::{ATTENDANCE_COLUMNS, REQUIRED_ATTENDANCE_COLUMNS};
    let mut properties = serde_json::Map::new();
    for column in ATTENDANCE_COLUMNS {
        let description = match *column {
            "id" => "The period's id",
            "start_time" | "end_time" => "HH:MM; both or neither",
            "duration_minutes" => "Whole minutes worked; required without times",
            "break_minutes" => "Whole minutes; empty is 0",
            "status" => "confirmed (also when empty) or pending",
            _ => "",
        };
        let mut property = json!({ "type": "string" });
        if !description.is_empty() {
            property["description"] = json!(description);
        }
        properties.insert((*column).into(), property);
    }
    let row = json!({
        "type": "object",
        "description": "One line of the attendance import file, by column (header) name. Cells are trimmed; an empty cell is no value.",
        "required": REQUIRED_ATTENDANCE_COLUMNS,
        "properties": properties,
        "additionalProperties": false
    });
    let op = doc.op("post", path);
    let csv = &mut op["requestBody"]["content"]["text/csv"]["schema"];
    csv["type"] = json!("string");
    csv["x-csv-row"] = json!({ "$ref": "#/components/schemas/AttendanceCsvRow" });
    csv["description"] = json!(
        "A CSV file with a header line, read like the employee import. Its columns are those of AttendanceCsvRow."
    );
    doc.doc["components"]["schemas"]["AttendanceCsvRow"] = row;
}

/// Fields an answer leaves out when they are empty
/// (`skip_serializing_if`): schema and property.
const LEFT_OUT_WHEN_EMPTY: &[(&str, &str)] = &[
    ("ErrorDetail", "fields"),
    ("RunView", "log"),
    ("Webhook", "secret"),
    ("Permissions", "sign_in"),
];

/// An answer always has every field of its type (`null` for none), so the
/// answers' schemas require them all: a field missing from a real answer
/// then fails the end-to-end suite's check. Request bodies (the schemas
/// that refuse unknown fields) keep their optional fields.
fn answers_complete(components: &mut Value) {
    let Some(schemas) = components.as_object_mut() else {
        return;
    };
    for (name, schema) in schemas.iter_mut() {
        if schema["additionalProperties"] == json!(false) {
            continue;
        }
        let mut parts = vec![schema];
        while let Some(part) = parts.pop() {
            if let Some(properties) = part.get("properties").and_then(Value::as_object) {
                let required: Vec<&String> = properties
                    .keys()
                    .filter(|field| !LEFT_OUT_WHEN_EMPTY.contains(&(name.as_str(), field.as_str())))
                    .collect();
                part["required"] = json!(required);
            }
            if let Some(all) = part.get_mut("allOf").and_then(Value::as_array_mut) {
                parts.extend(all.iter_mut());
            }
        }
    }
}

/// The document as served.
pub fn build() -> Value {
    let mut doc = Doc {
        doc: serde_json::from_str(PROSE).expect("openapi.json is JSON"),
        schemas: Vec::new(),
    };
    let error = doc.named::<ErrorAnswer>();
    bodies(&mut doc);
    let Doc {
        doc: mut out,
        schemas,
    } = doc;
    out["components"]["responses"]["Error"]["content"]["application/json"]["schema"] = error;
    let components = &mut out["components"]["schemas"];
    for (name, schema) in schemas {
        if components.get(&name).is_none() {
            components[&name] = serde_json::to_value(schema).expect("a schema is JSON");
        }
    }
    answers_complete(components);
    shapes::bodies(components);
    shapes::parameters(&mut out);
    out
}

/// [`build`], once, as text.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| build().to_string())
}
