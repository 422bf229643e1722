/**
 * One typed configuration, validated once. Every option is a flag and an environment variable
 * (`--proxy-port` / `PINAUDIT_PROXY_PORT`); flags win. `loadConfig` returns a frozen object or
 * throws a CONFIG error naming the option and the bad value. Only this module and the CLI read
 * `process.env`, and this module only through its `env` argument.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isIP } from 'node:net';
import { PinauditError, messageOf } from './errors.js';
import { fleetTarget, type FleetTarget } from './fleet/target.js';
import { isLoopbackName } from './loopback.js';
import { parseResolverRules, type ResolverRule } from './proxy/resolver.js';
import { BLOCK_MODES, type BlockMode } from './types.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  readonly proxyPort: number;
  readonly listenHost: string;
  readonly allowLan: boolean;
  readonly caDir: string;
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  /** Extra trusted root(s) for upstream TLS, PEM text; `null` when not given. */
  readonly upstreamCa: { path: string; pem: string } | null;
  readonly hostResolverRules: readonly ResolverRule[];
  readonly hostResolverRulesText: string;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly dashboardPort: number;
  /** Block mode to set at start; `null` keeps the stored one. */
  readonly block: BlockMode | null;
  /** Retention to set at start (`0` keeps raw rows forever); `null` keeps the stored one. */
  readonly retentionDays: number | null;
  /** Whether to count blind tunnels per day and site; `null` keeps the stored setting. */
  readonly countTunnels: boolean | null;
  /** Record findings in the database (off: audit and block without keeping history). */
  readonly record: boolean;
  /** The fleet database recorded rows are also shipped to; `null` ships nowhere. */
  readonly shipTo: FleetTarget | null;
  /** This instance's name in the fleet; empty means the host name. */
  readonly instanceName: string;
}

export { BLOCK_MODES, type BlockMode };

type Kind = 'port' | 'host' | 'path' | 'bool' | 'ms' | 'level' | 'rules' | 'file' | 'mode?' | 'days?' | 'bool?' | 'fleet' | 'name';

export interface OptionSpec {
  flag: string;
  key: keyof Config;
  kind: Kind;
  default: string;
  help: string;
}

/** The option table: the source of `--help`, README's table and the env names. */
export const OPTIONS: readonly OptionSpec[] = [
  { flag: 'proxy-port', key: 'proxyPort', kind: 'port', default: '8080', help: 'port of the proxy (0 picks a free one)' },
  { flag: 'listen-host', key: 'listenHost', kind: 'host', default: '127.0.0.1', help: 'address to listen on; a non-loopback address needs --allow-lan' },
  { flag: 'allow-lan', key: 'allowLan', kind: 'bool', default: 'false', help: 'permit a non-loopback --listen-host (anyone on the network can then use the proxy)' },
  { flag: 'ca-dir', key: 'caDir', kind: 'path', default: './ca', help: 'where the CA certificate and key live' },
  { flag: 'data-dir', key: 'dataDir', kind: 'path', default: './data', help: 'where the database and the fingerprint key live' },
  { flag: 'log-level', key: 'logLevel', kind: 'level', default: 'info', help: `one of ${LOG_LEVELS.join(', ')}` },
  { flag: 'upstream-ca', key: 'upstreamCa', kind: 'file', default: '', help: 'PEM file of extra roots trusted for upstream TLS (local test servers)' },
  { flag: 'host-resolver-rules', key: 'hostResolverRules', kind: 'rules', default: '', help: 'Chromium-style "MAP <pattern> <host[:port]>, EXCLUDE <pattern>" for upstream connections' },
  { flag: 'connect-timeout', key: 'connectTimeoutMs', kind: 'ms', default: '10000', help: 'milliseconds to wait for an upstream connection' },
  { flag: 'idle-timeout', key: 'idleTimeoutMs', kind: 'ms', default: '60000', help: 'milliseconds an upstream may stay silent before the request fails' },
  { flag: 'dashboard-port', key: 'dashboardPort', kind: 'port', default: '8081', help: 'port of the dashboard on the same address (0 picks a free one)' },
  { flag: 'block', key: 'block', kind: 'mode?', default: '', help: `block mode: ${BLOCK_MODES.join(', ')}; kept in the database (first "off")` },
  { flag: 'retention-days', key: 'retentionDays', kind: 'days?', default: '', help: 'days raw requests are kept, 0 for ever; kept in the database (first 90)' },
  { flag: 'count-tunnels', key: 'countTunnels', kind: 'bool?', default: '', help: 'count visited sites per day, for "N of M sites leaked"; kept in the database (first on)' },
  { flag: 'record', key: 'record', kind: 'bool', default: 'true', help: 'record findings in the database; false audits and blocks without keeping history' },
  { flag: 'ship-to', key: 'shipTo', kind: 'fleet', default: '', help: 'also ship recorded rows to this fleet database, postgres://…; credentials from the URL or PG* variables' },
  { flag: 'instance-name', key: 'instanceName', kind: 'name', default: '', help: "this instance's name in the fleet; none means the host name" },
];

