// The catalog views: connector icons (or a monogram tile), integration and
// demo requests (asked on the detail page, listed for the operator and the
// connector's partner), the operator's lists across tenants, and the
// partner's preview of a listing in each language.

import { api, seg, token } from "./api.js";
import { el, field, table, badge, notify } from "./dom.js";
import { t, when, statusText } from "./i18n.js";
import { href } from "./router.js";

/** Routes of these views for `role`, or null. */
export function route(parts, ctx) {
  const [section, a, b, c, extra] = parts;
  const role = ctx.me.role;
  if (extra) return null;
  if (section === "requests" && !a && (role === "operator" || role === "partner")) return () => requests(ctx);
  if (role === "operator" && !a) {
    if (section === "connectors") return () => connectors();
    if (section === "tenants") return () => tenants();
    if (section === "failing") return () => failing();
  }
  if (section === "preview" && a && b && role === "partner") {
    return () => preview(ctx, a, b, c || "de");
  }
  return null;
}

// Icons: the API serves them with the token, so the console fetches each
// once and shows it as a data: URI (the policy allows `img-src data:`).
// Only the two image types the API serves are shown.
const icons = new Map();

function iconData(path) {
  if (!icons.has(path)) {
    icons.set(path, (async () => {
      const res = await fetch(path, { headers: { authorization: "Bearer " + token() } });
      if (!res.ok) return null;
      const blob = await res.blob();
      if (blob.type !== "image/png" && blob.type !== "image/svg+xml") return null;
      return await new Promise((resolve) => {
        const reader = new FileReader();
        reader.onload = () => resolve(String(reader.result));
        reader.onerror = () => resolve(null);
        reader.readAsDataURL(blob);
      });
    })().catch(() => null));
  }
  return icons.get(path);
}

function initials(name) {
  const words = String(name || "?").split(/[\s\-_]+/).filter(Boolean);
  const letters = words.length > 1 ? words[0][0] + words[1][0] : (words[0] || "?").slice(0, 2);
  return letters.toUpperCase();
}

function hue(id) {
  let h = 0;
  for (const ch of String(id)) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return h % 8;
}

/**
 * The connector's logo: its icon when it has one, else a tile with the
 * initials of its name in a colour of its own. `url` is where the icon is
 * served (the listing's `icon_url`).
 */
export function connectorIcon(id, name, url, size) {
  const mono = el("span", { class: `icon monogram mono-${hue(id)} ${size || ""}`, "aria-hidden": "true" }, initials(name));
  if (!url) return mono;
  const img = el("img", { class: `icon ${size || ""}`, alt: t("iconOf", { name }), width: 48, height: 48, hidden: true });
  const box = el("span", { class: "icon-box" }, mono, img);
  iconData(url).then((data) => {
    if (!data) return;
    img.src = data;
    img.hidden = false;
    mono.remove();
  });
  return box;
}

/**
 * The admin's "request this integration" / "request a demo" card on a
 * connector's detail page, with the tenant's earlier requests for it.
 */
export async function requestCard(ctx, d) {
  const base = `/api/v1/tenants/${seg(ctx.me.tenant_id)}/requests`;
  const mine = await api("GET", base);
  const list = el("ul", {});
  const show = (items) => list.replaceChildren(...(items.length
    ? items.map((r) => el("li", {}, badge(t("kind_" + r.kind), r.kind), " ", when(r.created_at), " · ", r.requested_by,
      r.message ? el("div", { class: "help" }, r.message) : null))
    : [el("li", { class: "muted" }, t("noRequests"))]));
  show(mine.items.filter((r) => r.connector_id === d.id));
  const message = el("textarea", { name: "request-message", maxlength: 2000 });
  const ask = (kind) => async (ev) => {
    ev.target.disabled = true;
    try {
      const made = await api("POST", base, Object.assign({ connector: d.id, kind },
        message.value.trim() ? { message: message.value.trim() } : {}));
      notify(t("requestedNotice", { kind: t("kind_" + made.kind), name: d.name }));
      message.value = "";
      const again = await api("GET", base);
      show(again.items.filter((r) => r.connector_id === d.id));
    } catch (e) {
      notify(e.message, "error");
    }
    ev.target.disabled = false;
  };
  return el("section", { class: "card", "aria-labelledby": "request-title" },
    el("h2", { id: "request-title" }, t("requestTitle")),
    el("p", { class: "help" }, t("requestHelp")),
    field(t("requestMessage"), message),
    el("p", {},
      el("button", { type: "button", onclick: ask("integration") }, t("requestIntegration")),
      el("button", { type: "button", onclick: ask("demo") }, t("requestDemo"))),
    el("h3", {}, t("yourRequests")), list);
}

