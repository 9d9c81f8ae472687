// The install's configuration, with typed access. Secret fields are not
// readable here: the host injects them into requests to the partner.
// `Config` also reads the values `validateConfig` is given.

import * as raw from 'lockgate:connector/config@0.2.0';

import { ConnectorError } from './error.js';

/**
 * Configuration values by key. A typed accessor returns `undefined` for a
 * key without a value and throws a `ConnectorError` of kind `config`, naming
 * the field, for a value of the wrong form; `require…` also throws for a
 * missing value.
 */
export class Config {
  #lookup: (key: string) => string | undefined;
  #entries: () => [string, string][];

  constructor(lookup: (key: string) => string | undefined, entries: () => [string, string][]) {
    this.#lookup = lookup;
    this.#entries = entries;
  }

  /** Values as `validateConfig` receives them. */
  static of(entries: [string, string][]): Config {
    const map = new Map(entries);
    return new Config(
      (key) => map.get(key),
      () => [...map],
    );
  }

  /** The value of a field, or its default; `undefined` when it has none. */
  get(key: string): string | undefined {
    return this.#lookup(key);
  }

  /** Every field with a value. */
  all(): [string, string][] {
    return this.#entries();
  }

  /** The value, trimmed; `undefined` when missing or blank. */
  string(key: string): string | undefined {
    const value = this.get(key)?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  /** A whole number (`integer` fields). */
  integer(key: string): number | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    if (!/^[+-]?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
      throw ConnectorError.config(key, `${JSON.stringify(value)} is not a whole number`);
    }
    return Number(value);
  }

  /** A number, decimals allowed (`number` fields). */
  number(key: string): number | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n) || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) {
      throw ConnectorError.config(key, `${JSON.stringify(value)} is not a number`);
    }
    return n;
  }

  /** `true` or `false` (`boolean` fields). */
  boolean(key: string): boolean | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw ConnectorError.config(key, `${JSON.stringify(value)} is neither true nor false`);
  }

  /** The value of a field the connector cannot work without. */
  require(key: string): string {
    const value = this.string(key);
    if (value === undefined) throw ConnectorError.config(key, 'is required');
    return value;
  }

  requireInteger(key: string): number {
    const value = this.integer(key);
    if (value === undefined) throw ConnectorError.config(key, 'is required');
    return value;
  }

  requireNumber(key: string): number {
    const value = this.number(key);
    if (value === undefined) throw ConnectorError.config(key, 'is required');
    return value;
  }

  requireBoolean(key: string): boolean {
    const value = this.boolean(key);
    if (value === undefined) throw ConnectorError.config(key, 'is required');
    return value;
  }
}

/** The install's non-secret configuration, read from the host. */
export const config = new Config(raw.get, raw.getAll);
