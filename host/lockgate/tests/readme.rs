//! The README and the binary say the same: its settings table against
//! `lockgate serve --help`, the settings file and the environment; its
//! connector example against the SDK's; its body limits against the API's.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use lockgate::config::RawConfig;

fn lockgate() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lockgate"));
    // Only what a test sets: a LOCKGATE_* variable of the caller's would
    // change the answers.
    for (name, _) in std::env::vars() {
        if name.starts_with("LOCKGATE_") {
            cmd.env_remove(name);
        }
    }
    cmd
}

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
        .expect("the README")
}

/// One row of the README's settings table.
#[derive(Debug)]
struct Row {
    key: String,
    /// `None` where the README says the setting has no flag.
    flag: Option<String>,
    variable: String,
}

/// The rows of the table headed `| key | flag | variable | default |`; a
/// cell's first `code` is its value.
fn settings_table(readme: &str) -> Vec<Row> {
    let mut lines = readme
        .lines()
        .skip_while(|l| !l.starts_with("| key | flag | variable |"));
    assert!(lines.next().is_some(), "the README has a settings table");
    lines.next();
    let rows: Vec<Row> = lines
        .take_while(|l| l.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            let code = |cell: &str| cell.split('`').nth(1).map(String::from);
            Row {
                key: code(cells[0]).unwrap_or_else(|| panic!("a key in {line}")),
                flag: code(cells[1]).filter(|f| f.starts_with("--")),
                variable: code(cells[2]).unwrap_or_else(|| panic!("a variable in {line}")),
            }
        })
        .collect();
    assert!(rows.len() > 5, "{rows:?}");
    rows
}

fn serve_help() -> String {
    let out = lockgate().args(["serve", "--help"]).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// The long flags of the options a help text lists.
fn help_flags(help: &str) -> BTreeSet<String> {
    help.lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let line = line.strip_prefix("-h, ").unwrap_or(line);
            line.starts_with("--")
                .then(|| line.split([' ', '=']).next().unwrap_or("").to_string())
        })
        .collect()
}

/// The keys the settings file takes: serde lists them all when it
/// refuses an unknown one.
fn file_keys() -> BTreeSet<String> {
    let err = toml::from_str::<RawConfig>("no-such-setting = 1").unwrap_err();
    let message = err.message().to_string();
    let listed = message
        .split("expected one of")
        .nth(1)
        .unwrap_or_else(|| panic!("{message}"));
    listed
        .split(',')
        .map(|k| k.trim().trim_matches('`').to_string())
        .collect()
}

/// The variables the environment takes: the reader lists them all when
/// it refuses an unknown one.
fn env_variables() -> BTreeSet<String> {
    let vars = [("LOCKGATE_NO_SUCH_SETTING".to_string(), "1".to_string())].into();
    let message = RawConfig::from_env(&vars).unwrap_err().to_string();
    let listed = message
        .split("known: ")
        .nth(1)
        .unwrap_or_else(|| panic!("{message}"));
    let known: BTreeSet<String> = listed.split(',').map(|v| v.trim().to_string()).collect();
    for var in &known {
        let vars = [(var.clone(), "x".to_string())].into();
        if let Err(e) = RawConfig::from_env(&vars) {
            assert!(!e.to_string().contains("unknown setting"), "{var}: {e}");
        }
    }
    known
}

#[test]
fn the_readme_settings_are_the_ones_the_cli_takes() {
    let readme = readme();
    let rows = settings_table(&readme);
    let help = serve_help();
    let flags = help_flags(&help);

    let keys: BTreeSet<String> = rows.iter().map(|r| r.key.clone()).collect();
    assert_eq!(keys, file_keys(), "README keys vs the settings file's");
    let variables: BTreeSet<String> = rows.iter().map(|r| r.variable.clone()).collect();
    assert_eq!(
        variables,
        env_variables(),
        "README variables vs the environment's"
    );

    for row in &rows {
        match &row.flag {
            Some(flag) => assert!(
                flags.contains(flag),
                "{flag} is not in serve --help:\n{help}"
            ),
            None => assert!(
                !flags.contains(&format!("--{}", row.key)),
                "the README says {} has no flag",
                row.key
            ),
        }
        // `serve --help` names every setting, flag or not.
        assert!(
            help.contains(&row.key) && help.contains(&row.variable),
            "{} / {} not in serve --help:\n{help}",
            row.key,
            row.variable
        );
    }
    // Every flag of `serve` is a setting in the table, or one the README
    // names for itself.
    let table_flags: BTreeSet<&String> = rows.iter().filter_map(|r| r.flag.as_ref()).collect();
    for flag in &flags {
        if flag == "--help" || table_flags.contains(flag) {
            continue;
        }
        assert!(
            readme.contains(&format!("`{flag}")),
            "serve {flag} is not in the README"
        );
    }
}

