//! Connector uploads, `POST /api/v1/partner/submissions`, as a partner
//! sends them: bytes of any kind, the bundled planner export with bytes
//! edited, and the planner export rebuilt with a changed manifest. The
//! planner export's publisher is Lockgate, so a partner's upload of it is
//! always refused; what matters is how.

use lockgate::auth::Role;
use proptest::collection::vec;
use proptest::prelude::*;

use crate::component::with_manifest;
use crate::manifest::{PLANNER_MANIFEST, mutate, mutations};
use crate::strategies::{edited, edits};
use crate::{Api, Request, check};

#[derive(Debug, Clone)]
enum Upload {
    Bytes(Vec<u8>),
    Edited(Vec<crate::strategies::Edit>),
    Manifest(Vec<crate::manifest::Mutation>),
}

impl Upload {
    fn bytes(&self) -> Vec<u8> {
        let planner = lockgate::demo::PLANNER_EXPORT;
        match self {
            Upload::Bytes(b) => b.clone(),
            Upload::Edited(e) => edited(planner, e),
            Upload::Manifest(m) => {
                let (table, _) = mutate(&PLANNER_MANIFEST, m);
                let text = toml::to_string(&table).unwrap_or_default();
                with_manifest(planner, text.as_bytes())
            }
        }
    }
}

fn uploads() -> impl Strategy<Value = Upload> {
    prop_oneof![
        1 => vec(any::<u8>(), 0..1024).prop_map(Upload::Bytes),
        1 => vec(any::<u8>(), 0..256)
            .prop_map(|rest| Upload::Bytes([&b"\0asm\x0d\0\x01\0"[..], &rest].concat())),
        3 => edits(8).prop_map(Upload::Edited),
        2 => mutations().prop_map(Upload::Manifest),
    ]
}

#[test]
fn uploads_are_refused_naming_the_component_or_the_publisher() {
    let api = Api::start();
    let token = api.block_on(lockgate_tests::token(
        api.app(),
        Role::Partner,
        Some("acme"),
        None,
    ));
    check("upload: any bytes", 128, uploads(), |upload, tally| {
        let bytes = upload.bytes();
        let answer = api
            .send(Request::post("/api/v1/partner/submissions", bytes).bearer(&token))?
            .checked()?;
        tally.add(answer.outcome());
        match answer.status {
            // A partner cannot publish as Lockgate, so nothing is accepted;
            // a 201 would mean the publisher check was passed over.
            201 => prop_assert!(false, "accepted: {}", answer.text),
            400 => prop_assert_eq!(answer.code(), "empty_body"),
            422 => {
                prop_assert_eq!(answer.code(), "invalid_connector");
                let fields = answer.fields();
                prop_assert!(!fields.is_empty(), "{}", answer.text);
                for (field, message) in fields {
                    prop_assert!(
                        field == "component" || field == "publisher",
                        "field {field:?}: {message}"
                    );
                    prop_assert!(
                        !message.contains('\n') && message.chars().count() <= 600,
                        "not one short line: {message:?}"
                    );
                }
            }
            _ => prop_assert!(
                false,
                "unexpected answer: {} {}",
                answer.status,
                answer.text
            ),
        }
        Ok(())
    });
}
