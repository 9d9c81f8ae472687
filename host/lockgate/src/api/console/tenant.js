// The tenant admin's own data and monitoring: one integration with its
// run history chart, runs, actions (reconfigure, schedule, upgrade,
// deactivate, reactivate, disconnect, webhook secret), a run's rows, the
// employees and one employee, the absences, the tenant's settings and the
// audit export. The marketplace and the connect wizard are in admin.js.

import { api, seg, token, ApiFailure } from "./api.js";
import { el, field, table, badge, notify, carryNotice } from "./dom.js";
import { t, when, statusText, lang } from "./i18n.js";
import { go, href } from "./router.js";
import { copyButton, hookUrl } from "./admin.js";
import { signInCard } from "./sign-in.js";

/** The routes of this module, or null. */
export function route(parts, c) {
  const [section, id, sub, run] = parts;
  if (section === "integrations" && id && !sub) return () => integration(c, id);
  if (section === "integrations" && sub === "runs" && run && parts.length === 4) return () => runRows(c, id, run);
  if (section === "employees" && !id) return () => employees(c);
  if (section === "employees" && id && !sub) return () => employee(c, id);
  if (section === "absences" && !id) return () => absences(c);
  if (section === "settings" && !id) return () => settings(c);
  if (section === "audit" && !id) return () => audit(c);
  return null;
}

/**
 * A button that asks first, in the page: the question with "Yes" and
 * "Cancel" stays until answered; `run` does the action and tells how it went.
 */
function confirmed(label, question, run) {
  const wrap = el("span", { class: "confirm" });
  const button = el("button", { type: "button", onclick: () => {
    const yes = el("button", { type: "button", class: "primary", onclick: async () => {
      yes.disabled = true;
      try {
        await run();
      } catch (e) {
        notify(e.message, "error");
      }
      wrap.replaceChildren(button);
    } }, t("yesDo", { action: label }));
    const no = el("button", { type: "button", onclick: () => {
      wrap.replaceChildren(button);
      button.focus();
    } }, t("cancel"));
    wrap.replaceChildren(el("span", { class: "ask", role: "group", "aria-label": label }, el("span", {}, question), " ", yes, no));
    yes.focus();
  } }, label);
  wrap.append(button);
  return wrap;
}

/**
 * Sends a change; when the API answers that new permissions must be
 * granted, shows them in `slot` and sends again once the admin grants.
 */
async function withGrant(slot, send, done) {
  try {
    done(await send(undefined));
  } catch (e) {
    if (!(e instanceof ApiFailure) || e.code !== "grant_required") throw e;
    const wanted = (name) => {
      const f = e.fields.find((x) => x.field === "grant." + name);
      const m = f && /:\s*(.*)$/.exec(f.message);
      return m ? m[1].split(",").map((s) => s.trim()).filter(Boolean) : [];
    };
    const grant = { scopes: wanted("scopes"), hosts: wanted("hosts") };
    const ok = el("input", { type: "checkbox", name: "grant", required: true });
    slot.replaceChildren(el("form", { class: "card consent", onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        done(await send(grant));
        slot.replaceChildren();
      } catch (e2) { notify(e2.message, "error"); }
    } },
    el("h3", {}, t("grantNeeded")),
    el("p", {}, t("scopesNeeded")), el("ul", {}, grant.scopes.map((s) => el("li", {}, el("code", {}, s)))),
    el("p", {}, t("sendsTo")), el("ul", {}, grant.hosts.map((h) => el("li", {}, el("code", {}, h)))),
    el("label", { class: "inline" }, ok, t("grant")),
    el("button", { type: "submit", class: "primary" }, t("grantAndSave"))));
    ok.focus();
    notify(t("grantNeeded"), "error");
  }
}

