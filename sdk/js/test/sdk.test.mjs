// Unit tests of the SDK against a stand-in host (see host.mjs): paging,
// batching, typed config, state layout, dates, and how thrown errors become
// the contract's error values. The SDK against the real host is tested end
// to end by the Rust suite (tests/all: absence_mirror_ts_*, hostile_js).

import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';

import { host, hostError, loadSdk } from './host.mjs';

const sdk = await loadSdk();

beforeEach(() => host.reset());

describe('paging', () => {
  const pages = {
    undefined: { items: [1, 2], nextCursor: 'c2' },
    c2: { items: [3], nextCursor: 'c3' },
    c3: { items: [], nextCursor: undefined },
  };

  test('walks every page, synchronously and asynchronously', async () => {
    const asked = [];
    host.modules['lockgate:connector/hr@0.2.0'].fetchEmployees = (q) => {
      asked.push(q);
      return pages[q.cursor];
    };
    assert.deepEqual([...sdk.hr.employees({ department: 'Sales' })], [1, 2, 3]);
    assert.deepEqual(asked[0], { limit: 500, department: 'Sales' });
    assert.deepEqual(asked.map((q) => q.cursor), [undefined, 'c2', 'c3']);
    const seen = [];
    for await (const e of sdk.hr.employees()) seen.push(e);
    assert.deepEqual(seen, [1, 2, 3]);
  });

  test('gives whole pages and the cursor to continue from', () => {
    host.modules['lockgate:connector/hr@0.2.0'].fetchEmployees = (q) => pages[q.cursor];
    const employees = sdk.hr.employees();
    assert.equal(employees.cursor, undefined);
    assert.deepEqual(employees.nextPage(), [1, 2]);
    assert.equal(employees.cursor, 'c2');
    assert.deepEqual(employees.nextPage(), [3]);
    assert.equal(employees.nextPage(), undefined);
    assert.equal(employees.cursor, undefined);
  });

  test('a page after a break returns the rest of the current one', () => {
    host.modules['lockgate:connector/hr@0.2.0'].fetchEmployees = (q) => pages[q.cursor];
    const employees = sdk.hr.employees();
    for (const e of employees) {
      assert.equal(e, 1);
      break;
    }
    assert.deepEqual(employees.nextPage(), [2]);
  });

  test('a refused page throws a HostError once, then ends', () => {
    host.modules['lockgate:connector/hr@0.2.0'].fetchAbsences = () => {
      throw hostError('denied', 'absences.read not granted');
    };
    const absences = sdk.hr.absences({ from: '2026-01-01', to: '2026-12-31' });
    assert.throws(
      () => [...absences],
      (e) => e instanceof sdk.HostError && e.kind === 'denied' && e.detail === 'absences.read not granted',
    );
    assert.deepEqual([...absences], []);
  });

  test('absence queries default to every status', () => {
    let asked;
    host.modules['lockgate:connector/hr@0.2.0'].fetchAbsences = (q) => {
      asked = q;
      return { items: [] };
    };
    [...sdk.hr.absences({ from: '2026-01-01', to: '2026-12-31' })];
    assert.deepEqual(asked, { limit: 500, statuses: [], from: '2026-01-01', to: '2026-12-31' });
  });
});

describe('outcomes', () => {
  test('are sent in batches of 500 and remember failed employees', () => {
    const batches = [];
    host.modules['lockgate:connector/outcomes@0.2.0'].reportBatch = (b) => batches.push(b);
    const rows = new sdk.Outcomes();
    for (let i = 0; i < 1001; i += 1) {
      rows.push(i % 400 === 0 ? sdk.Outcome.failed(`e-${i}`, 'update', 'no') : sdk.Outcome.success(`e-${i}`, 'update', 'ok'));
    }
    assert.deepEqual(batches.map((b) => b.length), [500, 500]);
    assert.deepEqual([...rows.finishFailed()], ['e-0', 'e-400', 'e-800']);
    assert.deepEqual(batches.map((b) => b.length), [500, 500, 1]);
    assert.deepEqual(Object.keys(batches[0][0]).sort(), ['employeeId', 'message', 'operation', 'partnerBody', 'partnerStatus', 'status']);
  });

  test('a partner body is cut at 4 KiB on a character boundary', () => {
    const body = 'ä'.repeat(3000);
    const row = sdk.Outcome.failed('e-1', 'update', 'no').withPartner(422, new TextEncoder().encode(body));
    assert.equal(row.partnerStatus, 422);
    assert.equal(row.partnerBody, `${'ä'.repeat(2048)}…`);
    assert.equal(sdk.Outcome.success('e-1', 'update', 'ok').withPartner(201).partnerBody, undefined);
  });

  test('rows left in a batcher are sent when the entry point returns', async () => {
    const batches = [];
    host.modules['lockgate:connector/outcomes@0.2.0'].reportBatch = (b) => batches.push(b);
    const world = sdk.exportConnector({
      sync() {
        new sdk.Outcomes().push(sdk.Outcome.success('e-1', 'update', 'ok'));
      },
    });
    await world.sync('manual');
    assert.equal(batches.length, 1);
  });
});

