/**
 * The real binary: a second `start` on a data directory in use stops with one line naming the
 * running one's addresses, and a start whose dashboard cannot start after the proxy did exits
 * instead of hanging with the proxy still listening.
 */
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli, spawnCli } from '../helpers/cli.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pinaudit-lock-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const dirs = (name: string): string[] => ['--ca-dir', join(root, 'ca'), '--data-dir', join(root, name), '--proxy-port', '0', '--dashboard-port', '0'];

describe('pinaudit start', () => {
  test('a second start on the same data directory: one line naming the running one, exit 1', async () => {
    const first = spawnCli(['start', '--log-level', 'warn', ...dirs('shared')]);
    try {
      const out = await first.waitFor(/Press Ctrl\+C/);
      const proxy = /proxy\s+(http:\/\/\S+)/.exec(out)![1]!;
      const dashboard = /dashboard\s+(http:\/\/\S+)/.exec(out)![1]!;
      const second = await runCli(['start', '--log-level', 'warn', ...dirs('shared')]);
      expect(second.code).toBe(1);
      expect(second.stdout).toBe('');
      expect(second.stderr.trim().split('\n')).toHaveLength(1);
      expect(second.stderr).toContain(`proxy ${proxy}`);
      expect(second.stderr).toContain(`dashboard ${dashboard}`);
      expect(second.stderr).toContain(`pid ${first.child.pid}`);
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
  });

  test('without its dashboard/ folder: the started proxy is closed again and start exits 1', async () => {
    // A copy of the build with no dashboard/ beside it.
    const repo = fileURLToPath(new URL('../../', import.meta.url));
    const copy = join(root, 'no-dashboard');
    cpSync(join(repo, 'dist'), join(copy, 'dist'), { recursive: true });
    cpSync(join(repo, 'package.json'), join(copy, 'package.json'));
    cpSync(join(repo, 'migrations'), join(copy, 'migrations'), { recursive: true });
    symlinkSync(join(repo, 'node_modules'), join(copy, 'node_modules'));
    const child = spawn(process.execPath, [join(copy, 'dist', 'src', 'cli.js'), 'start', ...dirs('nodash')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 15_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(err).toMatch(/^pinaudit( start)?: .*dashboard/);
  });
});
