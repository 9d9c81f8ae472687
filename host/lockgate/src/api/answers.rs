//! What the API answers, as types: the handlers build these and the
//! OpenAPI document's response schemas are derived from them
//! ([`super::openapi`]). A few parts the services and the store hand over
//! as finished JSON are described here by schema-only types (`…Doc`),
//! which the end-to-end suite checks against real answers.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::hr::{Absence, Application, Attendance, Employee, Position};
use crate::monitoring::{LogLine, RunRecord, RunRow};
use crate::vocabulary::{InstallStatus, JobKind, JobStatus, Operation, RowStatus, RunStatus};

/// `GET /healthz`: whether the database answers.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `degraded` (with status 503).
    pub status: &'static str,
    /// `ok` or `unreachable`.
    pub database: &'static str,
}

/// A tenant.
#[derive(Serialize, ToSchema)]
pub struct Tenant {
    pub id: String,
    pub name: String,
}

/// The tenant's settings, and the login format in force.
#[derive(Serialize, ToSchema)]
pub struct TenantSettingsView {
    pub default_legal_entity: Option<String>,
    pub default_department: Option<String>,
    pub default_position: Option<String>,
    pub login_format: Option<String>,
    /// The login format used: `login_format`, or the default.
    pub effective_login_format: String,
}

/// An employee as written, with its custom attributes.
#[derive(Serialize, ToSchema)]
pub struct EmployeeAnswer {
    #[serde(flatten)]
    pub employee: Employee,
    pub custom_attributes: BTreeMap<String, String>,
}

/// An employee as the lists show it: with the connectors the tenant
/// excluded it from and its custom attributes.
#[derive(Serialize, ToSchema)]
#[schema(as = EmployeeView)]
pub struct EmployeeViewDoc {
    #[serde(flatten)]
    pub employee: Employee,
    pub excluded_from: Vec<String>,
    pub custom_attributes: BTreeMap<String, String>,
}

/// A page of employees; `next_cursor` is there when more follow.
#[derive(Serialize, ToSchema)]
pub struct EmployeePage {
    #[schema(value_type = Vec<EmployeeViewDoc>)]
    pub items: Vec<Value>,
    pub next_cursor: Option<String>,
}

/// A page of absences; `next_cursor` is there when more follow.
#[derive(Serialize, ToSchema)]
pub struct AbsencePage {
    pub items: Vec<Absence>,
    pub next_cursor: Option<String>,
}

/// A page of attendance periods in (date, id) order; `next_cursor` is
/// there when more follow.
#[derive(Serialize, ToSchema)]
pub struct AttendancePage {
    pub items: Vec<Attendance>,
    pub next_cursor: Option<String>,
}

/// A page of job positions; `next_cursor` is there when more follow.
#[derive(Serialize, ToSchema)]
pub struct PositionPage {
    pub items: Vec<Position>,
    pub next_cursor: Option<String>,
}

/// A page of applications, newest first; `next_cursor` is there when more
/// follow.
#[derive(Serialize, ToSchema)]
pub struct ApplicationPage {
    pub items: Vec<Application>,
    pub next_cursor: Option<String>,
}

/// What an import read and stored.
#[derive(Serialize, ToSchema)]
pub struct ImportAnswer {
    /// Records written: employees, or attendance periods.
    pub imported: usize,
    /// HR data events queued for the installs that may see them.
    pub events: usize,
    /// `utf-8`, `utf-16le`, `utf-16be` or `windows-1252`.
    pub encoding: String,
    /// `,`, `;` or `tab`.
    pub delimiter: String,
}

/// A run's rows counted by operation and status.
#[derive(Serialize, ToSchema)]
pub struct RunCounts {
    pub by_operation: BTreeMap<Operation, BTreeMap<RowStatus, i64>>,
    pub by_status: BTreeMap<RowStatus, i64>,
}

/// A run as monitoring shows it; one run alone comes with its log.
#[derive(Serialize, ToSchema)]
pub struct RunView {
    #[serde(flatten)]
    pub run: RunRecord,
    pub status_label: &'static str,
    pub counts: RunCounts,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<Vec<LogLine>>,
}

