import { cpSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openDatabase, openRawConnection } from '../../src/store/db.js';
import { StoreError } from '../../src/store/errors.js';
import { findMigrationsDir, loadMigrations, migrate } from '../../src/store/migrate.js';
import { migrationsUpTo } from '../helpers/migrations.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-migrate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err: unknown) {
    expect(err).toBeInstanceOf(StoreError);
    return (err as StoreError).code;
  }
}

/** A private copy of the real migrations that a test may alter. */
function copyMigrations(): string {
  const copy = join(dir, 'migrations');
  cpSync(findMigrationsDir(), copy, { recursive: true });
  return copy;
}

/** A current database holding one identifier with a per-day row that points at it. */
function identifierWithDays(): { migrationsDir: string; path: string } {
  const migrationsDir = copyMigrations();
  const path = join(dir, 'a.db');
  openDatabase(path, { migrationsDir }).db.close();
  const raw = openRawConnection(path);
  raw.exec(`INSERT INTO identifiers (id, name, kind, value, first_seen, last_seen) VALUES (7, 'epik', 'click-id', 'E', 0, 0);
    INSERT INTO identifier_days (identifier_id, page_site, day, requests) VALUES (7, 'a.example', '2025-06-11', 2);`);
  raw.close();
  return { migrationsDir, path };
}

