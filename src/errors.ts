/**
 * One table of coded errors. Each code maps to an exit code for the CLI (and, for the dashboard,
 * an HTTP status) in one place, so callers narrow on `code`, never on message text.
 */
export const ERROR_CODES = {
  USAGE: { exit: 2, status: 400 },
  CONFIG: { exit: 2, status: 400 },
  PORT_IN_USE: { exit: 1, status: 500 },
  LISTEN_FAILED: { exit: 1, status: 500 },
  DIR_UNWRITABLE: { exit: 1, status: 500 },
  FILE_UNREADABLE: { exit: 1, status: 500 },
  CA_CORRUPT: { exit: 1, status: 500 },
  DB_NEWER: { exit: 1, status: 500 },
  DB_CHANGED: { exit: 1, status: 500 },
  DB_CORRUPT: { exit: 1, status: 500 },
  HAR_MALFORMED: { exit: 1, status: 400 },
  INTERNAL: { exit: 1, status: 500 },
} as const;

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
}

/** The message of anything thrown, for one-line reports. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The table's code of anything thrown, or null when it carries none. */
export function errorCodeOf(err: unknown): ErrorCode | null {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string' && Object.hasOwn(ERROR_CODES, code)) return code as ErrorCode;
  }
  return null;
}

/** Exit code for anything thrown: coded errors map through the table, the rest are runtime failures. */
export function exitCodeOf(err: unknown): number {
  const code = errorCodeOf(err);
  return code === null ? 1 : ERROR_CODES[code].exit;
}
