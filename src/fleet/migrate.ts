/**
 * Migrations of the fleet database: `migrations/postgres/NNN-name.sql`, checked and ordered by the
 * same rules as the local store's (src/store/migrate.ts: checksums, a database made by a newer
 * pinaudit refused), each applied in its own transaction. A session advisory lock, held from the
 * first check to the last migration, makes instances that start together apply each one once.
 */
import { join } from 'node:path';
import {
  findMigrationsDir,
  loadMigrations,
  pendingMigrations,
  StoreError,
  type AppliedRow,
  type Migration,
  type MigrationReport,
} from '../store/index.js';
import { messageOf } from '../errors.js';
import type { FleetDb } from './pg.js';

/** An arbitrary constant naming pinaudit's migration lock among the server's advisory locks. */
const MIGRATION_LOCK = 7_305_015;

/** The project's `migrations/postgres/` folder. */
export function fleetMigrationsDir(): string {
  return join(findMigrationsDir(), 'postgres');
}

/**
 * Applies the pending fleet migrations (or, with `apply: false`, only checks that none is pending).
 * Throws StoreError `DB_NEWER` / `DB_CHANGED` / `MIGRATION_FAILED` naming the server by its label.
 */
export async function migrateFleet(db: FleetDb, options: { dir?: string; apply?: boolean } = {}): Promise<MigrationReport> {
  const files = loadMigrations(options.dir ?? fleetMigrationsDir());
  const apply = options.apply ?? true;
  if (!apply) return await run(db, files, apply);
  await db.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    return await run(db, files, apply);
  } finally {
    if (!db.broken) await db.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
  }
}

async function run(db: FleetDb, files: readonly Migration[], apply: boolean): Promise<MigrationReport> {
  if (apply) {
    await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
  }
  const applied = await readApplied(db);
  const pending = pendingMigrations(applied, files, { database: db.label, elsewhere: 'choose another fleet database' });
  const report: MigrationReport = { applied: [], current: applied.map((m) => m.name) };
  if (!apply) {
    if (pending.length > 0) {
      throw new StoreError(
        'DB_CHANGED',
        `${db.label} lacks migrations ${pending.map((m) => m.name).join(', ')}; run "pinaudit fleet migrate" to upgrade it`,
      );
    }
    return report;
  }
  for (const m of pending) {
    try {
      await db.transaction(async () => {
        await db.query(m.sql);
        await db.query('INSERT INTO schema_migrations (id, name, checksum, applied_at) VALUES ($1, $2, $3, $4)', [
          m.id,
          m.name,
          m.checksum,
          Date.now(),
        ]);
      });
      report.applied.push(m.name);
    } catch (err: unknown) {
      throw new StoreError('MIGRATION_FAILED', `fleet migration ${m.name} failed and was rolled back: ${messageOf(err)}`, { cause: err });
    }
  }
  return report;
}

async function readApplied(db: FleetDb): Promise<AppliedRow[]> {
  const table = await db.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
  if (table[0]?.present !== true) return [];
  const rows = await db.query<{ id: string; name: string; checksum: string }>('SELECT id, name, checksum FROM schema_migrations ORDER BY id');
  return rows.map((r) => ({ id: Number(r.id), name: r.name, checksum: r.checksum }));
}
