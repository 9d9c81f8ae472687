//! Self-service activation: what the connect wizard relies on,
//! `validate-config` and `check-connection`.

use super::{Sandbox, Verdict, VetError, Vetting};
use crate::capabilities::config::visible_config;
use crate::runtime::{Call, CallResult};

/// `validate-config` takes the sample and refuses a broken one;
/// `check-connection` passes against the partner and fails cleanly with a
/// wrong credential.
pub(super) async fn activation_checks(
    v: &mut Vetting<'_>,
    sandbox: &mut Sandbox,
    has_partner: bool,
) -> Result<(), VetError> {
    const A: &str = "activation";
    let config = sandbox.config.clone();
    let install = sandbox.install(&config);
    let sample: Vec<_> = visible_config(&sandbox.plugin.manifest, &config.public)
        .into_iter()
        .collect();
    match sandbox
        .call(
            &install,
            &config,
            Call::ValidateConfig(sample.clone()),
            None,
        )
        .await?
        .result
    {
        Ok(CallResult::ValidateConfig(Ok(()))) => v.check(
            A,
            "validate-config accepts the sample",
            Verdict::Pass,
            "accepted",
        ),
        Ok(CallResult::ValidateConfig(Err(fields))) => v.check(
            A,
            "validate-config accepts the sample",
            Verdict::Fail,
            format!(
                "refused the sample configuration: {}",
                fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ),
        Ok(_) => {}
        Err(reason) => v.check(
            A,
            "validate-config accepts the sample",
            Verdict::Fail,
            reason.reason,
        ),
    }
    // Broken: every required non-secret field empty.
    let required: Vec<_> = sandbox
        .plugin
        .manifest
        .config
        .iter()
        .filter(|f| f.required && !f.secret)
        .map(|f| f.key.clone())
        .collect();
    if !required.is_empty() {
        let broken: Vec<_> = sample
            .iter()
            .map(|(k, val)| {
                (
                    k.clone(),
                    if required.contains(k) {
                        String::new()
                    } else {
                        val.clone()
                    },
                )
            })
            .collect();
        match sandbox.call(&install, &config, Call::ValidateConfig(broken), None).await?.result {
            Ok(CallResult::ValidateConfig(Err(fields))) if !fields.is_empty() => v.check(
                A,
                "validate-config refuses a broken configuration",
                Verdict::Pass,
                format!("names {}", fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>().join(", ")),
            ),
            Err(reason) => v.check(A, "validate-config refuses a broken configuration", Verdict::Fail, format!(
                "crashed instead of answering: {reason}"
            )),
            _ => v.check(A, "validate-config refuses a broken configuration", Verdict::Warn, format!(
                "accepted empty {}; say per field what is wrong so the connect wizard can show it",
                required.join(", ")
            )),
        }
    }
    let check = sandbox
        .call(&install, &config, Call::CheckConnection, None)
        .await?;
    let passed = matches!(check.result, Ok(CallResult::Connector(Ok(()))));
    let reason = match &check.result {
        Ok(CallResult::Connector(Err(e))) => crate::sync::connector_failure(e, &[]).reason,
        Err(failure) => failure.reason.clone(),
        _ => String::new(),
    };
    match (passed, has_partner) {
        (true, true) => v.check(
            A,
            "check-connection",
            Verdict::Pass,
            "succeeded against the partner's sandbox",
        ),
        (true, false) => v.check(
            A,
            "check-connection",
            Verdict::Warn,
            "succeeded against the recorder only; vet with --partner-url to check it for real",
        ),
        (false, _) => v.check(
            A,
            "check-connection",
            Verdict::Fail,
            format!("failed: {reason}"),
        ),
    }
    let secrets: Vec<_> = config.secrets.keys().cloned().collect();
    if has_partner && !secrets.is_empty() {
        let mut wrong = config.clone();
        for key in &secrets {
            wrong
                .secrets
                .insert(key.clone(), format!("wrong-{key}-0000"));
        }
        match sandbox.call(&install, &wrong, Call::CheckConnection, None).await?.result {
            Ok(CallResult::Connector(Err(e))) => v.check(A, "check-connection with a wrong credential", Verdict::Pass, format!(
                "failed cleanly: {}",
                crate::sync::connector_failure(&e, &[])
            )),
            Ok(_) => v.check(A, "check-connection with a wrong credential", Verdict::Fail, format!(
                "succeeded with a wrong {}: an admin would see Connected and every run would fail",
                secrets.join(", ")
            )),
            Err(reason) => v.check(A, "check-connection with a wrong credential", Verdict::Fail, format!(
                "crashed instead of failing cleanly: {reason}"
            )),
        }
    }
    Ok(())
}
