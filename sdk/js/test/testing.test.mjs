// @lockgate/connector/testing as a partner uses it: a connector module
// (fixtures/demo/index.ts), loaded and driven against a TestHost.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  ConnectorFailed,
  TestHost,
  departure,
  employee,
  loadConnector,
  noResponse,
  reply,
  replyJson,
  webhook,
} from '@lockgate/connector/testing';

const connector = await loadConnector(new URL('./fixtures/demo/index.ts', import.meta.url));
const PARTNER = 'https://api.partner.example';

/** A host with the partner's address, and a partner that accepts everyone but e-3. */
function host() {
  return new TestHost()
    .config('partner-url', PARTNER)
    .onHttp((request) => (request.path.endsWith('/e-3') ? replyJson(422, { error: 'no e-mail' }) : reply(200)));
}

const ids = (rows) => rows.map((r) => [r.employeeId, r.status]);

describe('a sync', () => {
  test('pages every employee and records rows, requests and the log', async () => {
    const h = host().pageSize(2).employees([1, 2, 3, 4, 5].map((n) => employee(`e-${n}`, 'Ada', `Nr ${n}`)));
    await h.sync(connector, 'initial');
    assert.deepEqual(
      h.requests().map((r) => r.path),
      ['/people/e-1', '/people/e-2', '/people/e-3', '/people/e-4', '/people/e-5'],
    );
    const [first] = h.requests();
    assert.deepEqual([first.method, first.host, first.header('Content-Type')], ['PUT', 'api.partner.example', 'application/json']);
    assert.deepEqual(first.json(), { id: 'e-1' });
    const rows = h.outcomes();
    assert.deepEqual(ids(rows)[2], ['e-3', 'failed']);
    assert.equal(rows[2].partnerStatus, 422);
    assert.equal(rows[2].partnerBody, '{"error":"no e-mail"}');
    assert.equal(rows.filter((r) => r.status === 'success').length, 4);
    assert.deepEqual(h.log(), [{ level: 'info', message: 'sent 5 employee(s)' }]);
  });

  test('keeps its state for the next, which sends changes only', async () => {
    const h = host().clock('2026-11-23T08:00:00Z').employees([employee('e-1', 'Ada', 'Lovelace'), employee('e-3', 'Alan', 'Turing')]);
    await h.sync(connector, 'initial');
    assert.deepEqual(h.stateJson(), { since: '2026-11-23T08:00:00.000000Z', retry: ['e-3'] });
    h.clearRecords()
      .clock('2026-11-24T08:00:00Z')
      .employees([{ ...employee('e-2', 'Grace', 'Hopper'), updatedAt: '2026-11-23T12:00:00Z' }]);
    await h.sync(connector, 'scheduled');
    assert.deepEqual(ids(h.outcomes()), [['e-2', 'success']]);
    assert.equal(h.stateJson().since, '2026-11-24T08:00:00.000000Z');
  });

  test('that fails keeps the previous state; a malformed value names its field', async () => {
    const saved = '{"since":"2026-01-02T00:00:00Z","retry":[]}';
    const h = host().setState(saved).config('remove-leavers', 'sometimes').employees([employee('e-1', 'Ada', 'Lovelace', { updatedAt: '2026-02-01T00:00:00Z' })]);
    await assert.rejects(h.sync(connector), (e) => {
      assert.ok(e instanceof ConnectorFailed);
      assert.deepEqual(e.value, { tag: 'config', val: [{ field: 'remove-leavers', message: '"sometimes" is neither true nor false' }] });
      return true;
    });
    assert.equal(h.state(), saved);
  });

  test('removes who left since the last run', async () => {
    const h = host()
      .setState('{"since":"2026-03-01T00:00:00Z"}')
      .departures([departure('e-7', '2026-02-01T00:00:00Z'), departure('e-9', '2026-03-05T00:00:00Z', 'excluded')]);
    await h.sync(connector);
    assert.deepEqual(h.requests().map((r) => [r.method, r.path]), [['DELETE', '/people/e-9']]);
    assert.equal(h.outcomes()[0].operation, 'deprovision');
  });
});

