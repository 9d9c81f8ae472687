// Outbound HTTP through the host's filter, on the wasi:http imports.
//
// The host lets a connector reach only the hosts its install was granted. A
// refused request throws an `HttpError` of kind `denied`, not a network
// error, so a connector can tell a policy problem from an outage. (The
// engine's global `fetch` also goes through the host's filter, but reports
// a refusal as a bare network error: use this client.)
//
//     const res = await http.post('https://api.planner.example/v1/employees')
//       .json({ id: 'e-1' })
//       .send();
//     if (!res.isSuccess()) { /* res.status, res.text() */ }

import { subscribeDuration } from 'wasi:clocks/monotonic-clock@0.2.12';
import { handle } from 'wasi:http/outgoing-handler@0.2.12';
import {
  type ErrorCode,
  Fields,
  type IncomingResponse,
  type Method,
  OutgoingBody,
  OutgoingRequest,
  type Scheme,
} from 'wasi:http/types@0.2.12';
import type { StreamError } from 'wasi:io/streams@0.2.12';

/** Bodies larger than this are refused by the client. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export type HttpErrorKind =
  /** The host's policy refused it: host not granted, plain HTTP, a prohibited address, or the run's request budget is spent. */
  | 'denied'
  | 'invalid-url'
  | 'timeout'
  /** Connection refused, reset, DNS failure, TLS failure, ... */
  | 'connection'
  /** The response was larger than the client or host allows. */
  | 'too-large'
  | 'protocol'
  /** The host could not sign in to the partner on the connector's behalf (OAuth2 client credentials declared in the manifest). */
  | 'sign-in';

/** Why a request got no response. */
export class HttpError extends Error {
  readonly kind: HttpErrorKind;
  readonly detail: string;

  constructor(kind: HttpErrorKind, detail = '') {
    super(describe(kind, detail));
    this.name = 'HttpError';
    this.kind = kind;
    this.detail = detail;
  }
}

function describe(kind: HttpErrorKind, detail: string): string {
  switch (kind) {
    case 'denied':
      return `request denied by the host: ${detail}`;
    case 'invalid-url':
      return `invalid URL ${JSON.stringify(detail)}`;
    case 'timeout':
      return 'timed out';
    case 'connection':
      return `connection failed: ${detail}`;
    case 'too-large':
      return 'response too large';
    case 'protocol':
      return `HTTP error: ${detail}`;
    case 'sign-in':
      return `could not sign in to the partner: ${detail}`;
  }
}

/** How the host marks a failed OAuth2 sign-in in `internal-error`. */
const SIGN_IN = 'sign-in: ';

function fromCode(code: ErrorCode): HttpError {
  switch (code.tag) {
    case 'HTTP-request-denied':
      return new HttpError('denied', 'host not granted or not allowed');
    case 'destination-IP-prohibited':
      return new HttpError('denied', 'destination address prohibited');
    case 'connection-limit-reached':
      return new HttpError('denied', 'request limit reached');
    case 'connection-timeout':
    case 'connection-read-timeout':
    case 'connection-write-timeout':
    case 'HTTP-response-timeout':
    case 'DNS-timeout':
      return new HttpError('timeout');
    case 'HTTP-response-body-size':
      return new HttpError('too-large');
    case 'HTTP-request-URI-invalid':
      return new HttpError('invalid-url', 'rejected by the host');
    case 'connection-refused':
      return new HttpError('connection', 'connection refused');
    case 'DNS-error':
      return new HttpError('connection', `DNS error ${code.val.rcode ?? ''}`);
    case 'internal-error':
      if (code.val?.startsWith(SIGN_IN)) {
        return new HttpError('sign-in', code.val.slice(SIGN_IN.length));
      }
      return new HttpError('connection', `internal error ${code.val ?? ''}`);
    default:
      return new HttpError('connection', code.tag);
  }
}

/** The error value a throwing wasi:http call carries. */
function payload<T>(e: unknown): T | undefined {
  return (e as { payload?: T } | null)?.payload;
}

/**
 * Percent-encodes `text` for a query value or a path segment: everything
 * but RFC 3986 unreserved characters is escaped, UTF-8 byte by byte.
 */
