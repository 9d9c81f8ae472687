//! `lockgate:connector/recruiting`: applications for the tenant's positions,
//! with `recruiting.write`. Write only: the contract has no call that reads
//! an application back. The store resolves the position and keeps the
//! idempotency key; this unit checks the scope and the application's shape
//! and records the audit trail.

use lockgate_manifest::Scope;

use crate::bindings::recruiting::{Host, NewApplication};
use crate::bindings::types::HostError;
use crate::capabilities::Invocation;
use crate::capabilities::hr::{invalid_fields, unavailable};
use crate::hr::{ApplicationRefusal, Attachment};

fn application(a: NewApplication) -> crate::hr::NewApplication {
    crate::hr::NewApplication {
        first_name: a.first_name,
        last_name: a.last_name,
        email: a.email,
        phone: a.phone,
        position: a.position,
        source: a.source,
        message: a.message,
        attachments: a
            .attachments
            .into_iter()
            .map(|f| Attachment {
                file_name: f.file_name,
                media_type: f.media_type,
                content: f.content,
            })
            .collect(),
    }
}

impl Invocation {
    async fn apply(
        &mut self,
        new: NewApplication,
        idempotency_key: String,
    ) -> Result<String, HostError> {
        if !self.visibility.granted(Scope::RecruitingWrite) {
            return Err(HostError::Denied(
                "creating applications needs the recruiting.write scope".into(),
            ));
        }
        if idempotency_key.is_empty() || idempotency_key.len() > 200 {
            return Err(HostError::InvalidArgument(
                "idempotency-key must be 1 to 200 bytes".into(),
            ));
        }
        let new = application(new);
        let problems = new.problems();
        if !problems.is_empty() {
            return Err(invalid_fields(problems));
        }
        let (id, created) = self
            .store
            .create_application(
                &self.visibility.tenant_id,
                &self.visibility.connector_id,
                &idempotency_key,
                &new,
            )
            .await
            .map_err(unavailable)?
            .map_err(|r| match r {
                ApplicationRefusal::NotFound(m) => HostError::NotFound(m),
                ApplicationRefusal::Invalid(m) => HostError::InvalidArgument(m),
            })?;
        if created {
            self.audit.applications_created += 1;
            self.audit_entry(
                "write",
                "create-application",
                vec![id.clone()],
                vec!["recruiting.write".into()],
            );
        }
        Ok(id)
    }
}

impl Host for Invocation {
    async fn create_application(
        &mut self,
        application: NewApplication,
        idempotency_key: String,
    ) -> wasmtime::Result<Result<String, HostError>> {
        if let Err(e) = self.refuse_after_fatal() {
            return Ok(Err(e));
        }
        Ok(self.apply(application, idempotency_key).await)
    }
}
