// Paged reads: the host answers a page at a time (at most 500 records) with
// a cursor to the next. `Pages` walks them for the connector.

import { hostCall } from './error.js';

/** Page size the SDK asks for; the host caps it at 500. */
export const PAGE = 500;

/** One page as the host returns it. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** Queries that carry a paging cursor. */
export interface PagedQuery {
  cursor?: string;
}

/**
 * The records of a paged query, fetched a page at a time as they are
 * iterated: `for await (const e of hr.employees())`. Host calls block, so
 * the same pages can also be walked with a plain `for … of`. A page that
 * cannot be fetched throws a `HostError`, once; iteration ends there.
 */
export class Pages<T, Q extends PagedQuery> implements AsyncIterable<T>, Iterable<T> {
  #query: Q;
  #fetch: (query: Q) => Page<T>;
  #buffer: T[] = [];
  #next = 0;
  #done = false;

  constructor(query: Q, fetch: (query: Q) => Page<T>) {
    this.#query = { ...query };
    this.#fetch = fetch;
  }

  /**
   * The cursor of the page after those returned so far by `nextPage`: what
   * to checkpoint, and to start from again (as the query's `cursor`) when a
   * run continues. `undefined` before the first page and after the last.
   */
  get cursor(): string | undefined {
    return this.#done ? undefined : this.#query.cursor;
  }

  /** The next whole page, for connectors that send pages to the partner; `undefined` after the last. */
  nextPage(): T[] | undefined {
    if (this.#next < this.#buffer.length) {
      const rest = this.#buffer.slice(this.#next);
      this.#buffer = [];
      this.#next = 0;
      return rest;
    }
    if (this.#done) return undefined;
    let page: Page<T>;
    try {
      page = hostCall(() => this.#fetch(this.#query));
    } catch (e) {
      this.#done = true;
      throw e;
    }
    this.#done = page.nextCursor === undefined;
    this.#query = { ...this.#query, cursor: page.nextCursor };
    if (page.items.length === 0 && this.#done) return undefined;
    return page.items;
  }

  *[Symbol.iterator](): Generator<T> {
    for (;;) {
      if (this.#next >= this.#buffer.length) {
        const page = this.nextPage();
        if (page === undefined) return;
        this.#buffer = page;
        this.#next = 0;
        continue;
      }
      // One at a time, so `nextPage` after a `break` returns the rest.
      const item = this.#buffer[this.#next] as T;
      this.#next += 1;
      yield item;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (const item of this) yield item;
  }

  /** Every remaining record in one array (mind the memory for big tenants). */
  toArray(): T[] {
    return [...this];
  }
}