describe('errors', () => {
  const world = (sync) => sdk.exportConnector({ sync });
  const payloadOf = async (sync) => {
    try {
      await world(sync).sync('manual');
    } catch (e) {
      return e.payload;
    }
    assert.fail('the entry point did not fail');
  };

  test('become the contract variant they say', async () => {
    assert.deepEqual(await payloadOf(() => { throw sdk.ConnectorError.config('url', 'is required'); }), {
      tag: 'config',
      val: [{ field: 'url', message: 'is required' }],
    });
    assert.deepEqual(await payloadOf(() => { throw sdk.ConnectorError.partner(503, 'down', 'maintenance'); }), {
      tag: 'partner',
      val: { status: 503, message: 'down', body: 'maintenance' },
    });
    assert.deepEqual(await payloadOf(async () => { throw new sdk.HostError('not-found', 'e-1'); }), {
      tag: 'host',
      val: { tag: 'not-found', val: 'e-1' },
    });
    assert.deepEqual(await payloadOf(() => { throw new sdk.HttpError('denied', 'host not granted'); }), {
      tag: 'unreachable',
      val: 'request denied by the host: host not granted',
    });
    assert.deepEqual(await payloadOf(() => { throw new TypeError('x is undefined'); }), { tag: 'other', val: 'x is undefined' });
    assert.deepEqual(
      await payloadOf(async () => { throw new TypeError('NetworkError when attempting to fetch resource'); }),
      { tag: 'unreachable', val: 'fetch: NetworkError when attempting to fetch resource' },
    );
    assert.deepEqual(await payloadOf(() => { throw 'plain'; }), { tag: 'other', val: 'plain' });
  });

  test('validateConfig returns field errors, or throws them', async () => {
    const problems = async (validateConfig, entries) => {
      try {
        await sdk.exportConnector({ sync() {}, validateConfig }).validateConfig(entries);
        return [];
      } catch (e) {
        return e.payload;
      }
    };
    assert.deepEqual(await problems((c) => (c.get('a') === 'x' ? [sdk.fieldError('a', 'not x')] : []), [['a', 'x']]), [
      { field: 'a', message: 'not x' },
    ]);
    assert.deepEqual(await problems((c) => { c.integer('n'); }, [['n', '1.5']]), [
      { field: 'n', message: '"1.5" is not a whole number' },
    ]);
    assert.deepEqual(await problems(() => {}, []), []);
  });

  test('a module without a connector is refused at build time', () => {
    assert.throws(() => sdk.exportConnector({}), /export default defineConnector/);
  });
});

describe('config', () => {
  test('typed access names the field of a bad value', () => {
    const c = sdk.Config.of([
      ['n', ' 42 '],
      ['x', '1.5'],
      ['b', 'true'],
      ['bad', 'yes'],
      ['blank', '  '],
    ]);
    assert.equal(c.integer('n'), 42);
    assert.equal(c.number('x'), 1.5);
    assert.equal(c.boolean('b'), true);
    assert.equal(c.integer('missing'), undefined);
    assert.equal(c.string('blank'), undefined);
    assert.throws(() => c.boolean('bad'), (e) => e.value.tag === 'config' && e.value.val[0].field === 'bad');
    assert.throws(() => c.integer('x'), /x: "1.5" is not a whole number/);
    assert.throws(() => c.require('blank'), /blank: is required/);
    assert.throws(() => c.number('b'), /b: "true" is not a number/);
  });

  test('reads the install through the host', () => {
    host.modules['lockgate:connector/config@0.2.0'].get = (k) => (k === 'count' ? '7' : undefined);
    assert.equal(sdk.config.requireInteger('count'), 7);
    assert.throws(() => sdk.config.require('url'), /url: is required/);
  });
});

describe('state', () => {
  test('the cursor keeps the Rust SDK layout', () => {
    let saved;
    host.modules['lockgate:connector/state@0.2.0'].set = (v) => { saved = v; };
    host.modules['lockgate:connector/state@0.2.0'].get = () => saved;
    assert.equal(sdk.Cursor.load().isFirst, true);
    sdk.Cursor.advance('2026-11-23T08:00:00.000000Z', new Set(['e-2', 'e-1']));
    assert.equal(saved, '{"since":"2026-11-23T08:00:00.000000Z","retry":["e-1","e-2"]}');
    const cursor = sdk.Cursor.load();
    assert.equal(cursor.since, '2026-11-23T08:00:00.000000Z');
    assert.deepEqual([...cursor.retry], ['e-1', 'e-2']);
    saved = 'not json';
    assert.equal(sdk.Cursor.load().isFirst, true);
  });

  test('a refused checkpoint throws a HostError', () => {
    host.modules['lockgate:connector/state@0.2.0'].checkpoint = () => {
      throw hostError('limit-exceeded', 'state is at most 64 KiB');
    };
    assert.throws(() => sdk.state.checkpoint('x'), (e) => e instanceof sdk.HostError && e.kind === 'limit-exceeded');
  });
});

describe('dates', () => {
  test('round trip and arithmetic', () => {
    for (const date of ['1970-01-01', '2000-02-29', '2026-11-23', '2027-05-31', '1969-12-31']) {
      assert.equal(sdk.dates.fromDays(sdk.dates.toDays(date)), date);
    }
    assert.equal(sdk.dates.addDays('2026-11-23', 183), '2027-05-25');
    assert.equal(sdk.dates.addDays('2024-03-01', -1), '2024-02-29');
    assert.equal(sdk.dates.toDays('2026-13-01'), undefined);
  });

  test('now is RFC 3339 with microseconds, from the wall clock', () => {
    host.modules['wasi:clocks/wall-clock@0.2.12'].now = () => ({ seconds: 1_795_392_000n + 3_723n, nanoseconds: 5_000 });
    assert.equal(sdk.dates.now(), '2026-11-23T01:02:03.000005Z');
    assert.equal(sdk.dates.today(), '2026-11-23');
  });
});

test('http.encode escapes all but unreserved characters, byte by byte', () => {
  assert.equal(sdk.http.encode('Van den Berg'), 'Van%20den%20Berg');
  assert.equal(sdk.http.encode('Zoë-a_b.c~/?'), 'Zo%C3%AB-a_b.c~%2F%3F');
});
