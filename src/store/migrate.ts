/**
 * The migration runner. Migrations are numbered, forward-only `migrations/NNN-name.sql` files;
 * each is applied in one transaction and recorded in `schema_migrations` with its SHA-256 so that
 * an edited file is noticed. A database that records a migration we do not have (made by a newer
 * pinaudit) or whose applied file changed is refused rather than guessed at.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './db.js';
import { StoreError, messageOf } from './errors.js';

/** One migration file. */
export interface Migration {
  /** The number (`1` for `001-initial.sql`). */
  id: number;
  /** The file name. */
  name: string;
  /** Hex SHA-256 of the file's bytes. */
  checksum: string;
  sql: string;
  /**
   * The file starts with `-- pinaudit: foreign_keys=off`: it rebuilds tables (SQLite's 12-step
   * procedure), so it runs with foreign keys off and every key is checked before it commits.
   */
  foreignKeysOff: boolean;
}

/** The first line of a migration that rebuilds tables. */
const FOREIGN_KEYS_OFF = /^-- pinaudit: foreign_keys=off\r?\n/;

/** What {@link migrate} found and did. */
export interface MigrationReport {
  /** Names applied by this call. */
  applied: string[];
  /** Names that were already applied. */
  current: string[];
}

const FILE_PATTERN = /^(\d{3})-[a-z0-9][a-z0-9-]*\.sql$/;

/**
 * The project's `migrations/` folder, found by walking up from this module until a directory holds
 * both `migrations/` and `package.json` (works from `src/store/` and from `dist/src/store/`).
 */
export function findMigrationsDir(fromUrl: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    const candidate = join(dir, 'migrations');
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate) && statSync(candidate).isDirectory()) {
      return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new StoreError('MIGRATIONS_MISSING', `no migrations/ folder found above ${fileURLToPath(fromUrl)}`);
    }
    dir = parent;
  }
}

/** Reads and checks the migration files of `dir`, ordered by number. */
export function loadMigrations(dir: string): Migration[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.sql'));
  } catch (err: unknown) {
    throw new StoreError('MIGRATIONS_MISSING', `cannot read ${dir}: ${messageOf(err)}`, { cause: err });
  }
  const migrations: Migration[] = [];
  for (const name of names) {
    const match = FILE_PATTERN.exec(name);
    if (!match?.[1]) {
      throw new StoreError('MIGRATIONS_MISSING', `${join(dir, name)}: migration files are named NNN-name.sql`);
    }
    const bytes = readFileSync(join(dir, name));
    const checksum = createHash('sha256').update(bytes).digest('hex');
    const sql = bytes.toString('utf8');
    migrations.push({ id: Number(match[1]), name, checksum, sql, foreignKeysOff: FOREIGN_KEYS_OFF.test(sql) });
  }
  migrations.sort((a, b) => a.id - b.id);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]?.id === migrations[i - 1]?.id) {
      throw new StoreError('MIGRATIONS_MISSING', `two migrations numbered ${migrations[i]?.id} in ${dir}`);
    }
  }
  return migrations;
}

/** A migration a database records as applied. */
export interface AppliedRow {
  id: number;
  name: string;
  checksum: string;
}

/**
 * Checks the database against the migration files and, when `apply` is true, applies the pending
 * ones in order, each in its own transaction. Refuses (StoreError `DB_NEWER` / `DB_CHANGED`) a
 * database that is out of sync; never alters such a database.
 */
