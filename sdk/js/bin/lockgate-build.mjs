#!/usr/bin/env node
// lockgate-build: turns a TypeScript or JavaScript connector into one `.wasm`
// component of the `connector` world, with its connector.toml embedded as
// the `lockgate-manifest` custom section.
//
// Steps: the contract's declarations are generated from the WIT this
// package carries (when it changed); the connector and this SDK are type
// checked against them (tsc); esbuild bundles the connector with this SDK
// into one ES module; componentize-js embeds it in the SpiderMonkey engine
// as a component; the manifest is appended.

import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { PACKAGE_DIR, TYPES_DIR, WIT_DIR, generateTypes } from '../scripts/gen-types.mjs';

const MANIFEST_SECTION = 'lockgate-manifest';
/** The host refuses a larger manifest section. */
const MANIFEST_LIMIT = 64 * 1024;
const SDK_ENTRY = join(PACKAGE_DIR, 'src', 'index.ts');
const SDK_WORLD = join(PACKAGE_DIR, 'src', 'connector.ts');
const EXPORTS = ['validateConfig', 'checkConnection', 'sync', 'onEvent', 'handleWebhook'];

const USAGE = `Usage: lockgate-build [DIR] [-o OUT.wasm] [--entry FILE] [--no-check] [--quiet]

Builds the connector in DIR (default: the current folder) into one .wasm:
DIR/connector.toml is the manifest; the entry module is --entry, else
package.json's "main", else src/index.ts, src/index.js, index.ts or index.js.
Its default export is the connector: export default defineConnector({ sync() {…} }).
The output defaults to DIR/dist/<id>.wasm (the id from connector.toml).

  -o, --out FILE   where to write the component
  --entry FILE     the connector's entry module
  --no-check       skip the type check (tsc)
  --quiet          print nothing but errors`;

class BuildError extends Error {}

function parseArgs(argv) {
  const opts = { dir: '.', out: undefined, entry: undefined, check: true, quiet: false };
  let dirSeen = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('-')) throw new BuildError(`${arg} needs a value\n\n${USAGE}`);
      i += 1;
      return v;
    };
    if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (arg === '-o' || arg === '--out') opts.out = value();
    else if (arg === '--entry') opts.entry = value();
    else if (arg === '--no-check') opts.check = false;
    else if (arg === '--quiet') opts.quiet = true;
    else if (arg.startsWith('-')) throw new BuildError(`unknown option ${arg}\n\n${USAGE}`);
    else if (!dirSeen) {
      opts.dir = arg;
      dirSeen = true;
    } else throw new BuildError(`one folder only, got ${opts.dir} and ${arg}\n\n${USAGE}`);
  }
  return opts;
}

async function readManifest(dir) {
  const path = join(dir, 'connector.toml');
  let bytes;
  try {
    bytes = await readFile(path);
  } catch {
    throw new BuildError(
      `no connector.toml in ${dir}: the manifest (id, version, names, config form, hosts) must sit beside the connector's package.json`,
    );
  }
  if (bytes.length === 0) throw new BuildError(`${path} is empty`);
  if (bytes.length > MANIFEST_LIMIT) {
    throw new BuildError(`${path} has ${bytes.length} bytes; the host takes at most ${MANIFEST_LIMIT}`);
  }
  // The id names the default output; the host checks the whole manifest.
  const id = /^\s*id\s*=\s*"([^"]+)"/m.exec(bytes.toString('utf8'))?.[1];
  return { bytes, id };
}

async function findEntry(dir, given) {
  if (given !== undefined) {
    const path = resolve(given);
    if (!existsSync(path)) throw new BuildError(`--entry ${given}: no such file`);
    return path;
  }
  const pkgPath = join(dir, 'package.json');
  if (existsSync(pkgPath)) {
    let pkg;
    try {
      pkg = JSON.parse(await readFile(pkgPath, 'utf8'));
    } catch (e) {
      throw new BuildError(`${pkgPath} is not JSON: ${e.message}`);
    }
    if (typeof pkg.main === 'string') {
      const path = join(dir, pkg.main);
      if (!existsSync(path)) throw new BuildError(`${pkgPath}: "main" names ${pkg.main}, which does not exist`);
      return path;
    }
  }
  for (const candidate of ['src/index.ts', 'src/index.js', 'index.ts', 'index.js']) {
    const path = join(dir, candidate);
    if (existsSync(path)) return path;
  }
  throw new BuildError(
    `no entry module in ${dir}: give --entry FILE, set "main" in package.json, or create src/index.ts`,
  );
}

