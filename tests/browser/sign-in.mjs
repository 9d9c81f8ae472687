// The tenant admin's sign-in at a partner (OAuth2 authorization code with
// PKCE) in the browser: connect a connector that needs it, click "Sign in
// at …", sign in and grant access on the partner's page, come back signed
// in, then sign out, which revokes at the partner. The partner is
// `fake-partner.mjs` on LOCKGATE_SIGN_IN_PORT, which `lockgate serve` was
// told to reach over plain HTTP.

import { startPartner } from "./fake-partner.mjs";

const CLIENT_ID = "lockgate-demo-client";
const CLIENT_SECRET = "demo-client-secret";

export async function signInJourney({ tab, signIn, shot, step, expect, url, env }) {
  const port = Number(env("LOCKGATE_SIGN_IN_PORT"));
  const partnerUrl = `http://127.0.0.1:${port}`;
  const partner = await startPartner(port, CLIENT_ID, CLIENT_SECRET);
  const page = await tab();
  try {
    step("the admin connects a connector that signs in at the partner");
    await signIn(page, env("LOCKGATE_ADMIN"));
    await page.waitForURL(/#\/marketplace$/);
    await page.goto(url + "/#/marketplace/test-oauth-probe");
    await page.getByRole("heading", { level: 1, name: "OAuth probe" }).waitFor();
    await page.getByLabel("API", { exact: false }).first().fill(partnerUrl);
    await page.getByLabel("Other host").fill(partnerUrl);
    await page.getByLabel("Client ID").fill(CLIENT_ID);
    await page.getByLabel("Client secret").fill(CLIENT_SECRET);
    await page.getByRole("button", { name: "Check configuration" }).click();
    await page.getByText("You sign in at " + partnerUrl).waitFor();
    await page.getByLabel("I grant these permissions").check();
    await page.getByRole("button", { name: "Connect", exact: true }).click();
    await page.waitForURL(/#\/integrations\/[^/?]+$/);
    const signInButton = page.getByRole("button", { name: "Sign in at " + partnerUrl });
    await signInButton.waitFor();
    await shot(page, "admin-sign-in-needed");

    step("the admin signs in at the partner and grants access");
    await signInButton.click();
    await page.waitForURL(partnerUrl + "/oauth/authorize?**");
    expect(!page.url().includes(CLIENT_SECRET), "the client secret is not in the partner's address");
    await page.getByLabel("E-mail").fill("admin@example.com");
    await page.getByLabel("Password").fill("correct horse");
    await shot(page, "partner-sign-in-page");
    await page.getByRole("button", { name: "Grant access" }).click();

    step("back in the console, the integration is signed in and connected");
    await page.waitForURL(/#\/integrations\/[^/?]+\?sign-in=signed-in$/);
    await page.getByRole("status").getByText("Signed in at " + partnerUrl).waitFor();
    await page.getByRole("button", { name: "Sign out at " + partnerUrl }).waitFor();
    await page.locator("h1 .badge", { hasText: "Connected" }).waitFor();
    expect(!page.url().includes("code=") && !page.url().includes("state="), "no code or state left in the address");
    await shot(page, "admin-signed-in");
    expect(partner.stats.issued === 1, `one token exchange, saw ${partner.stats.issued}`);

    step("signing out revokes the sign-in at the partner");
    await page.getByRole("button", { name: "Sign out at " + partnerUrl }).click();
    await page.getByRole("button", { name: "Yes, sign out at " + partnerUrl }).click();
    await page.getByRole("status").getByText("revoked").waitFor();
    await page.getByRole("button", { name: "Sign in at " + partnerUrl }).waitFor();
    expect(partner.stats.revoked.length === 1, `one revocation, saw ${partner.stats.revoked.length}`);
  } finally {
    await page.close();
    partner.close();
  }
}
