//! Reads a connector file without running it: digest, size, manifest,
//! imports and exports, and every reason the host would refuse it.

use serde::Serialize;
use sha2::{Digest, Sha256};
use wasmparser::{Encoding, Parser, Payload, Validator, WasmFeatures};

use crate::MANIFEST_SECTION;
use crate::manifest::Manifest;

/// What `inspect` found in a file.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    pub sha256: String,
    pub size: u64,
    pub manifest: Option<Manifest>,
    pub imports: Vec<String>,
    pub exports: Vec<String>,
    /// The contract version the component was built against, read from
    /// its imports (`0.1.0`, `0.2.0`); `None` when it imports none.
    pub contract: Option<String>,
    /// Imports the host links but refuses every call of (the sockets a
    /// language runtime's C library links even when nothing uses them).
    pub denied_imports: Vec<String>,
    /// Every reason the component is unacceptable; empty when it is fine.
    pub problems: Vec<Problem>,
}

impl Inspection {
    pub fn is_acceptable(&self) -> bool {
        self.problems.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "kebab-case")]
pub enum Problem {
    /// Not a WebAssembly component at all (a core module, garbage, ...).
    NotAComponent(String),
    /// Imports something outside the `connector` world.
    ForbiddenImport(String),
    /// Lacks an export the host calls.
    MissingExport(String),
    MissingManifest,
    /// The manifest section exists but cannot be used; one entry per reason.
    InvalidManifest(String),
    /// The component's contract imports and its manifest disagree, or it
    /// imports more than one contract version.
    Contract(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::NotAComponent(why) => write!(f, "not a WebAssembly component: {why}"),
            Problem::ForbiddenImport(name) => {
                write!(
                    f,
                    "imports {name}, which is outside the lockgate:connector world"
                )
            }
            Problem::MissingExport(name) => write!(f, "does not export {name}"),
            Problem::MissingManifest => write!(
                f,
                "has no manifest (custom section {MANIFEST_SECTION}); build it with lockgate-sdk"
            ),
            Problem::InvalidManifest(why) => write!(f, "manifest: {why}"),
            Problem::Contract(why) => write!(f, "contract: {why}"),
        }
    }
}

/// Interfaces a connector may import. WASI versions up to the host's 0.2.12
/// are accepted; the host links them all but grants nothing through them
/// except filtered outbound HTTP.
const ALLOWED_WASI: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:clocks/wall-clock",
    "wasi:clocks/monotonic-clock",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:http/types",
    "wasi:http/outgoing-handler",
];

/// Interfaces outside the world that a language runtime imports whether it
/// uses them or not (CPython's C library links the socket API). The host
/// links them with no network granted: every call is refused with
/// `access-denied`, and a connector reaches its partner through `wasi:http`
/// only.
const DENIED_WASI: &[&str] = &[
    "wasi:sockets/network",
    "wasi:sockets/instance-network",
    "wasi:sockets/tcp",
    "wasi:sockets/tcp-create-socket",
    "wasi:sockets/udp",
    "wasi:sockets/udp-create-socket",
    "wasi:sockets/ip-name-lookup",
];

/// Every released contract version and the interfaces it has, oldest
/// first. A version only ever adds interfaces.
pub const CONTRACT_VERSIONS: &[(&str, &[&str])] = &[
    (
        "0.1.0",
        &["types", "hr", "outcomes", "config", "state", "log"],
    ),
    (
        "0.2.0",
        &[
            "types",
            "hr",
            "attendances",
            "recruiting",
            "outcomes",
            "config",
            "state",
            "log",
        ],
    ),
];

/// The contract version an import names, if it is a contract import.
pub fn contract_version(import: &str) -> Option<&str> {
    import
        .strip_prefix("lockgate:connector/")
        .and_then(|rest| rest.split_once('@'))
        .map(|(_, version)| version)
}

/// Functions the host calls on every connector.
pub const REQUIRED_EXPORTS: &[&str] = &[
    "validate-config",
    "check-connection",
    "sync",
    "on-event",
    "handle-webhook",
];

