// The console: sign-in, each role's navigation and home, and the views
// behind the hash routes. Views come from admin.js, operator.js and
// partner.js; each returns a node, or throws to show the error state.

import { api, setToken, token } from "./api.js";
import { el, field, notify, clearNotice, ageNotice } from "./dom.js";
import { t, lang, setLang } from "./i18n.js";
import { current, href, replace } from "./router.js";
import * as admin from "./admin.js";
import * as operator from "./operator.js";
import * as partner from "./partner.js";
import * as catalog from "./catalog.js";

const session = { me: null };

/** Each role: where it lands, what its navigation offers, its routes. */
const ROLES = {
  "tenant-admin": {
    home: ["marketplace"],
    nav: [["marketplace", "navMarketplace"], ["integrations", "navIntegrations"], ["employees", "navEmployees"],
      ["absences", "navAbsences"], ["settings", "navSettings"], ["audit", "navAudit"]],
    route: admin.route,
  },
  operator: {
    home: ["review"],
    nav: [["review", "navReview"], ["marketplace", "navMarketplace"], ["connectors", "navConnectors"],
      ["tenants", "navTenants"], ["failing", "navFailing"], ["requests", "navRequests"]],
    route: (parts, ctx) => operator.route(parts, ctx) || catalog.route(parts, ctx) || admin.browse(parts, ctx),
  },
  partner: {
    home: ["submissions"],
    nav: [["submissions", "navSubmissions"], ["marketplace", "navMarketplace"], ["requests", "navRequests"]],
    route: (parts, ctx) => partner.route(parts, ctx) || catalog.route(parts, ctx) || admin.browse(parts, ctx),
  },
};

const view = () => document.getElementById("view");
let drawing = 0;

/** Draws the current route: loading, then the view or its error. */
async function draw(moved) {
  const mine = ++drawing;
  const { parts, query } = current();
  if (!session.me) return signIn();
  const role = ROLES[session.me.role];
  if (!parts.length) return replace(role.home);
  drawNav(parts[0]);
  const render = role.route(parts, { me: session.me, query, redraw: draw });
  if (!render) {
    view().replaceChildren(el("div", { class: "card" }, el("h1", {}, t("notFound")),
      el("p", {}, el("a", { href: href(role.home) }, t("goHome")))));
    return;
  }
  view().setAttribute("aria-busy", "true");
  view().replaceChildren(el("p", { class: "muted" }, t("loading")));
  try {
    const node = await render();
    if (mine !== drawing) return;
    view().replaceChildren(node);
    // After a move, keyboard and screen reader users start at the new heading.
    const heading = node.querySelector("h1");
    if (heading && moved) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  } catch (e) {
    if (mine !== drawing) return;
    if (e.status === 401) return signOut(t("sessionEnded"));
    view().replaceChildren(el("div", { class: "card", role: "alert" },
      el("h1", {}, t("loadFailed")), el("p", { class: "field-error" }, e.message),
      el("button", { type: "button", onclick: () => draw() }, t("retry"))));
  } finally {
    if (mine === drawing) view().removeAttribute("aria-busy");
  }
}

function drawNav(section) {
  const role = ROLES[session.me.role];
  document.getElementById("nav").replaceChildren(...role.nav.map(([path, key]) =>
    el("a", { href: href([path]), "aria-current": path === section ? "page" : null }, t(key))));
  const me = session.me;
  document.getElementById("who").textContent =
    `${me.label || me.role} · ${t("role_" + me.role)}${me.tenant_id ? " · " + me.tenant_id : ""}`;
  document.getElementById("sign-out").hidden = false;
}

function signIn(problem) {
  document.getElementById("nav").replaceChildren();
  document.getElementById("who").textContent = "";
  document.getElementById("sign-out").hidden = true;
  const input = el("input", { type: "password", name: "token", autocomplete: "off", required: true });
  const error = el("p", { class: "field-error", role: "alert" }, problem || "");
  const form = el("form", { class: "card sign-in", onsubmit: async (ev) => {
    ev.preventDefault();
    setToken(input.value.trim());
    if (await whoAmI(error)) draw();
  } },
  el("h1", {}, t("signInTitle")),
  field(t("token"), input, el("div", { class: "help" }, t("tokenHelp"))),
  el("p", {}, el("button", { type: "submit", class: "primary" }, t("signIn"))), error);
  view().replaceChildren(form);
  input.focus();
}

/** Asks who the token belongs to; false (and why) when it is refused. */
async function whoAmI(error) {
  if (!token()) return false;
  try {
    session.me = await api("GET", "/api/v1/me");
    if (!ROLES[session.me.role]) throw new Error(session.me.role);
    return true;
  } catch (e) {
    session.me = null;
    setToken("");
    if (error) error.textContent = e.status === 401 ? t("tokenRefused") : e.message;
    return false;
  }
}

function signOut(message) {
  setToken("");
  session.me = null;
  clearNotice();
  if (message) notify(message, "error");
  history.pushState(null, "", "#/");
  signIn();
}

function applyLanguage() {
  document.documentElement.lang = lang();
  document.getElementById("lang").value = lang();
  document.title = t("title");
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
}

async function start() {
  applyLanguage();
  document.getElementById("lang").addEventListener("change", (ev) => {
    setLang(ev.target.value);
    applyLanguage();
    draw();
  });
  document.getElementById("sign-out").addEventListener("click", () => signOut());
  window.addEventListener("hashchange", () => {
    ageNotice();
    draw(true);
  });
  await whoAmI();
  draw();
}

start();
