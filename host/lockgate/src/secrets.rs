//! Secret configuration values at rest. An install's secrets are sealed as
//! one JSON map with XChaCha20-Poly1305 under the host's key, bound to the
//! install id so a sealed value cannot be moved to another install. They
//! are opened only to build a run's grant and never leave the host.

use std::collections::BTreeMap;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::Rng;

const VERSION: &str = "v1:";

/// The host's key, able to seal and open install secrets.
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the secret key must be 64 hexadecimal characters (32 bytes)")]
    BadKey,
    #[error(
        "stored secrets cannot be opened with this key; was the secret key changed? Reconfigure the install to enter them again"
    )]
    Undecryptable,
    #[error(
        "the install secrets in this database are sealed with another key; give every host that shares the database the same key (secret-key or LOCKGATE_SECRET_KEY)"
    )]
    OtherKey,
    #[error("cannot use the key file {path}: {source}")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
}

impl SecretBox {
    /// A key given as 64 hex characters.
    pub fn from_hex(key: &str) -> Result<SecretBox, SecretError> {
        let bytes = hex::decode(key.trim()).map_err(|_| SecretError::BadKey)?;
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| SecretError::BadKey)?;
        Ok(SecretBox { cipher })
    }

    /// A fresh random key, as hex.
    pub fn generate_key() -> String {
        let key: [u8; 32] = rand::rng().random();
        hex::encode(key)
    }

    /// The key in `path`, created (readable by the owner only) when missing.
    pub fn load_or_create(path: &Path) -> Result<SecretBox, SecretError> {
        let fail = |source| SecretError::KeyFile {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => SecretBox::from_hex(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(fail)?;
                }
                let key = SecretBox::generate_key();
                write_private(path, &key).map_err(fail)?;
                SecretBox::from_hex(&key)
            }
            Err(e) => Err(fail(e)),
        }
    }

    /// Seals `values` for the install `owner`.
    pub fn seal(&self, owner: &str, values: &BTreeMap<String, String>) -> String {
        let nonce: [u8; 24] = rand::rng().random();
        let plain = serde_json::to_vec(values).unwrap_or_default();
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: owner.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encryption does not fail for in-memory input");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{VERSION}{}", hex::encode(out))
    }

    /// Opens what [`SecretBox::seal`] produced for the same owner.
    pub fn open(&self, owner: &str, sealed: &str) -> Result<BTreeMap<String, String>, SecretError> {
        let bytes = sealed
            .strip_prefix(VERSION)
            .and_then(|h| hex::decode(h).ok())
            .filter(|b| b.len() > 24)
            .ok_or(SecretError::Undecryptable)?;
        let (nonce, body) = bytes.split_at(24);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Undecryptable)?;
        serde_json::from_slice(&plain).map_err(|_| SecretError::Undecryptable)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_for_their_owner_and_key() {
        let key = SecretBox::generate_key();
        let sb = SecretBox::from_hex(&key).unwrap();
        let values = BTreeMap::from([("api-key".to_string(), "s3cret-value".to_string())]);
        let sealed = sb.seal("inst-1", &values);
        assert!(!sealed.contains("s3cret"), "{sealed}");
        assert_eq!(sb.open("inst-1", &sealed).unwrap(), values);
        assert!(sb.open("inst-2", &sealed).is_err(), "bound to the install");
        let other = SecretBox::from_hex(&SecretBox::generate_key()).unwrap();
        assert!(other.open("inst-1", &sealed).is_err(), "bound to the key");
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('0') { '1' } else { '0' });
        assert!(sb.open("inst-1", &tampered).is_err());
        assert!(SecretBox::from_hex("abcd").is_err());
    }

    #[test]
    fn a_missing_key_file_is_created_once() {
        let dir = std::env::temp_dir().join(format!("lockgate-key-{}", std::process::id()));
        let path = dir.join("secret.key");
        let _ = std::fs::remove_dir_all(&dir);
        let first = SecretBox::load_or_create(&path).unwrap();
        let sealed = first.seal("i", &BTreeMap::from([("k".into(), "v".into())]));
        let second = SecretBox::load_or_create(&path).unwrap();
        assert_eq!(second.open("i", &sealed).unwrap()["k"], "v");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
