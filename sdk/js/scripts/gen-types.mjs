// Generates the TypeScript declarations of the contract (one `declare module`
// per WIT interface, e.g. 'lockgate:connector/hr@0.2.0') from the WIT this
// package carries, into types/generated/. The SDK's sources are checked
// against them on every build, so the SDK cannot drift from the contract.
//
// Usage: node scripts/gen-types.mjs   (lockgate-build runs it when the WIT
// changed; the output is not committed)

import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const WIT_DIR = join(PACKAGE_DIR, 'wit');
export const TYPES_DIR = join(PACKAGE_DIR, 'types', 'generated');
const STAMP = join(TYPES_DIR, '.wit-digest');

/** SHA-256 over every file of the WIT folder, names included. */
export async function witDigest(dir = WIT_DIR) {
  const hash = createHash('sha256');
  const walk = async (d) => {
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const e of entries) {
      const path = join(d, e.name);
      if (e.isDirectory()) {
        await walk(path);
      } else {
        hash.update(relative(dir, path));
        hash.update('\0');
        hash.update(await readFile(path));
        hash.update('\0');
      }
    }
  };
  await walk(dir);
  return hash.digest('hex');
}

/**
 * Writes the declarations unless they are current; returns the folder.
 * jco-transpile reads the WIT through its WASI filesystem shim, which grants
 * no folder unless told: the shim instance jco-transpile itself loads is
 * given the one folder it needs.
 */
export async function generateTypes({ force = false } = {}) {
  const digest = await witDigest();
  if (!force) {
    const previous = await readFile(STAMP, 'utf8').catch(() => '');
    if (previous === digest) return TYPES_DIR;
  }
  const require = createRequire(import.meta.url);
  const transpile = require.resolve('@bytecodealliance/jco-transpile');
  const shim = createRequire(transpile).resolve('@bytecodealliance/preview2-shim/filesystem');
  const filesystem = await import(pathToFileURL(shim).href);
  filesystem._setPreopens({ [WIT_DIR]: WIT_DIR });
  const { generateGuestTypes } = await import('@bytecodealliance/jco-transpile');
  let files;
  try {
    files = await generateGuestTypes(WIT_DIR, { worldName: 'connector', outDir: `${TYPES_DIR}/` });
  } finally {
    filesystem._clearPreopens();
  }
  await rm(TYPES_DIR, { recursive: true, force: true });
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
  await writeFile(STAMP, digest);
  return TYPES_DIR;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = await generateTypes({ force: process.argv.includes('--force') });
  console.log(`contract types in ${relative(process.cwd(), dir) || '.'}`);
}
