// The console's own texts in English and German, the chosen language
// (kept across visits, sent to the API as Accept-Language so connector
// texts follow), and dates shown localised.

const TEXTS = {
  en: {
    title: "Lockgate console", language: "Language", signOut: "Sign out",
    signInTitle: "Sign in", token: "API token", signIn: "Sign in",
    tokenHelp: "A token starting with lg_. `lockgate serve --demo` prints one per role (operator, partner, tenant admin).",
    tokenRefused: "This token is not valid (anymore). Ask for a new one.",
    sessionEnded: "Your session has ended; sign in again.",
    loading: "Loading…", loadFailed: "This page could not be loaded", retry: "Try again",
    notFound: "There is no such page", goHome: "Go to your start page",
    role_operator: "operator", role_partner: "partner", "role_tenant-admin": "tenant admin",
    navMarketplace: "Marketplace", navIntegrations: "Integrations", navEmployees: "Employees",
    navReview: "Review queue", navSubmissions: "Submissions",
    search: "Search", category: "Category", direction: "Direction", tier: "Tier", any: "any",
    filter: "Filter", resetFilters: "Show all", connectorsFound: "{n} connector(s)",
    nothingMatches: "Nothing matches. Change or reset the filters.",
    dir_outbound: "outbound", dir_inbound: "inbound", dir_bidirectional: "both ways",
    tier_select: "Select", tier_elite: "Elite", tier_premier: "Premier",
    firstParty: "first party", partner: "Partner", installed: "installed",
    developer: "Developer", version: "Version", price: "Price", schedule: "Schedule", support: "Support",
    manualOnly: "manual only", permissions: "Permissions", hosts: "Sends data to", noHosts: "no host outside Lockgate",
    alreadyConnected: "Already connected:", connectTitle: "Connect", connectAgain: "Connect once more",
    scheduleField: "Schedule (daily, hourly, daily@HH:MM or cron, UTC)", checkConfig: "Check configuration",
    fixFields: "Some fields need a change; see below each field.",
    consentTitle: "This connector will be allowed to", sendsTo: "and to send data to",
    grant: "I grant these permissions", connect: "Connect", connectedNotice: "{name} is connected.",
    webhookTitle: "Set up the webhook at the partner",
    webhookHelp: "Enter this address and secret in the partner's settings. The secret is shown only now.",
    webhookUrl: "Webhook address", webhookSecret: "Webhook secret", openIntegration: "Open the integration",
    copy: "Copy", copied: "Copied.", copyFailed: "Could not copy; select the text and copy it.",
    integration: "Integration", status: "Status", why: "Reason", lastRun: "Last run", nextRun: "Next run",
    noRunYet: "no run yet", noIntegrations: "No integration is connected yet. Find one in the",
    connector: "Connector", upgradeAvailable: "{v} available", lastCheck: "Last connection check",
    connectedSince: "Connected since",
    syncNow: "Sync now", syncQueued: "A sync is queued; it appears under Runs when it starts.",
    checkConnection: "Check connection", checked: "Connection checked; the status shows the result.",
    deactivate: "Deactivate", deactivated: "The integration is deactivated.",
    reactivate: "Reactivate", reactivated: "The integration is reactivated.",
    disconnect: "Disconnect", disconnected: "The integration is disconnected.",
    disconnectConfirm: "Disconnect this integration? Its settings and secrets are erased.",
    runs: "Runs", started: "Started", finished: "Finished", trigger: "Trigger", operations: "Operations",
    s_pending: "Pending", s_connected: "Connected", s_inactive: "Inactive", s_deleted: "Deleted",
    s_running: "Running", s_successful: "Successful", s_partially_successful: "Partially successful",
    s_failed: "Failed", s_not_run: "Not run",
    row_success: "success", row_failed: "failed", row_skipped: "skipped", allStatuses: "all statuses",
    backToIntegration: "Integration", rowsOfRun: "Rows of the run started {when}",
    employeeId: "Employee id", date: "Date", employee: "Employee", operation: "Operation",
    message: "Message", partnerAnswer: "Partner's answer", moreRows: "More rows",
    // Tenant admin: integration detail, rows, employees, absences, settings, audit.
    navAbsences: "Absences", navSettings: "Settings", navAudit: "Audit",
    yesDo: "Yes, {action}", cancel: "Cancel", actions: "Actions",
    reactivateConfirm: "Reactivate this integration? Lockgate checks the connection and runs it on its schedule again.",
    deactivateConfirm: "Deactivate this integration? It stops running until you reactivate it; its settings stay.",
    rotateSecret: "Rotate webhook secret", rotateConfirm: "Make a new webhook secret? The old one stops working at once; enter the new one at the partner.",
    rotated: "A new webhook secret is made; the old one no longer works.",
    newSecret: "The new webhook secret", newSecretHelp: "Shown only now. Copy it into the partner's settings.",
    grantNeeded: "This change needs new permissions; grant them below to save.",
    scopesNeeded: "The connector will be allowed to use the data scopes", grantAndSave: "Grant and save",
    runHistory: "Run history", longestRun: "longest {d}", duration: "Duration",
    chartSummary: "{n} run(s) on this page: {ok} successful, {partly} partially successful, {failed} failed. Median duration {median}, longest {longest}. Each bar is a run, oldest on the left; its height is the duration.",
    connectorDefault: "the connector's default",
    pendingMeans: "Pending: the connection is not working yet; it runs once the check passes.",
    inactiveMeans: "Inactive: it does not run until reactivated.",
    connectedMeans: "Connected: the connection works and it runs on its schedule.",
    newestRuns: "Newest runs", olderRuns: "Older runs",
    reconfigure: "Settings of this integration", unchanged: "unchanged", notSet: "not set",
    secretKept: "Stored and not shown; leave empty to keep it, type to replace it.",
    secretMissing: "Not stored yet.", saveSettings: "Save", nothingChanged: "Nothing changed; nothing to save.",
    reconfigured: "The settings are saved and the connection checked again.",
    formOfVersion: "The fields follow the listed version {v}; fields you do not change keep their value.",
    scheduleTitle: "Schedule", scheduleHelp: "Leave empty for the connector's default.",
    saveSchedule: "Save schedule", scheduleSaved: "The schedule is saved.",
    upgradeTitle: "Upgrade from {from} to {to}", upgradeAsks: "The new version asks for more than the one you run:",
    upgradeAsksNothing: "The new version asks for no permission, host or field beyond the one you run.",
    newPermissions: "New permissions", newHosts: "New hosts", newFields: "New fields", secretWord: "secret",
    upgradeTo: "Upgrade to {v}", upgradeConfirm: "Upgrade now? The connection is checked again with the new version.",
    upgraded: "The integration runs version {v} now.",
    onlyThisEmployee: "only this one", showAnswer: "show", noRows: "This run recorded no rows.",
    findEmployee: "Find an employee", findEmployeeHelp: "A part of the id or the name.", includedEverywhere: "included everywhere",
    halfDay: "half day", absenceType: "Type", from: "From", to: "To", updated: "Updated",
    ab_approved: "approved", ab_pending: "pending", ab_cancelled: "cancelled", noAbsences: "No absences yet.",
    set_default_legal_entity: "Default legal entity", set_default_legal_entity_help: "For employees a connector creates without one.",
    set_default_department: "Default department", set_default_department_help: "For employees a connector creates without one.",
    set_default_position: "Default position", set_default_position_help: "For employees a connector creates without one.",
    set_login_format: "Login format", set_login_format_help: "Placeholders in curly braces: first_name, last_name, first_initial. Empty for the default above.",
    effectiveLogin: "Logins are made as", settingsSaved: "The settings are saved.",
    auditHelp: "Every read and write of HR data by a connector. Download a period as CSV or JSON Lines.",
    allIntegrations: "all integrations", format: "Format", formatCsv: "CSV (spreadsheet)", formatJsonl: "JSON Lines",
    leavesEmployees: "Data of {n} of your employees would go to", leavesFields: "Their fields that would leave:",
    leavesNoEmployees: "No employee data of yours would leave with this connector.",
    download: "Download", auditLines: "{n} entries in the file.", auditDownloaded: "The audit export with {n} entries is downloaded.",
    importCsv: "Import a CSV file", csvFile: "CSV file", import: "Import", chooseCsv: "Choose a CSV file first.",
    csvHelp: "Header row: id, first_name, last_name, hire_date, … (the API's field names), attribute:<name>, include:<connector> (yes/no). One bad row refuses the whole file.",
    imported: "Imported {n} employee(s).", noEmployees: "No employees yet.",
    id: "Id", name: "Name", department: "Department", hired: "Hired", left: "Left",
    excludedFrom: "Excluded from", ownFields: "Own fields", nextPage: "Next page", firstPage: "First page",
    submitted: "Submitted", reviewed: "Reviewed", automatedReview: "Automated review",
    reviewPending: "being made", queueEmpty: "Nothing waits for review.",
    notInQueue: "This submission is not in the queue (any more); it may have been decided.",
    v_pass: "pass", v_warn: "warn", v_fail: "fail",
    section: "Area", check: "Check", verdict: "Verdict", reason: "Reason", fullReport: "The full report",
    st_submitted: "waiting for review", st_approved: "approved", st_rejected: "rejected",
    decide: "Decision", decision: "Decision", approve: "Approve", reject: "Reject",
    overrideReason: "Override reason (approve although checks fail)",
    overrideHelp: "Needed only when a check fails; the partner reads it.",
    rejectReasons: "Reasons for a rejection", reasonsHelp: "One per line; the partner reads them.",
    submitDecision: "Save decision",
    approvedNotice: "{id} is approved and listed.", rejectedNotice: "{id} is rejected; the partner sees why.",
    reviewAgain: "Run the automated review again", reviewedAgain: "The automated review ran again.",
    size: "Size", testAccess: "Test access given", imports: "Imports",
    uploadTitle: "Submit a connector", wasmFile: "Connector file (.wasm)", upload: "Submit",
    wasmHelp: "One component built with the SDK; its manifest travels inside.",
    chooseWasm: "Choose a .wasm file first.", submittedNotice: "{id} is submitted; the automated review runs now.",
    noSubmissions: "You have not submitted a connector yet.", noSuchSubmission: "There is no such submission.",
    reviewReasons: "The reviewer's reasons", listed: "Listed", yes: "yes", no: "no",
    dismiss: "Dismiss",
  },
  de: {
    title: "Lockgate-Konsole", language: "Sprache", signOut: "Abmelden",
    signInTitle: "Anmelden", token: "API-Token", signIn: "Anmelden",
    tokenHelp: "Ein Token, das mit lg_ beginnt. `lockgate serve --demo` gibt eines je Rolle aus (Betreiber, Partner, Mandanten-Admin).",
    tokenRefused: "Dieses Token ist nicht (mehr) gültig. Fordern Sie ein neues an.",
    sessionEnded: "Ihre Sitzung ist abgelaufen; bitte melden Sie sich erneut an.",
    loading: "Wird geladen…", loadFailed: "Diese Seite konnte nicht geladen werden", retry: "Erneut versuchen",
    notFound: "Diese Seite gibt es nicht", goHome: "Zur Startseite",
    role_operator: "Betreiber", role_partner: "Partner", "role_tenant-admin": "Mandanten-Admin",
    navMarketplace: "Marktplatz", navIntegrations: "Integrationen", navEmployees: "Mitarbeitende",
    navReview: "Prüfwarteschlange", navSubmissions: "Einreichungen",
    search: "Suche", category: "Kategorie", direction: "Richtung", tier: "Stufe", any: "alle",
    filter: "Filtern", resetFilters: "Alle zeigen", connectorsFound: "{n} Konnektor(en)",
    nothingMatches: "Nichts gefunden. Ändern Sie die Filter oder setzen Sie sie zurück.",
    dir_outbound: "ausgehend", dir_inbound: "eingehend", dir_bidirectional: "in beide Richtungen",
    tier_select: "Select", tier_elite: "Elite", tier_premier: "Premier",
    firstParty: "vom Betreiber", partner: "Partner", installed: "installiert",
    developer: "Entwickler", version: "Version", price: "Preis", schedule: "Zeitplan", support: "Support",
    manualOnly: "nur manuell", permissions: "Berechtigungen", hosts: "Sendet Daten an", noHosts: "keinen Host außerhalb von Lockgate",
    alreadyConnected: "Bereits verbunden:", connectTitle: "Verbinden", connectAgain: "Noch einmal verbinden",
    scheduleField: "Zeitplan (daily, hourly, daily@HH:MM oder cron, UTC)", checkConfig: "Konfiguration prüfen",
    fixFields: "Einige Felder müssen geändert werden; siehe unter dem jeweiligen Feld.",
    consentTitle: "Dieser Konnektor darf", sendsTo: "und Daten senden an",
    grant: "Ich erteile diese Berechtigungen", connect: "Verbinden", connectedNotice: "{name} ist verbunden.",
    webhookTitle: "Webhook beim Partner einrichten",
    webhookHelp: "Tragen Sie diese Adresse und dieses Geheimnis in den Einstellungen des Partners ein. Das Geheimnis wird nur jetzt angezeigt.",
    webhookUrl: "Webhook-Adresse", webhookSecret: "Webhook-Geheimnis", openIntegration: "Integration öffnen",
    copy: "Kopieren", copied: "Kopiert.", copyFailed: "Kopieren nicht möglich; markieren und kopieren Sie den Text.",
    integration: "Integration", status: "Status", why: "Grund", lastRun: "Letzter Lauf", nextRun: "Nächster Lauf",
    noRunYet: "noch kein Lauf", noIntegrations: "Noch keine Integration verbunden. Finden Sie eine im",
    connector: "Konnektor", upgradeAvailable: "{v} verfügbar", lastCheck: "Letzte Verbindungsprüfung",
    connectedSince: "Verbunden seit",
    syncNow: "Jetzt synchronisieren", syncQueued: "Eine Synchronisierung ist eingeplant; sie erscheint unter Läufe, sobald sie beginnt.",
    checkConnection: "Verbindung prüfen", checked: "Verbindung geprüft; der Status zeigt das Ergebnis.",
    deactivate: "Deaktivieren", deactivated: "Die Integration ist deaktiviert.",
    reactivate: "Reaktivieren", reactivated: "Die Integration ist reaktiviert.",
    disconnect: "Trennen", disconnected: "Die Integration ist getrennt.",
    disconnectConfirm: "Diese Integration trennen? Ihre Einstellungen und Geheimnisse werden gelöscht.",
    runs: "Läufe", started: "Begonnen", finished: "Beendet", trigger: "Auslöser", operations: "Vorgänge",
    s_pending: "Ausstehend", s_connected: "Verbunden", s_inactive: "Inaktiv", s_deleted: "Gelöscht",
    s_running: "Läuft", s_successful: "Erfolgreich", s_partially_successful: "Teilweise erfolgreich",
    s_failed: "Fehlgeschlagen", s_not_run: "Nicht gelaufen",
    row_success: "erfolgreich", row_failed: "fehlgeschlagen", row_skipped: "übersprungen", allStatuses: "alle Status",
    backToIntegration: "Integration", rowsOfRun: "Zeilen des Laufs vom {when}",
    employeeId: "Mitarbeiter-ID", date: "Datum", employee: "Mitarbeiter", operation: "Vorgang",
    message: "Meldung", partnerAnswer: "Antwort des Partners", moreRows: "Weitere Zeilen",
    // Mandanten-Admin: Integration, Zeilen, Mitarbeitende, Abwesenheiten, Einstellungen, Audit.
    navAbsences: "Abwesenheiten", navSettings: "Einstellungen", navAudit: "Audit",
    yesDo: "Ja, {action}", cancel: "Abbrechen", actions: "Aktionen",
    reactivateConfirm: "Diese Integration reaktivieren? Lockgate prüft die Verbindung und führt sie wieder nach Zeitplan aus.",
    deactivateConfirm: "Diese Integration deaktivieren? Sie läuft nicht mehr, bis Sie sie reaktivieren; ihre Einstellungen bleiben.",
    rotateSecret: "Webhook-Geheimnis erneuern", rotateConfirm: "Ein neues Webhook-Geheimnis erzeugen? Das alte gilt sofort nicht mehr; tragen Sie das neue beim Partner ein.",
    rotated: "Ein neues Webhook-Geheimnis ist erzeugt; das alte gilt nicht mehr.",
    newSecret: "Das neue Webhook-Geheimnis", newSecretHelp: "Nur jetzt sichtbar. Kopieren Sie es in die Einstellungen des Partners.",
    grantNeeded: "Diese Änderung braucht neue Berechtigungen; erteilen Sie sie unten, um zu speichern.",
    scopesNeeded: "Der Konnektor darf die Datenbereiche nutzen", grantAndSave: "Erteilen und speichern",
    runHistory: "Verlauf der Läufe", longestRun: "längster {d}", duration: "Dauer",
    chartSummary: "{n} Lauf/Läufe auf dieser Seite: {ok} erfolgreich, {partly} teilweise erfolgreich, {failed} fehlgeschlagen. Mittlere Dauer {median}, längste {longest}. Jeder Balken ist ein Lauf, der älteste links; seine Höhe ist die Dauer.",
    connectorDefault: "Vorgabe des Konnektors",
    pendingMeans: "Ausstehend: Die Verbindung funktioniert noch nicht; sie läuft, sobald die Prüfung gelingt.",
    inactiveMeans: "Inaktiv: Sie läuft nicht, bis sie reaktiviert wird.",
    connectedMeans: "Verbunden: Die Verbindung funktioniert und sie läuft nach Zeitplan.",
    newestRuns: "Neueste Läufe", olderRuns: "Ältere Läufe",
    reconfigure: "Einstellungen dieser Integration", unchanged: "unverändert", notSet: "nicht gesetzt",
    secretKept: "Gespeichert und nicht angezeigt; leer lassen, um es zu behalten, eintippen, um es zu ersetzen.",
    secretMissing: "Noch nicht gespeichert.", saveSettings: "Speichern", nothingChanged: "Nichts geändert; nichts zu speichern.",
    reconfigured: "Die Einstellungen sind gespeichert und die Verbindung ist erneut geprüft.",
    formOfVersion: "Die Felder folgen der gelisteten Version {v}; nicht geänderte Felder behalten ihren Wert.",
    scheduleTitle: "Zeitplan", scheduleHelp: "Leer lassen für die Vorgabe des Konnektors.",
    saveSchedule: "Zeitplan speichern", scheduleSaved: "Der Zeitplan ist gespeichert.",
    upgradeTitle: "Aktualisieren von {from} auf {to}", upgradeAsks: "Die neue Version verlangt mehr als die laufende:",
    upgradeAsksNothing: "Die neue Version verlangt keine Berechtigung, keinen Host und kein Feld über die laufende hinaus.",
    newPermissions: "Neue Berechtigungen", newHosts: "Neue Hosts", newFields: "Neue Felder", secretWord: "geheim",
    upgradeTo: "Auf {v} aktualisieren", upgradeConfirm: "Jetzt aktualisieren? Die Verbindung wird mit der neuen Version erneut geprüft.",
    upgraded: "Die Integration läuft jetzt mit Version {v}.",
    onlyThisEmployee: "nur diese Person", showAnswer: "anzeigen", noRows: "Dieser Lauf hat keine Zeilen aufgezeichnet.",
    findEmployee: "Mitarbeitende finden", findEmployeeHelp: "Ein Teil der ID oder des Namens.", includedEverywhere: "überall eingeschlossen",
    halfDay: "halber Tag", absenceType: "Art", from: "Von", to: "Bis", updated: "Geändert",
    ab_approved: "genehmigt", ab_pending: "offen", ab_cancelled: "storniert", noAbsences: "Noch keine Abwesenheiten.",
    set_default_legal_entity: "Standard-Rechtsträger", set_default_legal_entity_help: "Für Mitarbeitende, die ein Konnektor ohne Angabe anlegt.",
    set_default_department: "Standard-Abteilung", set_default_department_help: "Für Mitarbeitende, die ein Konnektor ohne Angabe anlegt.",
    set_default_position: "Standard-Position", set_default_position_help: "Für Mitarbeitende, die ein Konnektor ohne Angabe anlegt.",
    set_login_format: "Login-Format", set_login_format_help: "Platzhalter in geschweiften Klammern: first_name, last_name, first_initial. Leer für die Vorgabe oben.",
    effectiveLogin: "Logins werden gebildet als", settingsSaved: "Die Einstellungen sind gespeichert.",
    auditHelp: "Jeder Lese- und Schreibzugriff eines Konnektors auf HR-Daten. Laden Sie einen Zeitraum als CSV oder JSON Lines herunter.",
    allIntegrations: "alle Integrationen", format: "Format", formatCsv: "CSV (Tabelle)", formatJsonl: "JSON Lines",
    leavesEmployees: "Daten von {n} Ihrer Mitarbeitenden gingen an", leavesFields: "Ihre Felder, die übertragen würden:",
    leavesNoEmployees: "Mit diesem Konnektor verlassen keine Daten Ihrer Mitarbeitenden Lockgate.",
    download: "Herunterladen", auditLines: "{n} Einträge in der Datei.", auditDownloaded: "Der Audit-Export mit {n} Einträgen ist heruntergeladen.",
    importCsv: "CSV-Datei importieren", csvFile: "CSV-Datei", import: "Importieren", chooseCsv: "Wählen Sie zuerst eine CSV-Datei.",
    csvHelp: "Kopfzeile: id, first_name, last_name, hire_date, … (die Feldnamen der API), attribute:<Name>, include:<Konnektor> (yes/no). Eine fehlerhafte Zeile lehnt die ganze Datei ab.",
    imported: "{n} Mitarbeitende importiert.", noEmployees: "Noch keine Mitarbeitenden.",
    id: "ID", name: "Name", department: "Abteilung", hired: "Eintritt", left: "Austritt",
    excludedFrom: "Ausgeschlossen von", ownFields: "Eigene Felder", nextPage: "Nächste Seite", firstPage: "Erste Seite",
    submitted: "Eingereicht", reviewed: "Geprüft", automatedReview: "Automatische Prüfung",
    reviewPending: "läuft noch", queueEmpty: "Nichts wartet auf Prüfung.",
    notInQueue: "Diese Einreichung ist nicht (mehr) in der Warteschlange; vielleicht ist sie schon entschieden.",
    v_pass: "bestanden", v_warn: "Warnung", v_fail: "nicht bestanden",
    section: "Bereich", check: "Prüfung", verdict: "Ergebnis", reason: "Begründung", fullReport: "Der vollständige Bericht",
    st_submitted: "wartet auf Prüfung", st_approved: "freigegeben", st_rejected: "abgelehnt",
    decide: "Entscheidung", decision: "Entscheidung", approve: "Freigeben", reject: "Ablehnen",
    overrideReason: "Begründung für die Freigabe trotz fehlgeschlagener Prüfungen",
    overrideHelp: "Nur nötig, wenn eine Prüfung fehlschlägt; der Partner liest sie.",
    rejectReasons: "Gründe für eine Ablehnung", reasonsHelp: "Einer je Zeile; der Partner liest sie.",
    submitDecision: "Entscheidung speichern",
    approvedNotice: "{id} ist freigegeben und gelistet.", rejectedNotice: "{id} ist abgelehnt; der Partner sieht die Gründe.",
    reviewAgain: "Automatische Prüfung erneut ausführen", reviewedAgain: "Die automatische Prüfung lief erneut.",
    size: "Größe", testAccess: "Testzugang erteilt", imports: "Importe",
    uploadTitle: "Konnektor einreichen", wasmFile: "Konnektor-Datei (.wasm)", upload: "Einreichen",
    wasmHelp: "Eine mit dem SDK gebaute Komponente; ihr Manifest steckt darin.",
    chooseWasm: "Wählen Sie zuerst eine .wasm-Datei.", submittedNotice: "{id} ist eingereicht; die automatische Prüfung läuft jetzt.",
    noSubmissions: "Sie haben noch keinen Konnektor eingereicht.", noSuchSubmission: "Diese Einreichung gibt es nicht.",
    reviewReasons: "Die Gründe der Prüfung", listed: "Gelistet", yes: "ja", no: "nein",
    dismiss: "Schließen",
  },
};