/** Field problems from an API error, each under its field. */
function showProblems(problems, e) {
  for (const p of Object.values(problems)) p.textContent = "";
  let shown = 0;
  for (const f of (e && e.fields) || []) {
    const key = f.field.replace(/^config\./, "");
    if (problems[key]) {
      problems[key].textContent = f.message;
      shown++;
    }
  }
  return shown;
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

const RUN_KINDS = ["successful", "partially_successful", "failed"];

/** A duration: milliseconds under a second, seconds with one decimal under ten. */
function seconds(ms) {
  const n = (v, digits) => new Intl.NumberFormat(lang(), { maximumFractionDigits: digits }).format(v);
  return ms < 1000 ? n(ms, 0) + " ms" : n(ms / 1000, ms < 10000 ? 1 : 0) + " s";
}

/**
 * The run history: one bar per run, oldest on the left, its height the
 * run's duration, its colour the outcome; a legend with the counts and a
 * sentence that says the same for those who do not see the chart.
 */
function runChart(runs) {
  const ordered = [...runs].reverse();
  const count = (s) => ordered.filter((r) => r.status === s).length;
  const longest = Math.max(1, ...ordered.map((r) => r.duration_ms || 0));
  const W = 900, H = 150, gap = 2;
  const step = Math.min(60, W / Math.max(ordered.length, 1));
  const summaryId = "chart-summary";
  const bars = ordered.map((r, i) => {
    const h = Math.max(3, Math.round(((r.duration_ms || 0) / longest) * (H - 4)));
    const label = `${when(r.started_at).textContent} · ${statusText(r)} · ${r.duration_ms == null ? "—" : seconds(r.duration_ms)}`;
    return svg("rect", { x: i * step + gap / 2, y: H - h, width: Math.max(2, step - gap), height: h,
      class: "bar " + (RUN_KINDS.includes(r.status) ? r.status : "other") }, svg("title", {}, label));
  });
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "xMinYMax meet", class: "chart", role: "img", "aria-labelledby": summaryId, focusable: "false" },
    svg("line", { x1: 0, y1: H - 0.5, x2: W, y2: H - 0.5, class: "axis" }),
    bars);
  // The axis texts are page text, so they stay readable at any width.
  const axis = el("div", { class: "chart-axis", "aria-hidden": "true" },
    el("span", {}, ordered.length ? when(ordered[0].started_at).textContent : ""),
    el("span", {}, t("longestRun", { d: seconds(longest) })),
    el("span", {}, ordered.length > 1 ? when(ordered[ordered.length - 1].started_at).textContent : ""));
  const durations = ordered.map((r) => r.duration_ms).filter((d) => d != null).sort((a, b) => a - b);
  const median = durations.length ? durations[Math.floor(durations.length / 2)] : null;
  const summary = t("chartSummary", {
    n: ordered.length, ok: count("successful"), partly: count("partially_successful"), failed: count("failed"),
    median: median == null ? "—" : seconds(median), longest: seconds(longest),
  });
  return el("div", { class: "card" },
    el("h2", {}, t("runHistory")),
    chart, axis,
    el("ul", { class: "legend" }, RUN_KINDS.map((s) =>
      el("li", {}, el("span", { class: "swatch " + s, "aria-hidden": "true" }), `${t("s_" + s)}: ${count(s)}`))),
    el("p", { id: summaryId, class: "help" }, summary));
}

