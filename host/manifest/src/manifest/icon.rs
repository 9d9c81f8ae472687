//! The connector's icon: a small PNG or SVG image carried in the manifest
//! as a base64 `data:` URI. The type is decided by the image's own bytes
//! (the PNG signature and header chunk, an `<svg>` root element), never by
//! what the URI claims alone, and both must agree. An SVG may hold shapes,
//! text and inline styles only: no scripts, event handlers, embedded
//! documents, entities or references outside the image, so that it stays
//! inert wherever it is shown.

use base64::Engine;

/// The largest icon, decoded.
pub const MAX_ICON_BYTES: usize = 32 << 10;
/// The widest and highest PNG icon, in pixels.
pub const MAX_ICON_PIXELS: u32 = 1024;

/// What an icon is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IconKind {
    Png,
    Svg,
}

impl IconKind {
    /// The content type it is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            IconKind::Png => "image/png",
            IconKind::Svg => "image/svg+xml",
        }
    }
}

/// A checked icon: its kind and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Icon {
    pub kind: IconKind,
    pub bytes: Vec<u8>,
}

const PNG_PREFIX: &str = "data:image/png;base64,";
const SVG_PREFIX: &str = "data:image/svg+xml;base64,";
const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Decodes and checks the manifest's `icon`; the error says what to fix.
pub fn decode_icon(uri: &str) -> Result<Icon, String> {
    let (claimed, data) = if let Some(rest) = uri.strip_prefix(PNG_PREFIX) {
        (IconKind::Png, rest)
    } else if let Some(rest) = uri.strip_prefix(SVG_PREFIX) {
        (IconKind::Svg, rest)
    } else {
        return Err(format!(
            "give a PNG or SVG image as a base64 data URI, starting with {PNG_PREFIX} or {SVG_PREFIX}"
        ));
    };
    // Base64 grows the image by a third; refuse a huge text before decoding.
    if data.len() > MAX_ICON_BYTES.div_ceil(3) * 4 + 4 {
        return Err(too_big(data.len() / 4 * 3));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| format!("the base64 after the comma does not decode ({e})"))?;
    if bytes.len() > MAX_ICON_BYTES {
        return Err(too_big(bytes.len()));
    }
    let found = if bytes.starts_with(PNG_SIGNATURE) {
        check_png(&bytes)?;
        IconKind::Png
    } else {
        check_svg(&bytes)?;
        IconKind::Svg
    };
    if found != claimed {
        return Err(format!(
            "the data URI says {} but the image is {}; give the matching type",
            claimed.content_type(),
            found.content_type()
        ));
    }
    Ok(Icon { kind: found, bytes })
}

fn too_big(n: usize) -> String {
    format!(
        "the image is {} KiB; an icon may be at most {} KiB (a 128×128 PNG or a simple SVG fits)",
        n.div_ceil(1024),
        MAX_ICON_BYTES >> 10
    )
}

/// The signature, a well-formed header chunk with a sensible size, and the
/// end chunk.
fn check_png(b: &[u8]) -> Result<(), String> {
    let broken = "the PNG is broken: it needs its IHDR header chunk right after the signature and ends with IEND";
    if b.len() < 8 + 25 + 12 || &b[12..16] != b"IHDR" || b[8..12] != [0, 0, 0, 13] {
        return Err(broken.into());
    }
    if &b[b.len() - 8..b.len() - 4] != b"IEND" {
        return Err(broken.into());
    }
    let width = u32::from_be_bytes([b[16], b[17], b[18], b[19]]);
    let height = u32::from_be_bytes([b[20], b[21], b[22], b[23]]);
    if width == 0 || height == 0 || width > MAX_ICON_PIXELS || height > MAX_ICON_PIXELS {
        return Err(format!(
            "the PNG is {width}×{height} pixels; an icon is between 1 and {MAX_ICON_PIXELS} pixels each way"
        ));
    }
    Ok(())
}

