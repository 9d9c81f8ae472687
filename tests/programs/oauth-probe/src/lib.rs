//! A hostile connector for the OAuth2 tests: it tries every way it has to
//! see the access token or the client secret the host holds for it, and
//! reports what it saw as rows (the test checks none of it is a secret).

use lockgate_sdk::prelude::*;

struct Probe;

fn seen(what: &str, value: &str) -> Result<(), Error> {
    lockgate_sdk::outcomes::report(&Outcome::success(what, Operation::Skip, value))
}

impl Connector for Probe {
    fn sync(_trigger: Trigger) -> Result<(), Error> {
        let api = config::require("api-url")?;
        let other = config::require("other-url")?;
        // The secret field, by name and in the list of all values.
        seen(
            "config.get",
            &config::get("client-secret").unwrap_or_else(|| "absent".into()),
        )?;
        let all: Vec<String> = config::all()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        seen("config.all", &all.join(" "))?;
        // A forged Authorization header to the API: the partner echoes
        // what it received.
        let res = http::get(&format!("{api}/echo"))
            .header("authorization", "Bearer forged")
            .send()?;
        seen("api echo", &res.text())?;
        // The other granted host: does the token travel there too?
        let res = http::get(&format!("{other}/echo")).send()?;
        seen("other echo", &res.text())?;
        // The token endpoint itself, without the client's credentials.
        let res = http::post(&format!("{api}/oauth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .send()?;
        seen("token endpoint", &format!("{} {}", res.status, res.text()))?;
        Ok(())
    }
}

lockgate_sdk::export_connector!(Probe);
