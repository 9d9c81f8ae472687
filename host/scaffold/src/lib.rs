//! The connector `lockgate plugin new` writes, in each language the host
//! has an SDK for: manifest with de and en texts, a config form with one
//! secret, one granted host, a sync that pages employees and reports a row
//! each, unit tests against the SDK's stand-in host, a README for the
//! partner and a script that tries it all. The
//! manifest, the stand-in partner and the script are the same in every
//! language; the script's build step and the code differ.
//!
//! The test build writes and builds the same three connectors, so the
//! figures per language compare one connector, not three.

use std::fmt;
use std::path::{Path, PathBuf};

/// A language with an SDK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Rust,
    Ts,
    Python,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Rust, Lang::Ts, Lang::Python];

    /// The SDK's folder, relative to the repository's root.
    pub fn sdk_folder(self) -> &'static str {
        match self {
            Lang::Rust => "sdk",
            Lang::Ts => "sdk/js",
            Lang::Python => "sdk/python",
        }
    }

    fn sdk_marker(self) -> &'static str {
        match self {
            Lang::Rust => "Cargo.toml",
            Lang::Ts => "package.json",
            Lang::Python => "pyproject.toml",
        }
    }

    fn sdk_name(self) -> &'static str {
        match self {
            Lang::Rust => "the lockgate-sdk crate (sdk)",
            Lang::Ts => "the @lockgate/connector package (sdk/js)",
            Lang::Python => "the lockgate-connector package (sdk/python)",
        }
    }

    /// The language's own files: path, template.
    fn files(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Lang::Rust => &[
                (
                    "Cargo.toml",
                    include_str!("../templates/rust/Cargo.toml.in"),
                ),
                ("src/lib.rs", include_str!("../templates/rust/lib.rs.in")),
                ("README.md", include_str!("../templates/rust/README.md.in")),
                (".gitignore", "/target\n*.log\n"),
            ],
            Lang::Ts => &[
                (
                    "package.json",
                    include_str!("../templates/ts/package.json.in"),
                ),
                ("src/index.ts", include_str!("../templates/ts/index.ts.in")),
                (
                    "test/connector.test.mjs",
                    include_str!("../templates/ts/connector.test.mjs.in"),
                ),
                ("README.md", include_str!("../templates/ts/README.md.in")),
                (".gitignore", include_str!("../templates/ts/gitignore.in")),
            ],
            Lang::Python => &[
                ("app.py", include_str!("../templates/python/app.py.in")),
                (
                    "tests/test_app.py",
                    include_str!("../templates/python/test_app.py.in"),
                ),
                (
                    "README.md",
                    include_str!("../templates/python/README.md.in"),
                ),
                (
                    ".gitignore",
                    include_str!("../templates/python/gitignore.in"),
                ),
            ],
        }
    }

    /// The manifest's `memory-mb` line, where the language needs more than
    /// the host's default. A JavaScript engine collects its garbage only
    /// once it holds about 80 to 100 MiB, whatever the cap, and does not
    /// collect when the host refuses it more memory: a run with thousands
    /// of requests outgrows the default 64 MiB.
    fn memory_line(self) -> &'static str {
        match self {
            Lang::Ts => concat!(
                "# The JavaScript engine collects garbage only once it holds 80 to 100 MiB:\n",
                "# a run with thousands of requests needs more than the default 64 MiB.\n",
                "memory-mb = 128\n",
            ),
            Lang::Rust | Lang::Python => "",
        }
    }

    /// The lines of `test.sh` that build the connector and set `wasm` (the
    /// component) and `work` (where the sandbox and the logs go).
    fn build_step(self) -> &'static str {
        match self {
            Lang::Rust => include_str!("../templates/rust/build.sh.in"),
            Lang::Ts => include_str!("../templates/ts/build.sh.in"),
            Lang::Python => include_str!("../templates/python/build.sh.in"),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lang::Rust => "rust",
            Lang::Ts => "ts",
            Lang::Python => "python",
        })
    }
}

/// What every language writes.
const COMMON: &[(&str, &str)] = &[
    (
        "connector.toml",
        include_str!("../templates/common/connector.toml.in"),
    ),
    (
        "fake_partner.py",
        include_str!("../templates/common/fake_partner.py.in"),
    ),
    ("test.sh", include_str!("../templates/common/test.sh.in")),
];

/// One connector to write.
#[derive(Debug, Clone)]
pub struct Scaffold {
    pub lang: Lang,
    /// The connector's id; for Rust also the crate's name.
    pub id: String,
    /// The publisher in the manifest.
    pub publisher: String,
    /// The language's SDK folder the connector builds against.
    pub sdk: PathBuf,
}