async function requests(ctx) {
  const operator = ctx.me.role === "operator";
  const data = await api("GET", operator ? "/api/v1/requests" : "/api/v1/partner/requests");
  const rows = data.items.map((r) => el("tr", {},
    el("td", {}, when(r.created_at)),
    el("td", {}, r.tenant_name, el("div", { class: "help" }, r.tenant_id)),
    el("td", {}, el("a", { href: href(["marketplace", r.connector_id]) }, r.connector_id),
      operator ? el("div", { class: "help" }, r.partner_id) : null),
    el("td", {}, badge(t("kind_" + r.kind), r.kind)),
    el("td", {}, r.message || "—"),
    el("td", {}, r.requested_by)));
  return el("div", {}, el("h1", {}, t("requestsTitle")),
    operator ? null : el("p", { class: "help" }, t("requestsPartnerHelp")),
    rows.length ? table([t("when"), t("tenant"), t("connector"), t("kind"), t("message"), t("requestedBy")], rows)
      : el("p", { class: "card" }, t("noRequests")));
}

function tierBadge(tier) {
  return tier ? badge(t("tier_" + tier), tier) : null;
}

async function connectors() {
  const data = await api("GET", "/api/v1/operator/connectors");
  const name = (c) => c.name.en || Object.values(c.name)[0] || c.id;
  const rows = data.items.map((c) => el("tr", {},
    el("td", {}, c.listed_version ? el("a", { href: href(["marketplace", c.id]) }, name(c)) : name(c),
      el("div", { class: "help" }, c.id)),
    el("td", {}, c.partner_id, c.first_party ? [" ", badge(t("firstParty"))] : null),
    el("td", {}, tierBadge(c.tier) || "—"),
    el("td", {}, c.listed_version || t("notListed")),
    el("td", {}, el("ul", { class: "plain" }, c.versions.map((v) => el("li", {},
      el("b", {}, v.version), " ", badge(t("st_" + v.status), v.status),
      v.review_verdict ? badge(`${t("reviewVerdict")}: ${t("v_" + v.review_verdict)}`, v.review_verdict) : null,
      " ", when(v.submitted_at)))))));
  return el("div", {}, el("h1", {}, t("connectorsTitle")),
    rows.length ? table([t("connector"), t("partner"), t("tier"), t("listedVersion"), t("versions")], rows)
      : el("p", { class: "card" }, t("noConnectors")));
}

async function tenants() {
  const data = await api("GET", "/api/v1/operator/tenants");
  const rows = data.items.map((x) => el("tr", {},
    el("td", {}, x.name, el("div", { class: "help" }, x.id)),
    el("td", {}, String(x.installs)), el("td", {}, String(x.connected)),
    el("td", {}, x.sandbox_of || "—"), el("td", {}, when(x.created_at))));
  return el("div", {}, el("h1", {}, t("tenantsTitle")),
    rows.length ? table([t("tenant"), t("installs"), t("connectedInstalls"), t("sandboxOf"), t("tenantSince")], rows)
      : el("p", { class: "card" }, t("noTenants")));
}

