import { cpSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { findMigrationsDir } from '../../src/store/migrate.js';
import type { Database } from '../../src/store/db.js';

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

/** Entries an index holds, counted in its leaf pages (SQLite's dbstat). */
export const indexEntries = (db: Database, index: string): number =>
  db.prepare("SELECT coalesce(sum(ncell), 0) FROM dbstat WHERE name = ? AND pagetype = 'leaf'").pluck().get(index) as number;
