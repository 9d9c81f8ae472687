//! Injected credentials: the host adds a secret header (or an OAuth2
//! token) to the connector's requests and the connector never reads it,
//! but a partner API that echoes request headers back hands it over, and
//! the connector may send it to any other host it is granted. The review
//! partner watches every answer for the injected values; finding one is a
//! warning about the partner's API, not proof of a flaw in the connector.

use super::{Sandbox, Verdict, Vetting};

/// What the review report says about every injected credential.
pub const PRIVACY_NOTE: &str = "injected credentials are only as private as the partner API keeps them: an API that echoes request headers hands them to the connector, which may send them to any other host it is granted";

/// Starts watching the sample configuration's injected secrets.
pub(super) fn watch_injected(sandbox: &Sandbox) {
    let manifest = &sandbox.plugin.manifest;
    for field in manifest
        .config
        .iter()
        .filter(|f| f.secret && f.inject.is_some())
    {
        if let Some(value) = sandbox.config.secrets.get(&field.key) {
            sandbox
                .partner
                .watch(format!("the injected config field {}", field.key), value);
        }
    }
}

/// Warns when an answer the connector received carried an injected
/// credential; otherwise passes with the note. No check when nothing is
/// injected.
pub(super) fn echo_check(v: &mut Vetting<'_>, sandbox: &Sandbox) {
    let manifest = &sandbox.plugin.manifest;
    let injects = manifest.oauth2.is_some() || manifest.config.iter().any(|f| f.inject.is_some());
    if !injects {
        return;
    }
    let echoed = sandbox.partner.echoed();
    if echoed.is_empty() {
        v.check(
            "credentials",
            "injected credentials",
            Verdict::Pass,
            format!("no answer the connector received carried one; {PRIVACY_NOTE}"),
        );
        return;
    }
    let found: Vec<String> = echoed
        .iter()
        .map(|(label, at)| format!("the answer to {at} carried {label}"))
        .collect();
    v.check(
        "credentials",
        "injected credentials",
        Verdict::Warn,
        format!(
            "{}: the connector could read it; {PRIVACY_NOTE}. Make the partner API stop echoing request headers",
            found.join("; ")
        ),
    );
}
