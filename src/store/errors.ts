/**
 * The storage layer's coded errors: PinauditErrors limited to the store's codes (the table in
 * src/errors.ts maps them to an exit code and a status); the message is for people and says what
 * to do.
 */
import { PinauditError, type ErrorCode } from '../errors.js';

export { messageOf } from '../errors.js';

/** Every code a {@link StoreError} can carry. */
export type StoreErrorCode = Extract<
  ErrorCode,
  /** The database records migrations this pinaudit does not know: it was made by a newer version. */
  | 'DB_NEWER'
  /** A migration file that was applied to this database has since changed (checksum mismatch). */
  | 'DB_CHANGED'
  /** The file is not a SQLite database, or it is damaged. */
  | 'DB_CORRUPT'
  /** The file could not be opened (permissions, missing directory, locked). */
  | 'DB_OPEN'
  /** The `migrations/` folder could not be found or read. */
  | 'MIGRATIONS_MISSING'
  /** A migration failed to apply; nothing of it was kept. */
  | 'MIGRATION_FAILED'
  /** A setting was given a value of the wrong shape. */
  | 'BAD_SETTING'
>;

/** An error of the storage layer with a stable `code`. */
export class StoreError extends PinauditError {
  declare readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'StoreError';
  }
}

/** The SQLite error code (`SQLITE_BUSY`, `SQLITE_NOTADB`, …) of a thrown value, if it has one. */
export function sqliteCode(err: unknown): string | null {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) return code;
  }
  return null;
}
