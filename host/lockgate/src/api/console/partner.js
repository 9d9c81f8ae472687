// The partner's views: their submissions with the review report, and the
// upload of a new `.wasm`.

import { api } from "./api.js";
import { el, field, table, badge, notify, carryNotice } from "./dom.js";
import { t, when } from "./i18n.js";
import { go, href } from "./router.js";
import { summary, checks } from "./operator.js";
import { previewLink } from "./catalog.js";

export function route(parts, ctx) {
  const [section, plugin, version, extra] = parts;
  if (section !== "submissions" || extra) return null;
  if (!plugin) return () => submissions(ctx);
  if (version) return () => submission(ctx, plugin, version);
  return null;
}

async function submissions() {
  const data = await api("GET", "/api/v1/partner/submissions");
  const file = el("input", { type: "file", name: "wasm", accept: ".wasm,application/wasm", required: true });
  const problems = el("ul", { class: "field-error" });
  const upload = el("form", { class: "card", onsubmit: async (ev) => {
    ev.preventDefault();
    problems.replaceChildren();
    if (!file.files.length) return notify(t("chooseWasm"), "error");
    try {
      const s = await api("POST", "/api/v1/partner/submissions", file.files[0], "application/wasm");
      notify(t("submittedNotice", { id: `${s.plugin_id} ${s.version}` }));
      carryNotice();
      go(["submissions", s.plugin_id, s.version]);
    } catch (e) {
      notify(e.message, "error");
      problems.replaceChildren(...(e.fields || []).map((f) => el("li", {}, `${f.field}: ${f.message}`)));
    }
  } },
  el("h2", {}, t("uploadTitle")),
  field(t("wasmFile"), file, el("div", { class: "help" }, t("wasmHelp"))),
  el("button", { type: "submit", class: "primary" }, t("upload")), problems);
  const rows = data.items.map((s) => el("tr", {},
    el("td", {}, el("a", { href: href(["submissions", s.plugin_id, s.version]) }, s.plugin_id)),
    el("td", {}, s.version), el("td", {}, badge(t("st_" + s.status), s.status)),
    el("td", {}, when(s.submitted_at)), el("td", {}, summary(s.review_report))));
  return el("div", {}, el("h1", {}, t("navSubmissions")), upload,
    rows.length ? table([t("connector"), t("version"), t("status"), t("submitted"), t("automatedReview")], rows)
      : el("p", { class: "card" }, t("noSubmissions")));
}

async function submission(ctx, plugin, version) {
  const data = await api("GET", "/api/v1/partner/submissions");
  const s = data.items.find((x) => x.plugin_id === plugin && x.version === version);
  const back = el("p", {}, el("a", { href: href(["submissions"]) }, "← " + t("navSubmissions")));
  if (!s) return el("div", {}, back, el("p", { class: "card" }, t("noSuchSubmission")));
  const facts = [
    [t("status"), badge(t("st_" + s.status), s.status)], [t("submitted"), when(s.submitted_at)],
    [t("reviewed"), when(s.reviewed_at) || "—"], [t("tier"), s.tier ? t("tier_" + s.tier) : "—"],
    [t("listed"), s.listed ? t("yes") : t("no")], ["sha256", el("code", {}, s.sha256)],
  ];
  return el("div", {}, back,
    el("div", { class: "card" }, el("h1", {}, s.plugin_id, " ", s.version),
      el("dl", { class: "facts" }, facts.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
      el("p", {}, previewLink(s.plugin_id, s.version)),
      s.review_reasons.length ? [el("h2", {}, t("reviewReasons")), el("ul", {}, s.review_reasons.map((r) => el("li", {}, r)))] : null),
    el("h2", {}, t("automatedReview"), " ", summary(s.review_report)), checks(s.review_report));
}