/// Why a connector could not be written; each says what to change.
#[derive(Debug)]
pub enum ScaffoldError {
    Name(String),
    FolderInUse(PathBuf),
    Sdk(String),
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl fmt::Display for ScaffoldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScaffoldError::Name(id) => write!(
                f,
                "NAME {id:?}: 2 to 64 lower-case letters, digits and '-', starting with a letter, e.g. acme-sync"
            ),
            ScaffoldError::FolderInUse(dir) => write!(
                f,
                "{} exists and is not empty; choose another --dir",
                dir.display()
            ),
            ScaffoldError::Sdk(why) => f.write_str(why),
            ScaffoldError::Io { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl std::error::Error for ScaffoldError {}

/// Whether `id` can name a connector.
pub fn valid_id(id: &str) -> bool {
    (2..=64).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl Scaffold {
    /// Writes the connector into `dir` (created; it must be missing or
    /// empty). Nothing is written when the name or the SDK is wrong.
    pub fn write(&self, dir: &Path) -> Result<(), ScaffoldError> {
        if !valid_id(&self.id) {
            return Err(ScaffoldError::Name(self.id.clone()));
        }
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |error| ScaffoldError::Io { path, error }
        };
        if dir.exists() && std::fs::read_dir(dir).map_err(io(dir))?.next().is_some() {
            return Err(ScaffoldError::FolderInUse(dir.to_path_buf()));
        }
        let sdk = self.sdk.canonicalize().map_err(|_| {
            ScaffoldError::Sdk(format!(
                "the SDK is not at {}; give the folder of {} with --sdk",
                self.sdk.display(),
                self.lang.sdk_name()
            ))
        })?;
        let marker = self.lang.sdk_marker();
        if !sdk.join(marker).is_file() {
            return Err(ScaffoldError::Sdk(format!(
                "{} holds no {marker}; give the folder of {} with --sdk",
                sdk.display(),
                self.lang.sdk_name()
            )));
        }
        let title = title(&self.id);
        let crate_name = self.id.replace('-', "_");
        let sdk_text = sdk.display().to_string().replace('\\', "/");
        let publisher = self.publisher.replace('"', "'");
        let fill = |text: &str| {
            text.replace("{{build}}", self.lang.build_step().trim_end())
                .replace("{{id}}", &self.id)
                .replace("{{crate}}", &crate_name)
                .replace("{{title}}", &title)
                .replace("{{publisher}}", &publisher)
                .replace("{{sdk}}", &sdk_text)
                .replace("{{memory}}", self.lang.memory_line())
        };
        for (path, text) in COMMON.iter().chain(self.lang.files()) {
            let path = dir.join(path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            std::fs::write(&path, fill(text)).map_err(io(&path))?;
        }
        // The versions the SDK is tested with, so the first build resolves
        // to the same ones.
        let lock = sdk.join("../Cargo.lock");
        if self.lang == Lang::Rust && lock.is_file() {
            std::fs::copy(&lock, dir.join("Cargo.lock")).map_err(io(&lock))?;
        }
        Ok(())
    }
}

/// `acme-sync` → `Acme sync`.
fn title(id: &str) -> String {
    let words = id.replace('-', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_a_connector_can_have() {
        for good in ["acme-sync", "ab", "x2-payroll"] {
            assert!(valid_id(good), "{good}");
        }
        for bad in ["a", "Acme", "acme_sync", "2acme", "acme-", &"a".repeat(65)] {
            assert!(!valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn every_placeholder_is_filled_in_every_language() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        for lang in Lang::ALL {
            let dir = std::env::temp_dir()
                .join(format!("lockgate-scaffold-{lang}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            Scaffold {
                lang,
                id: "acme-sync".into(),
                publisher: "Acme \"Inc\"".into(),
                sdk: root.join(lang.sdk_folder()),
            }
            .write(&dir)
            .unwrap();
            for (path, _) in COMMON.iter().chain(lang.files()) {
                let text = std::fs::read_to_string(dir.join(path)).unwrap();
                assert!(!text.contains("{{"), "{lang} {path}: {text}");
            }
            let manifest = std::fs::read_to_string(dir.join("connector.toml")).unwrap();
            assert!(
                manifest.contains("publisher = \"Acme 'Inc'\""),
                "{manifest}"
            );
            let script = std::fs::read_to_string(dir.join("test.sh")).unwrap();
            assert!(script.contains("wasm="), "{lang}: {script}");
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
}