export function envName(flag: string): string {
  return `PINAUDIT_${flag.toUpperCase().replace(/-/g, '_')}`;
}

function bad(flag: string, value: string, why: string): never {
  throw new PinauditError('CONFIG', `--${flag}: ${JSON.stringify(value)} ${why}`);
}

function convert(spec: OptionSpec, raw: string, cwd: string): unknown {
  switch (spec.kind) {
    case 'port': {
      if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) bad(spec.flag, raw, 'is not a port (0-65535)');
      return Number(raw);
    }
    case 'ms': {
      if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) bad(spec.flag, raw, 'is not a positive number of milliseconds');
      return Number(raw);
    }
    case 'mode?':
      if (raw === '') return null;
      if (!(BLOCK_MODES as readonly string[]).includes(raw)) bad(spec.flag, raw, `is not one of ${BLOCK_MODES.join(', ')}`);
      return raw;
    case 'days?':
      if (raw === '') return null;
      if (!/^\d{1,5}$/.test(raw)) bad(spec.flag, raw, 'is not a whole number of days');
      return Number(raw);
    case 'bool?':
      if (raw === '') return null;
      return convert({ ...spec, kind: 'bool' }, raw, cwd);
    case 'bool': {
      if (['1', 'true', 'yes', 'on', ''].includes(raw.toLowerCase())) return true;
      if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
      return bad(spec.flag, raw, 'is not true or false');
    }
    case 'host': {
      const host = raw.replace(/^\[|\]$/g, '');
      if (!isIP(host) && host !== 'localhost') bad(spec.flag, raw, 'is not an IP address or "localhost"');
      // http-mitm-proxy's internal hop dials 0.0.0.0: on an IPv6 address HTTPS would hang.
      if (isIP(host) === 6) bad(spec.flag, raw, 'is IPv6; use an IPv4 address such as 127.0.0.1');
      return host === 'localhost' ? '127.0.0.1' : host;
    }
    case 'path':
      if (raw.trim() === '' || raw.includes('\0')) bad(spec.flag, raw, 'is not a path');
      return resolve(cwd, raw);
    case 'level':
      if (!(LOG_LEVELS as readonly string[]).includes(raw)) bad(spec.flag, raw, `is not one of ${LOG_LEVELS.join(', ')}`);
      return raw;
    case 'rules':
      return parseResolverRules(raw);
    case 'fleet':
      // Parsed (with the PG* variables) in loadConfig; checked here so a bad URL fails as CONFIG.
      if (raw === '') return null;
      fleetTarget(raw, {}, spec.flag);
      return raw;
    case 'name':
      // eslint-disable-next-line no-control-regex
      if (raw.length > 100 || /[\x00-\x1f\x7f]/.test(raw)) bad(spec.flag, raw, 'is not a name (at most 100 printable characters)');
      return raw.trim();
    case 'file': {
      if (raw === '') return null;
      const path = resolve(cwd, raw);
      let pem: string;
      try {
        pem = readFileSync(path, 'utf8');
      } catch (err) {
        return bad(spec.flag, raw, `cannot be read: ${messageOf(err)}`);
      }
      if (!pem.includes('-----BEGIN CERTIFICATE-----')) bad(spec.flag, raw, 'holds no PEM certificate');
      return { path, pem };
    }
  }
}

/**
 * Builds the configuration from parsed flags (`{ 'proxy-port': '9000' }`) and the environment.
 * Unknown flags are the CLI's concern; this validates values. `specs` narrows it to the options one
 * command takes (the result then holds only those), so a variable meant for another command
 * cannot fail this one.
 */
export function loadConfig(
  flags: Readonly<Record<string, string | boolean | undefined>>,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string = process.cwd(),
  specs: readonly OptionSpec[] = OPTIONS,
): Config {
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    const fromFlag = flags[spec.flag];
    const raw =
      fromFlag === undefined ? (env[envName(spec.flag)] ?? spec.default) : fromFlag === true ? 'true' : String(fromFlag);
    out[spec.key] = convert(spec, raw, cwd);
    if (spec.kind === 'rules') out.hostResolverRulesText = raw;
    if (spec.kind === 'fleet' && typeof out[spec.key] === 'string') out[spec.key] = fleetTarget(raw, env, spec.flag);
  }
  const config = out as unknown as Config;
  if ('listenHost' in out && !isLoopbackName(config.listenHost) && !config.allowLan) {
    throw new PinauditError(
      'CONFIG',
      `--listen-host: ${config.listenHost} is not a loopback address; add --allow-lan to accept connections from other machines`,
    );
  }
  return Object.freeze(config);
}
