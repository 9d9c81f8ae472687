//! The bundled planner export as raw material: its manifest section read
//! out, and the component rebuilt with another manifest, the way a partner
//! build with a different `connector.toml` would look. Sections are walked
//! by hand (id, LEB128 size, payload): the manifest sits in a custom
//! section of the component's first core module.

use std::ops::Range;

use lockgate_manifest::MANIFEST_SECTION;

/// A LEB128 `u32` at `at`, and where the next byte is.
fn leb(bytes: &[u8], mut at: usize) -> (usize, usize) {
    let (mut value, mut shift) = (0usize, 0);
    loop {
        let byte = bytes[at];
        at += 1;
        value |= usize::from(byte & 0x7f) << shift;
        shift += 7;
        if byte < 0x80 {
            return (value, at);
        }
    }
}

fn put_leb(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The sections of a module or component: id and payload range.
fn sections(binary: &[u8]) -> Vec<(u8, Range<usize>)> {
    let mut out = Vec::new();
    let mut at = 8;
    while at < binary.len() {
        let id = binary[at];
        let (size, start) = leb(binary, at + 1);
        out.push((id, start..start + size));
        at = start + size;
    }
    out
}

/// The custom section's name and where its content starts.
fn custom_name(payload: &[u8]) -> (&[u8], usize) {
    let (len, start) = leb(payload, 0);
    (&payload[start..start + len], start + len)
}

const CORE_MODULE: u8 = 1;
const CUSTOM: u8 = 0;

/// Where the manifest's TOML is in `component`.
pub fn manifest_range(component: &[u8]) -> Range<usize> {
    for (id, module) in sections(component) {
        if id != CORE_MODULE {
            continue;
        }
        let bytes = &component[module.clone()];
        for (id, section) in sections(bytes) {
            if id != CUSTOM {
                continue;
            }
            let (name, content) = custom_name(&bytes[section.clone()]);
            if name == MANIFEST_SECTION.as_bytes() {
                let start = module.start + section.start + content;
                return start..module.start + section.end;
            }
        }
    }
    panic!("the component has no {MANIFEST_SECTION} section");
}

/// The manifest's TOML.
pub fn manifest_of(component: &[u8]) -> &[u8] {
    &component[manifest_range(component)]
}

fn section(out: &mut Vec<u8>, id: u8, payload: &[u8]) {
    out.push(id);
    put_leb(out, payload.len());
    out.extend_from_slice(payload);
}

/// `component` with `manifest` as its manifest section's content.
pub fn with_manifest(component: &[u8], manifest: &[u8]) -> Vec<u8> {
    let range = manifest_range(component);
    let mut out = component[..8].to_vec();
    for (id, module) in sections(component) {
        if !(module.start..module.end).contains(&range.start) {
            section(&mut out, id, &component[module]);
            continue;
        }
        let bytes = &component[module.clone()];
        let mut rebuilt = bytes[..8].to_vec();
        for (id, payload) in sections(bytes) {
            let name = (id == CUSTOM).then(|| custom_name(&bytes[payload.clone()]).0);
            if let Some(name) = name.filter(|n| *n == MANIFEST_SECTION.as_bytes()) {
                let mut content = Vec::new();
                put_leb(&mut content, name.len());
                content.extend_from_slice(name);
                content.extend_from_slice(manifest);
                section(&mut rebuilt, id, &content);
            } else {
                section(&mut rebuilt, id, &bytes[payload]);
            }
        }
        section(&mut out, id, &rebuilt);
    }
    out
}

#[test]
fn the_planner_export_rebuilds_byte_for_byte() {
    let bytes = lockgate::demo::PLANNER_EXPORT;
    let toml = manifest_of(bytes);
    assert!(
        std::str::from_utf8(toml)
            .unwrap()
            .contains("planner-export")
    );
    assert_eq!(with_manifest(bytes, toml), bytes);
    let other = with_manifest(bytes, b"id = \"x\"\n");
    assert_eq!(manifest_of(&other), b"id = \"x\"\n");
    let inspection = lockgate_manifest::inspect(&other);
    assert!(
        inspection
            .problems
            .iter()
            .all(|p| matches!(p, lockgate_manifest::Problem::InvalidManifest(_))),
        "{:?}",
        inspection.problems
    );
}
