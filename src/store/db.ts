/**
 * The one module that imports better-sqlite3: opens a connection with the pragmas pinaudit relies
 * on (WAL so the dashboard reads while the proxy writes, foreign keys, a busy timeout,
 * synchronous=NORMAL, which in WAL mode loses nothing committed when the process dies) and runs the
 * migrations. Other store modules use the re-exported types only; the checkpoint thread
 * (checkpointer.ts) loads the driver by {@link DRIVER_PATH}.
 */
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { StoreError, messageOf, sqliteCode } from './errors.js';
import { migrate, type MigrationReport } from './migrate.js';

/** A SQLite connection (better-sqlite3). */
export type Database = BetterSqlite3.Database;
/** Where the driver's module is, for a thread that opens its own connection. */
export const DRIVER_PATH = createRequire(import.meta.url).resolve('better-sqlite3');
/** A prepared statement. */
export type Statement<P extends unknown[] = unknown[], R = unknown> = BetterSqlite3.Statement<P, R>;

/** How to open a connection. */
export interface OpenOptions {
  /** Read-only connection (dashboard, export, report). Default false. */
  readonly?: boolean;
  /**
   * How long a statement waits for another connection's lock, in ms. The writer keeps this short
   * because its flushes run on the event loop; a busy flush is retried on the next tick instead.
   * Default 5000.
   */
  busyTimeoutMs?: number;
  /** Apply pending migrations (write connections only). Default true for write connections. */
  migrate?: boolean;
  /** Folder of `NNN-name.sql` files; defaults to the project's `migrations/`. */
  migrationsDir?: string;
  /** Called before an existing database is upgraded, with the migrations about to run. */
  onUpgrade?: (names: string[]) => void;
}

/** An open, migrated connection and what the migration runner did. */
export interface OpenedDatabase {
  db: Database;
  migrations: MigrationReport;
}

/**
 * Opens (creating if needed) the database at `path`, sets the pragmas and applies pending
 * migrations. Throws {@link StoreError} `DB_OPEN`, `DB_CORRUPT`, `DB_NEWER`, `DB_CHANGED`, … .
 */
export function openDatabase(path: string, options: OpenOptions = {}): OpenedDatabase {
  const readonly = options.readonly ?? false;
  const db = connect(path, readonly);
  try {
    configure(db, readonly, options.busyTimeoutMs ?? 5000);
    const shouldMigrate = options.migrate ?? !readonly;
    const migrations = migrate(db, { dir: options.migrationsDir, apply: shouldMigrate, onUpgrade: options.onUpgrade });
    // A migration that rewrote a table leaves a write-ahead log as large as the table: copy it
    // into the database and give the space back now rather than keep the file at that size.
    if (migrations.applied.length > 0 && path !== ':memory:') db.pragma('wal_checkpoint(TRUNCATE)');
    return { db, migrations };
  } catch (err: unknown) {
    db.close();
    throw toStoreError(err, path);
  }
}

/**
 * A bare connection with no pragmas and no migrations. For tests that need a second connection
 * (e.g. one holding `BEGIN EXCLUSIVE` to make the writer's flush fail) and for tools.
 */
export function openRawConnection(path: string): Database {
  return connect(path, false);
}

/**
 * The database holds browsing history: its folder is 0700 and the database, `-wal` and `-shm` are
 * 0600, created so (SQLite gives `-wal` and `-shm` the database file's mode) and tightened when an
 * older run left them readable by others.
 */
function makePrivate(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

function connect(path: string, readonly: boolean): Database {
  try {
    if (!readonly && path !== ':memory:') makePrivate(path);
    return new BetterSqlite3(path, { readonly, fileMustExist: readonly });
  } catch (err: unknown) {
    throw new StoreError('DB_OPEN', `cannot open the database ${path}: ${messageOf(err)}`, { cause: err });
  }
}

function configure(db: Database, readonly: boolean, busyTimeoutMs: number): void {
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  // The first real read: a file that is not SQLite fails here with SQLITE_NOTADB.
  db.pragma('schema_version');
  if (!readonly) db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // A million-row database is a few hundred MB: a larger page cache and memory-mapped reads keep
  // index-heavy inserts and dashboard scans from turning into one read syscall per page.
  db.pragma('cache_size = -32768');
  db.pragma('mmap_size = 268435456');
  db.pragma('temp_store = MEMORY');
}

function isCorrupt(err: unknown): boolean {
  const code = sqliteCode(err);
  return code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT';
}

function corruptMessage(err: unknown, path: string): string {
  return `${path} is not a pinaudit database (or it is damaged): ${messageOf(err)}. Move it aside, or choose another --data-dir.`;
}

/**
 * The text for an error met while using an open database: damage found after opening (a page
 * read only later) names the file and what to do, like damage found at open.
 */
export function describeDatabaseError(err: unknown, path: string): string {
  return isCorrupt(err) ? corruptMessage(err, path) : messageOf(err);
}

function toStoreError(err: unknown, path: string): StoreError {
  if (err instanceof StoreError) return err;
  if (isCorrupt(err)) return new StoreError('DB_CORRUPT', corruptMessage(err, path), { cause: err });
  return new StoreError('DB_OPEN', `cannot open the database ${path}: ${messageOf(err)}`, { cause: err });
}