async function integration(ctx, id) {
  const base = ctx.base + "/installs/" + seg(id);
  const cursor = ctx.query.get("cursor");
  const [i, runs] = await Promise.all([
    api("GET", base),
    api("GET", base + "/runs?" + new URLSearchParams(cursor ? { cursor, limit: "25" } : { limit: "25" })),
  ]);
  const listing = await api("GET", "/api/v1/marketplace/" + seg(i.connector_id)).catch(() => null);
  const post = (path) => api("POST", base + path);
  const simple = (label, path, done) => el("button", { type: "button", onclick: async (ev) => {
    ev.target.disabled = true;
    try {
      await post(path);
      notify(done);
      ctx.redraw();
    } catch (e) {
      notify(e.message, "error");
      ev.target.disabled = false;
    }
  } }, label);
  const secretSlot = el("div");
  const counts = (c) => Object.entries(c.by_operation).map(([op, st]) =>
    `${op}: ` + Object.entries(st).map(([s, n]) => `${n} ${t("row_" + s)}`).join(", ")).join("; ");
  const lastRun = i.last_run ? [badge(statusText(i.last_run), i.last_run.status), " ",
    el("a", { href: href(["integrations", id, "runs", i.last_run.id]) }, when(i.last_run.started_at))] : t("noRunYet");
  const facts = [
    [t("connector"), el("a", { href: href(["marketplace", i.connector_id]) }, i.connector_id)],
    [t("version"), i.version + (i.upgrade_available ? " · " + t("upgradeAvailable", { v: i.upgrade_available }) : "")],
    [t("schedule"), (i.schedule || t("manualOnly")) + (i.schedule_is_default ? ` (${t("connectorDefault")})` : "")],
    [t("lastRun"), lastRun],
    [t("nextRun"), when(i.next_run_at) || "—"],
    [t("lastCheck"), when(i.last_check_at) || "—"],
    [t("connectedSince"), when(i.created_at)],
    i.webhook ? [t("webhookUrl"), [el("code", {}, hookUrl(i)), " ", copyButton(hookUrl(i))]] : null,
  ].filter(Boolean);
  const actions = el("div", { class: "card" },
    el("h2", {}, t("actions")),
    el("div", { class: "actions" },
      simple(t("syncNow"), "/sync", t("syncQueued")),
      simple(t("checkConnection"), "/check", t("checked")),
      i.status === "inactive"
        ? confirmed(t("reactivate"), t("reactivateConfirm"), async () => { await post("/reactivate"); notify(t("reactivated")); ctx.redraw(); })
        : confirmed(t("deactivate"), t("deactivateConfirm"), async () => { await post("/deactivate"); notify(t("deactivated")); ctx.redraw(); }),
      i.webhook ? confirmed(t("rotateSecret"), t("rotateConfirm"), async () => {
        const s = await post("/webhook-secret");
        notify(t("rotated"));
        secretSlot.replaceChildren(el("div", { class: "card" },
          el("h3", {}, t("newSecret")), el("p", {}, t("newSecretHelp")),
          el("p", {}, el("span", { class: "secret" }, s.secret), " ", copyButton(s.secret))));
      }) : null,
      confirmed(t("disconnect"), t("disconnectConfirm"), async () => {
        await api("DELETE", base);
        notify(t("disconnected"));
        carryNotice();
        go(["integrations"]);
      })),
    secretSlot);
  const runLines = runs.items.map((r) => el("tr", {},
    el("td", {}, el("a", { href: href(["integrations", id, "runs", r.id]) }, when(r.started_at))),
    el("td", {}, r.duration_ms == null ? "—" : seconds(r.duration_ms)), el("td", {}, r.trigger),
    el("td", {}, badge(statusText(r), r.status)), el("td", {}, counts(r.counts)),
    el("td", {}, r.failure_reason || "")));
  const paging = el("p", { class: "paging" },
    cursor ? el("a", { href: href(["integrations", id]) }, t("newestRuns")) : null, " ",
    runs.next_cursor ? el("a", { href: href(["integrations", id], { cursor: runs.next_cursor }) }, t("olderRuns")) : null);
  const statusWords = { pending: "pendingMeans", inactive: "inactiveMeans", connected: "connectedMeans" };
  return el("div", {},
    el("p", {}, el("a", { href: href(["integrations"]) }, "← " + t("navIntegrations"))),
    el("div", { class: "card" },
      el("h1", {}, i.name || i.connector_id, " ", badge(statusText(i), i.status)),
      statusWords[i.status] ? el("p", { class: "help" }, t(statusWords[i.status])) : null,
      i.status_reason ? el("p", { class: i.status === "connected" ? "" : "field-error" }, t("why") + ": " + i.status_reason) : null,
      el("dl", { class: "facts" }, facts.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]))),
    signInCard(base, i, ctx.query.get("sign-in"), ctx.redraw, confirmed),
    actions,
    runs.items.length ? runChart(runs.items) : null,
    el("h2", {}, t("runs")),
    runLines.length ? el("div", { class: "scroll" }, table([t("started"), t("duration"), t("trigger"), t("status"), t("operations"), t("why")], runLines))
      : el("p", { class: "card" }, t("noRunYet")),
    paging,
    i.upgrade ? upgradeCard(ctx, base, i) : null,
    listing ? reconfigureCard(ctx, base, i, listing) : null,
    scheduleCard(ctx, base, i));
}