/** Type checks the connector and the SDK against the contract's declarations. */
async function typeCheck(entry, work) {
  const tsconfig = {
    compilerOptions: {
      target: 'es2022',
      module: 'esnext',
      moduleResolution: 'bundler',
      lib: ['es2022', 'esnext.disposable', 'dom'],
      strict: true,
      noEmit: true,
      allowJs: true,
      checkJs: false,
      skipLibCheck: false,
      isolatedModules: true,
      types: [],
      paths: { '@lockgate/connector': [SDK_ENTRY] },
    },
    files: [entry],
    include: [join(TYPES_DIR, '**', '*.d.ts')],
  };
  const path = join(work, 'tsconfig.json');
  await writeFile(path, JSON.stringify(tsconfig, null, 2));
  // Wherever npm put it: beside this package when installed from a
  // tarball, inside it when installed from a folder.
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', path, '--pretty', 'false'], {
    encoding: 'utf8',
  });
  if (result.error) throw new BuildError(`cannot run tsc: ${result.error.message}`);
  if (result.status !== 0) {
    throw new BuildError(
      `type errors (fix them, or build with --no-check):\n${(result.stdout + result.stderr).trim()}`,
    );
  }
}

/** Bundles the connector, this SDK and the world's exports into one ES module. */
async function bundle(entry, dir, work) {
  const esbuild = await import('esbuild');
  const out = join(work, 'connector.js');
  const world = relative(work, SDK_WORLD);
  const source = [
    `import connector from ${JSON.stringify(entry)};`,
    `import { exportConnector } from ${JSON.stringify(SDK_WORLD)};`,
    'const world = exportConnector(connector);',
    ...EXPORTS.map((name) => `export function ${name}(...args) { return world.${name}(...args); }`),
  ].join('\n');
  const sdk = {
    name: 'lockgate-sdk',
    setup(build) {
      // The SDK that builds is the SDK that is bundled: same contract.
      build.onResolve({ filter: /^@lockgate\/connector$/ }, () => ({ path: SDK_ENTRY }));
    },
  };
  try {
    await esbuild.build({
      stdin: { contents: source, resolveDir: dir, sourcefile: 'lockgate-entry.js', loader: 'js' },
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      target: 'es2022',
      outfile: out,
      external: ['lockgate:*', 'wasi:*'],
      plugins: [sdk],
      logLevel: 'silent',
      legalComments: 'none',
    });
  } catch (e) {
    const messages = (e.errors ?? [])
      .map((m) => `${m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : ''}${m.text}`)
      .join('\n');
    throw new BuildError(`bundling failed (${world}):\n${messages || e.message}`);
  }
  return out;
}

function leb128(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return Buffer.from(out);
}

/** A custom section at the end of the component: 0x00, size, name, data. */
function customSection(name, data) {
  const nameBytes = Buffer.from(name, 'utf8');
  const payload = Buffer.concat([leb128(nameBytes.length), nameBytes, data]);
  return Buffer.concat([Buffer.from([0]), leb128(payload.length), payload]);
}

export async function build(opts) {
  const started = Date.now();
  const dir = resolve(opts.dir);
  if (!existsSync(dir) || !(await stat(dir)).isDirectory()) {
    throw new BuildError(`${opts.dir} is not a folder`);
  }
  const manifest = await readManifest(dir);
  const entry = await findEntry(dir, opts.entry);
  const out = resolve(opts.out ?? join(dir, 'dist', `${manifest.id ?? basename(dir)}.wasm`));
  await generateTypes();
  const work = await mkdtemp(join(tmpdir(), 'lockgate-build-'));
  try {
    if (opts.check) await typeCheck(entry, work);
    const js = await bundle(entry, dir, work);
    const { componentize } = await import('@bytecodealliance/componentize-js');
    let component;
    try {
      ({ component } = await componentize({
        sourcePath: js,
        witPath: WIT_DIR,
        worldName: 'connector',
      }));
    } catch (e) {
      throw new BuildError(`componentize-js failed: ${e.message ?? e}`);
    }
    const wasm = Buffer.concat([Buffer.from(component), customSection(MANIFEST_SECTION, manifest.bytes)]);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, wasm);
    if (!opts.quiet) {
      const mb = (wasm.length / (1 << 20)).toFixed(1);
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      const shown = relative(process.cwd(), out);
      const where = shown.startsWith('..') ? out : shown;
      console.log(`built ${where} (${mb} MiB) from ${relative(dir, entry)} in ${secs} s`);
    }
    return out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  try {
    await build(parseArgs(process.argv.slice(2)));
  } catch (e) {
    console.error(`lockgate-build: ${e instanceof BuildError ? e.message : e.stack ?? e}`);
    process.exit(1);
  }
}