/// What `cmd` says on stderr when it fails, as it must within 30 s
/// (run in an empty folder, so a `serve` that starts creates nothing
/// here; stopped if it does start).
fn refused(mut cmd: Command, what: &str) -> String {
    let dir = lockgate_tests::TempDir::named("readme-settings");
    let mut child = cmd
        .current_dir(&dir.0)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(!status.success(), "{what} was accepted");
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
            return stderr;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} was not refused: serve started");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Each flag and variable of the table reaches its setting: a value out
/// of the setting's range is refused naming the setting, from the flag
/// and from the variable alike (before anything is opened).
#[test]
fn each_setting_is_read_from_its_flag_and_its_variable() {
    let rows = settings_table(&readme());
    let bad = [
        ("listen", "nowhere", "not an address"),
        ("database-url", "mysql://db", "database-url must start with"),
        ("allow-http", "not a host", "allow-http"),
        ("secret-key", "short", "secret-key"),
        ("workers", "0", "workers must be between"),
        ("lease-seconds", "1", "lease-seconds must be between"),
        ("max-outcome-rows", "0", "max-outcome-rows must be between"),
        ("max-row-bytes", "1", "max-row-bytes must be between"),
        ("max-log-bytes", "1", "max-log-bytes must be between"),
    ];
    for (key, value, says) in bad {
        let row = rows
            .iter()
            .find(|r| r.key == key)
            .unwrap_or_else(|| panic!("{key} is not in the README's table"));
        let mut tries = vec![("variable", {
            let mut cmd = lockgate();
            cmd.arg("serve").env(&row.variable, value);
            cmd
        })];
        if let Some(flag) = &row.flag {
            let mut cmd = lockgate();
            cmd.args(["serve", flag, value]);
            tries.push(("flag", cmd));
        }
        for (how, cmd) in tries {
            let stderr = refused(cmd, &format!("{key} by {how}"));
            assert!(stderr.contains(says), "{key} by {how}: {stderr}");
        }
    }
}

/// The connector in the README is the SDK's own doc example, character
/// for character (the SDK's is `ignore`d: it builds only as a
/// wasm32-wasip2 component beside a `connector.toml`).
#[test]
fn the_readme_connector_is_the_sdk_example() {
    let readme = readme();
    let section = readme
        .split("## Write a connector")
        .nth(1)
        .expect("the section");
    let example = section
        .split("```rust\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a rust block");
    let sdk =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sdk/src/lib.rs"))
            .unwrap();
    let doc: String = sdk
        .lines()
        .skip_while(|l| *l != "//! ```ignore")
        .skip(1)
        .take_while(|l| *l != "//! ```")
        .map(|l| {
            format!(
                "{}\n",
                l.strip_prefix("//!")
                    .unwrap_or(l)
                    .strip_prefix(' ')
                    .unwrap_or("")
            )
        })
        .collect();
    assert_eq!(doc, example);
    assert!(
        example.contains("})?;") && example.contains("rows.finish()"),
        "every row's push is checked: {example}"
    );
}

/// The body limits the README states are the API's.
#[test]
fn the_readme_states_the_body_limits() {
    let readme = readme();
    for said in [
        format!(
            "an object (`{{…}}`; anything else is `400 bad_json`) of at most {} MiB",
            lockgate::api::MAX_JSON_BYTES >> 20
        ),
        format!(
            "connector file at most {} MiB",
            lockgate::api::MAX_UPLOAD_BYTES >> 20
        ),
    ] {
        let flat = readme.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(&said), "the README does not say {said:?}");
    }
}
