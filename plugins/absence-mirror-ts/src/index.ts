// Absence mirror, in TypeScript: an approved absence is entered in the
// planning tool the moment it changes, and removed when it is cancelled.
// One direction only: nothing is read back from the tool but its people and
// absence types. The same connector as plugins/absence-mirror (Rust); see
// this folder's README for the partner API.
//
// The host signs in with the tenant's client id and secret (OAuth2 client
// credentials, declared in connector.toml); this code never sees either.

import {
  type Config,
  ConnectorError,
  Cursor,
  type FieldError,
  HostError,
  Outcome,
  Outcomes,
  config,
  dates,
  defineConnector,
  hr,
  http,
} from '@lockgate/connector';

interface Person {
  id: string;
  first_name: string;
  last_name: string;
}

interface AbsenceType {
  id: string;
  name: string;
}

function base(): string {
  return config.require('planner-url').replace(/\/+$/, '');
}

/** `"Vacation=Verlof; Sick leave=Ziekte"`: our type name to the tool's. Throws the problem as text. */
function parseTypeNames(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of text.split(';').map((p) => p.trim()).filter((p) => p !== '')) {
    const at = pair.indexOf('=');
    if (at < 0) {
      throw `${JSON.stringify(pair)} has no "=": write pairs like Vacation=Verlof, separated by ;`;
    }
    const ours = pair.slice(0, at).trim();
    const theirs = pair.slice(at + 1).trim();
    if (ours === '' || theirs === '') {
      throw `${JSON.stringify(pair)} needs a name on both sides of "="`;
    }
    if (map.has(ours)) throw `${JSON.stringify(ours)} is mapped twice`;
    map.set(ours, theirs);
  }
  return map;
}

/** Whom a name stands for in the tool. */
type Match = { kind: 'one'; id: string } | { kind: 'none' } | { kind: 'several'; count: number };

/** What happened to the absence in HR; `synced` when a sync sends it again. */
type Change = 'created' | 'updated' | 'cancelled' | 'synced';

/**
 * Why an absence could not be sent, when the whole run should stop (or, for
 * an event, be tried again): the tool is down or keeps throttling.
 */
function stopsTheRun(status: number): boolean {
  return status === 429 || status >= 500;
}

function parse<T>(res: http.Response): T {
  try {
    return res.json<T>();
  } catch (e) {
    throw ConnectorError.other(`JSON: ${(e as Error).message}`);
  }
}

/** The planning tool, with what one run learned about it. */
class Planner {
  readonly #base: string;
  readonly #types: AbsenceType[];
  readonly #typeNames: Map<string, string>;
  readonly #people = new Map<string, Match>();
  readonly #names = new Map<string, [string, string] | undefined>();

  private constructor(base: string, types: AbsenceType[], typeNames: Map<string, string>) {
    this.#base = base;
    this.#types = types;
    this.#typeNames = typeNames;
  }

  static async connect(): Promise<Planner> {
    const url = base();
    let typeNames: Map<string, string>;
    try {
      typeNames = parseTypeNames(config.get('type-names') ?? '');
    } catch (why) {
      throw ConnectorError.config('type-names', String(why));
    }
    const types = () => http.get(`${url}/api/v1/absence-types`).retrying().send();
    let res = await types();
    if (res.status === 401) {
      // The host dropped the refused token; it signs in again.
      res = await types();
    }
    if (!res.isSuccess()) {
      const message = stopsTheRun(res.status)
        ? 'the planning tool is unavailable'
        : 'the planning tool refused the list of absence types';
      throw ConnectorError.partner(res.status, message, res.body);
    }
    const body = parse<{ types?: AbsenceType[] }>(res);
    return new Planner(url, body.types ?? [], typeNames);
  }

  /** First and last name of an employee, once per run. */
  #name(employeeId: string): [string, string] | undefined {
    if (this.#names.has(employeeId)) return this.#names.get(employeeId);
    let name: [string, string] | undefined;
    try {
      const basic = hr.employee(employeeId).basic;
      name = basic === undefined ? undefined : [basic.firstName, basic.lastName];
    } catch (e) {
      if (!(e instanceof HostError && e.kind === 'not-found')) throw e;
    }
    this.#names.set(employeeId, name);
    return name;
  }

