// @lockgate/connector/testing: run a connector in its own unit tests under
// Node (node --test), against a stand-in for the host.
//
// `loadConnector(entry)` bundles the connector's module with this SDK the
// way lockgate-build does (esbuild), except that each contract import
// (`lockgate:connector/…`, `wasi:…`) is answered by the `TestHost` that is
// running the current call. A `TestHost` holds what the real host would
// give the install (HR data with paging, config, the saved state, answers
// to HTTP requests) and records what the connector did (outcome rows, log
// lines, requests, records created). State persists from one call to the
// next as between runs.
//
//     const connector = await loadConnector(new URL('../src/index.ts', import.meta.url));
//     const host = new TestHost()
//       .config('partner-url', 'https://api.partner.example')
//       .employees([employee('e-1', 'Ada', 'Lovelace')])
//       .onHttp((request) => replyJson(201, { id: 'p-1' }));
//     await host.sync(connector, 'manual');
//     assert.equal(host.outcomes()[0].status, 'success');

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const SDK_ENTRY = join(PACKAGE_DIR, 'src', 'index.ts');
const SDK_WORLD = join(PACKAGE_DIR, 'src', 'connector.ts');

/** Instants of records made by the helpers, unless a test says otherwise. */
export const UPDATED_AT = '2026-01-01T00:00:00Z';
/** The largest page the host returns, as the real host caps it. */
const MAX_PAGE = 500;
/** The largest state value, as the real host allows. */
const MAX_STATE_BYTES = 64 * 1024;

/** The stand-in modules the bundle's imports resolve to, shared by all hosts. */
const REGISTRY = Symbol.for('@lockgate/connector/testing');
const registry = (globalThis[REGISTRY] ??= { current: undefined, modules: undefined });

function current() {
  if (registry.current === undefined) {
    throw new Error(
      'no TestHost is running a call: call the connector through a TestHost (await host.sync(connector, "manual"), host.run(() => …))',
    );
  }
  return registry.current;
}

/** A host-error as the generated bindings throw it (the SDK reads `payload`). */
function hostError(tag, val) {
  return Object.assign(new Error(`${tag}: ${val}`), { payload: { tag, val } });
}

/** The contract's error value a connector call failed with, as an Error. */
export class ConnectorFailed extends Error {
  constructor(value, message) {
    super(message);
    this.name = 'ConnectorFailed';
    /** `{ tag: 'config' | 'partner' | 'unreachable' | 'host' | 'other', val }`. */
    this.value = value;
  }
}

/** A request the connector sent, as the test's handler sees it. */
export class SentRequest {
  constructor(method, url, host, path, headers, body) {
    this.method = method;
    this.url = url;
    /** The host name, without a port. */
    this.host = host;
    /** The path with the query, `/` at least. */
    this.path = path;
    /** `[name, value]` pairs, names in lower case. */
    this.headers = headers;
    this.body = body;
  }

  header(name) {
    const lower = name.toLowerCase();
    return this.headers.find(([k]) => k.toLowerCase() === lower)?.[1];
  }

  text() {
    return new TextDecoder().decode(this.body);
  }

  json() {
    return JSON.parse(this.text());
  }
}

/** A response: status, `[name, value]` headers, body (text or bytes). */
export function reply(status, body = '', headers = []) {
  return { status, headers, body: typeof body === 'string' ? new TextEncoder().encode(body) : body };
}

/** A JSON response with its content type. */
export function replyJson(status, value) {
  return reply(status, JSON.stringify(value), [['content-type', 'application/json']]);
}

/**
 * No response: the request fails with a `wasi:http` error code the SDK
 * turns into an `HttpError` (`'connection-timeout'` → `timeout`,
 * `'connection-refused'` → `connection`, `'HTTP-request-denied'` → `denied`).
 */
export function noResponse(code = 'connection-timeout') {
  return { noResponse: code };
}

/** An active employee with a name and nothing else granted. */
export function employee(id, firstName, lastName, fields = {}) {
  const { department, position, status = 'active', ...rest } = fields;
  return {
    id,
    updatedAt: UPDATED_AT,
    basic: { firstName, lastName, department, position, status },
    ...rest,
  };
}

/** An approved whole-day absence from `start` to `end` (`YYYY-MM-DD`). */
export function absence(id, employeeId, typeName, startDate, endDate, fields = {}) {
  return {
    id,
    employeeId,
    typeName,
    startDate,
    endDate,
    halfDayStart: false,
    halfDayEnd: false,
    status: 'approved',
    updatedAt: UPDATED_AT,
    ...fields,
  };
}

