// Errors a connector meets and returns. Host calls that fail throw a
// `HostError` (the contract's host-error variant); a connector's entry
// points throw a `ConnectorError` (or anything else, reported as `other`),
// which the host shows the tenant admin.

import type * as types from 'lockgate:connector/types@0.2.0';

export type FieldError = types.FieldError;
export type HostErrorKind = types.HostError['tag'];

/** A constructor for a field-level configuration problem. */
export function fieldError(field: string, message: string): FieldError {
  return { field, message };
}

/**
 * A host call did not do what was asked: not granted (`denied`), a
 * malformed argument, a per-run limit used up, a record not found or not
 * visible, or the host briefly unavailable.
 */
export class HostError extends Error {
  readonly kind: HostErrorKind;
  readonly detail: string;

  constructor(kind: HostErrorKind, detail: string) {
    super(`host: ${kind}: ${detail}`);
    this.name = 'HostError';
    this.kind = kind;
    this.detail = detail;
  }

  /** The contract's host-error value. */
  toWit(): types.HostError {
    return { tag: this.kind, val: this.detail } as types.HostError;
  }

  static fromWit(error: types.HostError): HostError {
    return new HostError(error.tag, error.val);
  }
}

/**
 * Runs a host call whose WIT result has a host-error: the generated
 * bindings throw the error value as `payload`; this rethrows it as a
 * `HostError`.
 */
export function hostCall<T>(call: () => T): T {
  try {
    return call();
  } catch (e) {
    const payload = (e as { payload?: unknown } | null)?.payload;
    if (isHostErrorValue(payload)) throw HostError.fromWit(payload);
    throw e;
  }
}

const HOST_ERROR_TAGS: readonly string[] = [
  'denied',
  'invalid-argument',
  'limit-exceeded',
  'not-found',
  'unavailable',
] satisfies HostErrorKind[];

function isHostErrorValue(value: unknown): value is types.HostError {
  if (typeof value !== 'object' || value === null) return false;
  const { tag, val } = value as { tag?: unknown; val?: unknown };
  return typeof tag === 'string' && HOST_ERROR_TAGS.includes(tag) && typeof val === 'string';
}

/** Why a connector call failed, as the contract's connector-error names it. */
export type ConnectorErrorValue = types.ConnectorError;

/**
 * Why a connector call failed. Throw it from `sync`, `checkConnection` or
 * `onEvent`; the SDK hands it to the host. Other thrown values become
 * `other` with their message, a `HostError` becomes `host`, and an
 * `HttpError` becomes `unreachable`.
 */
export class ConnectorError extends Error {
  readonly value: ConnectorErrorValue;

  constructor(value: ConnectorErrorValue) {
    super(describe(value));
    this.name = 'ConnectorError';
    this.value = value;
  }

  /** The configuration is unusable: one entry per field. */
  static config(field: string, message: string): ConnectorError;
  static config(fields: FieldError[]): ConnectorError;
  static config(fieldOrFields: string | FieldError[], message = ''): ConnectorError {
    const fields =
      typeof fieldOrFields === 'string' ? [fieldError(fieldOrFields, message)] : fieldOrFields;
    return new ConnectorError({ tag: 'config', val: fields });
  }

  /** An error answer from the partner; the body is cut at 4 KiB. */
  static partner(status: number, message: string, body?: Uint8Array | string): ConnectorError {
    const text = body === undefined || body.length === 0 ? undefined : truncateBody(body);
    return new ConnectorError({ tag: 'partner', val: { status, message, body: text } });
  }

  /** The partner could not be reached, or the host refused the request. */
  static unreachable(why: string): ConnectorError {
    return new ConnectorError({ tag: 'unreachable', val: why });
  }

  /** A host call failed and the connector cannot go on. */
  static host(error: HostError): ConnectorError {
    return new ConnectorError({ tag: 'host', val: error.toWit() });
  }

  /** Anything else, described for a person. */
  static other(message: string): ConnectorError {
    return new ConnectorError({ tag: 'other', val: message });
  }

  /** What is thrown from an entry point, as the contract's value. */
  static from(thrown: unknown): ConnectorErrorValue {
    if (thrown instanceof ConnectorError) return thrown.value;
    if (thrown instanceof HostError) return { tag: 'host', val: thrown.toWit() };
    if (thrown instanceof Error && thrown.name === 'HttpError') {
      return { tag: 'unreachable', val: thrown.message };
    }
    if (thrown instanceof TypeError && thrown.message.startsWith(FETCH_FAILED)) {
      // The engine's fetch says no more when the host refused the request
      // or the partner could not be reached.
      return { tag: 'unreachable', val: `fetch: ${thrown.message}` };
    }
    if (thrown instanceof Error) return { tag: 'other', val: thrown.message || thrown.name };
    return { tag: 'other', val: String(thrown) };
  }
}

/** How the engine's `fetch` rejects when it got no response. */
const FETCH_FAILED = 'NetworkError when attempting to fetch resource';

function describe(value: ConnectorErrorValue): string {
  switch (value.tag) {
    case 'config':
      return `configuration:${value.val.map((e) => ` ${e.field}: ${e.message};`).join('')}`;
    case 'partner':
      return `partner answered ${value.val.status}: ${value.val.message}`;
    case 'unreachable':
      return `partner unreachable: ${value.val}`;
    case 'host':
      return `host: ${value.val.tag}: ${value.val.val}`;
    case 'other':
      return value.val;
  }
}

const BODY_LIMIT = 4096;

/** A body as text, cut at 4 KiB (of UTF-8) on a character boundary. */
export function truncateBody(body: Uint8Array | string): string {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  if (bytes.length <= BODY_LIMIT) {
    return typeof body === 'string' ? body : new TextDecoder().decode(bytes);
  }
  let end = BODY_LIMIT;
  // Back to the first byte of a UTF-8 sequence.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return `${new TextDecoder().decode(bytes.subarray(0, end))}…`;
}