export function migrate(
  db: Database,
  options: { dir?: string | undefined; apply?: boolean; onUpgrade?: ((names: string[]) => void) | undefined } = {},
): MigrationReport {
  const dir = options.dir ?? findMigrationsDir();
  const files = loadMigrations(dir);
  const apply = options.apply ?? true;
  if (apply) {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  }
  const applied = readApplied(db);
  const pending = pendingMigrations(applied, files);
  const report: MigrationReport = { applied: [], current: applied.map((m) => m.name) };
  if (!apply) {
    if (pending.length > 0) {
      throw new StoreError(
        'DB_CHANGED',
        `the database lacks migrations ${pending.map((m) => m.name).join(', ')}; start pinaudit once to upgrade it`,
      );
    }
    return report;
  }
  // A database that had migrations is being upgraded, which may take a while (say so); a new one is just created.
  if (applied.length > 0 && pending.length > 0) options.onUpgrade?.(pending.map((m) => m.name));
  const record = db.prepare('INSERT INTO schema_migrations (id, name, checksum, applied_at) VALUES (?, ?, ?, ?)');
  for (const m of pending) {
    const run = db.transaction(() => {
      // Another process may have applied it since we looked (we hold the write lock now).
      const again = db.prepare('SELECT checksum FROM schema_migrations WHERE id = ?').get(m.id);
      if (again !== undefined) return false;
      db.exec(m.sql);
      if (m.foreignKeysOff) checkForeignKeys(db);
      record.run(m.id, m.name, m.checksum, Date.now());
      return true;
    });
    // The pragma cannot change inside a transaction: it is set around it, and set back however it ends.
    const keysWere = m.foreignKeysOff ? (db.pragma('foreign_keys', { simple: true }) as number) : 0;
    if (m.foreignKeysOff) db.pragma('foreign_keys = OFF');
    try {
      if (run.immediate()) report.applied.push(m.name);
    } catch (err: unknown) {
      throw new StoreError('MIGRATION_FAILED', `migration ${m.name} failed and was rolled back: ${messageOf(err)}`, {
        cause: err,
      });
    } finally {
      if (m.foreignKeysOff) db.pragma(`foreign_keys = ${keysWere ? 'ON' : 'OFF'}`);
    }
  }
  return report;
}

/** Throws when a rebuilt table left a foreign key pointing at nothing (the migration rolls back). */
function checkForeignKeys(db: Database): void {
  const broken = db.pragma('foreign_key_check') as Array<{ table: string; parent: string }>;
  if (broken.length > 0) {
    const first = broken[0]!;
    throw new Error(`${broken.length} rows of ${first.table} point at missing rows of ${first.parent}`);
  }
}

function readApplied(db: Database): AppliedRow[] {
  const table = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (table === undefined) return [];
  return db.prepare('SELECT id, name, checksum FROM schema_migrations ORDER BY id').all() as AppliedRow[];
}

/**
 * The files not yet applied, in order, after checking what the database records against them
 * (StoreError `DB_NEWER` / `DB_CHANGED`). Shared by every engine's runner: SQLite here, PostgreSQL
 * in src/fleet/migrate.ts.
 */
export function pendingMigrations(
  applied: readonly AppliedRow[],
  files: readonly Migration[],
  where = { database: 'the database', elsewhere: 'choose another --data-dir' },
): Migration[] {
  const byId = new Map(files.map((f) => [f.id, f]));
  for (const row of applied) {
    const file = byId.get(row.id);
    if (!file) {
      throw new StoreError(
        'DB_NEWER',
        `${where.database} was upgraded by a newer pinaudit (it has migration ${row.name}, unknown here). ` +
          `Update pinaudit, or ${where.elsewhere}.`,
      );
    }
    if (file.checksum !== row.checksum) {
      throw new StoreError(
        'DB_CHANGED',
        `migration ${file.name} changed after it was applied to ${where.database} (checksum mismatch). ` +
          'Migrations are forward-only: restore the file, or add a new numbered migration instead.',
      );
    }
  }
  const done = new Set(applied.map((m) => m.id));
  const newest = applied.reduce((max, m) => Math.max(max, m.id), 0);
  const skipped = files.find((f) => f.id < newest && !done.has(f.id));
  if (skipped) {
    throw new StoreError(
      'DB_CHANGED',
      `migration ${skipped.name} is missing from a database that already has later ones; ` +
        'migrations are applied in order and never inserted behind applied ones.',
    );
  }
  return files.filter((f) => !done.has(f.id));
}
