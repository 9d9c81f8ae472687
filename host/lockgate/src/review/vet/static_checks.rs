//! Static checks: the component and its manifest, the listing, triggers,
//! the configuration form and the file size, without running anything.

use std::collections::BTreeSet;

use super::{Verdict, Vetting, looks_secret};

/// Checks a component and its manifest without running it.
pub(super) fn static_checks(v: &mut Vetting<'_>, inspection: &lockgate_manifest::Inspection) {
    const S: &str = "static";
    if inspection.problems.is_empty() {
        v.check(S, "component and manifest", Verdict::Pass, format!(
            "imports only the connector world ({} interfaces); exports {}; the manifest is complete",
            inspection.imports.len(),
            inspection.exports.join(", ")
        ));
    }
    for problem in &inspection.problems {
        v.check(
            S,
            "component and manifest",
            Verdict::Fail,
            problem.to_string(),
        );
    }
    match inspection.contract.as_deref() {
        Some(version) if version == crate::runtime::CURRENT_CONTRACT => v.check(
            S,
            "contract",
            Verdict::Pass,
            format!("built against lockgate:connector@{version}, the current version"),
        ),
        Some(version) => v.check(
            S,
            "contract",
            Verdict::Pass,
            format!(
                "built against lockgate:connector@{version}; it runs as it always did, and rebuilding with the SDK moves it to {} with attendances, recruiting, departures and checkpoints",
                crate::runtime::CURRENT_CONTRACT
            ),
        ),
        None => {}
    }
    let Some(m) = &inspection.manifest else {
        return;
    };
    if m.categories.is_empty() {
        v.check(
            S,
            "listing",
            Verdict::Fail,
            "give at least one category so tenants can find it",
        );
    }
    if m.triggers.schedule.is_none()
        && !m.triggers.manual
        && !m.triggers.webhook
        && m.triggers.events.is_empty()
    {
        v.check(
            S,
            "triggers",
            Verdict::Fail,
            "nothing ever runs it: give a schedule, manual runs, events or a webhook",
        );
    }
    if m.scopes.is_empty() {
        v.check(S, "scopes", Verdict::Warn, "asks for no data at all");
    }
    let mut form_ok = true;
    for field in &m.config {
        let mut options = BTreeSet::new();
        for option in &field.options {
            if !options.insert(option) {
                form_ok = false;
                v.check(
                    S,
                    "configuration form",
                    Verdict::Fail,
                    format!("field {}: the option {option:?} appears twice", field.key),
                );
            }
        }
        for lang in ["de", "en"] {
            if field.label.get(lang).is_none_or(|t| t.trim().is_empty()) {
                form_ok = false;
                v.check(
                    S,
                    "configuration form",
                    Verdict::Fail,
                    format!("field {}: no label in {lang}", field.key),
                );
            }
        }
        if looks_secret(&field.key) && !field.secret {
            form_ok = false;
            v.check(S, "secret fields", Verdict::Fail, format!(
                "field {} looks like a credential but is not marked secret: the connector could read it and the console would show it; add `secret = true`",
                field.key
            ));
        }
        if field.secret && !looks_secret(&field.key) {
            v.check(S, "secret fields", Verdict::Warn, format!(
                "field {} is marked secret but its name does not say so (token, password, secret, key); admins cannot see or check its value",
                field.key
            ));
        }
        if field.secret && !m.secret_is_used(field) {
            v.check(S, "secret fields", Verdict::Warn, format!(
                "secret field {} is never sent: declare `inject` (header and host) or name it as the oauth2 client-secret, or the connector cannot use it",
                field.key
            ));
        }
    }
    if form_ok {
        v.check(S, "configuration form", Verdict::Pass, format!(
            "{} field(s), each with one type, labels in de and en, distinct options; credentials are marked secret",
            m.config.len()
        ));
    }
    let size_kib = inspection.size / 1024;
    let verdict = if inspection.size > 8 << 20 {
        Verdict::Warn
    } else {
        Verdict::Pass
    };
    v.check(S, "size", verdict, format!("{size_kib} KiB"));
}
