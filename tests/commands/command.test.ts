/**
 * The command table and its one helper: every command takes --data-dir and --help, a parse error
 * is a usage error naming the command's help, and a command validates only the options it takes
 * (a variable meant for `start` cannot fail `report`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { COMMANDS } from '../../src/commands/index.js';
import { OPTIONS } from '../../src/config.js';
import { runCli } from '../helpers/cli.js';
import { runIn } from '../helpers/command.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-commands-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const byName = (name: string) => {
  const c = COMMANDS.find((x) => x.name === name);
  if (!c) throw new Error(`no command ${name}`);
  return c;
};

describe('the command table', () => {
  test('names are unique and the main help lists each with its summary', async () => {
    expect(new Set(COMMANDS.map((c) => c.name)).size).toBe(COMMANDS.length);
    const help = await runCli(['--help']);
    for (const c of COMMANDS) expect(help.stdout).toContain(`  ${c.name.padEnd(8)} ${c.summary}`);
  });

  test.each(COMMANDS.map((c) => [c.name]))('%s --help and -h: usage, its options, --data-dir, exit 0', async (name) => {
    for (const flag of ['--help', '-h']) {
      const r = await runIn(byName(name), [flag]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(new RegExp(`^Usage: pinaudit ${name}\\b`));
      expect(r.stdout).toContain('--data-dir DIR');
      expect(r.stdout).toContain('PINAUDIT_DATA_DIR');
      expect(r.stdout).toContain('Examples:');
      expect(r.stdout).toContain('Exit codes: 0');
      for (const flag of Object.keys(byName(name).options)) expect(r.stdout).toContain(`--${flag}`);
    }
  });

  test.each(COMMANDS.map((c) => [c.name]))('%s --data-dir without a value is a usage error about that value', async (name) => {
    const r = await runIn(byName(name), ['--data-dir']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`pinaudit ${name}: Option '--data-dir <value>' argument missing (see pinaudit ${name} --help)\n`);
  });

  test.each(COMMANDS.map((c) => [c.name]))('%s: an unknown option is one usage line', async (name) => {
    const r = await runIn(byName(name), ['--frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`pinaudit ${name}: Unknown option '--frobnicate' (see pinaudit ${name} --help)\n`);
  });

  test('the binary answers start, ca and pac --help with their own usage', async () => {
    for (const name of ['start', 'ca', 'pac']) {
      const r = await runCli([name, '--help']);
      expect(r.code, name).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(new RegExp(`^Usage: pinaudit ${name}\\b`));
    }
    const start = await runCli(['start', '--help']);
    for (const o of OPTIONS) expect(start.stdout).toContain(`--${o.kind.startsWith('bool') ? '[no-]' : ''}${o.flag}`);
  });
});

describe('each command validates only its own options', () => {
  const broken = {
    PINAUDIT_UPSTREAM_CA: '/missing/ca.pem',
    PINAUDIT_PROXY_PORT: 'eighty',
    PINAUDIT_LOG_LEVEL: 'loud',
    PINAUDIT_LISTEN_HOST: '0.0.0.0',
  };

  test('variables meant for start do not fail report, export, import, inspect or purge', async () => {
    const empty = join(dir, 'empty');
    for (const name of ['report', 'export']) {
      const r = await runIn(byName(name), ['--data-dir', empty], { env: broken });
      expect(r.code, name).toBe(1);
      expect(r.stderr).toMatch(/no pinaudit database/);
    }
    const purge = await runIn(byName('purge'), ['--all', '--data-dir', empty], { env: broken });
    expect(purge.code).toBe(0);
    const inspect = await runIn(byName('inspect'), ['https://example.com/', '--data-dir', join(dir, 'inspect')], { env: broken });
    expect(inspect.code).toBe(0);
    const imported = await runIn(byName('import'), [join(dir, 'missing.har'), '--data-dir', empty], { env: broken });
    expect(imported.code).toBe(1);
    expect(imported.stderr).toMatch(/cannot read/);
  });

  test('the binary: PINAUDIT_UPSTREAM_CA=/missing pinaudit report is not a usage error', async () => {
    const r = await runCli(['report', '--data-dir', join(dir, 'none')], { PINAUDIT_UPSTREAM_CA: '/missing' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^pinaudit report: no pinaudit database/);
  });

  test('but a command still validates the options it takes, from flags and environment', async () => {
    const pac = await runIn(byName('pac'), [], { env: { PINAUDIT_PROXY_PORT: 'eighty' } });
    expect(pac.code).toBe(2);
    expect(pac.stderr).toMatch(/--proxy-port: "eighty" is not a port/);
    const report = await runIn(byName('report'), [], { env: { PINAUDIT_DATA_DIR: '\0' } });
    expect(report.code).toBe(2);
    expect(report.stderr).toMatch(/--data-dir: .* is not a path/);
    const ca = await runIn(byName('ca'), ['--proxy-port', '9000']);
    expect(ca.code).toBe(2);
    expect(ca.stderr).toMatch(/Unknown option '--proxy-port'/);
  });

  test('PINAUDIT_DATA_DIR is honoured by every command that reads the database', async () => {
    const r = await runIn(byName('report'), [], { env: { PINAUDIT_DATA_DIR: join(dir, 'from-env') } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(join(dir, 'from-env', 'pinaudit.db'));
  });
});