/// Markup an icon may not hold: it would run code, pull in another
/// document or expand entities.
const FORBIDDEN: [(&str, &str); 12] = [
    ("<script", "a <script> element"),
    ("<foreignobject", "a <foreignObject> element"),
    ("<iframe", "an <iframe> element"),
    ("<object", "an <object> element"),
    ("<embed", "an <embed> element"),
    ("<audio", "an <audio> element"),
    ("<video", "a <video> element"),
    ("<!doctype", "a DOCTYPE"),
    ("<!entity", "an entity declaration"),
    ("javascript:", "a javascript: address"),
    ("@import", "a style @import"),
    ("<![cdata[", "a CDATA section"),
];

/// An SVG document with `<svg>` as its root and nothing that could act.
fn check_svg(b: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(b).map_err(|_| {
        "the image is neither a PNG (no PNG signature) nor an SVG (not UTF-8 text)".to_string()
    })?;
    let lower = text.to_ascii_lowercase();
    let mut rest = lower.trim_start_matches('\u{feff}').trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("<?xml") {
            rest = after
                .split_once("?>")
                .ok_or("the XML declaration is not closed with ?>")?
                .1
                .trim_start();
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after
                .split_once("-->")
                .ok_or("a comment is not closed with -->")?
                .1
                .trim_start();
        } else {
            break;
        }
    }
    let root = rest.strip_prefix("<svg").is_some_and(|after| {
        after.starts_with(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
    });
    if !root {
        return Err(
            "the image is neither a PNG (no PNG signature) nor an SVG (its root element is not <svg>)"
                .into(),
        );
    }
    if !lower.trim_end().ends_with("</svg>") && !rest.trim_end().ends_with("/>") {
        return Err("the SVG does not end with </svg>".into());
    }
    let mut problems = Vec::new();
    for (needle, what) in FORBIDDEN {
        if lower.contains(needle) {
            problems.push(what.to_string());
        }
    }
    if let Some(name) = event_handler(&lower) {
        problems.push(format!("an event handler attribute ({name})"));
    }
    if let Some(value) = outside_reference(&lower) {
        problems.push(format!("a reference outside the image ({value})"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the SVG holds {}; an icon may hold shapes, text and inline styles only",
            problems.join(", ")
        ))
    }
}

