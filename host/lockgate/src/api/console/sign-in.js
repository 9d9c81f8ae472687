// The admin's sign-in at a partner, for connectors that sign in with the
// admin's own account there (OAuth2 authorization code): a button that
// sends the browser to the partner, the state after coming back, and
// signing out. Tokens never reach this page; the API keeps them.

import { api } from "./api.js";
import { el, notify } from "./dom.js";
import { t, when } from "./i18n.js";

/** Sends the browser to the partner's sign-in for the install at `base`. */
async function start(base, button) {
  button.disabled = true;
  try {
    const started = await api("POST", base + "/sign-in");
    window.location.assign(started.authorize_url);
  } catch (e) {
    notify(e.message, "error");
    button.disabled = false;
  }
}

/**
 * The sign-in card of install `i` (whose API address is `base`), or null
 * when its connector signs in without the admin. `outcome` is what the
 * partner's return said (`signed-in`, `not-signed-in`), if it just did;
 * `confirmed` makes a button that asks in the page before it acts.
 */
export function signInCard(base, i, outcome, redraw, confirmed) {
  if (!i.sign_in) return null;
  const s = i.sign_in;
  if (outcome === "signed-in" && s.signed_in) notify(t("signedInNotice", { at: s.at }));
  if (outcome === "not-signed-in" && !s.signed_in) notify(i.status_reason || t("notSignedIn"), "error");
  const signIn = el("button", { type: "button", class: "primary" }, t("signInAt", { at: s.at }));
  signIn.addEventListener("click", () => start(base, signIn));
  const signOut = confirmed(t("signOutAt", { at: s.at }), t("signOutConfirm", { at: s.at }), async () => {
    const out = await api("POST", base + "/sign-out");
    notify(out.revoked ? t("signedOutRevoked", { at: s.at }) : t("signedOutKept", { at: s.at, why: out.revoke_note || "" }));
    redraw();
  });
  return el("section", { class: "card", "aria-labelledby": "sign-in-title" },
    el("h2", { id: "sign-in-title" }, t("signInTitle2")),
    s.signed_in
      ? [el("p", {}, t("signedInSince", { at: s.at, by: s.by || "" }), " ", when(s.since)), signOut]
      : [el("p", {}, t("signInNeeded", { at: s.at })), signIn]);
}
