#!/usr/bin/env node
/**
 * The command line: `pinaudit <command> [flags]`. Finds the command in the table
 * (src/commands/index.ts) and runs it through the one helper that parses its flags, validates its
 * options and maps every failure to one clear line on stderr and an exit code (0 ok, 1 runtime
 * failure, 2 usage). Only this module and config.ts look at process.env.
 */
import { readFileSync } from 'node:fs';
import { envName, OPTIONS } from './config.js';
import { COMMANDS, runCommand, type Io } from './commands/index.js';
import { defaultOf } from './commands/command.js';

export type { Io };

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function usage(): string {
  const name = (o: (typeof OPTIONS)[number]): string => (o.kind === 'bool' || o.kind === 'bool?' ? `--[no-]${o.flag}` : `--${o.flag}`);
  const width = Math.max(...OPTIONS.map((o) => name(o).length));
  const opts = OPTIONS.map((o) => `  ${name(o).padEnd(width)}  ${o.help}\n  ${''.padEnd(width)}  ${defaultOf(o)}; env ${envName(o.flag)}`);
  const cmds = COMMANDS.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`);
  return [
    'Usage: pinaudit <command> [options]',
    '',
    'Commands:',
    ...cmds,
    '',
    'Every command takes --data-dir DIR and --help (pinaudit <command> --help lists its options).',
    '',
    'Options for start:',
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

/** Runs one command line; returns the exit code. Never throws. */
export async function main(argv: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const [name, ...rest] = argv;
  const command = COMMANDS.find((c) => c.name === name);
  if (command) {
    const terminal: Io = {
      stream: process.stdout,
      columns: process.stdout.isTTY === true ? process.stdout.columns : null,
      stderrIsTTY: process.stderr.isTTY === true,
      ...io,
    };
    return await runCommand(command, rest, terminal, env);
  }
  switch (name) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.stdout(usage());
      return name === undefined ? 2 : 0;
    case '--version':
    case '-v':
      io.stdout(`${version()}\n`);
      return 0;
    default:
      io.stderr(`pinaudit: unknown command "${name}" (see pinaudit --help)\n`);
      return 2;
  }
}

const io: Io = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  void main(process.argv.slice(2), io, process.env).then((code) => {
    process.exitCode = code;
  });
}
