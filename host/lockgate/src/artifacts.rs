//! Connector files, addressed by their SHA-256. The shared database holds
//! every file, so any replica can run any build whichever replica received
//! it. A replica may keep a local copy of the files it used (in its data
//! folder): a cache of the database, refilled from it. A file is checked
//! against its digest every time it is read, from either place: a changed
//! local copy is replaced from the database; a database entry that does
//! not match its digest refuses to load.
//!
//! Hosts before the database held the files kept them only in the data
//! folder; [`Artifacts::import_local`] moves those into the database at
//! start, so an upgrade loses none.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::store::{Store, StoreError};

#[derive(Debug, Clone)]
pub struct Artifacts {
    store: Store,
    /// Where this replica keeps its copies; `None` keeps none.
    local: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("artifact {0} is missing")]
    Missing(String),
    #[error(
        "artifact {sha256} does not match its digest (found {actual}); it was changed and will not be run"
    )]
    Tampered { sha256: String, actual: String },
    #[error("artifact store: {0}")]
    Io(#[from] std::io::Error),
    #[error("artifact store: {0}")]
    Store(#[from] StoreError),
}

/// The hex SHA-256 of `bytes`.
pub fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn is_digest(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `bytes` if they are what `sha256` names.
fn verified(sha256: &str, bytes: Vec<u8>) -> Result<Vec<u8>, ArtifactError> {
    let actual = digest(&bytes);
    if actual != sha256 {
        return Err(ArtifactError::Tampered {
            sha256: sha256.to_string(),
            actual,
        });
    }
    Ok(bytes)
}

impl Artifacts {
    /// Files in `store`'s database, without local copies.
    pub fn new(store: Store) -> Artifacts {
        Artifacts { store, local: None }
    }

    /// The same, keeping a copy of every file used in `dir`.
    pub fn with_local_copies(self, dir: impl Into<PathBuf>) -> Artifacts {
        Artifacts {
            local: Some(dir.into()),
            ..self
        }
    }

    fn path(&self, sha256: &str) -> Option<PathBuf> {
        Some(self.local.as_ref()?.join(format!("{sha256}.wasm")))
    }

    /// Stores `bytes` in the database; returns their digest. Storing the
    /// same bytes twice, from any replica, is harmless.
    pub async fn put(&self, bytes: &[u8]) -> Result<String, ArtifactError> {
        let sha256 = digest(bytes);
        self.store.put_connector_file(&sha256, bytes).await?;
        if self.path(&sha256).is_some_and(|p| !p.exists()) {
            self.keep_copy(&sha256, bytes);
        }
        Ok(sha256)
    }

    /// Reads and verifies a file: this replica's copy when it has a good
    /// one, else the database's.
    pub async fn get(&self, sha256: &str) -> Result<Vec<u8>, ArtifactError> {
        match self.local_copy(sha256) {
            Ok(bytes) => return Ok(bytes),
            Err(ArtifactError::Missing(_)) => {}
            Err(e) => tracing::warn!("replacing the local copy from the database: {e}"),
        }
        let bytes = self
            .store
            .connector_file(sha256)
            .await?
            .ok_or_else(|| ArtifactError::Missing(sha256.to_string()))?;
        let bytes = verified(sha256, bytes)?;
        self.keep_copy(sha256, &bytes);
        Ok(bytes)
    }

    /// This replica's verified copy, without asking the database.
    pub fn local_copy(&self, sha256: &str) -> Result<Vec<u8>, ArtifactError> {
        let missing = || ArtifactError::Missing(sha256.to_string());
        if !is_digest(sha256) {
            return Err(missing());
        }
        let path = self.path(sha256).ok_or_else(missing)?;
        let bytes = std::fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => missing(),
            _ => ArtifactError::Io(e),
        })?;
        verified(sha256, bytes)
    }

    /// Writes the local copy; a copy is only a cache, so failing to write
    /// one is logged, not an error.
    fn keep_copy(&self, sha256: &str, bytes: &[u8]) {
        let (Some(dir), Some(path)) = (&self.local, self.path(sha256)) else {
            return;
        };
        if let Err(e) = write_atomically(dir, &path, bytes) {
            tracing::warn!("cannot keep a local copy of artifact {sha256}: {e}");
        }
    }

    /// Moves files only this replica's data folder holds (from a host that
    /// kept them there alone) into the database; returns how many. A file
    /// that does not match its name is left out, with a warning: it would
    /// not load anyway. Safe to run on every start and on every replica.
    pub async fn import_local(&self) -> Result<usize, ImportError> {
        let Some(dir) = &self.local else {
            return Ok(0);
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(source) => {
                return Err(ImportError::Folder {
                    path: dir.clone(),
                    source,
                });
            }
        };
        let mut candidates = Vec::new();
        for entry in entries {
            let path = entry
                .map_err(|source| ImportError::Folder {
                    path: dir.clone(),
                    source,
                })?
                .path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if let Some(sha256) = name.strip_suffix(".wasm").filter(|s| is_digest(s)) {
                candidates.push(sha256.to_string());
            }
        }
        if candidates.is_empty() {
            return Ok(0);
        }
        let stored = self.store.connector_file_digests().await?;
        let mut imported = 0;
        for sha256 in candidates.iter().filter(|s| !stored.contains(*s)) {
            match self.local_copy(sha256) {
                Ok(bytes) => {
                    self.store.put_connector_file(sha256, &bytes).await?;
                    imported += 1;
                }
                Err(e) => tracing::warn!("not importing {}: {e}", dir.display()),
            }
        }
        Ok(imported)
    }
}

/// Why the files of an older host could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {}: {source}", path.display())]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Write then rename, so a concurrent reader never sees half a file; the
/// temporary name is unique per writer (two runs may write the same file).
pub(crate) fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static WRITES: AtomicU64 = AtomicU64::new(0);
    std::fs::create_dir_all(dir)?;
    let n = WRITES.fetch_add(1, Ordering::Relaxed);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}-{n}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
