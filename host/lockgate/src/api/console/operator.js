// The operator's views: the review queue and one submission with its
// automated report, to approve with a tier or reject with reasons.

import { api, seg } from "./api.js";
import { el, field, table, badge, notify, carryNotice } from "./dom.js";
import { t, when, localized } from "./i18n.js";
import { go, href } from "./router.js";

export function route(parts, ctx) {
  const [section, plugin, version, extra] = parts;
  if (section !== "review" || extra) return null;
  if (!plugin) return () => queue(ctx);
  if (version) return () => submission(ctx, plugin, version);
  return null;
}

/** "3 pass · 1 warn · 0 fail", or that the review is still being made. */
export function summary(report) {
  if (!report || report.pending || !Array.isArray(report.checks)) return t("reviewPending");
  const n = (v) => report.checks.filter((c) => c.verdict === v).length;
  return el("span", {}, badge(`${n("pass")} ${t("v_pass")}`, "pass"), badge(`${n("warn")} ${t("v_warn")}`, "warn"),
    badge(`${n("fail")} ${t("v_fail")}`, "fail"));
}

/** Every check of the automated review with its verdict and reason. */
export function checks(report) {
  if (!report || report.pending || !Array.isArray(report.checks)) {
    return el("p", { class: "card" }, t("reviewPending"));
  }
  return el("div", {},
    table([t("section"), t("check"), t("verdict"), t("reason")], report.checks.map((c) => el("tr", {},
      el("td", {}, c.section || ""), el("td", {}, c.name), el("td", {}, badge(t("v_" + c.verdict), c.verdict)),
      el("td", {}, c.reason)))),
    transfer(report),
    el("details", {}, el("summary", {}, t("fullReport")), el("pre", {}, JSON.stringify(report, null, 2))));
}

/**
 * The live transfer the review recorded: every request of one full sync
 * and the answer it got, bodies as text (header values are never kept).
 */
function transfer(report) {
  const exchanges = report.exchanges || [];
  const rows = exchanges.map((x) => el("tr", {},
    el("td", {}, el("code", {}, x.method)), el("td", {}, el("code", {}, x.url)),
    el("td", {}, String(x.response_status)), el("td", {}, x.answered_by),
    el("td", {}, x.request_body ? el("details", {}, el("summary", {}, t("xBytes", { n: x.request_bytes })), el("pre", {}, x.request_body)) : "—"),
    el("td", {}, x.response_body ? el("details", {}, el("summary", {}, t("xShow")), el("pre", {}, x.response_body)) : "—")));
  return el("section", { "aria-labelledby": "transfer-title" },
    el("h3", { id: "transfer-title" }, t("liveTransfer")),
    el("p", { class: "help" }, t("liveTransferHelp", { partner: report.partner || "" })),
    rows.length ? table([t("xMethod"), t("xAddress"), t("xStatus"), t("xAnsweredBy"), t("xRequest"), t("xAnswer")], rows)
      : el("p", { class: "card" }, t("noExchanges")));
}

async function queue() {
  const data = await api("GET", "/api/v1/review/queue");
  const rows = data.items.map((s) => el("tr", {},
    el("td", {}, el("a", { href: href(["review", s.plugin_id, s.version]) }, localized(s.name) || s.plugin_id)),
    el("td", {}, s.version), el("td", {}, s.partner_id), el("td", {}, when(s.submitted_at)),
    el("td", {}, summary(s.review_report))));
  return el("div", {}, el("h1", {}, t("navReview")),
    rows.length ? table([t("connector"), t("version"), t("partner"), t("submitted"), t("automatedReview")], rows)
      : el("p", { class: "card" }, t("queueEmpty")));
}

async function submission(ctx, plugin, version) {
  const data = await api("GET", "/api/v1/review/queue");
  const s = data.items.find((x) => x.plugin_id === plugin && x.version === version);
  const back = el("p", {}, el("a", { href: href(["review"]) }, "← " + t("navReview")));
  if (!s) return el("div", {}, back, el("p", { class: "card" }, t("notInQueue")));
  const path = `/api/v1/review/${seg(plugin)}/${seg(version)}`;
  const decision = el("select", { name: "decision" },
    el("option", { value: "approve" }, t("approve")), el("option", { value: "reject" }, t("reject")));
  const tier = el("select", { name: "tier" }, ["select", "elite", "premier"].map((x) => el("option", { value: x }, t("tier_" + x))));
  const override = el("textarea", { name: "override" });
  const reasons = el("textarea", { name: "reasons" });
  const decide = el("form", { class: "card", onsubmit: async (ev) => {
    ev.preventDefault();
    const body = decision.value === "approve"
      ? Object.assign({ decision: "approve", tier: tier.value }, override.value.trim() ? { override: override.value.trim() } : {})
      : { decision: "reject", reasons: reasons.value.split("\n").map((r) => r.trim()).filter(Boolean) };
    try {
      await api("POST", path, body);
      notify(t(body.decision === "approve" ? "approvedNotice" : "rejectedNotice", { id: `${plugin} ${version}` }));
      carryNotice();
      go(["review"]);
    } catch (e) {
      notify(e.message, "error");
    }
  } },
  el("h2", {}, t("decide")),
  field(t("decision"), decision),
  field(t("tier"), tier),
  field(t("overrideReason"), override, el("div", { class: "help" }, t("overrideHelp"))),
  field(t("rejectReasons"), reasons, el("div", { class: "help" }, t("reasonsHelp"))),
  el("button", { type: "submit", class: "primary" }, t("submitDecision")));
  const revet = el("button", { type: "button", onclick: async (ev) => {
    ev.target.disabled = true;
    try {
      await api("POST", path + "/vet");
      notify(t("reviewedAgain"));
      ctx.redraw();
    } catch (e) { notify(e.message, "error"); ev.target.disabled = false; }
  } }, t("reviewAgain"));
  const facts = [
    [t("partner"), s.partner_id], [t("submitted"), when(s.submitted_at)], [t("size"), `${Math.round(s.size / 1024)} KiB`],
    ["sha256", el("code", {}, s.sha256)], [t("testAccess"), when(s.test_access_at) || "—"],
  ];
  return el("div", {}, back,
    el("div", { class: "card" },
      el("h1", {}, localized(s.name) || s.plugin_id, " ", s.version, " ", badge(t("st_" + s.status), s.status)),
      el("dl", { class: "facts" }, facts.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
      el("h2", {}, t("permissions")), el("ul", {}, s.scopes.map((x) => el("li", {}, el("code", {}, x.scope), " — ", x.means))),
      el("h2", {}, t("hosts")), s.hosts.length ? el("ul", {}, s.hosts.map((h) => el("li", {}, el("code", {}, h)))) : el("p", {}, t("noHosts")),
      el("h2", {}, t("imports")), el("ul", {}, s.imports.map((h) => el("li", {}, el("code", {}, h))))),
    el("h2", {}, t("automatedReview"), " ", summary(s.review_report)), checks(s.review_report), revet,
    decide);
}
