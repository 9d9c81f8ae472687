//! Version upgrade (`--previous`, or the listed version of a submission):
//! the new configuration schema must accept the old configurations.

use lockgate_manifest::Manifest;

use super::{Verdict, Vetting};

/// The new schema must accept every configuration the previous one did.
pub(super) fn upgrade_check(v: &mut Vetting<'_>, previous: &[u8], manifest: &Manifest) {
    const U: &str = "upgrade";
    let Some(old) = lockgate_manifest::inspect(previous).manifest else {
        v.check(
            U,
            "previous version",
            Verdict::Fail,
            "the previous file has no readable manifest",
        );
        return;
    };
    let mut breaks = Vec::new();
    for field in &old.config {
        match manifest.field(&field.key) {
            None => breaks.push(format!(
                "field {} was removed: installs that set it would be refused",
                field.key
            )),
            Some(new) => {
                if new.kind != field.kind {
                    breaks.push(format!(
                        "field {} changed type from {} to {}",
                        field.key,
                        field.kind.as_str(),
                        new.kind.as_str()
                    ));
                }
                for option in field.options.iter().filter(|o| !new.options.contains(o)) {
                    breaks.push(format!(
                        "field {}: option {option:?} was removed",
                        field.key
                    ));
                }
                if new.secret != field.secret {
                    breaks.push(format!("field {} changed whether it is secret", field.key));
                }
            }
        }
    }
    for field in manifest
        .config
        .iter()
        .filter(|f| f.required && f.default.is_none())
    {
        if old.field(&field.key).is_none() {
            breaks.push(format!(
                "new field {} is required without a default: existing installs would stop until reconfigured",
                field.key
            ));
        }
    }
    if breaks.is_empty() {
        v.check(
            U,
            "configuration schema",
            Verdict::Pass,
            format!(
                "accepts every configuration version {} accepted",
                old.version
            ),
        );
    } else {
        for b in breaks {
            v.check(U, "configuration schema", Verdict::Fail, b);
        }
    }
}
