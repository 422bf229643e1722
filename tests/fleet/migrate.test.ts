import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fleetMigrationsDir, migrateFleet } from '../../src/fleet/migrate.js';
import { connectFleet, fleetTarget, type FleetDb } from '../../src/fleet/pg.js';
import { loadMigrations } from '../../src/store/migrate.js';
import { StoreError } from '../../src/store/errors.js';
import { startPostgres, type TestPostgres } from '../../bench/postgres.js';

let pg: TestPostgres;
const dir = mkdtempSync(join(tmpdir(), 'pinaudit-fleet-migrate-'));
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(() => {
  pg?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function connect(url: string): Promise<FleetDb> {
  return await connectFleet(fleetTarget(url, {}));
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(StoreError);
  return (err as StoreError).code;
}

describe('fleet migrations', () => {
  test('a fresh database gets every migration once; running again applies nothing', async () => {
    const db = await connect(pg.createDatabase('fresh'));
    try {
      const first = await migrateFleet(db);
      expect(first.applied).toEqual(loadMigrations(fleetMigrationsDir()).map((m) => m.name));
      const again = await migrateFleet(db);
      expect(again.applied).toEqual([]);
      expect(again.current).toEqual(first.applied);
      const tables = await db.query<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public'");
      expect(tables.map((r) => r.t)).toEqual(expect.arrayContaining(['instance', 'requests', 'daily_rollup', 'tunnel_days']));
    } finally {
      await db.close();
    }
  });

  test('instances migrating at the same time apply each migration once', async () => {
    const url = pg.createDatabase('racing');
    const dbs = await Promise.all([connect(url), connect(url), connect(url)]);
    try {
      const reports = await Promise.all(dbs.map((db) => migrateFleet(db)));
      const applied = reports.flatMap((r) => r.applied);
      expect(applied.sort()).toEqual(loadMigrations(fleetMigrationsDir()).map((m) => m.name).sort());
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  });

  test('a database from a newer pinaudit, or with an edited migration, is refused and left alone', async () => {
    const url = pg.createDatabase('drift');
    const migrations = join(dir, 'migrations');
    cpSync(fleetMigrationsDir(), migrations, { recursive: true });
    writeFileSync(join(migrations, '900-later.sql'), 'CREATE TABLE later (x BIGINT);');
    const db = await connect(url);
    try {
      await migrateFleet(db, { dir: migrations });
      // This pinaudit lacks 900: the database is newer.
      const newer = await migrateFleet(db).then(() => null, (e: unknown) => e as StoreError);
      expect(newer?.code).toBe('DB_NEWER');
      expect(newer?.message).toContain('900-later.sql');
      expect(newer?.message).not.toContain('--data-dir');
      appendFileSync(join(migrations, '001-fleet.sql'), '\n-- edited\n');
      expect(await codeOf(migrateFleet(db, { dir: migrations }))).toBe('DB_CHANGED');
      // Checking only (apply: false) on a database lacking migrations says how to upgrade it.
      const empty = await connect(pg.createDatabase('empty'));
      try {
        const lacking = await migrateFleet(empty, { apply: false }).then(() => null, (e: unknown) => e as StoreError);
        expect(lacking?.code).toBe('DB_CHANGED');
        expect(lacking?.message).toContain('pinaudit fleet migrate');
      } finally {
        await empty.close();
      }
    } finally {
      await db.close();
    }
  });

  test('a failing migration is rolled back whole', async () => {
    const url = pg.createDatabase('broken');
    const migrations = join(dir, 'broken');
    cpSync(fleetMigrationsDir(), migrations, { recursive: true });
    writeFileSync(join(migrations, '901-broken.sql'), 'CREATE TABLE half (x BIGINT);\nSELECT no_such_function();');
    const db = await connect(url);
    try {
      expect(await codeOf(migrateFleet(db, { dir: migrations }))).toBe('MIGRATION_FAILED');
      const half = await db.query("SELECT to_regclass('half') IS NULL AS gone");
      expect(half[0]?.gone).toBe(true);
      const recorded = await db.query('SELECT id FROM schema_migrations WHERE id = 901');
      expect(recorded).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
