/**
 * Logging: the only module that imports pino. Cookies, authorization and Set-Cookie values are
 * redacted by configuration, wherever they sit in a logged object, so a careless log call cannot
 * leak a session. Never build a logger from request data.
 */
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import type { LogLevel } from './config.js';

export type Logger = PinoLogger;

const REDACT = [
  'headers.cookie',
  'headers.authorization',
  'headers["proxy-authorization"]',
  'headers["set-cookie"]',
  '*.headers.cookie',
  '*.headers.authorization',
  '*.headers["proxy-authorization"]',
  '*.headers["set-cookie"]',
  'cookie',
  'authorization',
];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { name: 'pinaudit' },
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * Sends `console.*` output into the logger at debug level. http-mitm-proxy prints with the global
 * console unconditionally ("SNI enabled…", raw socket errors); this is the only way to keep that
 * noise out of the terminal. Returns a function that restores the console.
 */
export function routeConsole(logger: Logger): () => void {
  const saved = { debug: console.debug, info: console.info, log: console.log, error: console.error, warn: console.warn };
  const sink = (...args: unknown[]): void => {
    logger.debug({ lib: 'http-mitm-proxy' }, args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
  };
  console.debug = sink;
  console.info = sink;
  console.log = sink;
  console.error = sink;
  console.warn = sink;
  return () => Object.assign(console, saved);
}
