import { t } from "./i18n.js";

// Builds DOM nodes. Everything shown comes from the API and is set as
// text, never parsed as HTML: connector texts are written by partners.

/** `el("a", { href, onclick }, "text", child)`: attributes, handlers, children. */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "value") node.value = v;
    else if (k === "checked" || k === "selected") node[k] = Boolean(v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** A labelled control: the label wraps its text and points at the control. */
let ids = 0;
export function field(label, control, ...after) {
  if (!control.id) control.id = "f" + ++ids;
  return el("div", { class: "field" }, el("label", { for: control.id }, label), control, ...after);
}

/** A table with a header row; rows are arrays of cells or `<tr>` nodes. */
export function table(headers, rows) {
  return el("table", {},
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows));
}

export function badge(text, kind) {
  return el("span", { class: "badge " + (kind || "") }, text);
}

/**
 * A confirmation or an error above the view. It stays until it is
 * dismissed, the next one comes, or the user goes elsewhere; an action
 * that leads to another view carries it there with `carryNotice`.
 */
export function notify(message, kind) {
  const box = document.getElementById("notice");
  delete box.dataset.carry;
  box.className = kind || "ok";
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  const close = el("button", { type: "button", onclick: () => clearNotice() }, "×");
  close.setAttribute("aria-label", t("dismiss"));
  box.replaceChildren(el("span", {}, message), close);
}

/** The notice survives the next move to another view (the action's own). */
export function carryNotice() {
  document.getElementById("notice").dataset.carry = "1";
}

/** On a move to another view: the notice ends, unless it was carried. */
export function ageNotice() {
  const box = document.getElementById("notice");
  if (box.dataset.carry) delete box.dataset.carry;
  else clearNotice();
}

export function clearNotice() {
  const box = document.getElementById("notice");
  box.replaceChildren();
  box.className = "";
}
