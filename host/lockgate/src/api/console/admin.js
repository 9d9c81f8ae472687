// The tenant admin's views: the marketplace with its detail page and
// connect wizard, and the list of integrations; one integration, its runs
// and rows, the employees, absences, settings and audit are in tenant.js.
// The marketplace is also browsable by the other roles.

import { api, seg, ApiFailure } from "./api.js";
import { el, field, table, badge, notify, carryNotice } from "./dom.js";
import { t, when, statusText } from "./i18n.js";
import { go, href } from "./router.js";
import { connectorIcon, requestCard } from "./catalog.js";
import * as tenant from "./tenant.js";

const TIERS = ["select", "elite", "premier"];
const DIRECTIONS = ["outbound", "inbound", "bidirectional"];

/** The routes only a tenant admin has, then the marketplace. */
export function route(parts, ctx) {
  const [section, id] = parts;
  if (!ctx.me.tenant_id) return null;
  const base = `/api/v1/tenants/${seg(ctx.me.tenant_id)}`;
  const c = { ...ctx, base };
  if (section === "integrations" && !id) return () => integrations(c);
  return tenant.route(parts, c) || browse(parts, c);
}

/** The marketplace and a connector's detail page, for every role. */
export function browse(parts, ctx) {
  const [section, id, extra] = parts;
  if (section !== "marketplace" || extra) return null;
  return id ? () => detail(ctx, id) : () => marketplace(ctx);
}

const isAdmin = (ctx) => ctx.me.role === "tenant-admin" && Boolean(ctx.base);

function tierBadge(tier) {
  return tier ? badge(t("tier_" + tier), tier) : null;
}

function select(name, value, options, anyLabel) {
  return el("select", { name },
    el("option", { value: "" }, anyLabel),
    options.map(([v, label]) => el("option", { value: v, selected: v === value }, label)));
}

async function marketplace(ctx) {
  const q = ctx.query;
  const filters = {};
  for (const k of ["q", "category", "direction", "tier"]) if (q.get(k)) filters[k] = q.get(k);
  const [all, found, installs] = await Promise.all([
    api("GET", "/api/v1/marketplace"),
    api("GET", "/api/v1/marketplace?" + new URLSearchParams(filters)),
    isAdmin(ctx) ? api("GET", ctx.base + "/installs") : { items: [] },
  ]);
  const installed = new Set(installs.items.map((i) => i.connector_id));
  const categories = [...new Set(all.items.flatMap((i) => i.categories))].sort();
  const search = el("input", { type: "search", name: "q", value: filters.q || "" });
  const category = select("category", filters.category, categories.map((c) => [c, c]), t("any"));
  const direction = select("direction", filters.direction, DIRECTIONS.map((d) => [d, t("dir_" + d)]), t("any"));
  const tier = select("tier", filters.tier, TIERS.map((x) => [x, t("tier_" + x)]), t("any"));
  const form = el("form", { class: "card filters", role: "search", onsubmit: (ev) => {
    ev.preventDefault();
    go(["marketplace"], { q: search.value.trim(), category: category.value, direction: direction.value, tier: tier.value });
  } },
  field(t("search"), search), field(t("category"), category),
  field(t("direction"), direction), field(t("tier"), tier),
  el("button", { type: "submit", class: "primary" }, t("filter")),
  Object.keys(filters).length ? el("a", { href: href(["marketplace"]) }, t("resetFilters")) : null);
  const tiles = found.items.map((it) => el("article", { class: "card" },
    el("div", { class: "tile-head" }, connectorIcon(it.id, it.name, it.icon_url),
      el("h2", { class: "tile-title" }, el("a", { href: href(["marketplace", it.id]) }, it.name))),
    el("div", {}, tierBadge(it.tier), badge(it.first_party ? t("firstParty") : t("partner")),
      installed.has(it.id) ? badge(t("installed"), "connected") : null),
    el("div", { class: "help" }, `${it.developer} · ${it.categories.join(", ")} · ${t("dir_" + it.direction)}`),
    el("p", {}, it.description)));
  return el("div", {}, el("h1", {}, t("navMarketplace")), form,
    el("p", { class: "muted" }, t("connectorsFound", { n: found.items.length })),
    tiles.length ? el("div", { class: "tiles" }, tiles) : el("p", { class: "card" }, t("nothingMatches")));
}