import { CATALOG_TEXTS } from "./texts-catalog.js";
import { SIGN_IN_TEXTS } from "./texts-sign-in.js";

for (const extra of [CATALOG_TEXTS, SIGN_IN_TEXTS]) {
  for (const [code, texts] of Object.entries(extra)) Object.assign(TEXTS[code], texts);
}

const KEY = "lockgate-lang";

export function lang() {
  const chosen = localStorage.getItem(KEY);
  if (chosen && TEXTS[chosen]) return chosen;
  return (navigator.language || "en").toLowerCase().startsWith("de") ? "de" : "en";
}

export function setLang(code) {
  if (TEXTS[code]) localStorage.setItem(KEY, code);
}

/** The locale for dates: the browser's own when it is in the chosen language. */
function locale() {
  const own = navigator.language || "";
  return own.toLowerCase().startsWith(lang()) ? own : lang();
}

/** The text for `key` in the chosen language, `{name}`s filled in. */
export function t(key, vars) {
  const text = TEXTS[lang()][key] ?? TEXTS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => (vars && k in vars ? String(vars[k]) : ""));
}

/** A status in the chosen language (install, run), or the API's label. */
export function statusText(thing) {
  const key = "s_" + thing.status;
  return key in TEXTS.en ? t(key) : thing.status_label || thing.status;
}

