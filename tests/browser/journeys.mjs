// The console's main journeys per role, in Debian's headless Chromium
// against a running `lockgate serve --demo`. host/lockgate/tests/console.rs
// starts the server and runs this with:
//   LOCKGATE_URL, LOCKGATE_ADMIN, LOCKGATE_OPERATOR, LOCKGATE_PARTNER (tokens),
//   LOCKGATE_WASM (a connector file the partner is not the publisher of),
//   LOCKGATE_VENDOR (a second partner's token) and LOCKGATE_VENDOR_WASM
//   (a connector of theirs whose automated review finds a problem),
//   LOCKGATE_VENDOR_WASM_2 (another of theirs, with an icon and a price
//   only in English, for the catalog journeys),
//   SCREENSHOTS (a folder), CHROMIUM (default /usr/bin/chromium).
// Exits non-zero with the failing step when a journey breaks.

import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { signInJourney } from "./sign-in.mjs";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name}`);
  return v;
};
const url = env("LOCKGATE_URL");
const shots = env("SCREENSHOTS");
mkdirSync(shots, { recursive: true });

const problems = [];
const steps = [];
function step(text) {
  steps.push(text);
  console.log("·", text);
}
function expect(ok, what) {
  if (!ok) throw new Error(what);
}

const profile = mkdtempSync(join(tmpdir(), "lockgate-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1280, height: 860 },
  locale: "en-GB",
});
context.setDefaultTimeout(10_000);

/** A fresh tab: its own session storage, so its own sign-in. */
async function tab() {
  const page = await context.newPage();
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    // A policy violation or a script error shows up here; a refused API
    // call (an expected 422) is checked by the journeys themselves.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) problems.push(`console: ${m.text()}`);
  });
  page.on("response", (r) => {
    const path = new URL(r.url()).pathname;
    if (r.status() >= 500 || (r.status() === 404 && !path.startsWith("/api/"))) problems.push(`${r.status()} for ${r.url()}`);
  });
  page.on("request", (r) => {
    if (/\/(null|undefined)(\/|$)/.test(new URL(r.url()).pathname)) problems.push(`request to ${r.url()}`);
  });
  return page;
}

async function signIn(page, token) {
  await page.goto(url + "/");
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** A screenshot of a main screen, whose every control must have a label. */
async function shot(page, name) {
  const unlabelled = await page.locator("input, select, textarea").evaluateAll((controls) =>
    controls.filter((c) => c.type !== "hidden" && !(c.labels && c.labels.length) && !c.getAttribute("aria-label"))
      .map((c) => c.outerHTML));
  expect(unlabelled.length === 0, `${name}: controls without a label: ${unlabelled.join(" ")}`);
  await page.screenshot({ path: join(shots, name + ".png"), fullPage: true });
}

const hash = (page) => new URL(page.url()).hash;

async function tenantAdmin() {
  const page = await tab();
  step("tenant admin signs in and lands on the marketplace");
  await signIn(page, env("LOCKGATE_ADMIN"));
  await page.waitForURL(/#\/marketplace$/);
  await page.getByRole("heading", { level: 1, name: "Marketplace" }).waitFor();
  const tiles = page.locator(".tiles article");
  await tiles.first().waitFor();
  expect(await tiles.count() >= 3, "the marketplace shows the bundled connectors");
  await page.locator(".tiles article", { hasText: "installed" }).first().waitFor();
  await shot(page, "admin-marketplace");

  step("a search that matches nothing says so");
  await page.getByLabel("Search").fill("no-such-connector-anywhere");
  await page.getByRole("button", { name: "Filter" }).click();
  await page.waitForURL(/q=no-such-connector-anywhere/);
  await page.getByText("Nothing matches").waitFor();
  await page.getByRole("link", { name: "Show all" }).click();
  await tiles.first().waitFor();

  step("the admin opens a connector's detail page");
  const first = tiles.first().getByRole("heading").getByRole("link");
  const name = (await first.textContent()).trim();
  await first.click();
  await page.waitForURL(/#\/marketplace\/[^/]+$/);
  const detail = hash(page);
  await page.getByRole("heading", { level: 1, name }).waitFor();
  await page.getByRole("heading", { name: "Permissions" }).waitFor();
  await page.getByRole("button", { name: "Check configuration" }).waitFor();
  await shot(page, "admin-connector-detail");

  step("the detail page's address survives a reload");
  await page.reload();
  await page.getByRole("heading", { level: 1, name }).waitFor();
  expect(hash(page) === detail, `after reload at ${hash(page)}, not ${detail}`);

  step("the back button returns to the marketplace");
  await page.goBack();
  await page.waitForURL(/#\/marketplace$/);
  await tiles.first().waitFor();

  step("a deep link to a connector that does not exist shows why, with a way back");
  await page.goto(url + "/#/marketplace/no-such-connector");
  await page.getByRole("alert").getByText("connector not found").waitFor();
  await page.getByRole("button", { name: "Try again" }).waitFor();
  await page.goto(url + "/#/no/such/page");
  await page.getByRole("heading", { name: "There is no such page" }).waitFor();
  await page.getByRole("link", { name: "Go to your start page" }).click();
  await page.waitForURL(/#\/marketplace$/);

  step("the admin connects a webhook connector and sees its address and one-time secret");
  await page.getByRole("link", { name: "Hire from the applicant tracker" }).click();
  await page.waitForURL(/#\/marketplace\/ats-hire$/);
  await page.getByRole("button", { name: "Check configuration" }).click();
  await page.getByRole("heading", { name: "This connector will be allowed to" }).waitFor();
  await page.getByLabel("I grant these permissions").check();
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  await page.getByRole("status").getByText("is connected").waitFor();
  await page.getByRole("heading", { name: "Set up the webhook at the partner" }).waitFor();
  expect(/\S{16,}/.test(await page.locator(".secret").innerText()), "the one-time secret is shown");
  const hook = await page.locator("dd code").first().innerText();
  expect(hook.startsWith(`${url.replace(/\/+$/, "")}/hooks/`), `the webhook address is whole, as the partner enters it: ${hook}`);
  await shot(page, "admin-connect-webhook");
  await page.getByRole("link", { name: "Open the integration" }).click();
  await page.waitForURL(/#\/integrations\/[^/]+$/);
  await page.getByText("Webhook address").waitFor();

  step("the integrations list the demo's planner export, which opens with its runs");
  await page.getByRole("link", { name: "Integrations", exact: true }).click();
  await page.waitForURL(/#\/integrations$/);
  const row = page.locator("tbody tr", { hasText: "Planner export" });
  await row.waitFor();
  await shot(page, "admin-integrations");
  await row.getByRole("link").click();
  await page.waitForURL(/#\/integrations\/[^/]+$/);
  await page.getByRole("heading", { name: "Runs" }).waitFor();
  expect(!/\d{4}-\d\d-\d\dT/.test(await page.locator("main").innerText()), "timestamps are shown readable, not as raw ISO");

  step("an action's confirmation stays visible");
  await page.getByRole("button", { name: "Sync now" }).click();
  await page.getByRole("status").getByText("A sync is queued").waitFor();
  await page.waitForTimeout(1500);
  expect(await page.getByRole("status").getByText("A sync is queued").isVisible(), "the confirmation is still there");
  await shot(page, "admin-integration");

  step("the German switch changes the console's text and the page's lang");
  await page.getByRole("link", { name: "Marketplace", exact: true }).click();
  await tiles.first().waitFor();
  expect(await page.locator("#notice").innerText() === "", "the confirmation ends once the admin moves on");
  await page.getByLabel("Language").selectOption("de");
  await page.getByRole("heading", { level: 1, name: "Marktplatz" }).waitFor();
  expect(await page.locator("html").getAttribute("lang") === "de", "html lang is de");
  await page.getByLabel("Suche").waitFor();
  await shot(page, "admin-marketplace-de");
  await page.getByLabel("Sprache").selectOption("en");
  await page.getByRole("heading", { level: 1, name: "Marketplace" }).waitFor();
  expect(await page.locator("html").getAttribute("lang") === "en", "html lang is en again");

  step("at phone width the marketplace still reads without sideways scrolling");
  await page.setViewportSize({ width: 390, height: 844 });
  await tiles.first().waitFor();
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(wide <= 0, `the page is ${wide}px wider than a phone`);
  await shot(page, "admin-marketplace-phone");
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.close();
}

// ---- Tenant admin: an integration's chart, runs, rows and actions; the
// employees, absences, settings and the audit export. ----

async function tenantAdminIntegration() {
  const page = await tab();
  step("the admin opens the planner export and sees its run history chart with a legend");
  await signIn(page, env("LOCKGATE_ADMIN"));
  await page.waitForURL(/#\/marketplace$/);
  await page.getByRole("link", { name: "Integrations", exact: true }).click();
  await page.locator("tbody tr", { hasText: "Planner export" }).getByRole("link").click();
  await page.waitForURL(/#\/integrations\/[^/]+$/);
  const integration = page.url();
  await page.getByRole("heading", { name: "Run history" }).waitFor();
  expect(await page.locator("svg.chart rect.bar").count() >= 1, "the chart draws a bar per run");
  await page.locator("ul.legend", { hasText: "Successful" }).waitFor();
  expect(/\d+ run\(s\) on this page/.test(await page.locator("#chart-summary").innerText()), "the chart has a text alternative");
  expect(await page.locator("svg.chart").getAttribute("aria-labelledby") === "chart-summary", "the chart is labelled by its summary");
  expect(/ago|in \d|now/.test(await page.locator("main time").first().innerText()), "times read relative");
  expect(Boolean(await page.locator("main time").first().getAttribute("title")), "the exact time is in the tooltip");
  await shot(page, "admin-integration-chart");

  step("in German the page and its relative times are German");
  await page.getByLabel("Language").selectOption("de");
  await page.getByRole("heading", { name: "Verlauf der Läufe" }).waitFor();
  const german = await page.locator("main time").first().innerText();
  expect(/vor |in \d|jetzt/.test(german), `a German relative time: ${german}`);
  await shot(page, "admin-integration-de");
  await page.getByLabel("Sprache").selectOption("en");
  await page.getByRole("heading", { name: "Run history" }).waitFor();

  step("the admin opens a run by keyboard and filters its rows by status and employee");
  // The first run provisioned every employee; later ones may have had nothing to send.
  const runLink = page.locator("table tbody tr", { hasText: /\d+ success/ }).last().getByRole("link");
  await runLink.focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(/#\/integrations\/[^/]+\/runs\/[^/?]+$/);
  await page.getByRole("heading", { level: 1, name: /Rows of the run/ }).waitFor();
  await page.getByLabel("Status").selectOption("success");
  await page.getByRole("button", { name: "Filter" }).click();
  await page.waitForURL(/status=success/);
  const rows = page.locator("table tbody tr");
  const someone = page.locator('table tbody td a[href^="#/employees/"]');
  await someone.first().waitFor();
  {
    const who = (await someone.first().innerText()).trim();
    await page.getByLabel("Employee id").fill(who);
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(new RegExp("employee=" + encodeURIComponent(who)));
    await rows.first().waitFor();
    const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.children[1].querySelector("a").textContent));
    expect(ids.every((id) => id === who), `only ${who}'s rows are listed: ${ids.join(", ")}`);
    const answer = rows.first().locator("details");
    if (await answer.count()) {
      await answer.locator("summary").click();
      await answer.locator("pre").waitFor();
    }
    await shot(page, "admin-run-rows");
    step("a row links to its employee");
    await rows.first().getByRole("link", { name: who, exact: true }).click();
    await page.waitForURL(/#\/employees\/[^/]+$/);
    await page.getByRole("heading", { level: 1 }).waitFor();
    await page.getByText("Excluded from").waitFor();
    await shot(page, "admin-employee");
  }

  step("the admin reconfigures: every field error shows under its field, then a change is saved");
  await page.goto(integration);
  await page.getByRole("heading", { name: "Settings of this integration" }).waitFor();
  expect(await page.getByLabel("Planner API key *").getAttribute("placeholder") === "unchanged", "a stored secret reads as unchanged");
  const address = page.getByLabel("Your planner's address *");
  const was = await address.inputValue();
  await address.fill("not an address");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByRole("alert").getByText("Some fields need a change").waitFor();
  expect((await address.locator("xpath=..").locator(".field-error").innerText()).trim().length > 0, "the error is under the address field");
  await address.fill(was);
  await page.getByLabel("Department to sync (empty: all)").fill("Engineering");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByRole("status").getByText("The settings are saved").waitFor();
  expect(await page.getByLabel("Department to sync (empty: all)").inputValue() === "Engineering", "the saved value is shown");

  step("the consent step says how many employees and which of their fields would leave, to which hosts");
  await page.goto(url + "/#/marketplace/planner-export");
  await page.getByRole("button", { name: "Check configuration" }).waitFor();
  await page.getByLabel("Your planner's address *").fill(was);
  await page.getByLabel("Planner API key *").fill("any-key");
  await page.getByRole("button", { name: "Check configuration" }).click();
  await page.getByRole("heading", { name: "This connector will be allowed to" }).waitFor();
  const leaving = await page.locator(".leaving").innerText();
  expect(/Data of \d+ of your employees would go to/.test(leaving), `the consent counts the employees: ${leaving}`);
  expect(leaving.includes("first_name") && leaving.includes("127.0.0.1"), `the consent names fields and hosts: ${leaving}`);
  await shot(page, "admin-connect-consent");
  await page.goto(integration);
  await page.getByRole("heading", { name: "Settings of this integration" }).waitFor();

  step("a wrong schedule is refused under its field; a right one is saved");
  await page.getByLabel(/^Schedule \(/).fill("every fortnight");
  await page.getByRole("button", { name: "Save schedule" }).click();
  await page.getByRole("alert").getByText("Some fields need a change").waitFor();
  await page.getByLabel(/^Schedule \(/).fill("daily@04:30");
  await page.getByRole("button", { name: "Save schedule" }).click();
  await page.getByRole("status").getByText("The schedule is saved").waitFor();
  await page.getByText("daily@04:30").first().waitFor();

  step("deactivating asks first, in the page, and can be cancelled; then reactivated");
  await page.getByRole("button", { name: "Deactivate" }).click();
  await page.getByText("Deactivate this integration?").waitFor();
  await page.getByRole("button", { name: "Cancel" }).click();
  await page.getByRole("button", { name: "Deactivate" }).click();
  await page.getByRole("button", { name: "Yes, Deactivate" }).click();
  await page.getByRole("status").getByText("is deactivated").waitFor();
  await page.locator("h1 .badge", { hasText: "Inactive" }).waitFor();
  await page.getByRole("button", { name: "Reactivate" }).click();
  await page.getByRole("button", { name: "Yes, Reactivate" }).click();
  await page.getByRole("status").getByText("is reactivated").waitFor();

  step("at phone width the integration reads without sideways scrolling");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole("heading", { name: "Run history" }).waitFor();
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(wide <= 0, `the integration page is ${wide}px wider than a phone`);
  await shot(page, "admin-integration-phone");
  await page.setViewportSize({ width: 1280, height: 860 });

  step("the admin rotates the webhook secret of the applicant tracker and sees the new one once");
  await page.getByRole("link", { name: "Integrations", exact: true }).click();
  await page.locator("tbody tr", { hasText: "applicant tracker" }).getByRole("link").click();
  await page.waitForURL(/#\/integrations\/[^/]+$/);
  await page.getByRole("button", { name: "Rotate webhook secret" }).click();
  await page.getByRole("button", { name: "Yes, Rotate webhook secret" }).click();
  await page.getByRole("status").getByText("A new webhook secret is made").waitFor();
  await page.getByRole("heading", { name: "The new webhook secret" }).waitFor();
  expect(/\S{16,}/.test(await page.locator(".secret").innerText()), "the new secret is shown");
  await page.getByRole("button", { name: "Copy" }).last().waitFor();
  await shot(page, "admin-webhook-rotated");

  step("the admin finds employees by a part of their name, with their inclusion flags");
  await page.getByRole("link", { name: "Employees", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Employees" }).waitFor();
  const firstName = (await page.locator("tbody tr").first().locator("td").nth(1).innerText()).split(" ")[0];
  await page.getByLabel("Find an employee").fill(firstName.toLowerCase());
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForURL(/#\/employees\?q=/);
  await page.locator("tbody tr").first().waitFor();
  const names = await page.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => tr.innerText.toLowerCase()));
  expect(names.every((n) => n.includes(firstName.toLowerCase())), `every row matches ${firstName}`);
  await page.getByRole("columnheader", { name: "Excluded from" }).waitFor();
  await shot(page, "admin-employees-search");

  step("the admin views the absences, each linked to its employee");
  await page.getByRole("link", { name: "Absences", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Absences" }).waitFor();
  await Promise.race([page.locator("tbody tr").first().waitFor(), page.getByText("No absences yet.").waitFor()]);
  await shot(page, "admin-absences");

  step("the admin edits the tenant settings: a bad login format is refused under its field");
  await page.getByRole("link", { name: "Settings", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Settings" }).waitFor();
  await page.getByLabel("Login format").fill("{nickname}!");
  await page.getByLabel("Default department").fill("Operations");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByRole("alert").getByText("Some fields need a change").waitFor();
  expect((await page.getByLabel("Login format").locator("xpath=..").locator(".field-error").innerText()).trim().length > 0, "the login format's error is under it");
  await shot(page, "admin-settings-error");
  await page.getByLabel("Login format").fill("{first_name}.{last_name}");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByRole("status").getByText("The settings are saved").waitFor();
  expect(await page.getByLabel("Default department").inputValue() === "Operations", "the saved default is shown");

  step("the admin exports the audit trail as CSV");
  await page.getByRole("link", { name: "Audit", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Audit" }).waitFor();
  await page.getByLabel("Format").selectOption("csv");
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download" }).click()]);
  expect(/^audit-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv$/.test(download.suggestedFilename()), `a CSV file: ${download.suggestedFilename()}`);
  await page.getByRole("status").getByText("The audit export with").waitFor();
  await shot(page, "admin-audit");

  step("disconnecting asks first; the integration is gone from the list afterwards");
  await page.getByRole("link", { name: "Integrations", exact: true }).click();
  await page.locator("tbody tr", { hasText: "applicant tracker" }).getByRole("link").click();
  await page.waitForURL(/#\/integrations\/[^/]+$/);
  await page.getByRole("button", { name: "Disconnect" }).click();
  await page.getByRole("button", { name: "Yes, Disconnect" }).click();
  await page.waitForURL(/#\/integrations$/);
  await page.getByRole("status").getByText("is disconnected").waitFor();
  await page.locator("tbody tr", { hasText: "Planner export" }).waitFor();
  expect(await page.locator("tbody tr", { hasText: "applicant tracker" }).count() === 0, "the disconnected integration is not listed");
  await page.close();
}
// ---- end of the tenant admin's integration, employees, absences, settings and audit journeys ----

async function vendorSubmits() {
  const page = await tab();
  step("a partner submits their connector and lands on its page");
  await signIn(page, env("LOCKGATE_VENDOR"));
  await page.waitForURL(/#\/submissions$/);
  await page.getByText("You have not submitted a connector yet.").waitFor();
  await page.getByLabel("Connector file (.wasm)").setInputFiles(env("LOCKGATE_VENDOR_WASM"));
  await page.getByRole("button", { name: "Submit" }).click();
  await page.waitForURL(/#\/submissions\/[^/]+\/[^/]+$/);
  await page.getByRole("status").getByText("is submitted").waitFor();
  const submission = page.url();
  await page.close();
  return submission;
}

async function operator() {
  const page = await tab();
  step("the operator signs in and lands on the review queue, with the submission");
  await signIn(page, env("LOCKGATE_OPERATOR"));
  await page.waitForURL(/#\/review$/);
  await page.getByRole("heading", { level: 1, name: "Review queue" }).waitFor();
  const row = page.locator("tbody tr").first();
  await row.waitFor();
  // The automated review runs after the upload; reload until its report is there.
  for (let i = 0; i < 60 && await row.getByText("being made").count(); i++) {
    await page.waitForTimeout(1000);
    await page.reload();
    await row.waitFor();
  }
  await row.getByText("fail").first().waitFor();
  await shot(page, "operator-review-queue");

  step("the operator reads every check with its verdict and reason");
  await row.getByRole("link").click();
  await page.waitForURL(/#\/review\/[^/]+\/[^/]+$/);
  // The queue's table stays until the submission's page replaces it.
  await page.getByRole("heading", { level: 1, name: /Flawed export 0\.1\.0/ }).waitFor();
  const checks = page.locator("table tbody tr");
  await checks.first().waitFor();
  expect(await checks.count() >= 3, "the report lists its checks");
  await page.locator("table tbody tr", { has: page.locator(".badge.fail") }).first().waitFor();
  step("the operator reads the live transfer the review recorded");
  await page.getByRole("heading", { name: "Live transfer" }).waitFor();
  const transfer = page.locator("section", { has: page.getByRole("heading", { name: "Live transfer" }) });
  await transfer.locator("tbody tr").first().waitFor();
  expect(await transfer.getByText("POST").count() >= 1, "the transfer lists the sync's requests");
  await shot(page, "operator-submission");

  step("the operator rejects it with a reason; the queue is empty again");
  await page.getByLabel("Decision", { exact: true }).selectOption("reject");
  await page.getByLabel("Reasons for a rejection").fill("A check fails; see the report.");
  await page.getByRole("button", { name: "Save decision" }).click();
  await page.waitForURL(/#\/review$/);
  await page.getByRole("status").getByText("is rejected").waitFor();
  await page.getByText("Nothing waits for review.").waitFor();
  await page.close();
}

async function vendorReads(submission) {
  const page = await tab();
  step("the partner reads the decision and its reason on the submission's page");
  await page.goto(submission);
  await page.getByLabel("API token").fill(env("LOCKGATE_VENDOR"));
  await page.getByRole("button", { name: "Sign in" }).click();
  expect(page.url() === submission, `signed in at ${page.url()}, not the deep link ${submission}`);
  await page.getByText("rejected").first().waitFor();
  await page.getByText("A check fails; see the report.").waitFor();
  await shot(page, "partner-submission");
  await page.close();
}

async function partner() {
  const page = await tab();
  step("the partner signs in and lands on their submissions");
  await signIn(page, env("LOCKGATE_PARTNER"));
  await page.waitForURL(/#\/submissions$/);
  await page.getByRole("heading", { level: 1, name: "Submissions" }).waitFor();
  await page.getByLabel("Connector file (.wasm)").waitFor();

  step("a connector published under another name is refused, with the reason shown");
  await page.getByLabel("Connector file (.wasm)").setInputFiles(env("LOCKGATE_WASM"));
  await page.getByRole("button", { name: "Submit" }).click();
  await page.getByRole("alert").getByText("refused").waitFor();
  await page.getByText("publish under your own name").waitFor();
  await shot(page, "partner-submissions");
  await page.close();
}

// ---- Catalog journeys: icons and tiers in the marketplace, integration
// and demo requests, the operator's lists, the partner's listing preview.
// They run after the journeys above, on the same server.

async function catalogVendorPreviews() {
  const page = await tab();
  step("catalog: a partner submits a connector with an icon and previews its listing by language");
  await signIn(page, env("LOCKGATE_VENDOR"));
  await page.waitForURL(/#\/submissions$/);
  await page.getByLabel("Connector file (.wasm)").setInputFiles(env("LOCKGATE_VENDOR_WASM_2"));
  await page.getByRole("button", { name: "Submit" }).click();
  await page.waitForURL(/#\/submissions\/flawed-elite\/0\.1\.0$/);
  await page.getByRole("link", { name: "Preview the listing by language" }).click();
  await page.waitForURL(/#\/preview\/flawed-elite\/0\.1\.0\/de$/);
  await page.getByRole("heading", { level: 1, name: "Preview of flawed-elite 0.1.0" }).waitFor();
  await page.getByRole("heading", { level: 2, name: "Elite-Export" }).first().waitFor();
  await page.getByRole("alert").getByText("Required language German is missing for: price").waitFor();
  await page.locator(".tile-preview img.icon").waitFor();
  await shot(page, "partner-preview-de");

  step("catalog: the English tab has every text; Spanish is optional and falls back");
  await page.getByRole("link", { name: /^English/ }).click();
  await page.waitForURL(/\/en$/);
  await page.getByText("Every text has English.").waitFor();
  await page.getByRole("heading", { level: 2, name: "Elite export" }).first().waitFor();
  await page.getByText("From 2 EUR per employee and month").waitFor();
  await page.getByRole("link", { name: /^Spanish/ }).click();
  await page.waitForURL(/\/es$/);
  await page.getByText("Spanish is optional").waitFor();
  await shot(page, "partner-preview-es");
  await page.reload();
  await page.getByText("Spanish is optional").waitFor();
  await page.close();
}

async function catalogOperatorApproves() {
  const page = await tab();
  step("catalog: the operator approves the connector with the Elite tier, overriding the failing check");
  await signIn(page, env("LOCKGATE_OPERATOR"));
  await page.waitForURL(/#\/review$/);
  const row = page.locator("tbody tr", { hasText: "flawed-elite" }).or(page.locator("tbody tr", { hasText: "Elite export" }));
  await row.first().waitFor();
  for (let i = 0; i < 60 && await row.first().getByText("being made").count(); i++) {
    await page.waitForTimeout(1000);
    await page.reload();
    await row.first().waitFor();
  }
  await row.first().getByRole("link").click();
  await page.waitForURL(/#\/review\/flawed-elite\/0\.1\.0$/);
  await page.getByLabel("Decision", { exact: true }).selectOption("approve");
  await page.getByLabel("Tier", { exact: true }).selectOption("elite");
  await page.getByLabel("Override reason (approve although checks fail)").fill("The department filter is fixed in the partner's next release.");
  await page.getByRole("button", { name: "Save decision" }).click();
  await page.waitForURL(/#\/review$/);
  await page.getByRole("status").getByText("is approved and listed").waitFor();

  step("catalog: the marketplace shows it with its icon and the Elite badge");
  await page.getByRole("link", { name: "Marketplace", exact: true }).click();
  const tile = page.locator(".tiles article", { hasText: "Elite export" });
  await tile.waitFor();
  await tile.locator(".badge.elite", { hasText: "Elite" }).waitFor();
  await tile.locator("img.icon").waitFor();
  await page.locator(".tiles article", { hasText: "Planner export" }).locator("img.icon").waitFor();
  await page.locator(".tiles article .monogram").first().waitFor();
  await shot(page, "operator-marketplace-tiers");

  step("catalog: the operator lists connectors with versions, tenants with installs, failing installs");
  await page.getByRole("link", { name: "Connectors", exact: true }).click();
  await page.waitForURL(/#\/connectors$/);
  const connector = page.locator("tbody tr", { hasText: "flawed-elite" });
  await connector.locator(".badge.elite").waitFor();
  await page.locator("tbody tr", { hasText: "flawed-department" }).getByText("rejected").waitFor();
  await shot(page, "operator-connectors");
  await page.getByRole("link", { name: "Tenants", exact: true }).click();
  await page.waitForURL(/#\/tenants$/);
  await page.getByRole("heading", { level: 1, name: "Tenants" }).waitFor();
  await page.locator("tbody tr").first().waitFor();
  await shot(page, "operator-tenants");
  await page.getByRole("link", { name: "Failing installs", exact: true }).click();
  await page.waitForURL(/#\/failing$/);
  await page.getByRole("heading", { level: 1, name: "Installs failing across tenants" }).waitFor();
  await page.locator("tbody tr").or(page.getByText("No install is failing.")).first().waitFor();
  await shot(page, "operator-failing");
  await page.close();
}

async function catalogAdminRequestsDemo() {
  const page = await tab();
  step("catalog: the admin requests a demo of the Elite connector and sees the confirmation");
  await signIn(page, env("LOCKGATE_ADMIN"));
  await page.waitForURL(/#\/marketplace$/);
  await page.getByRole("link", { name: "Elite export" }).click();
  await page.waitForURL(/#\/marketplace\/flawed-elite$/);
  await page.getByRole("heading", { name: "Not ready to connect?" }).waitFor();
  await page.getByLabel("Message (optional)").fill("We would like to see it with our departments.");
  await page.getByRole("button", { name: "Request a demo" }).click();
  await page.getByRole("status").getByText("is recorded").waitFor();
  await page.locator("section", { hasText: "Your requests for this connector" }).getByText("We would like to see it").waitFor();
  await shot(page, "admin-request-demo");
  await page.close();
}

async function catalogRequestsSeen() {
  step("catalog: the operator sees the request with tenant, kind and message");
  const op = await tab();
  await signIn(op, env("LOCKGATE_OPERATOR"));
  await op.waitForURL(/#\/review$/);
  await op.getByRole("link", { name: "Requests", exact: true }).click();
  await op.waitForURL(/#\/requests$/);
  const row = op.locator("tbody tr", { hasText: "flawed-elite" });
  await row.getByText("We would like to see it").waitFor();
  await row.getByText("demo").first().waitFor();
  await shot(op, "operator-requests");
  await op.close();

  step("catalog: the connector's partner sees it; the demo partner, who owns no such connector, does not");
  const vendor = await tab();
  await signIn(vendor, env("LOCKGATE_VENDOR"));
  await vendor.waitForURL(/#\/submissions$/);
  await vendor.getByRole("link", { name: "Requests", exact: true }).click();
  await vendor.locator("tbody tr", { hasText: "flawed-elite" }).getByText("We would like to see it").waitFor();
  await shot(vendor, "partner-requests");
  await vendor.close();
  const other = await tab();
  await signIn(other, env("LOCKGATE_PARTNER"));
  await other.waitForURL(/#\/submissions$/);
  await other.goto(url + "/#/requests");
  await other.getByRole("heading", { level: 1, name: "Integration and demo requests" }).waitFor();
  expect(await other.getByText("flawed-elite").count() === 0, "another partner does not see the request");
  await other.close();
}

async function catalogJourneys() {
  await catalogVendorPreviews();
  await catalogOperatorApproves();
  await catalogAdminRequestsDemo();
  await catalogRequestsSeen();
}
// ---- end of the catalog journeys

/** Planner export 0.2.0 (listed by the test) asks for contact data beyond 0.1.0. */
async function adminUpgrades() {
  const page = await tab();
  step("the admin sees what the new version asks for beyond the running one, grants it and upgrades");
  await signIn(page, env("LOCKGATE_ADMIN"));
  await page.waitForURL(/#\/marketplace$/);
  await page.goto(url + "/#/integrations");
  await page.locator("tbody tr", { hasText: "Planner export" }).getByRole("link").first().click();
  await page.waitForURL(/#\/integrations\/[^/]+$/);
  const card = page.locator(".card", { has: page.getByRole("heading", { name: "Upgrade from 0.1.0 to 0.2.0" }) });
  await card.waitFor();
  await card.getByRole("heading", { name: "New permissions" }).waitFor();
  await shot(page, "admin-upgrade");
  expect(await card.locator("li").count() === 1, "exactly one new permission is named");
  await shot(page, "admin-upgrade");
  await card.getByRole("button", { name: "Upgrade to 0.2.0" }).click();
  await card.getByRole("button", { name: "Yes, Upgrade to 0.2.0" }).click();
  await card.getByRole("heading", { name: "This change needs new permissions" }).waitFor();
  await card.getByLabel("I grant these permissions").check();
  await card.getByRole("button", { name: "Grant and save" }).click();
  await page.getByRole("status").getByText("The integration runs version 0.2.0 now.").waitFor();
  await page.locator("dl.facts").getByText("0.2.0", { exact: true }).waitFor();
  await page.close();
}

let failed = null;
try {
  await tenantAdmin();
  await tenantAdminIntegration();
  await partner();
  const submission = await vendorSubmits();
  await operator();
  await vendorReads(submission);
  await catalogJourneys();
  await signInJourney({ tab, signIn, shot, step, expect, url, env });
  await adminUpgrades();
} catch (e) {
  failed = e;
}
await context.close();
rmSync(profile, { recursive: true, force: true });
if (failed) {
  console.error(`FAILED at: ${steps[steps.length - 1]}\n${failed.stack || failed}`);
}
if (problems.length) console.error("problems seen in the browser:\n  " + problems.join("\n  "));
if (failed || problems.length) process.exit(1);
console.log(`all ${steps.length} steps passed; screenshots in ${shots}`);
