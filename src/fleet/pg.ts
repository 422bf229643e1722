/**
 * The one module that imports the PostgreSQL client (`pg`). Credentials live only in the client's
 * configuration (see target.ts): every message names the server by its label, which has no
 * password, and errors are scrubbed of the password in case a server echoes it.
 */
import pg from 'pg';
import { PinauditError, messageOf } from '../errors.js';
import type { FleetTarget } from './target.js';

export { fleetTarget, type FleetTarget } from './target.js';

/** One connection to a fleet database. */
export interface FleetDb {
  readonly label: string;
  query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** Whether the connection broke (the server went away); a broken connection is closed and replaced. */
  readonly broken: boolean;
  close(): Promise<void>;
}

/** Connects; throws PinauditError `FLEET_UNREACHABLE` with a message free of credentials. */
export async function connectFleet(target: FleetTarget, applicationName = 'pinaudit'): Promise<FleetDb> {
  const client = new pg.Client({ ...target.config, application_name: applicationName });
  let broken = false;
  // A server that goes away emits 'error' on an idle client: note it instead of crashing.
  client.on('error', () => {
    broken = true;
  });
  const scrub = (err: unknown): PinauditError =>
    err instanceof PinauditError ? err : new PinauditError('FLEET_UNREACHABLE', `${target.label}: ${scrubbed(messageOf(err), target)}`);
  try {
    await client.connect();
  } catch (err: unknown) {
    await client.end().catch(() => undefined);
    throw scrub(err);
  }
  const query = async <R extends Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<R[]> => {
    try {
      const result = await client.query<R>(sql, params as unknown[]);
      return result.rows;
    } catch (err: unknown) {
      if (isConnectionError(err)) broken = true;
      throw new PinauditError(isConnectionError(err) ? 'FLEET_UNREACHABLE' : 'FLEET_QUERY', `${target.label}: ${scrubbed(messageOf(err), target)}`, { cause: err });
    }
  };
  return {
    label: target.label,
    query,
    get broken() {
      return broken;
    },
    async transaction<T>(fn: () => Promise<T>): Promise<T> {
      await query('BEGIN');
      try {
        const out = await fn();
        await query('COMMIT');
        return out;
      } catch (err: unknown) {
        if (!broken) await query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    },
    close: async () => {
      await client.end().catch(() => undefined);
    },
  };
}

/** A pool of connections for reading (the fleet dashboard, report and export); numbers come back as numbers. */
export interface FleetReadPool {
  readonly label: string;
  query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

/** Counts and sums come back as BIGINT / NUMERIC; they are far below 2^53, so read them as numbers. */
const NUMBER_TYPES = new Set([20, 1700]);
const readTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    NUMBER_TYPES.has(oid) ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * A pool of up to `max` connections. Connecting happens on the first query; a failure there is
 * PinauditError `FLEET_UNREACHABLE`, a failing statement `FLEET_QUERY`, both free of credentials.
 */
export function fleetReadPool(target: FleetTarget, applicationName = 'pinaudit', max = 4): FleetReadPool {
  const pool = new pg.Pool({ ...target.config, application_name: applicationName, max, idleTimeoutMillis: 30_000, types: readTypes });
  // An idle connection the server drops emits 'error' on the pool: the next query reconnects.
  pool.on('error', () => undefined);
  return {
    label: target.label,
    async query<R extends Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      try {
        return (await pool.query<R>(sql, params as unknown[])).rows;
      } catch (err: unknown) {
        const code = isConnectionError(err) ? 'FLEET_UNREACHABLE' : 'FLEET_QUERY';
        throw new PinauditError(code, `${target.label}: ${scrubbed(messageOf(err), target)}`, { cause: err });
      }
    },
    close: async () => {
      await pool.end().catch(() => undefined);
    },
  };
}

/** A failure of the connection itself (server down, network cut), as opposed to a failing statement. */
function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03')) return true;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return true; // ECONNREFUSED, ECONNRESET, EPIPE…
  return /Connection terminated|not queryable|Client was closed|connection timeout/i.test(messageOf(err));
}

function scrubbed(message: string, target: FleetTarget): string {
  const password = target.config.password;
  return typeof password === 'string' && password !== '' ? message.split(password).join('[redacted]') : message;
}
