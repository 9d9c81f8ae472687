//! Connector files and compiled artifacts: the shared database holds every
//! file, each replica only copies and caches, and nothing read from a disk
//! or the database runs unless it matches its digest.

use lockgate::app::{App, AppConfig, PrepareError};
use lockgate::artifacts::{ArtifactError, digest};
use lockgate::policy::OperatorPolicy;
use lockgate::runtime::{Runtime, RuntimeConfig};
use lockgate::secrets::SecretBox;

use crate::helpers::*;

/// A replica's settings: the shared database, its own data folder, the
/// shared secret key.
fn replica_config(db_url: &str, dir: &TempDir, key: &str) -> AppConfig {
    let mut config = lockgate_tests::app::test_config(db_url, dir, OperatorPolicy::default());
    config.secret_key = Some(key.to_string());
    config
}

/// Two hosts with their own data folders on one database.
async fn two_replicas() -> (App, App, [TempDir; 2]) {
    let (a, b) = (TempDir::named("replica-a"), TempDir::named("replica-b"));
    let db_url = lockgate_tests::test_database_url(&a).await;
    let key = SecretBox::generate_key();
    let one = App::build(replica_config(&db_url, &a, &key)).await.unwrap();
    let two = App::build(replica_config(&db_url, &b, &key)).await.unwrap();
    (one, two, [a, b])
}

#[tokio::test]
async fn a_file_received_by_one_replica_loads_on_another_with_its_own_folder() {
    let (one, two, [_a, b]) = two_replicas().await;
    let sha = one
        .artifacts
        .put(lockgate::demo::PLANNER_EXPORT)
        .await
        .unwrap();
    // Without asking the database, the other replica has nothing…
    match two.plugin(&sha) {
        Err(e @ PrepareError::Unavailable(ArtifactError::Missing(_))) => {
            assert!(e.is_retryable())
        }
        other => panic!(
            "expected Unavailable, got {:?}",
            other.map(|p| p.sha256.clone())
        ),
    }
    // …and asking it, the file comes from the database.
    let plugin = two.load_plugin(&sha).await.unwrap();
    assert_eq!(plugin.manifest.id, "planner-export");
    let copy = std::fs::read(b.0.join("artifacts").join(format!("{sha}.wasm"))).unwrap();
    assert_eq!(
        copy,
        lockgate::demo::PLANNER_EXPORT,
        "a local copy was kept"
    );
}