  /**
   * The tool's person with exactly this first and last name, capitals
   * included. The tool's search is looser; the comparison here is not.
   */
  async #person(first: string, last: string): Promise<Match> {
    const key = JSON.stringify([first, last]);
    const known = this.#people.get(key);
    if (known !== undefined) return known;
    const res = await http
      .get(`${this.#base}/api/v1/people?last_name=${http.encode(last)}`)
      .retrying()
      .send();
    if (!res.isSuccess()) {
      throw ConnectorError.partner(res.status, 'the planning tool refused the people search', res.body);
    }
    const people = parse<{ people?: Person[] }>(res).people ?? [];
    const exact = people.filter((p) => p.first_name === first && p.last_name === last);
    const found: Match =
      exact.length === 0
        ? { kind: 'none' }
        : exact.length === 1
          ? { kind: 'one', id: (exact[0] as Person).id }
          : { kind: 'several', count: exact.length };
    this.#people.set(key, found);
    return found;
  }

  /** The tool's type for one of ours: by the mapped name, else our own. Throws the problem as text. */
  #typeId(ours: string): string {
    const theirs = this.#typeNames.get(ours) ?? ours;
    const found = this.#types.find((t) => t.name === theirs);
    if (found === undefined) {
      throw `the planning tool has no absence type named ${JSON.stringify(theirs)}; create it there, or map ${JSON.stringify(ours)} to one of its types under Absence type names`;
    }
    return found.id;
  }

  /** Mirrors one absence and reports its row. A throw stops the run. */
  async mirror(absence: hr.Absence, change: Change, rows: Outcomes): Promise<void> {
    const who = absence.employeeId;
    const what = `absence ${absence.id} (${absence.typeName}, ${absence.startDate} to ${absence.endDate})`;
    if (absence.status !== 'approved') {
      if (absence.status === 'pending' && change === 'created') {
        rows.push(
          Outcome.skipped(who, 'skip', `${what} is pending approval; it is mirrored once approved`),
        );
        return;
      }
      return this.#remove(absence, what, rows);
    }
    const name = this.#name(who);
    if (name === undefined) {
      rows.push(Outcome.skipped(who, 'skip', `${what}: the employee is not visible to this integration`));
      return;
    }
    const [first, last] = name;
    const match = await this.#person(first, last);
    if (match.kind === 'none') {
      rows.push(
        Outcome.skipped(
          who,
          'skip',
          `${what} not mirrored: the planning tool has no person named "${first} ${last}"; first and last name must match exactly, capitals included`,
        ),
      );
      return;
    }
    if (match.kind === 'several') {
      rows.push(
        Outcome.skipped(
          who,
          'skip',
          `${what} not mirrored: the planning tool has ${match.count} people named "${first} ${last}" and cannot tell them apart`,
        ),
      );
      return;
    }
    const operation = change === 'created' ? 'create' : 'update';
    let typeId: string;
    try {
      typeId = this.#typeId(absence.typeName);
    } catch (why) {
      rows.push(Outcome.failed(who, operation, `${what}: ${why}`));
      return;
    }
    const res = await http
      .put(`${this.#base}/api/v1/absences/${http.encode(absence.id)}`)
      .json({
        person_id: match.id,
        type_id: typeId,
        start_date: absence.startDate,
        end_date: absence.endDate,
        half_day_start: absence.halfDayStart,
        half_day_end: absence.halfDayEnd,
      })
      .retrying()
      .send();
    if (res.isSuccess()) {
      // The tool says whether the absence was new to it.
      const created = res.status === 201;
      rows.push(
        Outcome.success(who, created ? 'create' : 'update', `${what} ${created ? 'entered' : 'updated'}`).withPartner(
          res.status,
        ),
      );
      return;
    }
    if (stopsTheRun(res.status)) throw throttledOrDown(res, what);
    rows.push(
      Outcome.failed(who, operation, `${what}: the planning tool refused it`).withPartner(res.status, res.body),
    );
  }

  /** Takes a cancelled (or no longer approved) absence out of the tool. */
  async #remove(absence: hr.Absence, what: string, rows: Outcomes): Promise<void> {
    const who = absence.employeeId;
    const res = await http
      .delete(`${this.#base}/api/v1/absences/${http.encode(absence.id)}`)
      .retrying()
      .send();
    const state = absence.status === 'cancelled' ? 'cancelled' : 'no longer approved';
    if (res.isSuccess()) {
      rows.push(Outcome.success(who, 'update', `${what} ${state}: removed`).withPartner(res.status));
    } else if (res.status === 404) {
      // Never mirrored, or removed in the tool already.
      rows.push(Outcome.skipped(who, 'skip', `${what} ${state}: not in the planning tool`));
    } else if (stopsTheRun(res.status)) {
      throw throttledOrDown(res, what);
    } else {
      rows.push(
        Outcome.failed(who, 'update', `${what} ${state}: the planning tool refused to remove it`).withPartner(
          res.status,
          res.body,
        ),
      );
    }
  }
}