/** A connector name by language, in the chosen one if it has it. */
export function localized(names) {
  if (!names) return "";
  return names[lang()] || names.en || Object.values(names)[0] || "";
}

/**
 * A `<time>` for an RFC 3339 instant or a `YYYY-MM-DD` day: a
 * day as a date, an instant as how long ago with the exact time in its
 * tooltip; null for none.
 */
export function when(value, dayOnly) {
  if (!value) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return document.createTextNode(String(value));
  const node = document.createElement("time");
  node.dateTime = value;
  const day = dayOnly || /^\d{4}-\d{2}-\d{2}$/.test(value);
  const exact = new Intl.DateTimeFormat(locale(), day
    ? { dateStyle: "medium", timeZone: "UTC" }
    : { dateStyle: "medium", timeStyle: "medium" }).format(date);
  if (day) node.textContent = exact;
  else {
    node.textContent = ago(date);
    node.title = exact;
  }
  return node;
}

function ago(date) {
  const seconds = (date.getTime() - Date.now()) / 1000;
  const units = [["year", 31536000], ["month", 2592000], ["day", 86400], ["hour", 3600], ["minute", 60]];
  const format = new Intl.RelativeTimeFormat(locale(), { numeric: "auto" });
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return format.format(Math.round(seconds), "second");
}
