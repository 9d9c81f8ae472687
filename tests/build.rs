//! Builds the test programs in `tests/programs/`, the connectors ported
//! to other languages and the connector `lockgate plugin new` writes (in
//! each language) from source, every time they change.

use std::path::{Path, PathBuf};

use lockgate_scaffold::{Lang, Scaffold};

const PROGRAMS: &[&str] = &[
    "test-hostile",
    "test-hostile-net",
    "test-hostile-records",
    "test-raw-socket",
    "test-flawed-department",
    "test-flawed-stateless",
    "test-flawed-forgetful",
    "test-flawed-compensation",
    "test-flawed-secret",
    "test-flawed-no-en",
    "test-events",
    "test-oauth-probe",
    "test-data-probe",
    "test-data-probe-readonly",
    "test-contract-0-1",
    "account-provisioning",
];

/// Python connectors (folders): test programs and ports of bundled ones.
const PYTHON: &[&str] = &[
    "tests/programs/hostile-py",
    "plugins/ats-hire-py",
    "sdk/python/example",
];
/// Connectors in TypeScript: test programs and ports of bundled connectors
/// (not bundled into the host, so building the host needs no Node.js).
const JS_PROGRAMS: &[&str] = &["tests/programs/hostile-ts", "plugins/absence-mirror-ts"];

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("..");
    let dir = lockgate_guest_build::build(&root, PROGRAMS, &["tests/programs"]);
    println!("cargo:rustc-env=TEST_PROGRAMS_DIR={}", dir.display());
    let python = lockgate_guest_build::python::build_python(&root, PYTHON);
    println!("cargo:rustc-env=TEST_PYTHON_DIR={}", python.display());
    let js = lockgate_guest_build::js::build_js(&root, JS_PROGRAMS);
    println!("cargo:rustc-env=TEST_JS_DIR={}", js.display());
    scaffolds(&root);
}

/// Writes the `plugin new` connector as `scaffold-rust`, `scaffold-ts` and
/// `scaffold-python` under `<target>/guest/scaffold-sources/` and builds each;
/// `SCAFFOLD_<LANG>_WASM` name the components.
fn scaffolds(root: &Path) {
    println!(
        "cargo:rerun-if-changed={}",
        root.join("host/scaffold").display()
    );
    // One place for every profile, so a debug and a release build do not
    // rebuild each other's.
    let base = lockgate_guest_build::guest_target().join("scaffold-sources");
    for lang in Lang::ALL {
        let id = format!("scaffold-{lang}");
        let dir = base.join(&id);
        let next = base.join(format!("{id}.next"));
        let _ = std::fs::remove_dir_all(&next);
        Scaffold {
            lang,
            id: id.clone(),
            publisher: "Lockgate".into(),
            sdk: root.join(lang.sdk_folder()),
        }
        .write(&next)
        .unwrap_or_else(|e| panic!("writing {id}: {e}"));
        // Replaced only when it changed: the builds below (and cargo's
        // rerun checks) go by the files' contents and times.
        if files(&next) == files(&dir) {
            std::fs::remove_dir_all(&next).expect("remove the unchanged copy");
        } else {
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::rename(&next, &dir).expect("move the scaffold in place");
        }
        let wasm = match lang {
            Lang::Rust => lockgate_guest_build::build_standalone(&dir, &id),
            Lang::Ts => {
                lockgate_guest_build::js::build_js(root, &[dir.to_str().expect("UTF-8 path")])
                    .join(format!("{}.wasm", id.replace('-', "_")))
            }
            Lang::Python => lockgate_guest_build::python::build_python(
                root,
                &[dir.to_str().expect("UTF-8 path")],
            )
            .join(format!("{}.wasm", id.replace('-', "_"))),
        };
        assert!(wasm.is_file(), "{} was not built", wasm.display());
        println!(
            "cargo:rustc-env=SCAFFOLD_{}_WASM={}",
            lang.to_string().to_uppercase(),
            wasm.display()
        );
    }
}

/// Every file under `dir` with its contents, in path order.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(folder) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push((path.strip_prefix(dir).unwrap_or(&path).to_path_buf(), bytes));
            }
        }
    }
    out.sort();
    out
}