describe('http', () => {
  test('a denied host is a denial and reaches no partner', async () => {
    const h = host().deny('api.partner.example');
    await assert.rejects(h.checkConnection(connector), (e) => e.value.tag === 'unreachable' && e.value.val.startsWith('request denied by the host'));
    assert.deepEqual(h.requests(), []);
  });

  test('throttling is retried, counted rather than waited', async () => {
    const answers = [429, 503, 200];
    const h = new TestHost()
      .config('partner-url', PARTNER)
      .employees([employee('e-1', 'Ada', 'Lovelace')])
      .onHttp(() => reply(answers.shift() ?? 200, '', [['retry-after', '2']]));
    await h.sync(connector);
    assert.equal(h.requests().length, 3);
    assert.equal(h.sleptMs(), 4000);
    assert.deepEqual(ids(h.outcomes()), [['e-1', 'success']]);
  });

  test('no response, no handler and plain HTTP fail as the real host makes them fail', async () => {
    const h = new TestHost().config('partner-url', PARTNER).onHttp(() => noResponse('connection-timeout'));
    await assert.rejects(h.checkConnection(connector), (e) => e.value.tag === 'unreachable' && e.value.val === 'timed out');
    const silent = new TestHost().config('partner-url', PARTNER);
    await assert.rejects(silent.checkConnection(connector), (e) => /no answer for GET https:\/\/api\.partner\.example\/ping/.test(e.value.val));
    const plain = host().config('partner-url', 'http://api.partner.example');
    await assert.rejects(plain.checkConnection(connector), (e) => e.value.val.startsWith('request denied by the host'));
  });
});

describe('the other entry points', () => {
  test('validateConfig sees the host config, or the entries given', async () => {
    const h = host().config('batch-size', '500');
    assert.deepEqual(await h.validateConfig(connector), [{ field: 'batch-size', message: 'is at most 100' }]);
    assert.deepEqual(await h.validateConfig(connector, [['batch-size', 'ten']]), [
      { field: 'batch-size', message: '"ten" is not a whole number' },
    ]);
    assert.deepEqual(await h.validateConfig(connector, [['batch-size', '50']]), []);
  });

  test('an event reads the employee; an unknown one is not found', async () => {
    const h = host().employees([employee('e-1', 'Ada', 'Lovelace')]);
    await h.onEvent(connector, { tag: 'employee-created', val: 'e-1' });
    assert.equal(h.requests()[0].path, '/people/e-1');
    await assert.rejects(h.onEvent(connector, { tag: 'employee-created', val: 'e-404' }), (e) =>
      e.value.tag === 'host' && e.value.val.tag === 'not-found' && e.value.val.val.includes('e-404'),
    );
  });

  test('a webhook creates an employee once per idempotency key', async () => {
    const h = host();
    const hire = () => webhook('POST', '/hire', '{"first":"Ada","last":"Lovelace","ref":"cand-1"}');
    const first = await h.handleWebhook(connector, hire());
    const again = await h.handleWebhook(connector, hire());
    assert.equal(first.status, 201);
    assert.deepEqual(again.body, first.body);
    assert.deepEqual(h.createdEmployees(), [{ employee: { firstName: 'Ada', lastName: 'Lovelace' }, id: 'new-1' }]);
    const refused = await h.handleWebhook(connector, webhook('POST', '/hire', '{"ref":"x"}'));
    assert.equal(refused.status, 422);
  });

  test('the SDK outside a host call says how to call it', async () => {
    const h = host();
    await h.run(() => {});
    assert.throws(() => globalThis[Symbol.for('@lockgate/connector/testing')].modules['lockgate:connector/config@0.2.0'].get('x'), /no TestHost is running a call/);
  });
});
