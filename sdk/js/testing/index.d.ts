// Declarations of @lockgate/connector/testing (testing/index.mjs).

/** The world's exports of a connector module, as `loadConnector` gives them. */
export interface LoadedConnector {
  validateConfig(config: [string, string][]): Promise<void>;
  checkConnection(): Promise<void>;
  sync(trigger: string): Promise<void>;
  onEvent(event: { tag: string; val: string }): Promise<void>;
  handleWebhook(request: WebhookRequest): Promise<WebhookResponse>;
}

export interface WebhookRequest {
  method: string;
  path: string;
  headers: [string, string][];
  body: Uint8Array;
  receivedAt: string;
}

export interface WebhookResponse {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
}

export interface Reply {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
}

export interface NoResponse {
  noResponse: string;
}

export interface FieldError {
  field: string;
  message: string;
}

/** The contract's connector-error value a call failed with. */
export class ConnectorFailed extends Error {
  readonly value: { tag: 'config' | 'partner' | 'unreachable' | 'host' | 'other'; val: any };
}

export class SentRequest {
  readonly method: string;
  readonly url: string;
  /** The host name, without a port. */
  readonly host: string;
  /** The path with the query, `/` at least. */
  readonly path: string;
  readonly headers: [string, string][];
  readonly body: Uint8Array;
  header(name: string): string | undefined;
  text(): string;
  json<T = any>(): T;
}

export const UPDATED_AT: string;

/** The connector module at `entry` (its default export is `defineConnector({...})`), bundled against the stand-in host. */
export function loadConnector(entry: string | URL): Promise<LoadedConnector>;

export function reply(status: number, body?: string | Uint8Array, headers?: [string, string][]): Reply;
export function replyJson(status: number, value: unknown): Reply;
/** No response: a `wasi:http` error code (`'connection-timeout'`, `'connection-refused'`, …). */
export function noResponse(code?: string): NoResponse;

export function employee(id: string, firstName: string, lastName: string, fields?: Record<string, unknown>): any;
export function absence(id: string, employeeId: string, typeName: string, startDate: string, endDate: string, fields?: Record<string, unknown>): any;
export function departure(employeeId: string, leftAt: string, reason?: 'terminated' | 'excluded' | 'out-of-scope'): any;
export function webhook(method: string, path: string, body?: string | Uint8Array, headers?: [string, string][]): WebhookRequest;

/** A stand-in for the host: what the install may see and what the connector did. */
export class TestHost {
  config(key: string, value: string): this;
  employees(list: Iterable<any>): this;
  removeEmployee(id: string): this;
  absences(list: Iterable<any>): this;
  departures(list: Iterable<any>): this;
  attendances(list: Iterable<any>): this;
  pageSize(size: number): this;
  setState(value: string): this;
  clock(instant: string): this;
  onHttp(handler: (request: SentRequest) => Reply | NoResponse): this;
  deny(host: string): this;

  sync(connector: LoadedConnector, trigger?: 'scheduled' | 'manual' | 'initial'): Promise<void>;
  validateConfig(connector: LoadedConnector, entries?: [string, string][]): Promise<FieldError[]>;
  checkConnection(connector: LoadedConnector): Promise<void>;
  onEvent(connector: LoadedConnector, event: { tag: string; val: string }): Promise<void>;
  handleWebhook(connector: LoadedConnector, request: WebhookRequest): Promise<WebhookResponse>;
  run<T>(f: () => T | Promise<T>): Promise<T>;

  outcomes(): any[];
  log(): { level: 'debug' | 'info' | 'warn' | 'error'; message: string }[];
  requests(): SentRequest[];
  state(): string | undefined;
  stateJson(): any;
  createdEmployees(): { employee: any; id: string }[];
  applications(): { application: any; id: string }[];
  periods(): any[];
  sleptMs(): number;
  clearRecords(): this;
}
