import { cpSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { findMigrationsDir } from '../../src/store/migrate.js';

/**
 * A copy, under `dir`, of the local migrations numbered up to `last` (and everything else in the
 * folder), for a database as an older pinaudit left it.
 */
export function migrationsUpTo(dir: string, last: number): string {
  const from = findMigrationsDir();
  const to = join(dir, `migrations-upto-${String(last).padStart(3, '0')}`);
  cpSync(from, to, {
    recursive: true,
    filter: (src) => dirname(src) !== from || !/^\d{3}-.*\.sql$/.test(basename(src)) || Number(basename(src).slice(0, 3)) <= last,
  });
  return to;
}