/// A page of runs, newest first.
#[derive(Serialize, ToSchema)]
pub struct RunPage {
    pub items: Vec<RunView>,
    pub next_cursor: Option<String>,
}

/// A page of a run's rows.
#[derive(Serialize, ToSchema)]
pub struct RowPage {
    /// The run's id.
    pub run: String,
    pub items: Vec<RunRow>,
    pub next_cursor: Option<String>,
}

/// A webhook delivery, queued.
#[derive(Serialize, ToSchema)]
pub struct DeliveryAnswer {
    pub delivery: String,
    /// `queued`.
    pub status: &'static str,
    /// Whether the same body was delivered before.
    pub replay: bool,
}

/// The scopes and hosts a configuration needs granted.
#[derive(Serialize, ToSchema)]
pub struct Grant {
    pub scopes: Vec<String>,
    pub hosts: Vec<String>,
}

/// A scope and what it means, in words.
#[derive(Serialize, ToSchema)]
#[schema(as = ScopeView)]
pub struct ScopeViewDoc {
    pub scope: String,
    pub means: String,
}

/// Days of absences before and after today a connector may read.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
#[schema(as = AbsenceWindow)]
pub struct AbsenceWindowDoc {
    pub past_days: u32,
    pub future_days: u32,
}

/// What an install may do with its configuration.
#[derive(Serialize, ToSchema)]
#[schema(as = Permissions)]
pub struct PermissionsDoc {
    pub scopes: Vec<ScopeViewDoc>,
    pub hosts: Vec<String>,
    pub absence_window: Option<AbsenceWindowDoc>,
    pub attendance_window: Option<AbsenceWindowDoc>,
    /// How Lockgate signs in to the partner for the connector, if it does.
    pub sign_in: Option<String>,
}

/// `POST …/installs/preview`: what connecting would grant.
#[derive(Serialize, ToSchema)]
pub struct Preview {
    pub plugin: String,
    pub version: String,
    pub grant: Grant,
    #[schema(value_type = PermissionsDoc)]
    pub permissions: crate::installs::Permissions,
    pub leaving: Leaving,
}

/// What of the tenant's employees would leave for the connector's hosts
/// once connected: how many employees the data rules let it see today
/// (in their employment window, not excluded from the connector), and
/// which of their fields its scopes hand over.
#[derive(Serialize, ToSchema)]
pub struct Leaving {
    pub employees: i64,
    pub fields: Vec<String>,
    pub hosts: Vec<String>,
}

