//! The SDKs for other languages carry the WIT they target (`sdk/*/wit`), so
//! a partner outside this repository builds against it. Every copy must be
//! the contract in `wit/`, file for file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                found.insert(path.strip_prefix(root).unwrap().to_path_buf(), bytes);
            }
        }
    }
    found
}

#[test]
fn every_sdk_copy_of_the_wit_is_the_contract() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let contract = files(&root.join("wit"));
    assert!(contract.keys().any(|p| p.ends_with("connector.wit")));
    let mut copies = Vec::new();
    for sdk in std::fs::read_dir(root.join("sdk")).unwrap().flatten() {
        let copy = sdk.path().join("wit");
        if copy.is_dir() {
            copies.push(copy);
        }
    }
    assert!(
        copies.iter().any(|c| c.ends_with("js/wit")),
        "the TypeScript SDK carries its WIT: {copies:?}"
    );
    for copy in copies {
        let found = files(&copy);
        let names = |m: &BTreeMap<PathBuf, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
        assert_eq!(
            names(&found),
            names(&contract),
            "{} has other files than wit/: copy wit/ there again",
            copy.display()
        );
        for (name, bytes) in &contract {
            assert!(
                found[name] == *bytes,
                "{} differs from wit/{}: copy wit/ there again",
                copy.join(name).display(),
                name.display()
            );
        }
    }
}