function safeLink(url, label) {
  return /^(https:\/\/|mailto:)/.test(url || "") ? el("a", { href: url, rel: "noopener noreferrer" }, label) : null;
}

async function detail(ctx, id) {
  const [d, installs] = await Promise.all([
    api("GET", "/api/v1/marketplace/" + seg(id)),
    isAdmin(ctx) ? api("GET", ctx.base + "/installs") : { items: [] },
  ]);
  const mine = installs.items.filter((i) => i.connector_id === d.id);
  const facts = [
    [t("developer"), d.developer],
    [t("version"), d.version],
    [t("category"), d.categories.join(", ")],
    [t("direction"), t("dir_" + d.direction)],
    [t("price"), d.price || "—"],
    [t("schedule"), d.schedule || t("manualOnly")],
    [t("support"), safeLink(d.support_url, d.support_url) || "—"],
  ];
  const page = el("div", {},
    el("p", {}, el("a", { href: href(["marketplace"]) }, "← " + t("navMarketplace"))),
    el("div", { class: "card" },
      el("div", { class: "tile-head" }, connectorIcon(d.id, d.name, d.icon_url, "large"),
        el("h1", {}, d.name, " ", tierBadge(d.tier), badge(d.first_party ? t("firstParty") : t("partner")))),
      el("p", {}, d.description),
      el("dl", { class: "facts" }, facts.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
      el("h2", {}, t("permissions")),
      el("ul", {}, d.permissions.map((p) => el("li", {}, p))),
      el("h2", {}, t("hosts")),
      d.hosts.length ? el("ul", {}, d.hosts.map((h) => el("li", {}, el("code", {}, h)))) : el("p", {}, t("noHosts"))));
  if (!isAdmin(ctx)) return page;
  if (mine.length) {
    page.append(el("div", { class: "card" }, el("b", {}, t("alreadyConnected")), " ",
      mine.map((i) => el("a", { href: href(["integrations", i.id]) }, i.name || i.connector_id, " (", statusText(i), ")"))));
  }
  page.append(wizard(ctx, d, mine.length > 0));
  if (!mine.length) page.append(await requestCard(ctx, d));
  return page;
}

/** The form from the connector's schema, the consent, the connection. */
function wizard(ctx, d, again) {
  const inputs = {};
  const problems = {};
  const rows = d.configuration.map((f) => {
    let input;
    if (f.type === "enum") input = el("select", { name: f.key }, f.options.map((o) => el("option", { value: o, selected: o === f.default }, o)));
    else if (f.type === "boolean") input = el("input", { type: "checkbox", name: f.key, checked: f.default === "true" });
    else input = el("input", { type: f.secret ? "password" : f.type === "date" ? "date" : "text", name: f.key, value: f.default || "", autocomplete: "off", required: f.required });
    inputs[f.key] = { f, input };
    problems[f.key] = el("div", { class: "field-error" });
    return field(f.label + (f.required ? " *" : ""), input, f.help ? el("div", { class: "help" }, f.help) : null, problems[f.key]);
  });
  const schedule = el("input", { type: "text", name: "schedule", placeholder: d.schedule || t("manualOnly") });
  const consent = el("div");
  const body = () => {
    const config = Object.fromEntries(Object.entries(inputs).map(([k, { f, input }]) => [k, f.type === "boolean" ? input.checked : input.value]));
    return Object.assign({ plugin: d.id, config }, schedule.value ? { schedule: schedule.value } : {});
  };
  const showProblems = (e) => {
    for (const p of Object.values(problems)) p.textContent = "";
    for (const f of (e && e.fields) || []) {
      const key = f.field.replace(/^config\./, "");
      if (problems[key]) problems[key].textContent = f.message;
    }
  };
  const check = async (ev) => {
    ev.preventDefault();
    consent.replaceChildren();
    try {
      const p = await api("POST", ctx.base + "/installs/preview", body());
      showProblems(null);
      const ok = el("input", { type: "checkbox", name: "grant", required: true });
      consent.replaceChildren(el("form", { class: "card", onsubmit: async (e2) => {
        e2.preventDefault();
        try {
          const install = await api("POST", ctx.base + "/installs", Object.assign(body(), { grant: p.grant }));
          notify(install.sign_in && !install.sign_in.signed_in
            ? t("setUpSignInNotice", { name: d.name, at: install.sign_in.at })
            : t("connectedNotice", { name: d.name }));
          if (install.webhook && install.webhook.secret) consent.replaceChildren(webhookCard(install));
          else {
            carryNotice();
            go(["integrations", install.id]);
          }
        } catch (e) { notify(e.message, "error"); }
      } },
      el("h2", {}, t("consentTitle")),
      el("ul", {}, p.permissions.scopes.map((s) => el("li", {}, s.means))),
      el("b", {}, t("sendsTo")),
      el("ul", {}, p.permissions.hosts.map((h) => el("li", {}, el("code", {}, h)))),
      leavingNote(p.leaving),
      p.permissions.sign_in ? el("p", {}, p.permissions.sign_in) : null,
      el("label", { class: "inline" }, ok, t("grant")),
      el("button", { type: "submit", class: "primary" }, t("connect"))));
      consent.querySelector("input").focus();
    } catch (e) {
      showProblems(e);
      notify(e instanceof ApiFailure && e.fields.length ? t("fixFields") : e.message, "error");
    }
  };
  return el("div", {},
    el("form", { class: "card", onsubmit: check },
      el("h2", {}, again ? t("connectAgain") : t("connectTitle")), rows,
      field(t("scheduleField"), schedule),
      el("p", {}, el("button", { type: "submit", class: "primary" }, t("checkConfig")))),
    consent);
}

/** How many of the tenant's employees and which of their fields would leave, to which hosts. */
function leavingNote(leaving) {
  if (!leaving) return null;
  if (!leaving.employees || !leaving.hosts.length) return el("p", { class: "leaving" }, t("leavesNoEmployees"));
  return el("div", { class: "leaving" },
    el("p", {}, el("b", {}, t("leavesEmployees", { n: leaving.employees })), " ",
      leaving.hosts.map((h, i) => [i ? ", " : "", el("code", {}, h)])),
    leaving.fields.length ? el("p", {}, t("leavesFields"), " ", leaving.fields.map((f, i) => [i ? ", " : "", el("code", {}, f)])) : null);
}

export function copyButton(text) {
  return el("button", { type: "button", onclick: async () => {
    try { await navigator.clipboard.writeText(text); notify(t("copied")); } catch { notify(t("copyFailed"), "error"); }
  } }, t("copy"));
}

/** The webhook address in full, as the partner must enter it: the API
 * gives the path, and the console is served from Lockgate's own origin. */
export function hookUrl(install) {
  return new URL(install.webhook.url, window.location.origin).href;
}

function webhookCard(install) {
  return el("div", { class: "card" },
    el("h2", {}, t("webhookTitle")),
    el("p", {}, t("webhookHelp")),
    el("dl", { class: "facts" },
      el("dt", {}, t("webhookUrl")), el("dd", {}, el("code", {}, hookUrl(install)), " ", copyButton(hookUrl(install))),
      install.webhook.secret ? [el("dt", {}, t("webhookSecret")), el("dd", {}, el("span", { class: "secret" }, install.webhook.secret), " ", copyButton(install.webhook.secret))] : null),
    el("p", {}, el("a", { href: href(["integrations", install.id]) }, t("openIntegration"))));
}

async function integrations(ctx) {
  const data = await api("GET", ctx.base + "/installs");
  const rows = data.items.map((i) => el("tr", {},
    el("td", {}, el("a", { href: href(["integrations", i.id]) }, i.name || i.connector_id)),
    el("td", {}, badge(statusText(i), i.status)),
    el("td", {}, i.status_reason || ""),
    el("td", {}, i.last_run ? [badge(statusText(i.last_run), i.last_run.status), when(i.last_run.started_at)] : t("noRunYet")),
    el("td", {}, when(i.next_run_at) || "—")));
  return el("div", {}, el("h1", {}, t("navIntegrations")),
    rows.length ? table([t("integration"), t("status"), t("why"), t("lastRun"), t("nextRun")], rows)
      : el("p", { class: "card" }, t("noIntegrations"), " ", el("a", { href: href(["marketplace"]) }, t("navMarketplace"))));
}