/// A file in the database that does not match its digest never runs, on
/// any replica; the error says which and lets the job be retried.
#[tokio::test]
async fn a_changed_file_in_the_database_refuses_to_load() {
    let (one, two, _dirs) = two_replicas().await;
    let sha = one
        .artifacts
        .put(lockgate::demo::PLANNER_EXPORT)
        .await
        .unwrap();
    let mut bytes = lockgate::demo::PLANNER_EXPORT.to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    sqlx::query("UPDATE connector_files SET bytes = $1 WHERE sha256 = $2")
        .bind(bytes)
        .bind(&sha)
        .execute(one.store.pool())
        .await
        .unwrap();
    let err = match two.load_plugin(&sha).await {
        Ok(_) => panic!("a tampered artifact loaded"),
        Err(e) => e,
    };
    assert!(
        matches!(
            err,
            PrepareError::Unavailable(ArtifactError::Tampered { .. })
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
    let text = err.to_string();
    assert!(
        text.contains("does not match its digest") && text.contains(&sha),
        "{text}"
    );
    // A digest nothing was stored under is unavailable too.
    let unknown = digest(b"never stored");
    assert!(matches!(
        two.load_plugin(&unknown).await,
        Err(PrepareError::Unavailable(ArtifactError::Missing(_)))
    ));
}

/// A local copy is only a cache: a changed one is replaced from the
/// database, not run.
#[tokio::test]
async fn a_changed_local_copy_is_replaced_from_the_database() {
    let dir = TempDir::new();
    let db_url = lockgate_tests::test_database_url(&dir).await;
    let key = SecretBox::generate_key();
    let host = App::build(replica_config(&db_url, &dir, &key))
        .await
        .unwrap();
    let sha = host
        .artifacts
        .put(lockgate::demo::PLANNER_EXPORT)
        .await
        .unwrap();
    let path = dir.0.join("artifacts").join(format!("{sha}.wasm"));
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[100] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    let fresh = App::build(replica_config(&db_url, &dir, &key))
        .await
        .unwrap();
    assert!(
        matches!(
            fresh.plugin(&sha),
            Err(PrepareError::Unavailable(ArtifactError::Tampered { .. }))
        ),
        "the changed copy is not run"
    );
    let plugin = fresh.load_plugin(&sha).await.unwrap();
    assert_eq!(plugin.sha256, sha);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        lockgate::demo::PLANNER_EXPORT
    );
}

/// An upgrade from a host that kept connector files only in its data
/// folder moves them into the database at start, once, and leaves out a
/// file that does not match its name.
#[tokio::test]
async fn files_only_a_data_folder_holds_move_into_the_database_at_start() {
    let (old, other) = (TempDir::named("old-host"), TempDir::named("new-replica"));
    let db_url = lockgate_tests::test_database_url(&old).await;
    let folder = old.0.join("artifacts");
    std::fs::create_dir_all(&folder).unwrap();
    let sha = digest(lockgate::demo::PLANNER_EXPORT);
    std::fs::write(
        folder.join(format!("{sha}.wasm")),
        lockgate::demo::PLANNER_EXPORT,
    )
    .unwrap();
    let wrong = digest(b"something else");
    std::fs::write(
        folder.join(format!("{wrong}.wasm")),
        lockgate::demo::ATS_HIRE,
    )
    .unwrap();
    std::fs::write(folder.join("notes.txt"), "not a connector").unwrap();

    let key = SecretBox::generate_key();
    let host = App::build(replica_config(&db_url, &old, &key))
        .await
        .unwrap();
    let stored = host.store.connector_file_digests().await.unwrap();
    assert_eq!(stored.into_iter().collect::<Vec<_>>(), vec![sha.clone()]);
    // Starting again (or a second replica on the same folder) is harmless.
    let again = App::build(replica_config(&db_url, &old, &key))
        .await
        .unwrap();
    assert_eq!(again.store.connector_file_digests().await.unwrap().len(), 1);
    // A replica that never saw the folder runs the file.
    let replica = App::build(replica_config(&db_url, &other, &key))
        .await
        .unwrap();
    assert_eq!(
        replica.load_plugin(&sha).await.unwrap().manifest.id,
        "planner-export"
    );
}

/// Replicas with their own data folders and no configured key would each
/// make their own and fail each other's runs: the second refuses to start.
#[tokio::test]
async fn a_host_with_another_secret_key_refuses_to_start() {
    let (a, b) = (TempDir::named("key-a"), TempDir::named("key-b"));
    let db_url = lockgate_tests::test_database_url(&a).await;
    let config = |dir| lockgate_tests::app::test_config(&db_url, dir, OperatorPolicy::default());
    App::build(config(&a)).await.unwrap();
    let err = match App::build(config(&b)).await {
        Ok(_) => panic!("a host with another key started"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("sealed with another key"), "{err}");
    let key = std::fs::read_to_string(a.0.join("secret.key")).unwrap();
    App::build(replica_config(&db_url, &b, key.trim()))
        .await
        .unwrap();
}

/// A compiled-artifact cache entry is used only when it is what this host
/// wrote for this plugin under this engine; a changed, cut or foreign entry
/// is compiled again and replaced.
#[test]
fn a_corrupted_compiled_artifact_is_rebuilt_not_run() {
    let dir = TempDir::new();
    let runtime = || {
        Runtime::new(RuntimeConfig {
            cache_dir: Some(dir.0.clone()),
            max_instances: 4,
            ..RuntimeConfig::default()
        })
        .unwrap()
    };
    let load = |bytes: &[u8]| runtime().load(bytes).unwrap().from_cache;
    let planner = lockgate::demo::PLANNER_EXPORT;
    assert!(!load(planner), "nothing cached yet");
    assert!(load(planner), "a good entry is used");
    let path = runtime().cached_artifact(&digest(planner)).unwrap();
    let good = std::fs::read(&path).unwrap();

    // One byte of the compiled code changed.
    let mut changed = good.clone();
    let middle = changed.len() / 2;
    changed[middle] ^= 0x01;
    std::fs::write(&path, &changed).unwrap();
    assert!(!load(planner), "a changed entry is compiled again");
    assert_eq!(std::fs::read(&path).unwrap(), good, "and replaced");
    assert!(load(planner));

    // Cut short.
    std::fs::write(&path, &good[..good.len() / 3]).unwrap();
    assert!(!load(planner), "a cut entry is compiled again");
    assert!(load(planner));

    // Another plugin's entry under this plugin's name.
    let ats = lockgate::demo::ATS_HIRE;
    assert!(!load(ats));
    let foreign = runtime().cached_artifact(&digest(ats)).unwrap();
    std::fs::copy(&foreign, &path).unwrap();
    let plugin = runtime().load(planner).unwrap();
    assert!(!plugin.from_cache, "a foreign entry is compiled again");
    assert_eq!(plugin.manifest.id, "planner-export");
    assert!(load(planner));
}
