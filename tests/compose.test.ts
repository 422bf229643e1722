/**
 * compose.yaml cannot be run here (no Docker), so its structure is checked against pinaudit
 * itself: every service built from this project runs a real command with options that command
 * takes, every PINAUDIT_* variable is one that command reads, no password is written into the
 * file, and dependencies and published ports make sense.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { COMMANDS } from '../src/commands/index.js';
import { envName, OPTIONS } from '../src/config.js';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
}

const text = readFileSync(new URL('../compose.yaml', import.meta.url), 'utf8');
const compose = parse(text) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const services = Object.entries(compose.services);
const ours = services.filter(([, s]) => s.build === '.');

/** The flags a command accepts: its own, the configuration options it takes, --data-dir and --help. */
function flagsOf(name: string): Set<string> {
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new Error(`compose runs "${name}", which is not a pinaudit command`);
  const keys = new Set<string>(['dataDir', ...((command.config ?? []) as string[])]);
  return new Set([...Object.keys(command.options), 'help', ...OPTIONS.filter((o) => keys.has(o.key)).map((o) => o.flag)]);
}

describe('compose.yaml', () => {
  test('PostgreSQL, the schema migration, two proxies shipping to it and the fleet dashboard over it', () => {
    expect(compose.services.postgres?.image).toMatch(/^postgres:\d+/);
    const proxies = ours.filter(([, s]) => s.command?.[0] === 'start');
    expect(proxies).toHaveLength(2);
    for (const [, s] of proxies) expect(s.environment?.PINAUDIT_SHIP_TO).toMatch(/^postgres:\/\/pinaudit@postgres:5432\/pinaudit$/);
    expect(ours.find(([, s]) => s.command?.join(' ') === 'fleet migrate')).toBeDefined();
    const dashboards = ours.filter(([, s]) => s.command?.[0] === 'dashboard');
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]![1].command).toContain('postgres://pinaudit@postgres:5432/pinaudit');
    expect(existsSync(new URL('../Dockerfile', import.meta.url))).toBe(true);
    expect(readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8')).toMatch(/ENTRYPOINT \["node", "bin\/pinaudit.js"\]/);
  });

  test('two crawl workers take sites from the shared queue in that database', () => {
    const workers = ours.filter(([, s]) => s.command?.[0] === 'crawl' && s.command.includes('--worker'));
    expect(workers).toHaveLength(2);
    for (const [, s] of workers) {
      const command = s.command ?? [];
      expect(command[command.indexOf('--queue') + 1]).toBe('postgres://pinaudit@postgres:5432/pinaudit');
      expect(s.environment?.PGPASSWORD).toBeDefined();
      expect(s.depends_on?.migrate?.condition).toBe('service_completed_successfully');
    }
    expect(new Set(workers.map(([, s]) => s.command?.[s.command.indexOf('--instance-name') + 1])).size).toBe(2);
  });

  test.each(ours.map(([name, s]) => [name, s] as const))('%s runs a pinaudit command with options it takes', (_name, service) => {
    const [command, ...args] = service.command ?? [];
    const flags = flagsOf(command ?? '');
    for (const arg of args.filter((a) => a.startsWith('--'))) expect(flags, arg).toContain(arg.replace(/^--(no-)?/, '').replace(/=.*$/, ''));
    const read = new Set([...flags].map(envName));
    if (command === 'fleet') read.add('PINAUDIT_SHIP_TO');
    for (const key of Object.keys(service.environment ?? {}).filter((k) => k.startsWith('PINAUDIT_'))) expect(read, key).toContain(key);
  });

  test('no password is written into the file; it comes from the environment', () => {
    for (const [, s] of services) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        if (/PASSWORD/.test(key)) expect(value, key).toMatch(/^\$\{[A-Z_]+:\?[^}]+\}$/);
        if (/^postgres(ql)?:\/\//.test(value)) expect(new URL(value).password, key).toBe('');
      }
      for (const arg of s.command ?? []) if (/^postgres(ql)?:\/\//.test(arg)) expect(new URL(arg).password, arg).toBe('');
    }
  });

  test('dependencies name real services, volumes are declared, published ports do not clash', () => {
    const published: string[] = [];
    for (const [, s] of services) {
      for (const dep of Object.keys(s.depends_on ?? {})) expect(Object.keys(compose.services)).toContain(dep);
      published.push(...(s.ports ?? []).map((p) => p.split(':')[0]!));
    }
    expect(new Set(published).size).toBe(published.length);
    const named = [...text.matchAll(/^\s+- ([\w-]+):\//gm)].map((m) => m[1]!);
    for (const v of named) expect(Object.keys(compose.volumes ?? {})).toContain(v);
  });
});
