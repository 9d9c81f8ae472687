// Monitoring rows: one per employee and operation. `Outcomes` batches them
// so a sync of 100 000 employees is a few hundred host calls, and remembers
// whose records failed, so the next run can send them again (see
// `state.Cursor`).

import * as raw from 'lockgate:connector/outcomes@0.2.0';

import { hostCall, truncateBody } from './error.js';
import * as state from './state.js';

export type { Operation, OutcomeStatus } from 'lockgate:connector/outcomes@0.2.0';

/** Rows are sent to the host in batches of this size. */
export const BATCH = 500;

/** One monitoring row. Build it with `Outcome.success` / `failed` / `skipped`. */
export class Outcome implements raw.Outcome {
  employeeId?: string;
  operation: raw.Operation;
  status: raw.OutcomeStatus;
  message: string;
  partnerStatus?: number;
  partnerBody?: string;

  constructor(
    employeeId: string | undefined,
    operation: raw.Operation,
    status: raw.OutcomeStatus,
    message: string,
  ) {
    this.employeeId = employeeId;
    this.operation = operation;
    this.status = status;
    this.message = message;
  }

  static success(employeeId: string, operation: raw.Operation, message: string): Outcome {
    return new Outcome(employeeId, operation, 'success', message);
  }

  static failed(employeeId: string, operation: raw.Operation, message: string): Outcome {
    return new Outcome(employeeId, operation, 'failed', message);
  }

  static skipped(employeeId: string, operation: raw.Operation, message: string): Outcome {
    return new Outcome(employeeId, operation, 'skipped', message);
  }

  /** Attaches the partner's answer: its status and body (cut at 4 KiB). */
  withPartner(status: number, body?: Uint8Array | string): Outcome {
    this.partnerStatus = status;
    this.partnerBody =
      body === undefined || body.length === 0 ? undefined : truncateBody(body);
    return this;
  }
}

function toWit(o: raw.Outcome): raw.Outcome {
  return {
    employeeId: o.employeeId,
    operation: o.operation,
    status: o.status,
    message: o.message,
    partnerStatus: o.partnerStatus,
    partnerBody: o.partnerBody,
  };
}

/** Batchers with rows not yet sent, flushed when an entry point returns. */
const open = new Set<Outcomes>();

/**
 * A buffer of rows, sent in batches. Call `finish` at the end; rows still
 * buffered when the entry point returns (or throws) are sent then.
 */
export class Outcomes {
  #pending: raw.Outcome[] = [];
  #failed = new Set<string>();

  /**
   * Queues a row; sends a batch when full. Throws a `HostError` when the
   * host refuses the batch (for example the run's row limit is reached).
   */
  push(outcome: raw.Outcome): void {
    if (outcome.status === 'failed' && outcome.employeeId !== undefined) {
      this.#failed.add(outcome.employeeId);
    }
    this.#pending.push(toWit(outcome));
    open.add(this);
    if (this.#pending.length >= BATCH) this.flush();
  }

  flush(): void {
    open.delete(this);
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    hostCall(() => raw.reportBatch(batch));
  }

  /** The employees with at least one failed row so far. */
  get failed(): ReadonlySet<string> {
    return this.#failed;
  }

  /**
   * Sends the rows queued so far and commits `value` as the state with
   * them: a run cut short after this leaves the next run this state and
   * these rows, so it continues rather than starting over.
   */
  checkpoint(value: string): void {
    this.flush();
    state.checkpoint(value);
  }

  /** Sends what is left. */
  finish(): void {
    this.flush();
  }

  /** Sends what is left; returns the employees with a failed row, for `Cursor.advance`. */
  finishFailed(): Set<string> {
    this.flush();
    const failed = this.#failed;
    this.#failed = new Set();
    return failed;
  }
}

/** Sends one row right away. */
export function report(outcome: raw.Outcome): void {
  hostCall(() => raw.report(toWit(outcome)));
}

/**
 * Sends the rows of every batcher not yet flushed. The entry points call it
 * when the connector returns; after a failure the host's refusals are
 * ignored, as the run fails anyway.
 */
export function flushOpen(ignoreErrors: boolean): void {
  for (const outcomes of [...open]) {
    try {
      outcomes.flush();
    } catch (e) {
      if (!ignoreErrors) throw e;
    }
  }
}
