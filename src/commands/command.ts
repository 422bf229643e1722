/**
 * The shape every `pinaudit <command>` shares, and the one helper that runs it. A command declares
 * its own options (and which of the configuration's options it takes); `runCommand` adds
 * `--data-dir` and `--help` to all of them, turns parse errors into usage errors, validates only the
 * options that command takes, prints `--help` from the same table, and maps every failure to one
 * line on stderr and an exit code (0 ok, 1 runtime failure, 2 usage).
 */
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { envName, loadConfig, OPTIONS, type Config, type OptionSpec } from '../config.js';
import { errorCodeOf, exitCodeOf, messageOf, PinauditError } from '../errors.js';

/** Where a command writes. Only `stdout` and `stderr` are required; the rest describe the terminal. */
export interface Io {
  stdout(s: string): void;
  stderr(s: string): void;
  /** The stream behind `stdout`, for output written with backpressure (CSV); else `stdout` is used. */
  stream?: Writable;
  /** Terminal width of stdout, or null when it is not a terminal. */
  columns?: number | null;
  /** Whether stderr is a terminal (progress bars). */
  stderrIsTTY?: boolean;
}

/** One option of a command, as `node:util` parseArgs takes it, plus its help line. */
export interface OptionDef {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** The value's placeholder in help (`DATE`, `FILE`). */
  readonly value?: string;
  readonly help: string;
}

export type OptionTable = Readonly<Record<string, OptionDef>>;

type ValueOf<D extends OptionDef> = D extends { type: 'boolean' } ? boolean : D extends { multiple: true } ? string[] : string;

/** Parsed values of an option table; absent options are `undefined`. */
export type Values<O extends OptionTable> = { readonly [K in keyof O]?: ValueOf<O[K]> };

/** A key of {@link Config} a command may take as a flag and environment variable. */
export type ConfigKey = keyof Config & OptionSpec['key'];

/** What `run` receives. `config` holds the data directory and the configuration options the command takes. */
export interface CommandContext<O extends OptionTable, K extends ConfigKey> {
  readonly values: Values<O>;
  readonly positionals: readonly string[];
  readonly config: Readonly<Pick<Config, K | 'dataDir'>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly io: Io;
}

/** One `pinaudit <name>` command. */
export interface Command<O extends OptionTable = OptionTable, K extends ConfigKey = never> {
  readonly name: string;
  /** One line for `pinaudit --help`. */
  readonly summary: string;
  /** The usage line after "Usage: ", e.g. `pinaudit purge (--before YYYY-MM-DD | --all) --yes`. */
  readonly usage: string;
  /** Paragraphs between the usage line and the options. */
  readonly about: string;
  readonly options: O;
  /** Configuration options (flag and environment variable, config.ts) this command takes. */
  readonly config?: readonly K[];
  /** How many positional arguments it takes (default none). */
  readonly positionals?: { readonly min: number; readonly max: number; readonly missing: string; readonly tooMany: string };
  readonly examples: readonly string[];
  readonly exitCodes: string;
  run(ctx: CommandContext<O, K>): Promise<number>;
}

/** Any command of the table. */
export type AnyCommand = Command<any, any>;

