#!/usr/bin/env node
/**
 * The command line: `pinaudit <command> [flags]`. Parses flags against the option table, builds one
 * Config, and maps every failure to one clear line on stderr and an exit code (0 ok, 1 runtime
 * failure, 2 usage). Only this module and config.ts look at process.env.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { databasePath, openAuthority, startApp } from './app.js';
import { trustInstructions } from './ca/trust-help.js';
import { envName, loadConfig, OPTIONS, type Config } from './config.js';
import { exitCodeOf, messageOf, PinauditError } from './errors.js';
import { createLogger, routeConsole } from './log.js';
import { inspectCommand } from './commands/inspect.js';
import { purgeCommand } from './commands/purge.js';
import { importCommand } from './commands/import.js';
import { exportCommand } from './commands/export.js';
import { reportCommand } from './commands/report.js';
import { pacFile } from './web/pac.js';

export interface Io {
  stdout(s: string): void;
  stderr(s: string): void;
}

const COMMANDS: Record<string, string> = {
  start: 'run the proxy (what `npm start` runs)',
  ca: 'print the CA certificate path, fingerprint and how to trust it',
  inspect: 'classify one request and print the Finding as JSON (pinaudit inspect --help)',
  purge: 'forget recorded data: --before YYYY-MM-DD or --all, with --yes (pinaudit purge --help)',
  pac: 'print a proxy auto-config file that sends only Pinterest through pinaudit',
  import: 'audit a HAR file saved by a browser, without the proxy (pinaudit import --help)',
  export: 'write recorded requests as CSV to stdout or --out FILE (pinaudit export --help)',
  report: 'print a summary of what leaked to Pinterest, or --json (pinaudit report --help)',
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function usage(): string {
  const name = (o: (typeof OPTIONS)[number]): string => (o.kind === 'bool' || o.kind === 'bool?' ? `--[no-]${o.flag}` : `--${o.flag}`);
  const fallback = (o: (typeof OPTIONS)[number]): string => (o.default !== '' ? o.default : o.kind.endsWith('?') ? 'the stored setting' : 'none');
  const width = Math.max(...OPTIONS.map((o) => name(o).length));
  const opts = OPTIONS.map((o) => `  ${name(o).padEnd(width)}  ${o.help}\n  ${''.padEnd(width)}  default ${fallback(o)}; env ${envName(o.flag)}`);
  const cmds = Object.entries(COMMANDS).map(([c, h]) => `  ${c.padEnd(8)} ${h}`);
  return [
    'Usage: pinaudit <command> [options]',
    '',
    'Commands:',
    ...cmds,
    '',
    'Options for start, ca and pac:',
    ...opts,
    '',
    'Examples:',
    '  pinaudit start',
    '  pinaudit start --proxy-port 9090 --data-dir ~/.pinaudit',
    '  chromium --proxy-server=http://127.0.0.1:8080',
    '',
    'Exit codes: 0 ok, 1 runtime failure, 2 usage error.',
    '',
  ].join('\n');
}

/** Parses the shared options; unknown flags are usage errors. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): Config {
  const options = Object.fromEntries(
    OPTIONS.map((o) => [o.flag, { type: o.kind === 'bool' || o.kind === 'bool?' ? ('boolean' as const) : ('string' as const) }]),
  );
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false, allowNegative: true }));
  } catch (err) {
    throw new PinauditError('USAGE', `${messageOf(err).replace(/\. To specify.*$/s, '')} (see pinaudit --help)`);
  }
  return loadConfig(values, env);
}

function banner(proxyUrl: string, dashboardUrl: string, ca: { certPath: string; fingerprint: string; created: boolean }): string {
  return [
    'pinaudit is running',
    `  proxy     ${proxyUrl}`,
    `  dashboard ${dashboardUrl}`,
    `  CA        ${ca.certPath}${ca.created ? ' (new)' : ''}`,
    `  SHA-256   ${ca.fingerprint}`,
    '',
    `Point your browser at the proxy (HTTP and HTTPS): for example`,
    `  chromium --proxy-server=${proxyUrl}`,
    `and trust the CA, which is only valid for Pinterest's domains: run "pinaudit ca" for the steps`,
    `(the dashboard's Setup page has them too, and a PAC file at ${dashboardUrl}/proxy.pac).`,
    'Press Ctrl+C to stop.',
    '',
  ].join('\n');
}

async function start(argv: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const config = parseConfig(argv, env);
  const log = createLogger(config.logLevel);
  const restoreConsole = routeConsole(log);
  if (config.allowLan && config.listenHost !== '127.0.0.1') {
    io.stderr(`warning: listening on ${config.listenHost}: other machines on the network can use this proxy and open its dashboard\n`);
  }
  // Last resort: an error no handler caught is logged, and the proxy keeps serving the browser
  // (every request path has its own handling; this only keeps one missed case from ending all).
  process.on('uncaughtException', (err) => {
    log.error({ err: messageOf(err) }, 'unexpected error; pinaudit carries on');
  });
  const app = await startApp(config, log);
  io.stdout(banner(`http://${app.proxy.host}:${app.proxy.port}`, app.dashboardUrl, app.ca));
  log.info({ port: app.proxy.port }, 'proxy listening');
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      log.info({ signal }, 'shutting down');
      void app.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  log.flush();
  restoreConsole();
  return 0;
}

async function ca(argv: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const config = parseConfig(argv, env);
  const authority = await openAuthority(config);
  io.stdout(trustInstructions(authority.summary));
  return 0;
}

/** Removes `--name value` / `--name=value` from argv (for commands that parse their own flags). */
function takeFlag(argv: string[], name: string): { value: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === `--${name}` && i + 1 < argv.length) value = argv[++i];
    else if (arg.startsWith(`--${name}=`)) value = arg.slice(name.length + 3);
    else rest.push(arg);
  }
  return { value, rest };
}