/** The configuration form from the connector's schema, filled with the install's values. */
function reconfigureCard(ctx, base, i, d) {
  const inputs = {};
  const problems = {};
  const rows = d.configuration.map((f) => {
    const current = i.config[f.key];
    const now = current === undefined || current === null ? (f.default ?? "") : String(current);
    let input;
    if (f.type === "enum") input = el("select", { name: f.key }, f.options.map((o) => el("option", { value: o, selected: o === now }, o)));
    else if (f.type === "boolean") input = el("input", { type: "checkbox", name: f.key, checked: now === "true" });
    else if (f.secret) input = el("input", { type: "password", name: f.key, autocomplete: "new-password", placeholder: i.secrets_set[f.key] ? t("unchanged") : t("notSet") });
    else input = el("input", { type: f.type === "date" ? "date" : "text", name: f.key, value: now, autocomplete: "off" });
    inputs[f.key] = { f, input, was: f.type === "boolean" ? now === "true" : now };
    problems[f.key] = el("div", { class: "field-error" });
    const help = f.secret ? (i.secrets_set[f.key] ? t("secretKept") : t("secretMissing")) : f.help;
    return field(f.label + (f.required ? " *" : ""), input, help ? el("div", { class: "help" }, help) : null, problems[f.key]);
  });
  const slot = el("div");
  const changed = () => {
    const config = {};
    for (const [k, { f, input, was }] of Object.entries(inputs)) {
      const v = f.type === "boolean" ? input.checked : input.value;
      if (f.secret) { if (v) config[k] = v; } else if (v !== was) config[k] = v;
    }
    return config;
  };
  return el("div", { class: "card" },
    el("form", { onsubmit: async (ev) => {
      ev.preventDefault();
      const config = changed();
      if (!Object.keys(config).length) return notify(t("nothingChanged"));
      try {
        await withGrant(slot, (grant) => api("PATCH", base, grant ? { config, grant } : { config }), () => {
          showProblems(problems, null);
          notify(t("reconfigured"));
          ctx.redraw();
        });
      } catch (e) {
        const shown = showProblems(problems, e);
        notify(shown ? t("fixFields") : e.message, "error");
      }
    } },
    el("h2", {}, t("reconfigure")),
    d.version !== i.version ? el("p", { class: "help" }, t("formOfVersion", { v: d.version })) : null,
    rows,
    el("button", { type: "submit", class: "primary" }, t("saveSettings"))),
    slot);
}

function scheduleCard(ctx, base, i) {
  const input = el("input", { type: "text", name: "schedule", value: i.schedule_is_default ? "" : i.schedule || "", placeholder: t("connectorDefault") });
  const problem = el("div", { class: "field-error" });
  return el("form", { class: "card", onsubmit: async (ev) => {
    ev.preventDefault();
    problem.textContent = "";
    try {
      await api("PATCH", base, { schedule: input.value.trim() || null });
      notify(t("scheduleSaved"));
      ctx.redraw();
    } catch (e) {
      const f = e.fields && e.fields.find((x) => x.field === "schedule");
      problem.textContent = f ? f.message : e.message;
      notify(f ? t("fixFields") : e.message, "error");
    }
  } },
  el("h2", {}, t("scheduleTitle")),
  field(t("scheduleField"), input, el("div", { class: "help" }, t("scheduleHelp")), problem),
  el("button", { type: "submit", class: "primary" }, t("saveSchedule")));
}

/** What the listed version asks for beyond the pinned one, and the upgrade. */
function upgradeCard(ctx, base, i) {
  const u = i.upgrade;
  const newScopes = u.new_scopes, newHosts = u.new_hosts, newFields = u.new_fields;
  const slot = el("div");
  const list = (title, items) => items.length ? [el("h3", {}, title), el("ul", {}, items)] : null;
  return el("div", { class: "card" },
    el("h2", {}, t("upgradeTitle", { from: i.version, to: i.upgrade_available })),
    newScopes.length || newHosts.length || newFields.length ? el("p", {}, t("upgradeAsks")) : el("p", {}, t("upgradeAsksNothing")),
    list(t("newPermissions"), newScopes.map((s) => el("li", {}, s))),
    list(t("newHosts"), newHosts.map((h) => el("li", {}, el("code", {}, h)))),
    list(t("newFields"), newFields.map((f) => el("li", {}, f))),
    confirmed(t("upgradeTo", { v: i.upgrade_available }), t("upgradeConfirm"), () =>
      withGrant(slot, (grant) => api("POST", base + "/upgrade", grant ? { version: i.upgrade_available, grant } : { version: i.upgrade_available }),
        () => { notify(t("upgraded", { v: i.upgrade_available })); ctx.redraw(); })),
    slot);
}

