// Talks to the API with the signed-in token. The token stays in this
// tab's session storage, never in a URL.

import { lang } from "./i18n.js";

const KEY = "lockgate-token";

export function token() { return sessionStorage.getItem(KEY) || ""; }
export function setToken(t) {
  if (t) sessionStorage.setItem(KEY, t);
  else sessionStorage.removeItem(KEY);
}

/** An API error: its message, per-field problems and code. */
export class ApiFailure extends Error {
  constructor(status, error) {
    super(error.message || String(status));
    this.status = status;
    this.code = error.code;
    this.fields = error.fields || [];
  }
}

/**
 * `api("GET", "/api/v1/me")`; a body that is a string or a Blob goes as
 * it is with `type`, anything else as JSON.
 */
export async function api(method, path, body, type) {
  const headers = { authorization: "Bearer " + token(), "accept-language": lang() };
  let payload;
  if (body instanceof Blob || typeof body === "string") {
    payload = body;
    headers["content-type"] = type || "application/octet-stream";
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["content-type"] = "application/json";
  }
  const res = await fetch(path, { method, headers, body: payload });
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiFailure(res.status, (data && data.error) || { message: res.statusText });
  return data;
}

/** A path segment, escaped. */
export const seg = encodeURIComponent;