describe('migrations', () => {
  test('the folder is found from the source module and holds numbered files', () => {
    const files = loadMigrations(findMigrationsDir());
    expect(files.length).toBeGreaterThan(0);
    expect(files[0]?.name).toBe('001-initial.sql');
    expect(files[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  test('a fresh database gets every migration, WAL and foreign keys', () => {
    const { db, migrations } = openDatabase(join(dir, 'a.db'));
    try {
      expect(migrations.applied).toEqual(loadMigrations(findMigrationsDir()).map((m) => m.name));
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
      expect(tables).toEqual(expect.arrayContaining(['requests', 'identifiers', 'daily_rollup', 'tunnel_days', 'settings']));
    } finally {
      db.close();
    }
  });

  test('re-running is a no-op', () => {
    openDatabase(join(dir, 'a.db')).db.close();
    const { db, migrations } = openDatabase(join(dir, 'a.db'));
    try {
      expect(migrations.applied).toEqual([]);
      expect(migrations.current).toContain('001-initial.sql');
      expect(db.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(migrations.current.length);
    } finally {
      db.close();
    }
  });

  test('a new migration file is applied on the next open, which is announced as an upgrade; a new database is not', () => {
    const migrationsDir = copyMigrations();
    const upgrades: string[][] = [];
    const onUpgrade = (names: string[]): number => upgrades.push(names);
    openDatabase(join(dir, 'a.db'), { migrationsDir, onUpgrade }).db.close();
    openDatabase(join(dir, 'a.db'), { migrationsDir, onUpgrade }).db.close();
    expect(upgrades).toEqual([]);
    writeFileSync(join(migrationsDir, '900-extra.sql'), 'CREATE TABLE extra (x INTEGER);');
    const { db, migrations } = openDatabase(join(dir, 'a.db'), { migrationsDir, onUpgrade });
    db.close();
    expect(migrations.applied).toEqual(['900-extra.sql']);
    expect(upgrades).toEqual([['900-extra.sql']]);
  });

  test('an upgrade while another connection holds a read snapshot still opens (the log is emptied later)', () => {
    const migrationsDir = copyMigrations();
    const path = join(dir, 'a.db');
    openDatabase(path, { migrationsDir }).db.close();
    const reader = openRawConnection(path);
    reader.prepare('BEGIN').run();
    reader.prepare('SELECT count(*) FROM requests').get();
    try {
      writeFileSync(join(migrationsDir, '900-extra.sql'), 'CREATE TABLE extra (x INTEGER);');
      const { db, migrations } = openDatabase(path, { migrationsDir, busyTimeoutMs: 50 });
      db.close();
      expect(migrations.applied).toEqual(['900-extra.sql']);
    } finally {
      reader.prepare('COMMIT').run();
      reader.close();
    }
  });

  test('upgrading a 001 database fills the later roll-ups from what it holds', () => {
    const only001 = migrationsUpTo(dir, 1);
    const path = join(dir, 'a.db');
    const old = openDatabase(path, { migrationsDir: only001 });
    expect(old.migrations.applied).toEqual(['001-initial.sql']);
    const put = old.db.prepare(
      `INSERT INTO daily_rollup (day, page_site, category, decision, mode, requests, third_party, leaks, first_time, last_time)
       VALUES (?, ?, 'tag', 'allow', 'off', ?, ?, ?, 1, 2)`,
    );
    put.run('2025-06-10', 'a.example', 3, 3, 2);
    put.run('2025-06-10', 'b.example', 4, 4, 4);
    put.run('2025-06-11', 'a.example', 1, 1, 0);
    old.db
      .prepare(
        `INSERT INTO requests (flow_id, time, client, source, method, host, path, page_site, third_party, leak_level, tag_id)
         VALUES ('f1', ?, 'c', 'proxy', 'GET', 'ct.pinterest.com', '/v3/', 'a.example', 1, 'full-url', '26123')`,
      )
      .run(new Date(2025, 5, 11, 23, 30).getTime());
    old.db.close();
    const { db, migrations } = openDatabase(path);
    try {
      expect(migrations.applied).toContain('002-summary-rollups.sql');
      // 005 renamed `leaks` to `attempted`; 2025-06-10 has no raw rows and keeps its counts.
      expect(db.prepare('SELECT day, requests, third_party, attempted FROM daily_totals ORDER BY day').all()).toEqual([
        { day: '2025-06-10', requests: 7, third_party: 7, attempted: 6 },
        { day: '2025-06-11', requests: 1, third_party: 1, attempted: 1 },
      ]);
      // 003 fills the per-site detail roll-up from the raw rows, on the local day.
      expect(db.prepare('SELECT site, day, tag_id, requests, attempted FROM site_detail_days').all()).toEqual([
        { site: 'a.example', day: '2025-06-11', tag_id: '26123', requests: 1, attempted: 1 },
      ]);
    } finally {
      db.close();
    }
  });

  test('a failing migration is rolled back whole', () => {
    const migrationsDir = copyMigrations();
    writeFileSync(join(migrationsDir, '900-bad.sql'), 'CREATE TABLE half (x INTEGER);\nTHIS IS NOT SQL;');
    expect(codeOf(() => openDatabase(join(dir, 'a.db'), { migrationsDir }))).toBe('MIGRATION_FAILED');
    const raw = openRawConnection(join(dir, 'a.db'));
    try {
      expect(raw.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half'").pluck().get()).toBe(0);
      expect(raw.prepare("SELECT count(*) FROM schema_migrations WHERE name = '900-bad.sql'").pluck().get()).toBe(0);
    } finally {
      raw.close();
    }
  });

  test('a migration marked foreign_keys=off rebuilds a parent table without cascading, then keys are on again', () => {
    const { migrationsDir, path } = identifierWithDays();
    // identifier_days rows are deleted with their identifier (ON DELETE CASCADE): dropping the
    // old table with keys on would have taken them along.
    writeFileSync(
      join(migrationsDir, '900-rebuild.sql'),
      `-- pinaudit: foreign_keys=off
       CREATE TABLE identifiers_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
         first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, UNIQUE (name, kind, value));
       INSERT INTO identifiers_new SELECT * FROM identifiers;
       DROP TABLE identifiers;
       ALTER TABLE identifiers_new RENAME TO identifiers;`,
    );
    const { db, migrations } = openDatabase(path, { migrationsDir });
    try {
      expect(migrations.applied).toEqual(['900-rebuild.sql']);
      expect(db.prepare('SELECT identifier_id, requests FROM identifier_days').all()).toEqual([{ identifier_id: 7, requests: 2 }]);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    } finally {
      db.close();
    }
  });

  test('a foreign_keys=off migration that leaves a key pointing at nothing is rolled back, keys on again', () => {
    const { migrationsDir, path } = identifierWithDays();
    writeFileSync(join(migrationsDir, '900-dangling.sql'), '-- pinaudit: foreign_keys=off\nDELETE FROM identifiers;');
    const { db } = openDatabase(path);
    try {
      let message = '';
      try {
        migrate(db, { dir: migrationsDir });
      } catch (err: unknown) {
        expect((err as StoreError).code).toBe('MIGRATION_FAILED');
        message = (err as Error).message;
      }
      expect(message).toMatch(/900-dangling\.sql failed and was rolled back: 1 rows of identifier_days point at missing rows of identifiers/);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.prepare('SELECT count(*) FROM identifiers').pluck().get()).toBe(1);
      expect(db.prepare("SELECT count(*) FROM schema_migrations WHERE name = '900-dangling.sql'").pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });

  test('a changed migration file is refused with DB_CHANGED', () => {
    const migrationsDir = copyMigrations();
    openDatabase(join(dir, 'a.db'), { migrationsDir }).db.close();
    appendFileSync(join(migrationsDir, '001-initial.sql'), '\n-- edited\n');
    expect(codeOf(() => openDatabase(join(dir, 'a.db'), { migrationsDir }))).toBe('DB_CHANGED');
  });

  test('a database with migrations we do not know is refused with DB_NEWER, untouched', () => {
    openDatabase(join(dir, 'a.db')).db.close();
    const raw = openRawConnection(join(dir, 'a.db'));
    raw.prepare('INSERT INTO schema_migrations (id, name, checksum, applied_at) VALUES (999, ?, ?, 0)').run('999-future.sql', 'ab');
    raw.close();
    let err: unknown;
    try {
      openDatabase(join(dir, 'a.db'));
    } catch (e: unknown) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('DB_NEWER');
    expect((err as StoreError).message).toMatch(/newer pinaudit/);
  });

  test('a migration missing behind applied ones is refused', () => {
    const migrationsDir = copyMigrations();
    writeFileSync(join(migrationsDir, '900-extra.sql'), 'CREATE TABLE extra (x INTEGER);');
    openDatabase(join(dir, 'a.db'), { migrationsDir }).db.close();
    writeFileSync(join(migrationsDir, '500-late.sql'), 'CREATE TABLE late (x INTEGER);');
    expect(codeOf(() => openDatabase(join(dir, 'a.db'), { migrationsDir }))).toBe('DB_CHANGED');
  });

  test('a file that is not SQLite is refused with DB_CORRUPT', () => {
    const path = join(dir, 'garbage.db');
    writeFileSync(path, Buffer.alloc(8192, 'this is not a database at all. '));
    let err: unknown;
    try {
      openDatabase(path);
    } catch (e: unknown) {
      err = e;
    }
    expect((err as StoreError).code).toBe('DB_CORRUPT');
    expect((err as StoreError).message).toContain(path);
  });

  test('a read-only connection checks but never migrates', () => {
    const path = join(dir, 'a.db');
    openRawConnection(path).close(); // an empty file, never migrated
    expect(codeOf(() => openDatabase(path, { readonly: true }))).toBe('DB_CHANGED');
    openDatabase(path).db.close();
    const { db } = openDatabase(path, { readonly: true });
    expect(db.readonly).toBe(true);
    db.close();
  });

  test('badly named migration files are rejected', () => {
    const migrationsDir = copyMigrations();
    writeFileSync(join(migrationsDir, '7-oops.sql'), 'SELECT 1;');
    expect(codeOf(() => loadMigrations(migrationsDir))).toBe('MIGRATIONS_MISSING');
  });
});