async function runRows(ctx, installId, runId) {
  const filter = {};
  for (const k of ["status", "employee"]) if (ctx.query.get(k)) filter[k] = ctx.query.get(k);
  const path = `${ctx.base}/runs/${seg(runId)}`;
  const [run, page] = await Promise.all([
    api("GET", path),
    api("GET", path + "/rows?" + new URLSearchParams({ limit: "100", ...filter })),
  ]);
  const status = el("select", { name: "status" }, el("option", { value: "" }, t("allStatuses")),
    ["success", "failed", "skipped"].map((s) => el("option", { value: s, selected: s === filter.status }, t("row_" + s))));
  const employeeInput = el("input", { type: "text", name: "employee", value: filter.employee || "", autocomplete: "off" });
  const form = el("form", { class: "card filters", role: "search", onsubmit: (ev) => {
    ev.preventDefault();
    go(["integrations", installId, "runs", runId], { status: status.value, employee: employeeInput.value.trim() });
  } }, field(t("status"), status), field(t("employeeId"), employeeInput),
  el("button", { type: "submit", class: "primary" }, t("filter")),
  Object.keys(filter).length ? el("a", { href: href(["integrations", installId, "runs", runId]) }, t("resetFilters")) : null);
  const line = (r) => el("tr", {}, el("td", {}, when(r.recorded_at)),
    el("td", {}, r.employee_id ? [el("a", { href: href(["employees", r.employee_id]) }, r.employee_id), " ",
      el("a", { href: href(["integrations", installId, "runs", runId], { ...filter, employee: r.employee_id }), class: "help" }, t("onlyThisEmployee"))] : "—"),
    el("td", {}, r.operation), el("td", {}, badge(t("row_" + r.status), r.status)), el("td", {}, r.message),
    el("td", {}, r.partner_body
      ? el("details", {}, el("summary", {}, r.partner_status ? `HTTP ${r.partner_status}` : t("showAnswer")), el("pre", { class: "answer" }, r.partner_body))
      : (r.partner_status ? `HTTP ${r.partner_status}` : "—")));
  const body = el("tbody", {}, page.items.map(line));
  const more = (next) => next ? el("button", { type: "button", onclick: async (ev) => {
    ev.target.disabled = true;
    try {
      const p = await api("GET", path + "/rows?" + new URLSearchParams({ limit: "100", ...filter, cursor: next }));
      body.append(...p.items.map(line));
      ev.target.replaceWith(more(p.next_cursor) || "");
    } catch (e) { notify(e.message, "error"); ev.target.disabled = false; }
  } }, t("moreRows")) : null;
  const byStatus = Object.entries(run.counts.by_status || {}).map(([s, n]) => `${n} ${t("row_" + s)}`).join(", ");
  return el("div", {},
    el("p", {}, el("a", { href: href(["integrations", installId]) }, "← " + t("backToIntegration"))),
    el("h1", {}, t("rowsOfRun", { when: when(run.started_at).textContent }), " ", badge(statusText(run), run.status)),
    run.failure_reason ? el("p", { class: "field-error" }, run.failure_reason) : null,
    byStatus ? el("p", { class: "help" }, byStatus) : null,
    form,
    page.items.length
      ? el("div", { class: "scroll" }, el("table", {}, el("thead", {}, el("tr", {}, [t("date"), t("employee"), t("operation"), t("status"), t("message"), t("partnerAnswer")].map((h) => el("th", { scope: "col" }, h)))), body), more(page.next_cursor))
      : el("p", { class: "card" }, Object.keys(filter).length ? t("nothingMatches") : t("noRows")));
}