/** Runs one command line; returns the exit code. Never throws. */
export async function main(argv: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'start':
        return await start(rest, io, env);
      case 'ca':
        return await ca(rest, io, env);
      case 'purge': {
        const { value, rest: others } = takeFlag(rest, 'data-dir');
        return await purgeCommand(others, io, databasePath(loadConfig(value === undefined ? {} : { 'data-dir': value }, env)));
      }
      case 'pac': {
        const config = parseConfig(rest, env);
        io.stdout(pacFile({ host: config.listenHost, port: config.proxyPort }));
        return 0;
      }
      case 'inspect': {
        const { value, rest: others } = takeFlag(rest, 'data-dir');
        return await inspectCommand(others, io, loadConfig(value === undefined ? {} : { 'data-dir': value }, env).dataDir);
      }
      case 'import': {
        const { value, rest: others } = takeFlag(rest, 'data-dir');
        const config = loadConfig(value === undefined ? {} : { 'data-dir': value }, env);
        return await importCommand(others, io, { dataDir: config.dataDir, dbPath: databasePath(config) }, { progress: process.stderr.isTTY === true });
      }
      case 'export': {
        const { value, rest: others } = takeFlag(rest, 'data-dir');
        return await exportCommand(others, io, databasePath(loadConfig(value === undefined ? {} : { 'data-dir': value }, env)), process.stdout);
      }
      case 'report': {
        const { value, rest: others } = takeFlag(rest, 'data-dir');
        const columns = process.stdout.isTTY === true ? process.stdout.columns : null;
        return await reportCommand(others, io, databasePath(loadConfig(value === undefined ? {} : { 'data-dir': value }, env)), { columns });
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(usage());
        return command === undefined ? 2 : 0;
      case '--version':
      case '-v':
        io.stdout(`${version()}\n`);
        return 0;
      default:
        throw new PinauditError('USAGE', `unknown command "${command}" (see pinaudit --help)`);
    }
  } catch (err) {
    io.stderr(`pinaudit: ${messageOf(err)}\n`);
    return exitCodeOf(err);
  }
}

const io: Io = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  void main(process.argv.slice(2), io, process.env).then((code) => {
    process.exitCode = code;
  });
}