/** An employee who stopped being visible at `leftAt`. */
export function departure(employeeId, leftAt, reason = 'terminated') {
  return { employeeId, leftAt, reason };
}

/** An inbound call from the partner. */
export function webhook(method, path, body = '', headers = []) {
  return {
    method,
    path,
    headers,
    body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
    receivedAt: UPDATED_AT,
  };
}

const bundles = new Map();

/**
 * The connector module at `entry` (a path or file URL; its default export
 * is `defineConnector({...})`), bundled with this SDK against the stand-in
 * host. Pass it to a `TestHost`'s calls. Bundled once per process.
 */
export async function loadConnector(entry) {
  const path = entry instanceof URL || String(entry).startsWith('file:') ? fileURLToPath(entry) : String(entry);
  if (!bundles.has(path)) bundles.set(path, bundle(path));
  return bundles.get(path);
}

async function bundle(entry) {
  const esbuild = await import('esbuild');
  const work = await mkdtemp(join(tmpdir(), 'lockgate-connector-test-'));
  const out = join(work, 'connector.mjs');
  const source = [
    `import connector from ${JSON.stringify(entry)};`,
    `import { exportConnector } from ${JSON.stringify(SDK_WORLD)};`,
    'export const world = exportConnector(connector);',
  ].join('\n');
  const standIn = {
    name: 'lockgate-test-host',
    setup(build) {
      // The SDK that tests is the SDK that is bundled, as in lockgate-build.
      build.onResolve({ filter: /^@lockgate\/connector$/ }, () => ({ path: SDK_ENTRY }));
      build.onResolve({ filter: /^(lockgate|wasi):/ }, (args) => ({ path: args.path, namespace: 'lockgate-test-host' }));
      build.onLoad({ filter: /.*/, namespace: 'lockgate-test-host' }, (args) => {
        const names = Object.keys(modules()[args.path] ?? {});
        if (names.length === 0) {
          return { errors: [{ text: `the test host does not stand in for ${args.path}` }] };
        }
        const m = `globalThis[Symbol.for('@lockgate/connector/testing')].modules[${JSON.stringify(args.path)}]`;
        return { contents: names.map((n) => `export const ${n} = ${m}.${n};`).join('\n'), loader: 'js' };
      });
    },
  };
  try {
    await esbuild.build({
      stdin: { contents: source, resolveDir: dirname(entry), sourcefile: 'lockgate-test-entry.js', loader: 'js' },
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      target: 'es2022',
      outfile: out,
      plugins: [standIn],
      logLevel: 'silent',
    });
  } catch (e) {
    const messages = (e.errors ?? [])
      .map((m) => `${m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : ''}${m.text}`)
      .join('\n');
    await rm(work, { recursive: true, force: true });
    throw new Error(`cannot load the connector ${entry}:\n${messages || e.message}`);
  }
  try {
    return (await import(pathToFileURL(out).href)).world;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A stand-in for the host: what the install may see and what the connector did. */
export class TestHost {
  #config = new Map();
  #employees = new Map();
  #absences = new Map();
  #departures = [];
  #attendances = new Map();
  #pageSize = MAX_PAGE;
  #saved;
  #staged;
  #outcomes = [];
  #log = [];
  #requests = [];
  #handler;
  #denied = new Set();
  #created = [];
  #applications = [];
  #now;
  #sleptMs = 0;

  // What the install is given.

  /** Sets a non-secret config field (secret ones never reach a connector). */
  config(key, value) {
    this.#config.set(key, value);
    return this;
  }

  /** Adds employees, or replaces those with the same id. Queries return them by id. */
  employees(list) {
    for (const e of list) this.#employees.set(e.id, e);
    return this;
  }

  /** Removes an employee: no longer visible, as after a termination. */
  removeEmployee(id) {
    this.#employees.delete(id);
    return this;
  }

  absences(list) {
    for (const a of list) this.#absences.set(a.id, a);
    return this;
  }

  departures(list) {
    this.#departures.push(...list);
    return this;
  }

  /** Adds attendance periods (as the contract's records), or replaces those with the same id. */
  attendances(list) {
    for (const a of list) this.#attendances.set(a.id, a);
    return this;
  }

  /** Pages hold at most `size` records (the real host: 500). */
  pageSize(size) {
    this.#pageSize = Math.max(1, size);
    return this;
  }

  /** The state a previous run saved. */
  setState(value) {
    this.#saved = value;
    return this;
  }

  /** Fixes the current instant (`dates.now`, `dates.today`), RFC 3339 in UTC. */
  clock(instant) {
    const ms = Date.parse(instant);
    if (!/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/i.test(instant) || Number.isNaN(ms)) {
      throw new TypeError(`clock: ${JSON.stringify(instant)} is not an RFC 3339 instant in UTC like 2026-11-23T08:00:00Z`);
    }
    const fraction = /\.(\d+)Z$/i.exec(instant)?.[1] ?? '';
    this.#now = { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: Number(fraction.padEnd(9, '0').slice(0, 9)) };
    return this;
  }

  /**
   * Answers the connector's HTTP requests: `handler(request)` gets a
   * `SentRequest` and returns `reply(…)`, `replyJson(…)` or `noResponse(…)`.
   * Without one, a request fails as a connection error naming it.
   */
  onHttp(handler) {
    this.#handler = handler;
    return this;
  }

  /** Refuses requests to `host` as the real host refuses one not granted (`HttpError` of kind `denied`). */
  deny(host) {
    this.#denied.add(host.replace(/^https?:\/\//, '').replace(/\/$/, ''));
    return this;
  }

  // The connector's entry points, run against this host.

  /** One sync run; rejects with a `ConnectorFailed` when the connector fails. */
  sync(connector, trigger = 'manual') {
    return this.#call(() => connector.sync(trigger));
  }

  /** The connector's check of `entries` (default: this host's config); resolves to the field errors, `[]` when good. */
  async validateConfig(connector, entries = [...this.#config]) {
    try {
      await this.#call(() => connector.validateConfig(entries));
      return [];
    } catch (e) {
      if (e instanceof ConnectorFailed && Array.isArray(e.value)) return e.value;
      throw e;
    }
  }

  checkConnection(connector) {
    return this.#call(() => connector.checkConnection());
  }

  onEvent(connector, event) {
    return this.#call(() => connector.onEvent(event));
  }

  /** The connector's answer to an inbound call (see `webhook(…)`). */
  handleWebhook(connector, request) {
    return this.#call(() => connector.handleWebhook(request));
  }

  /** Runs any code against this host (a helper of the connector, say); state it sets is kept. */
  run(f) {
    return this.#call(f);
  }

  async #call(f) {
    if (registry.current !== undefined && registry.current !== this) {
      throw new Error('another TestHost is running a call: await each call before the next');
    }
    this.#staged = undefined;
    registry.current = this;
    let result;
    try {
      result = await f();
    } catch (e) {
      this.#staged = undefined;
      if (e !== null && typeof e === 'object' && 'payload' in e) throw new ConnectorFailed(e.payload, e.message);
      throw e;
    } finally {
      registry.current = undefined;
    }
    if (this.#staged !== undefined) this.#saved = this.#staged;
    this.#staged = undefined;
    return result;
  }

  // What the connector did.

  /** Every outcome row reported so far, in order. */
  outcomes() {
    return [...this.#outcomes];
  }

  /** `{ level, message }` lines. */
  log() {
    return [...this.#log];
  }

  /** Every request that reached the handler (not the denied ones). */
  requests() {
    return [...this.#requests];
  }

  /** The state the next run would start from. */
  state() {
    return this.#saved;
  }

  /** `state()` as JSON; `undefined` without state. */
  stateJson() {
    return this.#saved === undefined ? undefined : JSON.parse(this.#saved);
  }

  /** Employees the connector created: `{ employee, id }`. */
  createdEmployees() {
    return this.#created.map(({ employee, id }) => ({ employee, id }));
  }

  /** Applications the connector created: `{ application, id }`. */
  applications() {
    return this.#applications.map(({ application, id }) => ({ application, id }));
  }

  /** Every attendance period: those given and those the connector wrote. */
  periods() {
    return [...this.#attendances.values()];
  }

  /** Milliseconds the connector waited (retrying a throttled request): counted, not waited. */
  sleptMs() {
    return this.#sleptMs;
  }

  /** Forgets the rows, log lines and requests so far (not the state). */
  clearRecords() {
    this.#outcomes = [];
    this.#log = [];
    this.#requests = [];
    return this;
  }

  // The host's side of the contract, called through the stand-in modules.

  /** @internal */
  _page(items, query) {
    let start = 0;
    if (query.cursor !== undefined) {
      start = /^\d+$/.test(query.cursor) ? Number(query.cursor) : Number.NaN;
      if (!(start <= items.length)) throw hostError('invalid-argument', `cursor ${JSON.stringify(query.cursor)} is not one this host gave`);
    }
    const size = Math.min(Math.max(query.limit ?? MAX_PAGE, 1), MAX_PAGE, this.#pageSize);
    const end = Math.min(start + size, items.length);
    return { items: items.slice(start, end), nextCursor: end < items.length ? String(end) : undefined };
  }

  /** @internal */
  _hr() {
    const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    return {
      fetchEmployees: (q) =>
        this._page(
          [...this.#employees.values()]
            .filter(
              (e) =>
                (q.department === undefined || e.basic?.department === q.department) &&
                (q.status === undefined || e.basic?.status === q.status) &&
                (q.updatedSince === undefined || e.updatedAt >= q.updatedSince),
            )
            .sort(byId),
          q,
        ),
      getEmployee: (id) => {
        const e = this.#employees.get(id);
        if (e === undefined) throw hostError('not-found', `no visible employee ${id}`);
        return e;
      },
      fetchAbsences: (q) =>
        this._page(
          [...this.#absences.values()]
            .filter(
              (a) =>
                a.startDate <= q.to &&
                a.endDate >= q.from &&
                (q.employeeId === undefined || a.employeeId === q.employeeId) &&
                (q.typeName === undefined || a.typeName === q.typeName) &&
                (q.statuses.length === 0 || q.statuses.includes(a.status)) &&
                (q.updatedSince === undefined || a.updatedAt >= q.updatedSince),
            )
            .sort(byId),
          q,
        ),
      getAbsence: (id) => {
        const a = this.#absences.get(id);
        if (a === undefined) throw hostError('not-found', `no visible absence ${id}`);
        return a;
      },
      fetchDepartures: (q) =>
        this._page(
          this.#departures
            .filter((d) => d.leftAt >= q.since)
            .sort((a, b) => (a.leftAt === b.leftAt ? (a.employeeId < b.employeeId ? -1 : 1) : a.leftAt < b.leftAt ? -1 : 1)),
          q,
        ),
      createEmployee: (employee, key) => {
        if (!employee.firstName?.trim() || !employee.lastName?.trim()) {
          throw hostError('invalid-argument', 'a new employee needs a first and a last name');
        }
        const known = this.#created.find((c) => c.key === key);
        if (known !== undefined) return known.id;
        const id = `new-${this.#created.length + 1}`;
        this.#created.push({ key, employee, id });
        return id;
      },
    };
  }

  /** @internal */
  _attendances() {
    const byExternal = (externalId) => [...this.#attendances.values()].find((a) => a.externalId === externalId);
    const minutes = (t) => {
      const m = /^(\d{1,2}):(\d{2})$/.exec(t ?? '');
      return m === null ? undefined : Number(m[1]) * 60 + Number(m[2]);
    };
    const record = (id, externalId, p) => {
      let duration;
      if (p.startTime !== undefined && p.endTime !== undefined) {
        const [s, e] = [minutes(p.startTime), minutes(p.endTime)];
        if (s === undefined || e === undefined) throw hostError('invalid-argument', `${p.startTime}-${p.endTime} is not HH:MM-HH:MM`);
        duration = Math.max((e > s ? e - s : e + 1440 - s) - (p.breakMinutes ?? 0), 0);
      } else if (p.startTime === undefined && p.endTime === undefined && p.durationMinutes !== undefined) {
        duration = p.durationMinutes;
      } else {
        throw hostError('invalid-argument', 'give start and end time, or neither and a duration');
      }
      const { durationMinutes: _given, ...rest } = p;
      return { ...rest, id, externalId, durationMinutes: duration, updatedAt: this._nowText() };
    };
    return {
      fetchAttendances: (q) =>
        this._page(
          [...this.#attendances.values()]
            .filter(
              (a) =>
                a.date >= q.from &&
                a.date <= q.to &&
                (q.employeeId === undefined || a.employeeId === q.employeeId) &&
                (q.updatedSince === undefined || a.updatedAt >= q.updatedSince),
            )
            .sort((a, b) => (a.date === b.date ? (a.id < b.id ? -1 : 1) : a.date < b.date ? -1 : 1)),
          q,
        ),
      getAttendance: (id) => {
        const a = this.#attendances.get(id);
        if (a === undefined) throw hostError('not-found', `no visible attendance ${id}`);
        return a;
      },
      createAttendance: (externalId, period) => {
        const known = byExternal(externalId);
        if (known !== undefined) return known;
        const created = record(`att-${this.#attendances.size + 1}`, externalId, period);
        this.#attendances.set(created.id, created);
        return created;
      },
      updateAttendance: (externalId, period) => {
        const known = byExternal(externalId);
        if (known === undefined) throw hostError('not-found', `this connector wrote no attendance ${externalId}`);
        const updated = record(known.id, externalId, period);
        this.#attendances.set(known.id, updated);
        return updated;
      },
      deleteAttendance: (externalId) => {
        const known = byExternal(externalId);
        return known !== undefined && this.#attendances.delete(known.id);
      },
    };
  }

  /** @internal */
  _recruiting() {
    return {
      createApplication: (application, key) => {
        if (!application.position?.trim()) throw hostError('invalid-argument', 'an application names a position');
        const known = this.#applications.find((a) => a.key === key);
        if (known !== undefined) return known.id;
        const id = `application-${this.#applications.length + 1}`;
        this.#applications.push({ key, application, id });
        return id;
      },
    };
  }

  /** @internal */
  _config() {
    return { get: (key) => this.#config.get(key), getAll: () => [...this.#config] };
  }

  /** @internal */
  _state() {
    const checkSize = (value) => {
      const size = new TextEncoder().encode(value).length;
      if (size > MAX_STATE_BYTES) throw hostError('limit-exceeded', `state is ${size} bytes; at most ${MAX_STATE_BYTES}`);
    };
    return {
      get: () => this.#staged ?? this.#saved,
      set: (value) => {
        checkSize(value);
        this.#staged = value;
      },
      checkpoint: (value) => {
        checkSize(value);
        this.#saved = value;
        this.#staged = value;
      },
    };
  }

  /** @internal */
  _record(kind, value) {
    if (kind === 'log') this.#log.push(value);
    else if (kind === 'outcomes') this.#outcomes.push(...value);
    else if (kind === 'slept') this.#sleptMs += value;
  }

  /** @internal */
  _now() {
    if (this.#now !== undefined) return this.#now;
    const ms = Date.now();
    return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 };
  }

  /** @internal */
  _nowText() {
    const { seconds } = this._now();
    return new Date(Number(seconds) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  }

  /**
   * Sends a request the SDK assembled over `wasi:http`: the outcome is
   * `{ response }` or `{ code }` (a wasi:http error code).
   * @internal
   */
  _send(request, body) {
    const scheme = request.scheme?.tag;
    const authority = request.authority ?? '';
    const host = authority.replace(/:\d+$/, '');
    const path = request.pathWithQuery ?? '/';
    const url = `${scheme === 'HTTPS' ? 'https' : 'http'}://${authority}${path}`;
    if (scheme !== 'HTTPS' || this.#denied.has(host) || this.#denied.has(authority)) {
      return { code: { tag: 'HTTP-request-denied' } };
    }
    const method = request.method.tag === 'other' ? request.method.val : request.method.tag.toUpperCase();
    const sent = new SentRequest(method, url, host, path, request.headers, body);
    this.#requests.push(sent);
    if (this.#handler === undefined) {
      return { code: { tag: 'internal-error', val: `the test host has no answer for ${method} ${url}; give one with TestHost.onHttp` } };
    }
    const answer = this.#handler(sent);
    if (answer === null || typeof answer !== 'object') {
      throw new TypeError(`the onHttp handler returned ${answer} for ${method} ${url}; return reply(…), replyJson(…) or noResponse(…)`);
    }
    if ('noResponse' in answer) return { code: { tag: answer.noResponse } };
    return { response: answer };
  }
}

// The stand-in modules, answering for the current host.

function modules() {
  if (registry.modules !== undefined) return registry.modules;
  const on = (part) => new Proxy({}, { get: (_, name) => (...args) => current()[part]()[name](...args), has: () => true });
  const names = {
    'lockgate:connector/hr@0.2.0': ['fetchEmployees', 'getEmployee', 'fetchAbsences', 'getAbsence', 'createEmployee', 'fetchDepartures'],
    'lockgate:connector/attendances@0.2.0': ['fetchAttendances', 'getAttendance', 'createAttendance', 'updateAttendance', 'deleteAttendance'],
    'lockgate:connector/recruiting@0.2.0': ['createApplication'],
    'lockgate:connector/config@0.2.0': ['get', 'getAll'],
    'lockgate:connector/state@0.2.0': ['get', 'set', 'checkpoint'],
  };
  const parts = {
    'lockgate:connector/hr@0.2.0': '_hr',
    'lockgate:connector/attendances@0.2.0': '_attendances',
    'lockgate:connector/recruiting@0.2.0': '_recruiting',
    'lockgate:connector/config@0.2.0': '_config',
    'lockgate:connector/state@0.2.0': '_state',
  };
  const m = {};
  for (const [spec, fns] of Object.entries(names)) {
    const target = on(parts[spec]);
    m[spec] = Object.fromEntries(fns.map((f) => [f, (...args) => target[f](...args)]));
  }
  m['lockgate:connector/outcomes@0.2.0'] = {
    report: (row) => current()._record('outcomes', [{ ...row }]),
    reportBatch: (rows) => current()._record('outcomes', rows.map((r) => ({ ...r }))),
  };
  m['lockgate:connector/log@0.2.0'] = { log: (level, message) => current()._record('log', { level, message }) };
  m['wasi:clocks/wall-clock@0.2.12'] = { now: () => current()._now() };
  m['wasi:clocks/monotonic-clock@0.2.12'] = {
    subscribeDuration: (ns) => {
      current()._record('slept', Number(ns / 1_000_000n));
      return new Pollable();
    },
  };
  m['wasi:http/types@0.2.12'] = { Fields, OutgoingRequest, OutgoingBody };
  m['wasi:http/outgoing-handler@0.2.12'] = { handle };
  registry.modules = m;
  return m;
}

// wasi:http as the SDK's client uses it, enough for `http.*.send()`.

class Resource {
  [Symbol.dispose]() {}
}

class Pollable extends Resource {
  block() {}
}

class Fields extends Resource {
  constructor(entries = []) {
    super();
    this.list = entries;
  }

  static fromList(entries) {
    return new Fields(entries);
  }

  entries() {
    return this.list;
  }
}

class OutgoingRequest extends Resource {
  constructor(fields) {
    super();
    const decoder = new TextDecoder();
    this.headers = fields.entries().map(([k, v]) => [k, decoder.decode(v)]);
    this.method = { tag: 'get' };
    this.outgoing = new OutgoingBody();
  }

  setMethod(method) {
    this.method = method;
  }

  setScheme(scheme) {
    this.scheme = scheme;
  }

  setAuthority(authority) {
    this.authority = authority;
  }

  setPathWithQuery(path) {
    this.pathWithQuery = path;
  }

  body() {
    return this.outgoing;
  }
}

class OutgoingBody extends Resource {
  chunks = [];

  write() {
    return Object.assign(new Resource(), { blockingWriteAndFlush: (chunk) => this.chunks.push(Uint8Array.from(chunk)) });
  }

  static finish() {}

  bytes() {
    const size = this.chunks.reduce((n, c) => n + c.length, 0);
    const all = new Uint8Array(size);
    let at = 0;
    for (const c of this.chunks) {
      all.set(c, at);
      at += c.length;
    }
    return all;
  }
}

/** The SDK writes the body after `handle`: the request is answered on the first `get`. */
function handle(request) {
  const host = current();
  let outcome;
  const future = Object.assign(new Resource(), {
    subscribe: () => new Pollable(),
    get() {
      outcome ??= host._send(request, request.outgoing.bytes());
      if (outcome.code !== undefined) return { tag: 'ok', val: { tag: 'err', val: outcome.code } };
      return { tag: 'ok', val: { tag: 'ok', val: incoming(outcome.response) } };
    },
  });
  return future;
}

function incoming({ status, headers = [], body = new Uint8Array() }) {
  const encoder = new TextEncoder();
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  return Object.assign(new Resource(), {
    status: () => status,
    headers: () => new Fields(headers.map(([k, v]) => [k, encoder.encode(v)])),
    consume: () =>
      Object.assign(new Resource(), {
        stream() {
          let done = false;
          return Object.assign(new Resource(), {
            blockingRead() {
              if (done) throw Object.assign(new Error('closed'), { payload: { tag: 'closed' } });
              done = true;
              return bytes;
            },
          });
        },
      }),
  });
}