/** The option every command takes besides `--data-dir` (which comes from config.ts). */
const COMMON: OptionTable = {
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

/** The value placeholder in help, per kind of configuration option. */
const PLACEHOLDER: Readonly<Record<OptionSpec['kind'], string>> = {
  port: 'PORT', host: 'HOST', path: 'DIR', bool: '', ms: 'MS', level: 'LEVEL', rules: 'RULES', file: 'FILE',
  'mode?': 'MODE', 'days?': 'DAYS', 'bool?': '', 'fleet': 'URL', name: 'NAME',
};

function specOf(key: ConfigKey): OptionSpec {
  const spec = OPTIONS.find((o) => o.key === key);
  if (!spec) throw new Error(`no configuration option for ${key}`);
  return spec;
}

/** The configuration options a command takes, with `--data-dir` always among them. */
function configSpecs(command: AnyCommand): OptionSpec[] {
  const keys = new Set<ConfigKey>(['dataDir', ...((command.config ?? []) as ConfigKey[])]);
  return OPTIONS.filter((o) => keys.has(o.key as ConfigKey));
}

function isBool(spec: OptionSpec): boolean {
  return spec.kind === 'bool' || spec.kind === 'bool?';
}

/** The `--help` text of a command, from its table. */
export function commandHelp(command: AnyCommand): string {
  const own = Object.entries(command.options as OptionTable).map(([flag, o]) => ({
    name: `${o.short ? `-${o.short}, ` : ''}--${flag}${o.value ? ` ${o.value}` : ''}`,
    help: o.help,
  }));
  const shared = configSpecs(command).map((o) => ({
    name: isBool(o) ? `--[no-]${o.flag}` : `--${o.flag} ${PLACEHOLDER[o.kind]}`,
    help: `${o.help}\n${defaultOf(o)}; env ${envName(o.flag)}`,
  }));
  const rows = [...own, ...shared, { name: '-h, --help', help: COMMON.help!.help }];
  const width = Math.max(...rows.map((r) => r.name.length));
  const row = (r: { name: string; help: string }): string =>
    r.help.split('\n').map((line, i) => `  ${(i === 0 ? r.name : '').padEnd(width)}  ${line}`).join('\n');
  return [
    `Usage: ${command.usage}`,
    '',
    command.about.trimEnd(),
    '',
    'Options:',
    ...rows.map(row),
    '',
    'Examples:',
    ...command.examples.map((e) => `  ${e}`),
    '',
    `Exit codes: ${command.exitCodes}`,
    '',
  ].join('\n');
}

/** How an option's default reads in help. */
export function defaultOf(o: OptionSpec): string {
  if (o.default !== '') return `default ${o.default}`;
  return o.kind.endsWith('?') ? 'default the stored setting' : 'default none';
}

/** A parse error of node:util on one line, without its hint about values starting with a dash. */
function usageError(err: unknown): PinauditError {
  const text = messageOf(err).replace(/\s*To specify an? (option|positional) argument.*$/s, '').replace(/\.$/, '');
  return new PinauditError('USAGE', text.replace(/\s*\n\s*/g, ' '));
}

/** Runs one command on its arguments; returns the exit code. Never throws. */
export async function runCommand(
  command: AnyCommand,
  argv: readonly string[],
  io: Io,
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  try {
    const specs = configSpecs(command);
    const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
    for (const [flag, o] of Object.entries({ ...(command.options as OptionTable), help: COMMON.help! })) {
      options[flag] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
    }
    for (const o of specs) options[o.flag] = { type: isBool(o) ? 'boolean' : 'string' };
    let parsed;
    try {
      parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true, allowNegative: true });
    } catch (err: unknown) {
      throw usageError(err);
    }
    const { values, positionals } = parsed;
    if (values.help === true) {
      io.stdout(commandHelp(command));
      return 0;
    }
    const range = command.positionals ?? { min: 0, max: 0, missing: '', tooMany: 'this command takes no arguments' };
    if (positionals.length > range.max) {
      throw new PinauditError('USAGE', `${range.tooMany}: unexpected ${JSON.stringify(positionals[range.max])}`);
    }
    if (positionals.length < range.min) throw new PinauditError('USAGE', range.missing);
    const flags = Object.fromEntries(specs.map((o) => [o.flag, values[o.flag] as string | boolean | undefined]));
    const config = loadConfig(flags, env, process.cwd(), specs);
    const own = Object.fromEntries(Object.keys(command.options as OptionTable).map((k) => [k, values[k]])) as Values<OptionTable>;
    return await command.run({ values: own, positionals, config, env, io });
  } catch (err: unknown) {
    // A reader that went away (`| head`) is not a failure.
    if ((err as NodeJS.ErrnoException | null)?.code === 'EPIPE') return 0;
    const usage = errorCodeOf(err) === 'USAGE' ? ` (see pinaudit ${command.name} --help)` : '';
    io.stderr(`pinaudit ${command.name}: ${messageOf(err)}${usage}\n`);
    return exitCodeOf(err);
  }
}
