/** The read side as the terminal commands open it: a clear error when nothing was recorded yet. */
import { existsSync } from 'node:fs';
import { PinauditError } from '../errors.js';
import { findInstance, openFleetReader } from '../fleet/reader.js';
import { openQueries, type Queries, type ReadQueries } from '../store/index.js';
import type { OptionDef } from './command.js';

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

/** `--source` and `--instance`: the commands that read can read the fleet's database instead. */
export const SOURCE_OPTIONS = {
  source: {
    type: 'string',
    value: 'URL',
    help: 'read the fleet\'s PostgreSQL (postgres://…; PG* variables fill the gaps) instead of this machine\'s data',
  },
  instance: { type: 'string', value: 'NAME', help: 'with --source: only the instance of this name (or id); default all' },
} as const satisfies Record<string, OptionDef>;

/**
 * Runs `use` over the fleet's database when `source` is given (every instance, or the one
 * `instance` names), else over the local database at `dbPath`.
 */
export async function withReadQueries<T>(
  dbPath: string,
  from: { source?: string | undefined; instance?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
  use: (queries: ReadQueries) => T | Promise<T>,
): Promise<T> {
  if (from.source === undefined) {
    if (from.instance !== undefined) throw new PinauditError('USAGE', '--instance chooses among the fleet\'s instances: give --source postgres://… too');
    return await withQueries(dbPath, use);
  }
  const reader = await openFleetReader(from.source, env);
  try {
    if (from.instance !== undefined) await findInstance(reader, from.instance);
    return await use(reader.queries(from.instance ?? null));
  } finally {
    await reader.close();
  }
}
