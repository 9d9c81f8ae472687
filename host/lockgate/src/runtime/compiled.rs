//! The compiled-artifact cache: one file per plugin digest and engine in
//! this replica's cache folder, filled on first use. It is only a cache:
//! an entry is used only when its header names the same plugin digest and
//! the same engine (wasmtime version and compilation settings) and its
//! contents match the digest the header records. Anything else — a file cut
//! short or changed on disk, one written for another plugin or by another
//! engine — is compiled again and replaced, never run.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// The format, in the first bytes of every entry.
const MAGIC: &[u8; 16] = b"lockgate-cwasm-1";
/// Magic, plugin digest, engine key, digest of the compiled code.
const HEADER: usize = MAGIC.len() + 32 + 32 + 32;

pub(super) struct CompiledCache {
    dir: PathBuf,
    /// SHA-256 of the engine's compatibility hash: two engines that may
    /// share compiled code have the same key.
    engine_key: [u8; 32],
}

/// Feeds a `Hash` into SHA-256, which (unlike `DefaultHasher`) is the same
/// in every build of the host.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        u64::from_le_bytes(digest[..8].try_into().unwrap_or_default())
    }
}

impl CompiledCache {
    pub(super) fn new(dir: PathBuf, engine: &Engine) -> CompiledCache {
        let mut hasher = Sha256Hasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut hasher);
        CompiledCache {
            dir,
            engine_key: hasher.0.finalize().into(),
        }
    }

    /// The entry for a plugin digest under this engine.
    pub(super) fn path(&self, sha256: &str) -> PathBuf {
        let engine = hex::encode(&self.engine_key[..8]);
        self.dir.join(format!("{sha256}-{engine}.cwasm"))
    }

    /// The cached compilation of the plugin `sha256`, when there is an
    /// entry and it checks out.
    pub(super) fn read(&self, engine: &Engine, sha256: &str) -> Option<Component> {
        let path = self.path(sha256);
        let entry = match std::fs::read(&path) {
            Ok(entry) => entry,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!("cannot read cached artifact {}: {e}", path.display());
                return None;
            }
        };
        let reason = match self.check(&entry, sha256) {
            // SAFETY: the header names this plugin and this engine, and the
            // compiled code is byte for byte what `write` stored: the output
            // of `Component::serialize` on an engine that may share code
            // with this one, in a folder only the host writes to.
            Ok(code) => match unsafe { Component::deserialize(engine, code) } {
                Ok(component) => return Some(component),
                Err(e) => e.to_string(),
            },
            Err(reason) => reason.to_string(),
        };
        tracing::warn!("rebuilding cached artifact {}: {reason}", path.display());
        None
    }

    /// The compiled code of a well-formed entry for `sha256`.
    fn check<'a>(&self, entry: &'a [u8], sha256: &str) -> Result<&'a [u8], &'static str> {
        if entry.len() < HEADER || &entry[..MAGIC.len()] != MAGIC {
            return Err("not an entry of this cache");
        }
        let (header, code) = entry.split_at(HEADER);
        let plugin = &header[MAGIC.len()..MAGIC.len() + 32];
        let engine = &header[MAGIC.len() + 32..MAGIC.len() + 64];
        let content = &header[MAGIC.len() + 64..];
        if hex::decode(sha256).ok().as_deref() != Some(plugin) {
            return Err("compiled for another plugin");
        }
        if engine != self.engine_key {
            return Err("compiled by another engine");
        }
        if Sha256::digest(code).as_slice() != content {
            return Err("its contents do not match their digest");
        }
        Ok(code)
    }

    /// Stores a compilation; a cache that cannot be written is logged.
    pub(super) fn write(&self, sha256: &str, component: &Component) {
        let path = self.path(sha256);
        let write = || -> std::io::Result<()> {
            let code = component.serialize().map_err(std::io::Error::other)?;
            let plugin = hex::decode(sha256).map_err(std::io::Error::other)?;
            let mut entry = Vec::with_capacity(HEADER + code.len());
            entry.extend_from_slice(MAGIC);
            entry.extend_from_slice(&plugin);
            entry.extend_from_slice(&self.engine_key);
            entry.extend_from_slice(&Sha256::digest(&code));
            entry.extend_from_slice(&code);
            crate::artifacts::write_atomically(&self.dir, &path, &entry)
        };
        if let Err(e) = write() {
            tracing::warn!("could not cache compiled artifact {}: {e}", path.display());
        }
    }
}