/// The first `on…=` attribute, if any.
fn event_handler(lower: &str) -> Option<String> {
    let bytes = lower.as_bytes();
    let mut i = 0;
    while let Some(at) = lower[i..].find("on") {
        let start = i + at;
        i = start + 2;
        let before_ok =
            start > 0 && (bytes[start - 1].is_ascii_whitespace() || bytes[start - 1] == b'/');
        if !before_ok {
            continue;
        }
        let name_end = lower[start + 2..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .map_or(lower.len(), |n| start + 2 + n);
        if name_end == start + 2 {
            continue;
        }
        if lower[name_end..].trim_start().starts_with('=') {
            return Some(lower[start..name_end].to_string());
        }
    }
    None
}

/// The first `href` or `url(…)` that points anywhere but into the image.
fn outside_reference(lower: &str) -> Option<String> {
    let mut i = 0;
    while let Some(at) = lower[i..].find("href") {
        let start = i + at;
        i = start + 4;
        let after = lower[i..].trim_start();
        let Some(value) = after.strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start().trim_start_matches(['"', '\'']);
        if !value.starts_with('#') {
            return Some(short(value));
        }
    }
    let mut i = 0;
    while let Some(at) = lower[i..].find("url(") {
        i += at + 4;
        let value = lower[i..].trim_start().trim_start_matches(['"', '\'']);
        if !value.starts_with('#') {
            return Some(format!("url({}", short(value)));
        }
    }
    None
}

fn short(value: &str) -> String {
    value
        .chars()
        .take_while(|c| !matches!(c, '"' | '\'' | ')' | '>'))
        .take(40)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svg_uri(svg: &str) -> String {
        format!(
            "{SVG_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(svg)
        )
    }

    fn png(width: u32, height: u32, padding: usize) -> Vec<u8> {
        let mut b = PNG_SIGNATURE.to_vec();
        b.extend([0, 0, 0, 13]);
        b.extend(b"IHDR");
        b.extend(width.to_be_bytes());
        b.extend(height.to_be_bytes());
        b.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
        b.extend(vec![0; padding]);
        b.extend([0, 0, 0, 0]);
        b.extend(b"IEND");
        b.extend([0xae, 0x42, 0x60, 0x82]);
        b
    }

    fn png_uri(bytes: &[u8]) -> String {
        format!(
            "{PNG_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    }

    const GOOD_SVG: &str = r##"<?xml version="1.0"?>
<!-- a logo -->
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><defs><linearGradient id="g"/></defs>
<rect width="64" height="64" rx="12" fill="url(#g)" style="stroke:#123"/><use href="#g"/><text x="8" y="40">Ab</text></svg>"##;

    #[test]
    fn a_small_svg_and_png_pass() {
        let icon = decode_icon(&svg_uri(GOOD_SVG)).unwrap();
        assert_eq!(icon.kind, IconKind::Svg);
        assert_eq!(icon.bytes, GOOD_SVG.as_bytes());
        let icon = decode_icon(&png_uri(&png(64, 64, 100))).unwrap();
        assert_eq!(icon.kind, IconKind::Png);
    }

    #[test]
    fn too_big_is_refused_with_the_limit() {
        let big = png(64, 64, MAX_ICON_BYTES);
        let e = decode_icon(&png_uri(&big)).unwrap_err();
        assert!(e.contains("at most 32 KiB"), "{e}");
        let svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\">{}</svg>",
            "<g/>".repeat(9000)
        );
        let e = decode_icon(&svg_uri(&svg)).unwrap_err();
        assert!(e.contains("at most 32 KiB"), "{e}");
    }

    #[test]
    fn wrong_types_are_refused() {
        for (uri, says) in [
            ("https://example.com/logo.png".to_string(), "data URI"),
            ("data:image/gif;base64,R0lGODlh".to_string(), "data URI"),
            (
                format!(
                    "{PNG_PREFIX}{}",
                    base64::engine::general_purpose::STANDARD.encode(b"GIF89a....")
                ),
                "neither a PNG",
            ),
            (format!("{PNG_PREFIX}%%%"), "does not decode"),
            (png_uri(&png(64, 64, 0)[..30]), "PNG is broken"),
            (png_uri(&png(5000, 64, 0)), "5000×64"),
            (
                format!(
                    "{SVG_PREFIX}{}",
                    &png_uri(&png(8, 8, 0))[PNG_PREFIX.len()..]
                ),
                "says image/svg+xml but the image is image/png",
            ),
            (
                svg_uri("<html><svg></svg></html>"),
                "root element is not <svg>",
            ),
            (svg_uri("<svg>"), "does not end with </svg>"),
        ] {
            let e = decode_icon(&uri).unwrap_err();
            assert!(e.contains(says), "{uri}: {e}");
        }
    }

    #[test]
    fn active_svg_content_is_refused() {
        for (svg, says) in [
            ("<svg><script>alert(1)</script></svg>", "<script>"),
            ("<svg onload=\"alert(1)\"></svg>", "onload"),
            ("<svg><rect\nONCLICK = 'x'/></svg>", "onclick"),
            (
                "<svg><image href=\"https://evil.example/x.png\"/></svg>",
                "https://evil.example/x.png",
            ),
            ("<svg><use xlink:href='other.svg#a'/></svg>", "other.svg#a"),
            (
                "<svg><rect style=\"fill:url(https://t.example/)\"/></svg>",
                "url(https://t.example/",
            ),
            (
                "<svg><foreignObject><div/></foreignObject></svg>",
                "foreignObject",
            ),
            (
                "<!DOCTYPE svg [<!ENTITY a \"b\">]><svg></svg>",
                "root element is not <svg>",
            ),
            (
                "<svg><a href=\"javascript:alert(1)\"/></svg>",
                "javascript:",
            ),
            ("<svg><style>@import 'x.css';</style></svg>", "@import"),
        ] {
            let e = decode_icon(&svg_uri(svg)).unwrap_err();
            assert!(e.contains(says), "{svg}: {e}");
        }
        // A word merely containing "on" is no handler.
        decode_icon(&svg_uri(
            "<svg><text font-family=\"Helvetica\">on = off</text></svg>",
        ))
        .unwrap();
    }
}
