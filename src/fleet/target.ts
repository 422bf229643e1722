/**
 * A fleet database named by a `postgres://` URL. What the URL leaves out comes from the standard
 * `PG*` variables of the environment passed in (never read from process.env here). The label names
 * the server without the password: it is what messages, logs and the local markers use.
 */
import { PinauditError } from '../errors.js';

/** Where a fleet database is, with and without its secrets. */
export interface FleetTarget {
  /** `postgres://user@host:port/database`: safe to print and to store as a marker key. */
  readonly label: string;
  /** How to connect (may hold the password). */
  readonly config: {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly database: string;
    readonly password?: string;
    readonly connectionTimeoutMillis: number;
  };
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

