//! Connector files changed for a test: the same component with another
//! manifest.

/// `component` with its manifest replaced by `edit(text)`: the section
/// (inside the core module, so its size cannot change in place) is renamed
/// and a new one appended to the component.
pub fn with_manifest(component: &[u8], edit: impl FnOnce(&str) -> String) -> Vec<u8> {
    fn leb(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    let name = lockgate_manifest::MANIFEST_SECTION.as_bytes();
    // id 0, size, name length (one byte), name, text.
    let at = component
        .windows(name.len())
        .position(|w| w == name)
        .expect("a manifest section");
    let mut start = at - 2;
    while component[start - 1] & 0x80 != 0 {
        start -= 1;
    }
    let (mut size, mut shift) = (0usize, 0);
    for byte in &component[start..at - 1] {
        size |= usize::from(byte & 0x7f) << shift;
        shift += 7;
    }
    assert_eq!(component[start - 1], 0, "a custom section");
    let text = std::str::from_utf8(&component[at + name.len()..at - 1 + size]).expect("TOML");
    let text = edit(text);
    let mut out = component.to_vec();
    out[at] = b'X';
    let mut section = vec![name.len() as u8];
    section.extend_from_slice(name);
    section.extend_from_slice(text.as_bytes());
    out.push(0);
    leb(section.len(), &mut out);
    out.extend_from_slice(&section);
    out
}
