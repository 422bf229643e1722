import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

test('outside src/store, the store is reached only through src/store/index.ts', () => {
  const offenders = files(SRC)
    .filter((f) => !relative(SRC, f).startsWith('store/'))
    .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/from '(\.{1,2}\/)+store\/([\w-]+)\.js'/g)]
      .filter((m) => m[2] !== 'index')
      .map((m) => `${relative(SRC, f)}: ${m[0]}`));
  expect(offenders).toEqual([]);
});
