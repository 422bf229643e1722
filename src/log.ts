/**
 * Logging: the only module that imports pino. Whatever object a log call passes, at any depth,
 * leaves without a cookie, an authorization header or a credential's value in a URL query: every
 * logged object is walked before it is written (pino's own `redact` only knows fixed paths, and a
 * cookie one level deeper than foreseen came out in clear). Never build a logger from request data.
 */
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import type { LogLevel } from './config.js';
import { CREDENTIAL_NAMES } from './pinterest/cookies.js';

export type Logger = PinoLogger;

const CENSOR = '[redacted]';
/** Header and field names whose whole value is secret. */
const SECRET_KEYS = new Set(['cookie', 'set-cookie', 'authorization', 'proxy-authorization', 'x-csrftoken', ...CREDENTIAL_NAMES]);
/** Query parameters whose value is a credential. */
const SECRET_PARAMS = new Set([...CREDENTIAL_NAMES, 'access_token', 'token']);
const MAX_DEPTH = 8;
const QUERY_VALUE = /([?&;]([^=&#\s]+)=)([^&#\s]*)/g;

/** A string with the values of credential query parameters replaced. */
function redactQuery(text: string): string {
  if (!text.includes('=')) return text;
  return text.replace(QUERY_VALUE, (all: string, prefix: string, name: string) => {
    let key = name;
    try {
      key = decodeURIComponent(name);
    } catch {
      // An undecodable name is compared as it is.
    }
    return SECRET_PARAMS.has(key.toLowerCase()) ? `${prefix}${CENSOR}` : all;
  });
}

/**
 * A copy of `value` that is safe to log: secret keys censored at any depth, credential query
 * values censored in every string, Errors reduced to their name (a message can quote a request).
 */
export function redactDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactQuery(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (value instanceof Error) return { name: value.name };
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    out[key] = SECRET_KEYS.has(key.toLowerCase()) ? CENSOR : redactDeep(v, depth + 1);
  }
  return out;
}

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { name: 'pinaudit' },
      formatters: { log: (object) => redactDeep(object) as Record<string, unknown> },
      hooks: {
        // The message too: a caller may interpolate a URL into it.
        logMethod(args, method) {
          const redacted = args.map((a) => (typeof a === 'string' ? redactQuery(a) : a));
          return method.apply(this, redacted as Parameters<typeof method>);
        },
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** An error as a name and code only (`Error ECONNRESET`): its message may quote a request. */
function errorLabel(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code ? `${err.name} ${code}` : err.name;
}

/**
 * Sends `console.*` output into the logger at debug level. http-mitm-proxy prints with the global
 * console unconditionally ("SNI enabled…", raw socket errors); this is the only way to keep that
 * noise out of the terminal. Returns a function that restores the console.
 */
export function routeConsole(logger: Logger): () => void {
  const saved = { debug: console.debug, info: console.info, log: console.log, error: console.error, warn: console.warn };
  const sink = (...args: unknown[]): void => {
    logger.debug({ lib: 'http-mitm-proxy' }, args.map((a) => (a instanceof Error ? errorLabel(a) : String(a))).join(' '));
  };
  console.debug = sink;
  console.info = sink;
  console.log = sink;
  console.error = sink;
  console.warn = sink;
  return () => Object.assign(console, saved);
}
