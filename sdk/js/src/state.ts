// A small value kept between runs (a sync cursor, say). What a run saves
// is committed when the run finishes without an error, even if the partner
// rejected some or all of its records: the connector decides what to keep.
// A run that throws, traps or hits a limit commits nothing. `Cursor` is the
// usual choice.
//
// A long run can also `checkpoint`: the value is committed at once, with the
// rows reported before it, and a run cut short later leaves the next run
// that value to continue from. With buffered rows, use
// `Outcomes.checkpoint` so they are sent first.

import * as raw from 'lockgate:connector/state@0.2.0';

import { hostCall } from './error.js';

/** The value saved by the last run that did not fail; `undefined` on the first. */
export function get(): string | undefined {
  return raw.get();
}

/** Saves a value, committed when the run ends without failing. At most 64 KiB. */
export function set(value: string): void {
  hostCall(() => raw.set(value));
}

/** Commits `value` now, together with every row already reported. At most 64 KiB. */
export function checkpoint(value: string): void {
  hostCall(() => raw.checkpoint(value));
}

/**
 * The saved value as JSON; `undefined` on the first run. A value that no
 * longer parses (an older layout) also reads as `undefined`.
 */
export function load<T>(): T | undefined {
  const text = get();
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** Saves `value` as JSON. */
export function save(value: unknown): void {
  set(JSON.stringify(value));
}

/**
 * The usual state of an incremental sync: the instant the next run reads
 * changes from, and the employees whose records the partner rejected, sent
 * again next run whether they changed or not. The saved layout is the Rust
 * SDK's (`{"since": …, "retry": […]}`).
 *
 *     const cursor = Cursor.load();
 *     const started = dates.now();
 *     // … send what changed since cursor.since, and cursor.retry …
 *     Cursor.advance(started, rows.finishFailed());
 */
export class Cursor {
  /** When the last finished run started; `undefined` before the first. */
  readonly since: string | undefined;
  /** Employees whose records were rejected. */
  readonly retry: ReadonlySet<string>;

  constructor(since: string | undefined, retry: Iterable<string> = []) {
    this.since = since;
    this.retry = new Set(retry);
  }

  /** The saved cursor, or an empty one on the first run. */
  static load(): Cursor {
    const saved = load<{ since?: unknown; retry?: unknown }>();
    const since = typeof saved?.since === 'string' ? saved.since : undefined;
    const retry = Array.isArray(saved?.retry)
      ? saved.retry.filter((id): id is string => typeof id === 'string')
      : [];
    return new Cursor(since, retry);
  }

  /** Whether no run has finished yet. */
  get isFirst(): boolean {
    return this.since === undefined;
  }

  /** Saves the cursor for the next run: changes from `started` on, and `rejected` again. */
  static advance(started: string, rejected: Iterable<string>): void {
    save({ since: started, retry: [...rejected].sort() });
  }
}