/// Whether the host links the import `name`.
pub fn import_allowed(name: &str) -> bool {
    if let Some(rest) = name.strip_prefix("lockgate:connector/") {
        let Some((iface, version)) = rest.split_once('@') else {
            return false;
        };
        return CONTRACT_VERSIONS
            .iter()
            .any(|(v, interfaces)| *v == version && interfaces.contains(&iface));
    }
    let Some((iface, version)) = name.split_once('@') else {
        return false;
    };
    (ALLOWED_WASI.contains(&iface) || DENIED_WASI.contains(&iface))
        && wasi_version_supported(version)
}

/// Whether the import `name` is linked with every call refused.
pub fn import_denied(name: &str) -> bool {
    name.split_once('@')
        .is_some_and(|(iface, _)| DENIED_WASI.contains(&iface))
}

fn wasi_version_supported(version: &str) -> bool {
    let mut parts = version.split('.');
    let (Some("0"), Some("2"), Some(patch), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    patch.parse::<u32>().is_ok_and(|p| p <= 12)
}

/// The released contract version `imports` were built against (`None`
/// when they name none), or why there is no one version.
fn contract_of(imports: &[String]) -> Result<Option<String>, Problem> {
    let versions: std::collections::BTreeSet<&str> = imports
        .iter()
        .filter_map(|i| contract_version(i))
        .filter(|v| CONTRACT_VERSIONS.iter().any(|(known, _)| known == v))
        .collect();
    match versions.len() {
        0 => Ok(None),
        1 => Ok(versions.first().map(|v| v.to_string())),
        _ => Err(Problem::Contract(format!(
            "imports lockgate:connector versions {}; a connector is built against exactly one",
            versions.into_iter().collect::<Vec<_>>().join(" and ")
        ))),
    }
}

/// Whatever `manifest` asks for that the contract version the component is
/// built against cannot deliver, one problem each.
fn contract_problems(contract: Option<&str>, manifest: &Manifest) -> Vec<Problem> {
    if contract != Some("0.1.0") {
        return Vec::new();
    }
    needs_newer_contract(manifest)
        .into_iter()
        .map(Problem::Contract)
        .collect()
}

/// What a manifest asks for that contract 0.1.0 cannot deliver.
fn needs_newer_contract(manifest: &Manifest) -> Vec<String> {
    use crate::manifest::{EventKind, Scope};
    let mut out = Vec::new();
    for scope in &manifest.scopes {
        if matches!(
            scope,
            Scope::AttendancesRead | Scope::AttendancesWrite | Scope::RecruitingWrite
        ) {
            out.push(format!(
                "the scope {} needs contract 0.2.0; the component is built against 0.1.0",
                scope.as_str()
            ));
        }
    }
    for event in &manifest.triggers.events {
        if matches!(
            event,
            EventKind::AttendanceCreated
                | EventKind::AttendanceUpdated
                | EventKind::AttendanceDeleted
        ) {
            out.push(format!(
                "the event {} needs contract 0.2.0; the component is built against 0.1.0",
                serde_json::to_string(event)
                    .unwrap_or_default()
                    .trim_matches('"')
            ));
        }
    }
    out
}

/// A parser's message as one line of at most 200 characters: some carry
/// a multi-line dump of what they expected.
fn plain(message: &str) -> String {
    let line = message.lines().next().unwrap_or("").trim();
    let mut out: String = line.chars().take(200).collect();
    if line.chars().nth(200).is_some() {
        out.push('…');
    }
    format!("{out}; a connector is a WebAssembly component built for wasm32-wasip2")
}

/// Inspects a connector file. Never fails: what is wrong is in `problems`.
pub fn inspect(bytes: &[u8]) -> Inspection {
    let mut out = Inspection {
        sha256: hex::encode(Sha256::digest(bytes)),
        size: bytes.len() as u64,
        manifest: None,
        imports: Vec::new(),
        exports: Vec::new(),
        contract: None,
        denied_imports: Vec::new(),
        problems: Vec::new(),
    };

    if !bytes.starts_with(b"\0asm") {
        out.problems.push(Problem::NotAComponent(format!(
            "the file does not start with the WebAssembly header (\\0asm); a connector is a WebAssembly component carrying a {MANIFEST_SECTION} section, the .wasm file lockgate-sdk builds for wasm32-wasip2"
        )));
        return out;
    }
    if let Err(e) = Validator::new_with_features(WasmFeatures::all()).validate_all(bytes) {
        out.problems
            .push(Problem::NotAComponent(plain(e.message())));
        return out;
    }

    let mut depth = 0usize;
    let mut manifests = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = match payload {
            Ok(p) => p,
            Err(e) => {
                out.problems
                    .push(Problem::NotAComponent(plain(e.message())));
                return out;
            }
        };
        match payload {
            Payload::Version { encoding, .. } => {
                if depth == 0 && encoding != Encoding::Component {
                    out.problems.push(Problem::NotAComponent(
                        "this is a core module; build for wasm32-wasip2 so the output is a component"
                            .into(),
                    ));
                    return out;
                }
                depth += 1;
            }
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(reader) if depth == 1 => {
                // Type imports (the world's own record and variant types) are
                // not capabilities; interfaces and functions are.
                for import in reader.into_iter().flatten() {
                    if !matches!(import.ty, wasmparser::ComponentTypeRef::Type(_)) {
                        out.imports.push(import.name.name.to_string());
                    }
                }
            }
            Payload::ComponentExportSection(reader) if depth == 1 => {
                for export in reader.into_iter().flatten() {
                    out.exports.push(export.name.name.to_string());
                }
            }
            Payload::CustomSection(section) if section.name() == MANIFEST_SECTION => {
                manifests.push(section.data());
            }
            _ => {}
        }
    }

    for import in &out.imports {
        if !import_allowed(import) {
            out.problems.push(Problem::ForbiddenImport(import.clone()));
        } else if import_denied(import) {
            out.denied_imports.push(import.clone());
        }
    }
    match contract_of(&out.imports) {
        Ok(contract) => out.contract = contract,
        Err(problem) => out.problems.push(problem),
    }
    for export in REQUIRED_EXPORTS {
        if !out.exports.iter().any(|e| e == export) {
            out.problems
                .push(Problem::MissingExport((*export).to_string()));
        }
    }

    match manifests.as_slice() {
        [] => out.problems.push(Problem::MissingManifest),
        [one] => match Manifest::parse(one) {
            Ok(manifest) => {
                for problem in manifest.problems() {
                    out.problems.push(Problem::InvalidManifest(problem));
                }
                out.problems
                    .extend(contract_problems(out.contract.as_deref(), &manifest));
                out.manifest = Some(manifest);
            }
            Err(e) => out.problems.push(Problem::InvalidManifest(e.to_string())),
        },
        _ => out.problems.push(Problem::InvalidManifest(format!(
            "{} manifest sections found; a component carries exactly one",
            manifests.len()
        ))),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_inside_the_world_are_allowed() {
        assert!(import_allowed("wasi:http/outgoing-handler@0.2.12"));
        assert!(import_allowed("wasi:cli/environment@0.2.4"));
        assert!(import_allowed("lockgate:connector/hr@0.1.0"));
        // Linked with every call refused (language runtimes import them).
        assert!(
            import_allowed("wasi:sockets/tcp@0.2.12") && import_denied("wasi:sockets/tcp@0.2.9")
        );
        assert!(!import_denied("wasi:http/outgoing-handler@0.2.12"));
        assert!(!import_allowed("wasi:sockets/tcp@0.3.0"));
        assert!(!import_allowed("wasi:http/outgoing-handler@0.3.0"));
        assert!(import_allowed("lockgate:connector/hr@0.2.0"));
        assert!(import_allowed("lockgate:connector/attendances@0.2.0"));
        assert!(!import_allowed("lockgate:connector/attendances@0.1.0"));
        assert!(!import_allowed("lockgate:connector/hr@0.3.0"));
        assert!(!import_allowed("evil:backdoor/shell"));
    }

    /// A connector's manifest asking for what 0.2.0 added: two of its
    /// scopes and an attendance event, beside what 0.1.0 has.
    const ASKS_FOR_0_2: &str = r#"
id = "timesheets"
version = "1.0.0"
publisher = "Acme"
name = { de = "Zeiten", en = "Timesheets" }
description = { de = "Arbeitszeiten", en = "Working time" }
categories = ["time"]
direction = "bidirectional"
scopes = ["employees.basic", "attendances.read", "recruiting.write"]
attendance-window = { past-days = 30, future-days = 0 }
[triggers]
events = ["employee-created", "attendance-created"]
"#;

    fn imports(version: &str) -> Vec<String> {
        ["types", "hr", "outcomes"]
            .iter()
            .map(|i| format!("lockgate:connector/{i}@{version}"))
            .chain(["wasi:http/outgoing-handler@0.2.12".to_string()])
            .collect()
    }

    #[test]
    fn a_0_1_0_component_asking_for_what_0_2_0_added_is_refused_naming_each() {
        let manifest = Manifest::parse(ASKS_FOR_0_2.as_bytes()).unwrap();
        assert!(manifest.problems().is_empty(), "{:?}", manifest.problems());

        let contract = contract_of(&imports("0.1.0")).unwrap();
        assert_eq!(contract.as_deref(), Some("0.1.0"));
        let said: Vec<String> = contract_problems(contract.as_deref(), &manifest)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            said,
            [
                "contract: the scope attendances.read needs contract 0.2.0; the component is built against 0.1.0",
                "contract: the scope recruiting.write needs contract 0.2.0; the component is built against 0.1.0",
                "contract: the event attendance-created needs contract 0.2.0; the component is built against 0.1.0",
            ]
        );

        // Built against 0.2.0, the same manifest is fine.
        let contract = contract_of(&imports("0.2.0")).unwrap();
        assert_eq!(contract.as_deref(), Some("0.2.0"));
        assert!(contract_problems(contract.as_deref(), &manifest).is_empty());

        // So is a 0.1.0 component that asks only for what 0.1.0 has.
        let old = ASKS_FOR_0_2
            .replace(r#", "attendances.read", "recruiting.write""#, "")
            .replace(
                "attendance-window = { past-days = 30, future-days = 0 }\n",
                "",
            )
            .replace(r#", "attendance-created""#, "");
        let old = Manifest::parse(old.as_bytes()).unwrap();
        assert!(old.problems().is_empty(), "{:?}", old.problems());
        assert!(contract_problems(Some("0.1.0"), &old).is_empty());
    }

    #[test]
    fn a_component_importing_two_contract_versions_is_refused() {
        let mut both = imports("0.1.0");
        both.extend(imports("0.2.0"));
        assert_eq!(
            contract_of(&both).unwrap_err().to_string(),
            "contract: imports lockgate:connector versions 0.1.0 and 0.2.0; a connector is built against exactly one"
        );
        // An unreleased version is not a contract: its imports are refused
        // one by one as outside the world.
        assert_eq!(contract_of(&imports("0.9.0")).unwrap(), None);
        assert_eq!(contract_of(&[]).unwrap(), None);
    }

    #[test]
    fn garbage_and_core_modules_are_not_components() {
        let garbage = inspect(b"not wasm at all");
        assert!(matches!(garbage.problems[..], [Problem::NotAComponent(_)]));
        // Said plainly, without the parser's dump of the bytes it expected.
        let said = garbage.problems[0].to_string();
        assert!(
            said.contains("WebAssembly header") && said.contains(MANIFEST_SECTION),
            "{said}"
        );
        assert!(!said.contains('[') && !said.contains('\n'), "{said}");
        // A header and garbage after it: one plain line.
        let broken = inspect(b"\0asm\x0d\0\x01\0\xff\xff\xff");
        let said = broken.problems[0].to_string();
        assert!(!said.contains('\n'), "{said}");
        // The smallest valid core module.
        let core = inspect(&[0, b'a', b's', b'm', 1, 0, 0, 0]);
        assert!(
            matches!(&core.problems[..], [Problem::NotAComponent(why)] if why.contains("core module"))
        );
    }
}