function throttledOrDown(res: http.Response, what: string): ConnectorError {
  const message =
    res.status === 429
      ? `the planning tool kept asking to slow down (429 after ${res.retries} retries); ${what} is sent again by the nightly sync`
      : `the planning tool is unavailable (${res.status}); ${what} is sent again by the nightly sync`;
  return ConnectorError.partner(res.status, message, res.body);
}

export default defineConnector({
  validateConfig(values: Config): FieldError[] {
    const value = (key: string) => values.get(key)?.trim() ?? '';
    const problems: FieldError[] = [];
    if (value('planner-url') === '') {
      problems.push({
        field: 'planner-url',
        message: "give your planning tool's address, e.g. https://acme.planning.example",
      });
    }
    if (value('client-id') === '') {
      problems.push({
        field: 'client-id',
        message: 'give the client ID of the app registered for Lockgate in the planning tool',
      });
    }
    try {
      parseTypeNames(value('type-names'));
    } catch (why) {
      problems.push({ field: 'type-names', message: String(why) });
    }
    return problems;
  },

  async checkConnection() {
    await Planner.connect();
  },

  async sync() {
    const planner = await Planner.connect();
    const started = dates.now();
    const today = dates.today();
    const wide = (days: number) => dates.addDays(today, days) ?? today;
    const window = { from: wide(-3660), to: wide(3660) };
    const cursor = Cursor.load();
    const query: hr.AbsenceFilter =
      cursor.since !== undefined
        ? // Since the last sync: every change, cancellations included.
          { ...window, updatedSince: cursor.since }
        : // The first sync: what is approved now.
          { ...window, statuses: ['approved'] };
    const rows = new Outcomes();
    const sent = new Set<string>();
    // A stop leaves the cursor where it was: the next sync sends these
    // again, and the tool takes a repeat as an update.
    for await (const absence of hr.absences(query)) {
      sent.add(absence.id);
      await planner.mirror(absence, 'synced', rows);
    }
    // Employees the tool rejected last time: their absences again, changed
    // or not.
    for (const employeeId of cursor.retry) {
      for await (const absence of hr.absences({ ...window, employeeId })) {
        if (sent.has(absence.id)) continue;
        sent.add(absence.id);
        await planner.mirror(absence, 'synced', rows);
      }
    }
    Cursor.advance(started, rows.finishFailed());
  },

  async onEvent(event) {
    const changes: Partial<Record<typeof event.tag, Change>> = {
      'absence-created': 'created',
      'absence-updated': 'updated',
      'absence-cancelled': 'cancelled',
    };
    const change = changes[event.tag];
    if (change === undefined) return;
    const id = event.val;
    let absence: hr.Absence;
    try {
      absence = hr.absence(id);
    } catch (e) {
      // No longer visible to this install: nothing to mirror.
      if (e instanceof HostError && e.kind === 'not-found') return;
      throw e;
    }
    let planner: Planner;
    try {
      planner = await Planner.connect();
    } catch (e) {
      if (e instanceof ConnectorError && e.value.tag === 'partner' && stopsTheRun(e.value.val.status)) {
        const { status, message, body } = e.value.val;
        throw new ConnectorError({
          tag: 'partner',
          val: { status, message: `${message}; absence ${id} is sent again by the nightly sync`, body },
        });
      }
      throw e;
    }
    const rows = new Outcomes();
    await planner.mirror(absence, change, rows);
    rows.finish();
  },
});
