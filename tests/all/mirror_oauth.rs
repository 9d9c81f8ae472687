//! The absence mirror's OAuth2 sign-in seen from the sandbox: it passes
//! the automated review against the tool, and a connector can get at
//! neither the access token nor the client secret.

use crate::mirror_tool::{Build, CLIENT_ID, CLIENT_SECRET, tool};

#[tokio::test]
async fn absence_mirror_passes_vet_against_the_tool() {
    passes_vet_against_the_tool(Build::Rust).await;
}

#[tokio::test]
async fn absence_mirror_ts_passes_vet_against_the_tool() {
    passes_vet_against_the_tool(Build::TypeScript).await;
}

async fn passes_vet_against_the_tool(build: Build) {
    let (addr, tool) = tool().await;
    let report = lockgate::review::vet::vet(
        std::sync::Arc::new(
            lockgate::Runtime::new(lockgate::RuntimeConfig {
                max_instances: 8,
                ..Default::default()
            })
            .unwrap(),
        ),
        Default::default(),
        &build.wasm(),
        lockgate::review::vet::VetOptions {
            config: [
                ("client-id".to_string(), CLIENT_ID.to_string()),
                ("client-secret".to_string(), CLIENT_SECRET.to_string()),
            ]
            .into(),
            partner_url: Some(format!("http://{addr}")),
            previous: None,
        },
        &|_| {},
    )
    .await;
    let verdict = |name: &str| {
        report
            .checks
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no check {name}: {report:#?}"))
            .verdict
    };
    assert_ne!(
        report.verdict,
        lockgate::review::vet::Verdict::Fail,
        "{report:#?}"
    );
    use lockgate::review::vet::Verdict::Pass;
    // Signed in with the right secret, refused with a wrong one.
    assert_eq!(verdict("check-connection"), Pass, "{report:#?}");
    assert_eq!(
        verdict("check-connection with a wrong credential"),
        Pass,
        "{report:#?}"
    );
    assert_eq!(
        verdict("validate-config refuses a broken configuration"),
        Pass,
        "{report:#?}"
    );
    assert!(tool.lock().unwrap().issued >= 1);
    let text = format!("{report:?}");
    assert!(
        !text.contains(CLIENT_SECRET) && !text.contains("tok-"),
        "{text}"
    );
}

#[tokio::test]
async fn a_connector_cannot_get_at_the_token_or_the_client_secret() {
    use crate::helpers::{RunSetup, Tenant};
    let tenant = Tenant::seeded(3, 2).await;
    let (api, api_tool) = tool().await;
    let (other, other_tool) = tool().await;
    let plugin = crate::helpers::program("test-oauth-probe");
    let (api_url, other_url) = (format!("http://{api}"), format!("http://{other}"));
    let summary = tenant
        .run(
            &plugin,
            &[
                ("api-url", api_url.as_str()),
                ("other-url", other_url.as_str()),
                ("client-id", CLIENT_ID),
                ("client-secret", CLIENT_SECRET),
            ],
            RunSetup {
                allow_http: vec![api.clone(), other.clone()],
                ..RunSetup::default()
            },
        )
        .await;
    assert_eq!(
        summary.run.status, "successful",
        "{:?}",
        summary.run.failure_reason
    );
    let saw = |what: &str| {
        summary
            .rows
            .iter()
            .find(|r| r.employee_id.as_deref() == Some(what))
            .unwrap_or_else(|| panic!("no row {what}: {:?}", summary.rows))
            .message
            .clone()
    };
    assert_eq!(saw("config.get"), "absent");
    assert!(
        !saw("config.all").contains("client-secret"),
        "{}",
        saw("config.all")
    );
    // Its own Authorization header was replaced by the host's token.
    let token = {
        let tool = api_tool.lock().unwrap();
        assert_eq!(tool.issued, 1);
        tool.tokens.keys().next().unwrap().clone()
    };
    assert_eq!(
        api_tool.lock().unwrap().echoed,
        vec![Some(format!("Bearer {token}"))]
    );
    // The token went nowhere else.
    assert_eq!(other_tool.lock().unwrap().echoed, vec![None]);
    assert_eq!(other_tool.lock().unwrap().issued, 0);
    // Asking the token endpoint itself gets it nowhere: the host lends it
    // no client credentials.
    assert!(
        saw("token endpoint").starts_with("401"),
        "{}",
        saw("token endpoint")
    );
    assert_eq!(api_tool.lock().unwrap().issued, 1);
    let everything = format!("{:?}{:?}", summary.rows, summary.run);
    let logs: String = tenant
        .store
        .run_logs(&summary.run.id)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.message)
        .collect();
    for secret in [token.as_str(), CLIENT_SECRET] {
        assert!(
            !everything.contains(secret) && !logs.contains(secret),
            "{secret} leaked"
        );
    }
}