/// An install's webhook: where partners deliver, and the secret when it
/// is shown (once, at connect).
#[derive(Serialize, ToSchema)]
pub struct Webhook {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// An install's last run, in short.
#[derive(Serialize, ToSchema)]
pub struct LastRun {
    pub id: String,
    pub trigger: crate::vocabulary::RunTrigger,
    pub status: RunStatus,
    pub status_label: &'static str,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub failure_reason: Option<String>,
}

/// An install as the console shows it.
#[derive(Serialize, ToSchema)]
pub struct InstallView {
    pub id: String,
    pub tenant_id: String,
    pub connector_id: String,
    pub name: Option<String>,
    pub version: String,
    pub upgrade_available: Option<String>,
    /// What the upgrade asks for beyond the running version.
    pub upgrade: Option<UpgradeView>,
    pub status: InstallStatus,
    pub status_label: &'static str,
    pub status_reason: Option<String>,
    pub config: BTreeMap<String, String>,
    /// Secret fields of the configuration, and whether each is set.
    pub secrets_set: BTreeMap<String, bool>,
    pub schedule: Option<String>,
    pub schedule_is_default: bool,
    pub next_run_at: Option<String>,
    pub last_check_at: Option<String>,
    pub webhook: Option<Webhook>,
    /// Present when the connector signs in at the partner with the
    /// admin's account (OAuth2 authorization code).
    pub sign_in: Option<SignInView>,
    #[schema(value_type = Option<PermissionsDoc>)]
    pub permissions: Option<crate::installs::Permissions>,
    pub last_run: Option<LastRun>,
    pub created_at: String,
}

/// The installs of a tenant.
#[derive(Serialize, ToSchema)]
pub struct InstallList {
    pub items: Vec<InstallView>,
}

/// A queued job.
#[derive(Serialize, ToSchema)]
#[schema(as = Job)]
pub struct JobDoc {
    pub id: String,
    pub install_id: String,
    pub tenant_id: String,
    pub kind: JobKind,
    pub trigger: crate::vocabulary::RunTrigger,
    pub status: JobStatus,
    pub due_at: String,
    pub attempts: i64,
    pub run_id: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

/// `POST …/sync`: the job queued (or the one already waiting).
#[derive(Serialize, ToSchema)]
pub struct Queued {
    #[schema(value_type = JobDoc)]
    pub job: Option<crate::store::jobs::Job>,
}

/// A sign-in at the partner started: send the admin's browser to
/// `authorize_url`; the partner sends them back to `redirect_uri`, the
/// address to register with the partner.
#[derive(Serialize, ToSchema)]
pub struct SignInStarted {
    pub authorize_url: String,
    pub redirect_uri: String,
}

/// Signed out at the partner: whether the partner revoked the tokens,
/// and the install's status now.
#[derive(Serialize, ToSchema)]
pub struct SignedOutAnswer {
    pub revoked: bool,
    pub revoke_note: Option<String>,
    pub status: InstallStatus,
    pub status_reason: Option<String>,
}

/// The listed version an install may move to, and what it asks for
/// beyond the version the install runs.
#[derive(Serialize, ToSchema)]
pub struct UpgradeView {
    pub version: String,
    /// Data scopes the running version does not have, in words.
    pub new_scopes: Vec<String>,
    /// Host patterns the running version does not reach.
    pub new_hosts: Vec<String>,
    /// Labels of configuration fields the running version does not have.
    pub new_fields: Vec<String>,
}

/// The admin's sign-in at the partner, for a connector that needs one.
#[derive(Serialize, ToSchema)]
pub struct SignInView {
    /// Where the admin signs in.
    pub at: String,
    pub signed_in: bool,
    /// When and by whom, while signed in.
    pub since: Option<String>,
    pub by: Option<String>,
}

/// A new webhook secret, shown once.
#[derive(Serialize, ToSchema)]
pub struct WebhookSecret {
    pub url: String,
    pub secret: String,
}

/// What started a run: `scheduled`, `manual`, `initial`, `webhook`,
/// `webhook-replay` or the HR data event's name.
impl utoipa::PartialSchema for crate::vocabulary::RunTrigger {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use crate::vocabulary::{RunTrigger, event_name};
        let mut words = vec![
            RunTrigger::Scheduled.as_str(),
            RunTrigger::Manual.as_str(),
            RunTrigger::Initial.as_str(),
            RunTrigger::Webhook.as_str(),
            RunTrigger::WebhookReplay.as_str(),
        ];
        words.extend(crate::vocabulary::EVENT_KINDS.map(event_name));
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("What started the run"))
            .enum_values(Some(words))
            .into()
    }
}

impl ToSchema for crate::vocabulary::RunTrigger {}

/// The schema of a vocabulary: a string, one of its words (as stored and
/// answered).
macro_rules! words_schema {
    ($($name:ident: $what:literal),+ $(,)?) => {$(
        impl utoipa::PartialSchema for crate::vocabulary::$name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($what))
                    .enum_values(Some(crate::vocabulary::$name::ALL.iter().map(|w| w.as_str())))
                    .into()
            }
        }

        impl ToSchema for crate::vocabulary::$name {}
    )+};
}

words_schema! {
    RunStatus: "How a run ended",
    RowStatus: "The outcome of one row",
    Operation: "What a row did for its employee",
    JobKind: "What a job hands the connector",
    JobStatus: "Where a job is in the queue",
    InstallStatus: "Where an install stands",
    FailureKind: "Why a run ended as Failed",
}