async function employees(ctx) {
  const cursor = ctx.query.get("cursor");
  const q = ctx.query.get("q") || "";
  const params = { limit: "50" };
  if (q) params.q = q;
  if (cursor) params.cursor = cursor;
  const page = await api("GET", ctx.base + "/employees?" + new URLSearchParams(params));
  const file = el("input", { type: "file", name: "csv", accept: ".csv,text/csv", required: true });
  const importForm = el("form", { class: "card", onsubmit: async (ev) => {
    ev.preventDefault();
    if (!file.files.length) return notify(t("chooseCsv"), "error");
    try {
      const data = await api("POST", ctx.base + "/employees/import", await file.files[0].text(), "text/csv");
      notify(t("imported", { n: data.imported }));
      ctx.redraw();
    } catch (e) {
      notify(e.message + (e.fields || []).map((f) => `\n  ${f.field}: ${f.message}`).join(""), "error");
    }
  } },
  el("h2", {}, t("importCsv")),
  field(t("csvFile"), file, el("div", { class: "help" }, t("csvHelp"))),
  el("button", { type: "submit", class: "primary" }, t("import")));
  const find = el("input", { type: "search", name: "q", value: q, autocomplete: "off" });
  const findForm = el("form", { class: "card filters", role: "search", onsubmit: (ev) => {
    ev.preventDefault();
    go(["employees"], { q: find.value.trim() });
  } }, field(t("findEmployee"), find, el("div", { class: "help" }, t("findEmployeeHelp"))),
  el("button", { type: "submit", class: "primary" }, t("search")),
  q ? el("a", { href: href(["employees"]) }, t("resetFilters")) : null);
  const rows = page.items.map((e) => el("tr", {},
    el("td", {}, el("a", { href: href(["employees", e.id]) }, e.id)),
    el("td", {}, `${e.first_name} ${e.last_name}`),
    el("td", {}, e.department || ""), el("td", {}, when(e.hire_date, true)), el("td", {}, when(e.termination_date, true) || ""),
    el("td", {}, (e.excluded_from || []).length ? (e.excluded_from || []).join(", ") : t("includedEverywhere"))));
  return el("div", {}, el("h1", {}, t("navEmployees")), findForm,
    rows.length ? el("div", { class: "scroll" }, table([t("id"), t("name"), t("department"), t("hired"), t("left"), t("excludedFrom")], rows))
      : el("p", { class: "card" }, q ? t("nothingMatches") : t("noEmployees")),
    el("p", { class: "paging" }, cursor ? el("a", { href: href(["employees"], { q }) }, t("firstPage")) : null, " ",
      page.next_cursor ? el("a", { href: href(["employees"], { q, cursor: page.next_cursor }) }, t("nextPage")) : null),
    importForm);
}

async function employee(ctx, id) {
  const e = await api("GET", ctx.base + "/employees/" + seg(id));
  const shown = Object.entries(e).filter(([, v]) => v !== null && v !== undefined && v !== "" && typeof v !== "object");
  const custom = Object.entries(e.custom_attributes || {});
  return el("div", {},
    el("p", {}, el("a", { href: href(["employees"]) }, "← " + t("navEmployees"))),
    el("div", { class: "card" },
      el("h1", {}, `${e.first_name} ${e.last_name}`),
      el("dl", { class: "facts" }, shown.map(([k, v]) => [el("dt", {}, k),
        el("dd", {}, /_(date|at)$/.test(k) ? when(String(v), k.endsWith("_date")) : String(v))])),
      el("h2", {}, t("excludedFrom")),
      el("p", {}, (e.excluded_from || []).length ? e.excluded_from.join(", ") : t("includedEverywhere")),
      custom.length ? [el("h2", {}, t("ownFields")), el("dl", { class: "facts" }, custom.map(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))]))] : null));
}

async function absences(ctx) {
  const cursor = ctx.query.get("cursor");
  const page = await api("GET", ctx.base + "/absences?" + new URLSearchParams(cursor ? { cursor, limit: "50" } : { limit: "50" }));
  const half = (on) => (on ? ` (${t("halfDay")})` : "");
  const rows = page.items.map((a) => el("tr", {},
    el("td", {}, el("a", { href: href(["employees", a.employee_id]) }, a.employee_id)),
    el("td", {}, a.type_name),
    el("td", {}, when(a.start_date, true), half(a.half_day_start)),
    el("td", {}, when(a.end_date, true), half(a.half_day_end)),
    el("td", {}, badge(t("ab_" + a.status), a.status === "approved" ? "success" : a.status === "cancelled" ? "failed" : "pending")),
    el("td", {}, when(a.updated_at))));
  return el("div", {}, el("h1", {}, t("navAbsences")),
    rows.length ? el("div", { class: "scroll" }, table([t("employee"), t("absenceType"), t("from"), t("to"), t("status"), t("updated")], rows))
      : el("p", { class: "card" }, t("noAbsences")),
    el("p", { class: "paging" }, cursor ? el("a", { href: href(["absences"]) }, t("firstPage")) : null, " ",
      page.next_cursor ? el("a", { href: href(["absences"], { cursor: page.next_cursor }) }, t("nextPage")) : null));
}

