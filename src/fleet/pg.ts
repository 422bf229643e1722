/**
 * The one module that imports the PostgreSQL client (`pg`). A fleet database is named by a
 * `postgres://` URL; what the URL leaves out comes from the standard `PG*` variables of the
 * environment passed in (never read from process.env here). Credentials live only in the client's
 * configuration: every message and log line names the server by {@link FleetTarget.label}, which
 * has no user password, and errors are scrubbed of the password in case a server echoes it.
 */
import pg from 'pg';
import { PinauditError, messageOf } from '../errors.js';

/** Where a fleet database is, with and without its secrets. */
export interface FleetTarget {
  /** `postgres://user@host:port/database`: safe to print and to store as a marker key. */
  readonly label: string;
  /** The client's configuration (may hold the password). */
  readonly config: pg.ClientConfig;
}

/** The environment variables the PostgreSQL tools read, as the client takes them. */
const PG_ENV = { PGHOST: 'host', PGPORT: 'port', PGUSER: 'user', PGPASSWORD: 'password', PGDATABASE: 'database' } as const;

/**
 * Parses a fleet URL (`postgres://` or `postgresql://`). Throws PinauditError `CONFIG` naming the
 * option (`flag`) for anything else; the message never repeats a password.
 */
export function fleetTarget(url: string, env: Readonly<Record<string, string | undefined>>, flag = 'ship-to'): FleetTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PinauditError('CONFIG', `--${flag}: not a URL; expected postgres://[user[:password]@]host[:port]/database`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new PinauditError('CONFIG', `--${flag}: expected a postgres:// URL, got ${parsed.protocol}//…`);
  }
  const fromEnv: Record<string, string> = {};
  for (const [name, key] of Object.entries(PG_ENV)) {
    const value = env[name];
    if (value !== undefined && value !== '') fromEnv[key] = value;
  }
  const decode = (s: string): string => decodeURIComponent(s);
  const host = parsed.hostname !== '' ? decode(parsed.hostname) : (parsed.searchParams.get('host') ?? fromEnv.host ?? 'localhost');
  const portText = parsed.port !== '' ? parsed.port : (fromEnv.port ?? '5432');
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new PinauditError('CONFIG', `--${flag}: port ${JSON.stringify(portText)} is not a TCP port`);
  }
  const user = parsed.username !== '' ? decode(parsed.username) : (fromEnv.user ?? 'postgres');
  const password = parsed.password !== '' ? decode(parsed.password) : fromEnv.password;
  const path = decode(parsed.pathname.replace(/^\//, ''));
  const database = path !== '' ? path : (fromEnv.database ?? user);
  const label = `postgres://${encodeURIComponent(user)}@${host.includes('/') ? encodeURIComponent(host) : host}:${port}/${encodeURIComponent(database)}`;
  return {
    label,
    config: { host, port, user, database, ...(password !== undefined ? { password } : {}), connectionTimeoutMillis: 5000 },
  };
}

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
