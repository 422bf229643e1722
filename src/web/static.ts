/**
 * Static files: the `dashboard/` folder and the chart library from node_modules, served locally
 * (a privacy tool loads nothing from the internet). Paths are matched against a strict pattern
 * and resolved inside the root, so `..`, encoded slashes and dot files never reach the disk.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

const SAFE_PATH = /^\/(?:[a-z0-9][a-z0-9_-]*\/)*[a-z0-9][a-z0-9_.-]*\.[a-z]+$/i;

/** A file to send: its bytes and content type. */
export interface StaticFile {
  body: Buffer;
  type: string;
}

/**
 * The project's `dashboard/` folder, found by walking up from this module to the directory that
 * holds both `package.json` and `dashboard/index.html` (works from `src/web/` and `dist/src/web/`).
 */
export function findDashboardDir(fromUrl: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'dashboard', 'index.html'))) {
      return join(dir, 'dashboard');
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no dashboard/ folder found above ${fileURLToPath(fromUrl)}`);
    dir = parent;
  }
}

/** Chart.js's self-contained browser build (UMD: defines `window.Chart`, no imports to resolve). */
export function chartLibraryPath(): string {
  const entry = createRequire(import.meta.url).resolve('chart.js');
  return join(dirname(entry), 'chart.umd.min.js');
}

/** Reads files below one root for URL paths; `null` for anything not a safe, existing file. */
export class StaticRoot {
  readonly #root: string;

  constructor(root: string) {
    this.#root = resolve(root);
  }

  async read(urlPath: string): Promise<StaticFile | null> {
    if (!SAFE_PATH.test(urlPath) || urlPath.includes('..')) return null;
    const type = TYPES[extname(urlPath).toLowerCase()];
    if (type === undefined) return null;
    const file = resolve(this.#root, `.${urlPath}`);
    if (!file.startsWith(this.#root + sep)) return null;
    try {
      if (!statSync(file).isFile()) return null;
      return { body: await readFile(file), type };
    } catch (err: unknown) {
      if (isMissing(err)) return null;
      throw err;
    }
  }
}

function isMissing(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null && 'code' in err ? (err as { code: unknown }).code : null;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
