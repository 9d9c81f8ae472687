// Hash routes: `#/integrations/inst_1/runs/run_2?status=failed`. Every view
// has one, so reload and the back button keep the place.

/** The current route: its decoded path segments and query. */
export function current() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path, query] = hash.split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { parts, query: new URLSearchParams(query || "") };
}

/** `#/a/b?c=d` from segments and a query object (empty values dropped). */
export function href(parts, query) {
  const q = new URLSearchParams(Object.entries(query || {}).filter(([, v]) => v !== "" && v != null));
  const s = q.toString();
  return "#/" + parts.map(encodeURIComponent).join("/") + (s ? "?" + s : "");
}

/** Goes to a route; the history keeps the one before. */
export function go(parts, query) {
  const target = href(parts, query);
  if (location.hash === target) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = target;
}

/** Replaces the route without a history entry (a role's home for `#/`). */
export function replace(parts, query) {
  history.replaceState(null, "", href(parts, query));
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}
