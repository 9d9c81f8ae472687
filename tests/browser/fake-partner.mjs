// A partner's authorization server and API on loopback, for the admin's
// sign-in journey: a sign-in page that grants access, the token endpoint
// (authorization code with PKCE S256, refresh tokens), revocation, and
// `/echo` for the connector's calls. `/stats` tells the journey what
// happened. Only what the journey needs; nothing is persisted.

import { createServer } from "node:http";
import { createHash, randomBytes } from "node:crypto";

const page = (title, body) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:sans-serif;max-width:28rem;margin:4rem auto}label{display:block;margin:.8rem 0 .2rem}
input{width:100%;padding:.4rem}button{margin-top:1rem;padding:.5rem 1rem}</style></head><body>${body}</body></html>`;

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

function form(req) {
  return new Promise((resolve) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => resolve(Object.fromEntries(new URLSearchParams(text))));
  });
}

/** Starts the partner on `port`; resolves to its stats and a close(). */
export function startPartner(port, clientId, clientSecret) {
  const codes = new Map();
  const stats = { signInPages: 0, issued: 0, revoked: [], echoed: [] };
  const basic = "Basic " + Buffer.from(`${clientId}:${clientSecret}`).toString("base64");
  const json = (res, status, body) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const server = createServer(async (req, res) => {
    const u = new URL(req.url, `http://127.0.0.1:${port}`);
    if (req.method === "GET" && u.pathname === "/oauth/authorize") {
      stats.signInPages++;
      const q = Object.fromEntries(u.searchParams);
      if (q.client_id !== clientId || q.code_challenge_method !== "S256" || !q.state) {
        res.writeHead(400, { "content-type": "text/plain" });
        return res.end("unknown client or missing PKCE");
      }
      const hidden = ["redirect_uri", "state", "code_challenge"]
        .map((k) => `<input type="hidden" name="${k}" value="${escape(q[k])}">`).join("");
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      return res.end(page("Sign in · Demo planner", `<h1>Sign in to the demo planner</h1>
<p>Lockgate asks for access to: ${escape(q.scope || "your account")}.</p>
<form method="post" action="/oauth/authorize">${hidden}
<label for="email">E-mail</label><input id="email" name="email" type="email" required>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit">Grant access</button></form>`));
    }
    if (req.method === "POST" && u.pathname === "/oauth/authorize") {
      const f = await form(req);
      const code = randomBytes(12).toString("hex");
      codes.set(code, { challenge: f.code_challenge, redirect: f.redirect_uri });
      const back = new URL(f.redirect_uri);
      back.searchParams.set("code", code);
      back.searchParams.set("state", f.state);
      res.writeHead(303, { location: back.toString() });
      return res.end();
    }
    if (req.method === "POST" && u.pathname === "/oauth/token") {
      if (req.headers.authorization !== basic) return json(res, 401, { error: "invalid_client" });
      const f = await form(req);
      if (f.grant_type === "authorization_code") {
        const known = codes.get(f.code);
        codes.delete(f.code);
        const computed = createHash("sha256").update(f.code_verifier || "").digest("base64url");
        if (!known || known.challenge !== computed || known.redirect !== f.redirect_uri) {
          return json(res, 400, { error: "invalid_grant" });
        }
      } else if (f.grant_type !== "refresh_token") {
        return json(res, 400, { error: "unsupported_grant_type" });
      }
      stats.issued++;
      return json(res, 200, {
        access_token: `acc-${stats.issued}`, token_type: "Bearer", expires_in: 3600,
        refresh_token: `ref-${stats.issued}`,
      });
    }
    if (req.method === "POST" && u.pathname === "/oauth/revoke") {
      if (req.headers.authorization !== basic) { res.writeHead(401); return res.end(); }
      const f = await form(req);
      stats.revoked.push(f.token);
      res.writeHead(200);
      return res.end();
    }
    if (u.pathname === "/echo") {
      stats.echoed.push(req.headers.authorization || null);
      res.writeHead(200, { "content-type": "text/plain" });
      return res.end("recorded");
    }
    if (u.pathname === "/stats") return json(res, 200, stats);
    res.writeHead(404);
    res.end();
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () =>
    resolve({ stats, close: () => server.close() })));
}
