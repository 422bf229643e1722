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
