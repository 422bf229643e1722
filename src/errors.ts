/**
 * One table of coded errors. Each code maps to an exit code for the CLI and an HTTP status for the
 * dashboard in this one place, so callers narrow on `code`, never on message text. Every coded
 * error is a {@link PinauditError} (the storage layer's StoreError is one, with the store's codes).
 */
export const ERROR_CODES = {
  // Usage and configuration
  USAGE: { exit: 2, status: 400 },
  CONFIG: { exit: 2, status: 400 },
  // Sockets, files and folders
  PORT_IN_USE: { exit: 1, status: 500 },
  LISTEN_FAILED: { exit: 1, status: 500 },
  DIR_UNWRITABLE: { exit: 1, status: 500 },
  DATA_DIR_IN_USE: { exit: 1, status: 500 },
  FILE_UNREADABLE: { exit: 1, status: 500 },
  CA_CORRUPT: { exit: 1, status: 500 },
  // The database (StoreError)
  DB_NEWER: { exit: 1, status: 500 },
  DB_CHANGED: { exit: 1, status: 500 },
  DB_CORRUPT: { exit: 1, status: 500 },
  DB_OPEN: { exit: 1, status: 500 },
  MIGRATIONS_MISSING: { exit: 1, status: 500 },
  MIGRATION_FAILED: { exit: 1, status: 500 },
  BAD_SETTING: { exit: 2, status: 400 },
  // HAR import
  HAR_MALFORMED: { exit: 1, status: 400 },
  // The crawl
  BROWSER_MISSING: { exit: 1, status: 500 },
  // The dashboard's requests
  BAD_PARAM: { exit: 2, status: 400 },
  BAD_BODY: { exit: 2, status: 400 },
  CONFIRMATION_REQUIRED: { exit: 2, status: 400 },
  HOST_REFUSED: { exit: 1, status: 403 },
  ORIGIN_REFUSED: { exit: 1, status: 403 },
  TOKEN_REQUIRED: { exit: 1, status: 403 },
  NOT_FOUND: { exit: 1, status: 404 },
  CHART_MISSING: { exit: 1, status: 500 },
  /** A change asked of the dashboard over the fleet, which only reads. */
  READ_ONLY: { exit: 1, status: 405 },
  /** A view the fleet's database has nothing for (the live feed, one proxy's setup, crawls). */
  NOT_IN_FLEET: { exit: 1, status: 409 },
  // The fleet database (PostgreSQL)
  FLEET_UNREACHABLE: { exit: 1, status: 503 },
  FLEET_QUERY: { exit: 1, status: 500 },
  INTERNAL: { exit: 1, status: 500 },
} as const satisfies Record<string, { exit: 0 | 1 | 2; status: number }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class PinauditError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PinauditError';
    this.code = code;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }

  /** The HTTP status the dashboard answers with. */
  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

/** The message of anything thrown, for one-line reports. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The table's code of anything thrown, or null when it carries none. */
export function errorCodeOf(err: unknown): ErrorCode | null {
  if (err instanceof PinauditError) return err.code;
  return null;
}

/** Exit code for anything thrown: coded errors map through the table, the rest are runtime failures. */
export function exitCodeOf(err: unknown): number {
  const code = errorCodeOf(err);
  return code === null ? 1 : ERROR_CODES[code].exit;
}

/**
 * The name of anything thrown (`TypeError`, `SqliteError`…), for logs on request paths: a message
 * can quote request data (a URL, a cookie), a name cannot.
 */
export function errorNameOf(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}
