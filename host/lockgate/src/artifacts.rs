//! Connector files on disk, addressed by their SHA-256. A file is checked
//! against its name every time it is read, so a tampered artifact refuses
//! to load instead of running.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct Artifacts {
    dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("artifact {0} is missing")]
    Missing(String),
    #[error(
        "artifact {sha256} does not match its digest (found {actual}); it was changed on disk and will not be run"
    )]
    Tampered { sha256: String, actual: String },
    #[error("artifact store: {0}")]
    Io(#[from] std::io::Error),
}

impl Artifacts {
    pub fn new(dir: impl Into<PathBuf>) -> Artifacts {
        Artifacts { dir: dir.into() }
    }

    fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(format!("{sha256}.wasm"))
    }

    /// Stores `bytes`; returns their digest. Storing the same bytes twice
    /// is harmless.
    pub fn put(&self, bytes: &[u8]) -> Result<String, ArtifactError> {
        let sha256 = hex::encode(Sha256::digest(bytes));
        let path = self.path(&sha256);
        if !path.exists() {
            std::fs::create_dir_all(&self.dir)?;
            // Unique per writer: the same file may be submitted twice at once.
            static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let tmp = self
                .dir
                .join(format!(".{sha256}.{}-{n}", std::process::id()));
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, &path)?;
        }
        Ok(sha256)
    }

    /// Reads and verifies an artifact.
    pub fn get(&self, sha256: &str) -> Result<Vec<u8>, ArtifactError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ArtifactError::Missing(sha256.to_string()));
        }
        let bytes = std::fs::read(self.path(sha256)).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ArtifactError::Missing(sha256.to_string()),
            _ => ArtifactError::Io(e),
        })?;
        let actual = hex::encode(Sha256::digest(&bytes));
        if actual != sha256 {
            return Err(ArtifactError::Tampered {
                sha256: sha256.to_string(),
                actual,
            });
        }
        Ok(bytes)
    }
}
