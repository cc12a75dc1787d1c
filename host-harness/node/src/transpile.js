// The component as JavaScript: jco's `transpile`, once per component, cached on disk under
// the component's SHA-256 (and jco's version), so a host that starts again imports the cached
// files at once.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/**
 * The installed version of a dependency: the package.json above its entry point (packages
 * whose `exports` hide their package.json included).
 *
 * @param {string} name
 */
export function packageVersion(name) {
  let dir = dirname(require.resolve(name));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      if (pkg.name === name) return /** @type {string} */ (pkg.version);
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json for ${name}`);
    dir = up;
  }
}

const JCO_VERSION = packageVersion('@bytecodealliance/jco');
const NAME = 'sms_plugin';

/** @type {Map<string, Transpiled>} Components this process imported (and compiled), by directory. */
const inProcess = new Map();

/** Where transpiled plugins are kept unless the host says otherwise. */
export const DEFAULT_CACHE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '.cache', 'transpiled');

/**
 * @typedef {object} Transpiled
 * @property {string} dir the directory of the transpiled files
 * @property {string} sha256 the component's hash
 * @property {'hit' | 'transpiled'} cache whether the files were there already
 * @property {(getCoreModule: (path: string) => WebAssembly.Module, imports: object) => any} instantiate
 * @property {(path: string) => WebAssembly.Module} getCoreModule compiles the core modules (once)
 */

/**
 * Transpiles (or finds in the cache) the component `bytes` and imports its bindings.
 *
 * @param {Uint8Array} bytes
 * @param {{ cacheDir?: string }} [options]
 * @returns {Promise<Transpiled>}
 */
export async function transpiled(bytes, { cacheDir = DEFAULT_CACHE_DIR } = {}) {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const dir = join(cacheDir, `${sha256}-jco${JCO_VERSION}`);
  const loaded = inProcess.get(dir);
  if (loaded) return { ...loaded, cache: 'hit' };
  const entry = join(dir, `${NAME}.js`);
  let cache = /** @type {'hit' | 'transpiled'} */ ('hit');
  if (!existsSync(join(dir, 'complete'))) {
    cache = 'transpiled';
    const { transpile } = await import('@bytecodealliance/jco');
    const { files } = await transpile(bytes, {
      name: NAME,
      // Imports are passed per instance (`instantiate(getCoreModule, imports)`), not bound to
      // module paths, and instantiating is synchronous.
      instantiation: 'sync',
      noTypescript: true,
      quiet: true,
    });
    // Written beside, then moved into place whole: another process never sees half of it.
    const staging = `${dir}.tmp-${process.pid}-${Date.now()}`;
    for (const [name, content] of Object.entries(files)) {
      const path = join(staging, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    }
    writeFileSync(join(staging, 'complete'), `${sha256}\n`);
    mkdirSync(cacheDir, { recursive: true });
    try {
      renameSync(staging, dir);
    } catch (e) {
      // Another process got there first: theirs is the same.
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(join(dir, 'complete'))) throw e;
    }
  }
  const { instantiate } = await import(pathToFileURL(entry).href);
  /** @type {Map<string, WebAssembly.Module>} */
  const modules = new Map();
  const getCoreModule = (/** @type {string} */ path) => {
    let module = modules.get(path);
    if (!module) {
      module = new WebAssembly.Module(readFileSync(join(dir, path)));
      modules.set(path, module);
    }
    return module;
  };
  const result = { dir, sha256, cache, instantiate, getCoreModule };
  inProcess.set(dir, result);
  return result;
}