async function failing() {
  const data = await api("GET", "/api/v1/operator/failing-installs");
  const rows = data.items.map((i) => el("tr", {},
    el("td", {}, i.tenant_id), el("td", {}, i.connector_id, " ", i.plugin_version, el("div", { class: "help" }, i.install_id)),
    el("td", {}, badge(statusText(i), i.status), i.status_reason ? el("div", { class: "field-error" }, i.status_reason) : null),
    el("td", {}, i.last_run_status ? [badge(statusText({ status: i.last_run_status }), i.last_run_status), " ", when(i.last_run_at)] : "—",
      i.last_run_failure ? el("div", { class: "field-error" }, i.last_run_failure) : null),
    el("td", {}, String(i.failure_streak))));
  return el("div", {}, el("h1", {}, t("failingTitle")), el("p", { class: "help" }, t("failingHelp")),
    rows.length ? table([t("tenant"), t("connector"), t("status"), t("lastRunFailure"), t("failureStreak")], rows)
      : el("p", { class: "card" }, t("noFailing")));
}

const LANGUAGES = [["de", true], ["en", true], ["fr", false], ["es", false]];

/** A link to the preview of a partner's version. */
export function previewLink(plugin, version) {
  return el("a", { href: href(["preview", plugin, version, "de"]) }, t("previewLink"));
}

async function preview(ctx, plugin, version, code) {
  const p = await api("GET", `/api/v1/partner/submissions/${seg(plugin)}/${seg(version)}/preview?lang=${seg(code)}`);
  const back = el("p", {}, el("a", { href: href(["submissions", plugin, version]) }, "← " + plugin + " " + version));
  const tabs = el("nav", { class: "tabs", "aria-label": t("language") }, LANGUAGES.map(([l, required]) =>
    el("a", { href: href(["preview", plugin, version, l]), "aria-current": l === code ? "page" : null },
      t("lang_" + l), " ", el("span", { class: "help" }, required ? t("requiredLang") : t("optionalLang")))));
  const language = t("lang_" + code) || code;
  const fields = p.missing.join(", ");
  const status = !p.missing.length
    ? el("p", { class: "card ok-note" }, t("previewComplete", { lang: language }))
    : p.required
      ? el("p", { class: "card warning", role: "alert" }, t("previewRequiredMissing", { lang: language, fields }))
      : el("p", { class: "card note" }, t("previewOptionalMissing", { lang: language, fields }));
  const tile = el("article", { class: "card tile-preview" },
    el("div", { class: "tile-head" }, connectorIcon(p.id, p.name, p.preview_icon_url),
      el("h2", { class: "tile-title" }, p.name)),
    el("div", {}, tierBadge(p.tier), badge(p.first_party ? t("firstParty") : t("partner"))),
    el("div", { class: "help" }, `${p.developer} · ${p.categories.join(", ")} · ${t("dir_" + p.direction)}`),
    el("p", {}, p.description));
  const facts = [
    [t("developer"), p.developer], [t("version"), p.version], [t("category"), p.categories.join(", ")],
    [t("direction"), t("dir_" + p.direction)], [t("price"), p.price || "—"],
    [t("schedule"), p.schedule || t("manualOnly")], [t("support"), p.support_url || "—"],
  ];
  const detail = el("div", { class: "card" },
    el("h2", {}, p.name),
    el("p", {}, p.description),
    el("dl", { class: "facts" }, facts.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
    el("h3", {}, t("permissions")), el("ul", {}, p.permissions.map((x) => el("li", {}, x))),
    el("h3", {}, t("hosts")), p.hosts.length ? el("ul", {}, p.hosts.map((h) => el("li", {}, el("code", {}, h)))) : el("p", {}, t("noHosts")),
    el("h3", {}, t("connectTitle")),
    el("ul", {}, p.configuration.map((f) => el("li", {}, el("b", {}, f.label + (f.required ? " *" : "")),
      f.help ? [" — ", f.help] : null))));
  return el("div", {}, back,
    el("h1", {}, t("previewTitle", { id: plugin, version })),
    el("p", { class: "help" }, t("previewHelp")),
    tabs, status, el("div", { class: "preview-grid" }, tile, detail));
}