const SETTINGS = ["default_legal_entity", "default_department", "default_position", "login_format"];

async function settings(ctx) {
  const s = await api("GET", ctx.base + "/settings");
  const inputs = {};
  const problems = {};
  const rows = SETTINGS.map((k) => {
    inputs[k] = el("input", { type: "text", name: k, value: s[k] || "", autocomplete: "off",
      placeholder: k === "login_format" ? s.effective_login_format : "" });
    problems[k] = el("div", { class: "field-error" });
    return field(t("set_" + k), inputs[k], el("div", { class: "help" }, t("set_" + k + "_help")), problems[k]);
  });
  return el("div", {}, el("h1", {}, t("navSettings")),
    el("form", { class: "card", onsubmit: async (ev) => {
      ev.preventDefault();
      const body = Object.fromEntries(SETTINGS.map((k) => [k, inputs[k].value.trim() || null]));
      try {
        await api("PUT", ctx.base + "/settings", body);
        showProblems(problems, null);
        notify(t("settingsSaved"));
        ctx.redraw();
      } catch (e) {
        const shown = showProblems(problems, e);
        notify(shown ? t("fixFields") : e.message, "error");
      }
    } },
    el("p", {}, t("effectiveLogin"), " ", el("code", {}, s.effective_login_format)),
    rows,
    el("button", { type: "submit", class: "primary" }, t("saveSettings"))));
}

/** One audit line per CSV row: the union of keys as columns; nested values as JSON. */
function toCsv(lines) {
  const columns = [];
  for (const l of lines) for (const k of Object.keys(l)) if (!columns.includes(k)) columns.push(k);
  const cell = (v) => {
    let s = v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
    // A spreadsheet must not read a cell as a formula.
    if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns.map(cell).join(","), ...lines.map((l) => columns.map((c) => cell(l[c])).join(","))].join("\r\n") + "\r\n";
}

async function audit(ctx) {
  const installs = await api("GET", ctx.base + "/installs");
  const day = (d) => d.toISOString().slice(0, 10);
  const from = el("input", { type: "date", name: "from", value: day(new Date(Date.now() - 30 * 86400000)), required: true });
  const to = el("input", { type: "date", name: "to", value: day(new Date()), required: true });
  const install = el("select", { name: "install" }, el("option", { value: "" }, t("allIntegrations")),
    installs.items.map((i) => el("option", { value: i.id }, i.name || i.connector_id)));
  const format = el("select", { name: "format" },
    el("option", { value: "csv" }, t("formatCsv")), el("option", { value: "jsonl" }, t("formatJsonl")));
  const problems = { from: el("div", { class: "field-error" }), to: el("div", { class: "field-error" }) };
  const result = el("p", { class: "help" });
  return el("div", {}, el("h1", {}, t("navAudit")),
    el("p", {}, t("auditHelp")),
    el("form", { class: "card filters", onsubmit: async (ev) => {
      ev.preventDefault();
      showProblems(problems, null);
      const q = { from: from.value, to: to.value };
      if (install.value) q.install = install.value;
      try {
        const res = await fetch(ctx.base + "/audit?" + new URLSearchParams(q), {
          headers: { authorization: "Bearer " + token(), "accept-language": lang() },
        });
        if (!res.ok) {
          const data = await res.json().catch(() => null);
          throw new ApiFailure(res.status, (data && data.error) || { message: res.statusText });
        }
        const text = await res.text();
        const lines = text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
        const csv = format.value === "csv";
        const blob = new Blob([csv ? toCsv(lines) : text], { type: csv ? "text/csv" : "application/x-ndjson" });
        const link = el("a", { href: URL.createObjectURL(blob), download: `audit-${q.from}-${q.to}.${csv ? "csv" : "jsonl"}` });
        document.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(link.href), 10000);
        result.textContent = t("auditLines", { n: lines.length });
        notify(t("auditDownloaded", { n: lines.length }));
      } catch (e) {
        const shown = showProblems(problems, e);
        notify(shown ? t("fixFields") : e.message, "error");
      }
    } },
    field(t("from"), from, problems.from), field(t("to"), to, problems.to),
    field(t("integration"), install), field(t("format"), format),
    el("button", { type: "submit", class: "primary" }, t("download"))),
    result);
}
