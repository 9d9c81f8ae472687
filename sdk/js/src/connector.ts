// The connector a partner writes, and how its methods become the exports of
// the contract's `connector` world. `lockgate-build` generates the entry
// module that calls `exportConnector` with the partner's default export.

import type * as world from 'lockgate:connector/connector@0.2.0';

import { Config } from './config.js';
import { ConnectorError, type ConnectorErrorValue, type FieldError } from './error.js';
import { flushOpen } from './outcomes.js';

export type { Trigger, Event, WebhookRequest, WebhookResponse } from 'lockgate:connector/connector@0.2.0';

type Awaitable<T> = T | Promise<T>;

/**
 * A connector. Only `sync` is required. Each call runs in a fresh instance:
 * keep what must survive a run in `state`, not in module variables. A
 * method fails by throwing: a `ConnectorError` says how (`config`,
 * `partner`, `unreachable`, `host`, `other`); a `HostError` from a host call
 * is reported as `host`, an `HttpError` as `unreachable`, anything else as
 * `other` with its message.
 */
export interface Connector {
  /**
   * Checks a configuration beyond its schema (the host already checked
   * types, required fields and enums). Secret fields are not passed.
   * Returns the problems, one per field (none: the configuration is good);
   * a thrown `ConnectorError.config(...)` counts the same.
   */
  validateConfig?(config: Config): Awaitable<FieldError[] | void>;
  /** Proves the partner is reachable and accepts the credentials. */
  checkConnection?(): Awaitable<void>;
  /** One synchronisation run. */
  sync(trigger: world.Trigger): Awaitable<void>;
  /** An HR change this install may see. */
  onEvent?(event: world.Event): Awaitable<void>;
  /** An inbound call from the partner. */
  handleWebhook?(request: world.WebhookRequest): Awaitable<world.WebhookResponse>;
}

/** Types a connector object; `export default defineConnector({ ... })`. */
export function defineConnector<C extends Connector>(connector: C): C {
  return connector;
}

/** The thrown value componentize-js turns into the `err` of a result. */
class ResultError extends Error {
  readonly payload: unknown;

  constructor(payload: unknown, message: string) {
    super(message);
    this.payload = payload;
  }
}

function fail(thrown: unknown): never {
  const value: ConnectorErrorValue = ConnectorError.from(thrown);
  throw new ResultError(value, thrown instanceof Error ? thrown.message : String(thrown));
}

async function run(call: () => Awaitable<void>): Promise<void> {
  try {
    await call();
  } catch (e) {
    flushOpen(true);
    fail(e);
  }
  try {
    flushOpen(false);
  } catch (e) {
    fail(e);
  }
}

const NO_WEBHOOKS: world.WebhookResponse = {
  status: 404,
  headers: [],
  body: new TextEncoder().encode('this connector takes no webhooks'),
};

/** The world's exports for `connector`. */
export function exportConnector(connector: Connector): {
  validateConfig(config: [string, string][]): Promise<void>;
  checkConnection(): Promise<void>;
  sync(trigger: world.Trigger): Promise<void>;
  onEvent(event: world.Event): Promise<void>;
  handleWebhook(request: world.WebhookRequest): Promise<world.WebhookResponse>;
} {
  if (typeof connector !== 'object' || connector === null || typeof connector.sync !== 'function') {
    throw new TypeError(
      'the connector module must `export default defineConnector({ sync() { … } })`',
    );
  }
  return {
    async validateConfig(entries) {
      let problems: FieldError[] = [];
      try {
        problems = (await connector.validateConfig?.(Config.of(entries))) ?? [];
      } catch (e) {
        const value = ConnectorError.from(e);
        if (value.tag !== 'config') {
          throw new ResultError([{ field: '', message: describeThrown(e) }], describeThrown(e));
        }
        problems = value.val;
      }
      if (problems.length > 0) throw new ResultError(problems, 'invalid configuration');
    },
    checkConnection: () => run(() => connector.checkConnection?.()),
    sync: (trigger) => run(() => connector.sync(trigger)),
    onEvent: (event) => run(() => connector.onEvent?.(event)),
    async handleWebhook(request) {
      if (connector.handleWebhook === undefined) return NO_WEBHOOKS;
      const response = await connector.handleWebhook(request);
      flushOpen(true);
      return response;
    },
  };
}

function describeThrown(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