export function encode(text: string): string {
  let out = '';
  for (const b of new TextEncoder().encode(text)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A response with its whole body. */
export class Response {
  readonly status: number;
  readonly headers: [string, string][];
  readonly body: Uint8Array;
  /** Times the request was sent again after 429 / 503 (see `Request.retrying`). */
  retries = 0;

  constructor(status: number, headers: [string, string][], body: Uint8Array) {
    this.status = status;
    this.headers = headers;
    this.body = body;
  }

  isSuccess(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** The partner asked to slow down (429) or is briefly unavailable (503). */
  isThrottled(): boolean {
    return this.status === 429 || this.status === 503;
  }

  /** The first header of that name (any case). */
  header(name: string): string | undefined {
    const lower = name.toLowerCase();
    return this.headers.find(([k]) => k.toLowerCase() === lower)?.[1];
  }

  /** `Retry-After` in milliseconds, when given in seconds. */
  retryAfterMs(): number | undefined {
    const value = this.header('retry-after')?.trim();
    return value !== undefined && /^\d+$/.test(value) ? Number(value) * 1000 : undefined;
  }

  text(): string {
    return new TextDecoder().decode(this.body);
  }

  /** The body parsed as JSON; throws a `SyntaxError` naming the problem. */
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }
}

/**
 * How a `retrying` request waits when the partner answers 429 Too Many
 * Requests or 503 Service Unavailable: as long as `Retry-After` says (in
 * seconds), else exponentially from `firstWaitMs`, for at most `attempts`
 * sends and `budgetMs` of waiting in all. Past that the last answer is
 * returned, so the connector can report what it could not send and go on;
 * the host's deadline for the run still applies.
 */
export interface Retry {
  attempts: number;
  firstWaitMs: number;
  budgetMs: number;
}

export const DEFAULT_RETRY: Readonly<Retry> = { attempts: 5, firstWaitMs: 500, budgetMs: 20_000 };

type MethodName = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

const METHODS: Record<MethodName, Method> = {
  GET: { tag: 'get' },
  HEAD: { tag: 'head' },
  POST: { tag: 'post' },
  PUT: { tag: 'put' },
  PATCH: { tag: 'patch' },
  DELETE: { tag: 'delete' },
  OPTIONS: { tag: 'options' },
};

/** A request being built; `send` it. */
export class Request {
  readonly method: MethodName;
  readonly url: string;
  #headers: [string, string][] = [];
  #body: Uint8Array = new Uint8Array();
  #retry: Retry | undefined;

  constructor(method: MethodName, url: string) {
    this.method = method;
    this.url = url;
  }

  header(name: string, value: string): this {
    this.#headers.push([name.toLowerCase(), value]);
    return this;
  }

  body(body: Uint8Array | string): this {
    this.#body = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    return this;
  }

  /** Sets a JSON body and its content type. */
  json(value: unknown): this {
    return this.header('content-type', 'application/json').body(JSON.stringify(value));
  }

  /** Sends again on 429 / 503, waiting as `retry` says (default: 5 sends, 20 s of waiting). */
  retrying(retry: Partial<Retry> = {}): this {
    this.#retry = { ...DEFAULT_RETRY, ...retry };
    return this;
  }

  /**
   * Sends the request and reads the whole response; with `retrying`, waits
   * and sends again while the partner throttles, within the budget. Throws
   * an `HttpError` when there is no response. The call blocks the instance
   * until the answer is in (the host's deadline counts); it returns a
   * promise so it reads like `fetch`.
   */
  async send(): Promise<Response> {
    return this.sendBlocking();
  }

  /** `send`, without the promise. */
  sendBlocking(): Response {
    const retry = this.#retry;
    if (retry === undefined) return this.#sendOnce();
    let waited = 0;
    let wait = retry.firstWaitMs;
    for (let attempt = 1; ; attempt += 1) {
      const response = this.#sendOnce();
      response.retries = attempt - 1;
      if (!response.isThrottled() || attempt >= retry.attempts) return response;
      const pause = response.retryAfterMs() ?? wait;
      if (waited + pause > retry.budgetMs) return response;
      sleep(pause);
      waited += pause;
      wait *= 2;
    }
  }

  #sendOnce(): Response {
    const match = /^(https?):\/\/([^/?#]*)([^#]*)/.exec(this.url);
    if (match === null || match[2] === '') throw new HttpError('invalid-url', this.url);
    const scheme: Scheme = match[1] === 'https' ? { tag: 'HTTPS' } : { tag: 'HTTP' };
    const authority = match[2] as string;
    const rest = match[3] as string;
    const path = rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest;

    const encoder = new TextEncoder();
    const entries: [string, Uint8Array][] = this.#headers.map(([k, v]) => [k, encoder.encode(v)]);
    if (this.#body.length > 0 && !this.#headers.some(([k]) => k === 'content-length')) {
      entries.push(['content-length', encoder.encode(String(this.#body.length))]);
    }
    let fields: Fields;
    try {
      fields = Fields.fromList(entries);
    } catch (e) {
      throw new HttpError('protocol', `bad header: ${payload<{ tag: string }>(e)?.tag ?? e}`);
    }
    const request = new OutgoingRequest(fields);
    try {
      request.setMethod(METHODS[this.method]);
      request.setScheme(scheme);
      request.setAuthority(authority);
      request.setPathWithQuery(path);
    } catch {
      dispose(request);
      throw new HttpError('invalid-url', this.url);
    }
    const outgoing = request.body();
    let future;
    try {
      future = handle(request, undefined);
    } catch (e) {
      dispose(outgoing);
      const code = payload<ErrorCode>(e);
      throw code === undefined ? e : fromCode(code);
    }
    writeBody(outgoing, this.#body);
    try {
      // A server may answer before reading the whole body; its answer is
      // what counts, so a failure to finish the body is not reported here.
      OutgoingBody.finish(outgoing, undefined);
    } catch {
      // See above.
    }
    let response: IncomingResponse;
    try {
      for (;;) {
        const ready = future.get();
        if (ready === undefined) {
          const pollable = future.subscribe();
          pollable.block();
          dispose(pollable);
          continue;
        }
        if (ready.tag === 'err') throw new HttpError('protocol', 'response already taken');
        if (ready.val.tag === 'err') throw fromCode(ready.val.val);
        response = ready.val.val;
        break;
      }
    } finally {
      dispose(future);
    }
    try {
      return readResponse(response);
    } finally {
      dispose(response);
    }
  }
}

function readResponse(response: IncomingResponse): Response {
  const status = response.status();
  const fields = response.headers();
  const decoder = new TextDecoder();
  const headers: [string, string][] = fields.entries().map(([k, v]) => [k, decoder.decode(v)]);
  dispose(fields);
  const incoming = response.consume();
  try {
    return new Response(status, headers, readBody(incoming));
  } finally {
    dispose(incoming);
  }
}

function writeBody(outgoing: OutgoingBody, body: Uint8Array): void {
  if (body.length === 0) return;
  const stream = outgoing.write();
  try {
    for (let at = 0; at < body.length; at += 4096) {
      stream.blockingWriteAndFlush(body.subarray(at, at + 4096));
    }
  } catch {
    // The server stopped reading; its answer says why.
  } finally {
    dispose(stream);
  }
}

function readBody(incoming: ReturnType<IncomingResponse['consume']>): Uint8Array {
  const stream = incoming.stream();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      let chunk: Uint8Array;
      try {
        chunk = stream.blockingRead(64n * 1024n);
      } catch (e) {
        const error = payload<StreamError>(e);
        if (error?.tag === 'closed') break;
        if (error?.tag === 'last-operation-failed') {
          const why = error.val.toDebugString();
          dispose(error.val);
          throw new HttpError('connection', why);
        }
        throw e;
      }
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) throw new HttpError('too-large');
      chunks.push(chunk);
    }
  } finally {
    dispose(stream);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}

/**
 * Drops a host resource now. The host counts what a connector holds
 * (requests, bodies, streams, pollables) against its limits; the garbage
 * collector would return them too late.
 */
function dispose(resource: { [Symbol.dispose](): void }): void {
  resource[Symbol.dispose]();
}

/** Blocks the instance for `ms` milliseconds (the host's deadline still counts). */
export function sleep(ms: number): void {
  if (ms <= 0) return;
  const pollable = subscribeDuration(BigInt(Math.round(ms)) * 1_000_000n);
  pollable.block();
  dispose(pollable);
}

export function get(url: string): Request {
  return new Request('GET', url);
}

export function post(url: string): Request {
  return new Request('POST', url);
}

export function put(url: string): Request {
  return new Request('PUT', url);
}

export function patch(url: string): Request {
  return new Request('PATCH', url);
}

export { del as delete };

function del(url: string): Request {
  return new Request('DELETE', url);
}
