/** The read side as the terminal commands open it: a clear error when nothing was recorded yet. */
import { existsSync } from 'node:fs';
import { PinauditError } from '../errors.js';
import { openQueries, type Queries } from '../store/index.js';

/** Runs `use` with read-only queries over the database at `dbPath`, and closes them after. */
export async function withQueries<T>(dbPath: string, use: (queries: Queries) => T | Promise<T>): Promise<T> {
  if (!existsSync(dbPath)) {
    throw new PinauditError(
      'FILE_UNREADABLE',
      `no pinaudit database at ${dbPath}: nothing recorded yet (run pinaudit start, or pinaudit import FILE.har; --data-dir picks another folder)`,
    );
  }
  const queries = openQueries(dbPath);
  try {
    return await use(queries);
  } finally {
    queries.close();
  }
}
