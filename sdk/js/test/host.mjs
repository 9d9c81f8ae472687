// A stand-in for the host under the SDK's unit tests: the SDK is bundled
// with each contract import (`lockgate:…`, `wasi:…`) answered by the
// functions of `host.modules[specifier]`, which a test replaces at will.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import * as esbuild from 'esbuild';

import { PACKAGE_DIR } from '../scripts/gen-types.mjs';

/** What each import module offers; the values are replaced per test. */
export const host = {
  modules: {},
  reset() {
    const unset = (name) => () => {
      throw new Error(`the test gave the host no ${name}`);
    };
    const names = {
      'lockgate:connector/hr@0.2.0': ['fetchEmployees', 'getEmployee', 'fetchAbsences', 'getAbsence', 'createEmployee', 'fetchDepartures'],
      'lockgate:connector/attendances@0.2.0': ['fetchAttendances', 'getAttendance', 'createAttendance', 'updateAttendance', 'deleteAttendance'],
      'lockgate:connector/recruiting@0.2.0': ['createApplication'],
      'lockgate:connector/outcomes@0.2.0': ['report', 'reportBatch'],
      'lockgate:connector/config@0.2.0': ['get', 'getAll'],
      'lockgate:connector/state@0.2.0': ['get', 'set', 'checkpoint'],
      'lockgate:connector/log@0.2.0': ['log'],
      'wasi:clocks/wall-clock@0.2.12': ['now'],
      'wasi:clocks/monotonic-clock@0.2.12': ['subscribeDuration'],
      'wasi:http/outgoing-handler@0.2.12': ['handle'],
      'wasi:http/types@0.2.12': ['Fields', 'OutgoingRequest', 'OutgoingBody'],
    };
    this.modules = Object.fromEntries(
      Object.entries(names).map(([spec, fns]) => [
        spec,
        Object.fromEntries(fns.map((f) => [f, unset(`${spec}#${f}`)])),
      ]),
    );
    this.names = names;
  },
};
host.reset();
globalThis.__lockgateTestHost = host;

/** A host-error as the generated bindings throw it. */
export function hostError(tag, val) {
  return Object.assign(new Error(`${tag}: ${val}`), { payload: { tag, val } });
}

/** The SDK (src/index.ts and src/connector.ts) bundled against `host`. */
export async function loadSdk() {
  const work = await mkdtemp(join(tmpdir(), 'lockgate-sdk-test-'));
  const out = join(work, 'sdk.mjs');
  const fake = {
    name: 'fake-host',
    setup(build) {
      build.onResolve({ filter: /^(lockgate|wasi):/ }, (args) => ({ path: args.path, namespace: 'fake-host' }));
      build.onLoad({ filter: /.*/, namespace: 'fake-host' }, (args) => {
        const fns = host.names[args.path];
        if (fns === undefined) return { errors: [{ text: `no fake for ${args.path}` }] };
        const m = `globalThis.__lockgateTestHost.modules[${JSON.stringify(args.path)}]`;
        const lines = fns.map((f) =>
          /^[A-Z]/.test(f)
            ? `export const ${f} = new Proxy(function () {}, { get: (_, k) => ${m}.${f}[k], construct: (_, a) => new ${m}.${f}(...a), apply: (_, t, a) => ${m}.${f}(...a) });`
            : `export function ${f}(...a) { return ${m}.${f}(...a); }`,
        );
        return { contents: lines.join('\n'), loader: 'js' };
      });
    },
  };
  await esbuild.build({
    stdin: {
      contents: `export * from ${JSON.stringify(join(PACKAGE_DIR, 'src/index.ts'))};\nexport { exportConnector } from ${JSON.stringify(join(PACKAGE_DIR, 'src/connector.ts'))};\nexport { flushOpen } from ${JSON.stringify(join(PACKAGE_DIR, 'src/outcomes.ts'))};`,
      resolveDir: PACKAGE_DIR,
      loader: 'js',
    },
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    outfile: out,
    plugins: [fake],
    logLevel: 'silent',
  });
  try {
    return await import(pathToFileURL(out).href);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
