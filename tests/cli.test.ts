/**
 * The real binary: start banner, clean shutdown with open tunnels, and one clear line plus a
 * non-zero exit for a port in use, a bad flag, an unwritable folder or an unguarded LAN bind.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectVia } from './helpers/proxy.js';
import { runCli, spawnCli } from './helpers/cli.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pinaudit-cli-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function dirs(name: string): string[] {
  return ['--ca-dir', join(root, name, 'ca'), '--data-dir', join(root, name, 'data'), '--dashboard-port', '0'];
}

describe('pinaudit start', () => {
  test('prints address, CA path and fingerprint; SIGTERM with open tunnels exits 0 within 3 s', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    const echoPort = (echo.address() as net.AddressInfo).port;
    const p = spawnCli(['start', '--proxy-port', '0', '--log-level', 'warn', ...dirs('run'), '--host-resolver-rules', `MAP echo.test 127.0.0.1:${echoPort}`]);
    const out = await p.waitFor(/Press Ctrl\+C/);
    const port = Number(/proxy\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(out).toContain(join(root, 'run', 'ca', 'pinaudit-ca.pem'));
    expect(out).toMatch(/SHA-256\s+([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    expect(out).toContain('--proxy-server=http://127.0.0.1:');
    const dashboard = /dashboard\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    expect(dashboard).toBeDefined();
    const page = await fetch(`${dashboard}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const pac = await (await fetch(`${dashboard}/proxy.pac`)).text();
    expect(pac).toContain(`PROXY 127.0.0.1:${port}; DIRECT`);
    expect(statSync(join(root, 'run', 'ca', 'pinaudit-ca.key')).mode & 0o777).toBe(0o600);

    // Two open tunnels that would otherwise keep the process alive.
    const tunnels = await Promise.all([connectVia(port, 'echo.test:7'), connectVia(port, 'echo.test:7')]);
    for (const t of tunnels) expect(t.status).toBe(200);
    const closed = tunnels.map((t) => new Promise<void>((r) => t.socket.once('close', () => r())));
    const sent = Date.now();
    p.child.kill('SIGTERM');
    const { code, at } = await p.exited;
    expect(code).toBe(0);
    expect(at - sent).toBeLessThan(3000);
    await Promise.all(closed);
    expect(p.stderr()).toBe('');
    echo.close();
  });

  test('a port already in use: one clear line, exit 1', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as net.AddressInfo).port;
    const r = await runCli(['start', '--proxy-port', String(port), ...dirs('busy')]);
    busy.close();
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/already in use/);
  });

  test.each([
    [['--proxy-port', 'eighty'], /--proxy-port: "eighty" is not a port/],
    [['--proxy-port', '70000'], /not a port/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--log-level', 'loud'], /--log-level: "loud" is not one of/],
    [['--host-resolver-rules', 'SEND x y'], /--host-resolver-rules: "SEND x y"/],
    [['--upstream-ca', '/nonexistent/ca.pem'], /--upstream-ca: .* cannot be read/],
    [['--listen-host', '0.0.0.0'], /not a loopback address; add --allow-lan/],
  ])('bad flag %j: one clear line, exit 2', async (flags, message) => {
    const r = await runCli(['start', ...dirs('bad'), ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  test('the same flags work as environment variables', async () => {
    const r = await runCli(['start', ...dirs('env')], { PINAUDIT_PROXY_PORT: 'nope' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--proxy-port: "nope"/);
  });

  test('an unwritable data directory: one clear line, exit 1', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, '');
    const r = await runCli(['start', '--proxy-port', '0', '--ca-dir', join(root, 'uw', 'ca'), '--data-dir', join(file, 'data')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot write the data directory/);
  });

  test('a LAN bind with --allow-lan warns', async () => {
    const p = spawnCli(['start', '--proxy-port', '0', '--listen-host', '0.0.0.0', '--allow-lan', '--log-level', 'warn', ...dirs('lan')]);
    await p.waitFor(/Press Ctrl\+C/);
    p.child.kill('SIGINT');
    const { code } = await p.exited;
    expect(code).toBe(0);
    expect(p.stderr()).toMatch(/warning: listening on 0\.0\.0\.0/);
  });
});

describe('pinaudit ca and help', () => {
  test('ca prints path, fingerprint and steps for every system', async () => {
    const r = await runCli(['ca', '--ca-dir', join(root, 'ca', 'ca')]);
    expect(r.code).toBe(0);
    for (const s of ['macOS', 'Windows', 'Debian / Ubuntu', 'certutil', 'Firefox', 'pinaudit-ca.pem']) expect(r.stdout).toContain(s);
    expect(r.stdout).toMatch(/SHA-256\s+([0-9A-F]{2}:){31}[0-9A-F]{2}/);
  });

  test('--help exits 0 and lists every option with its env name; an unknown command exits 2', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('PINAUDIT_PROXY_PORT');
    expect(help.stdout).toContain('--host-resolver-rules');
    const bad = await runCli(['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown command "frobnicate"/);
  });
});

describe('pinaudit inspect', () => {
  test('prints the Finding as JSON; credentials only as fingerprints', async () => {
    const url = 'https://ct.pinterest.com/v3/?tid=2616391205865&event=Checkout&ad=%7B%22loc%22%3A%22https%3A%2F%2Fshop.example%2Fcart%22%7D';
    const r = await runCli(['inspect', url, '--cookie', '_pinterest_sess=TOPSECRETSESSION; _pinterest_ct_ua=ua1', '--data-dir', join(root, 'inspect')]);
    expect(r.code).toBe(0);
    const finding = JSON.parse(r.stdout);
    expect(finding).toMatchObject({
      pinterest: true,
      category: 'tag',
      thirdParty: true,
      page: { site: 'shop.example', url: 'https://shop.example/cart', attributedBy: 'tag-payload' },
      leakLevel: 'full-url',
      tag: { id: '2616391205865', event: 'checkout' },
      loggedIn: true,
    });
    expect(r.stdout).not.toContain('TOPSECRETSESSION');
    expect(statSync(join(root, 'inspect', 'fingerprint.key')).mode & 0o777).toBe(0o600);
  });

  test('a non-Pinterest URL is {"pinterest": false}, exit 0; a missing URL is a usage error', async () => {
    const r = await runCli(['inspect', 'https://example.com/', '--data-dir', join(root, 'inspect')]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).pinterest).toBe(false);
    const bad = await runCli(['inspect', '--data-dir', join(root, 'inspect')]);
    expect(bad.code).toBe(2);
  });
});

describe('pinaudit pac and purge', () => {
  test('pac sends only Pinterest through the proxy, with DIRECT as fallback', async () => {
    const r = await runCli(['pac', '--proxy-port', '9191']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('PROXY 127.0.0.1:9191; DIRECT');
    expect(r.stdout).toContain('"pinimg.com"');
    expect(r.stdout).toContain('FindProxyForURL');
  });

  test('purge without --yes removes nothing and exits 2; with --yes it empties the database', async () => {
    const name = 'purge';
    // A start creates the database; then purge it.
    const p = spawnCli(['start', '--proxy-port', '0', '--log-level', 'warn', ...dirs(name)]);
    await p.waitFor(/Press Ctrl\+C/);
    p.child.kill('SIGTERM');
    await p.exited;
    const dry = await runCli(['purge', '--all', '--data-dir', join(root, name, 'data')]);
    expect(dry.code).toBe(2);
    const done = await runCli(['purge', '--all', '--yes', '--data-dir', join(root, name, 'data')]);
    expect(done.code).toBe(0);
  });
});

describe('a database pinaudit cannot use', () => {
  async function startOnce(name: string): Promise<void> {
    const p = spawnCli(['start', '--proxy-port', '0', '--log-level', 'warn', ...dirs(name)]);
    await p.waitFor(/Press Ctrl\+C/);
    p.child.kill('SIGTERM');
    await p.exited;
  }

  test('a database made by a newer pinaudit: one clear line, exit 1, the file untouched', async () => {
    await startOnce('newer');
    const path = join(root, 'newer', 'data', 'pinaudit.db');
    const { openRawConnection } = await import('../src/store/db.js');
    const db = openRawConnection(path);
    db.prepare('INSERT INTO schema_migrations (id, name, checksum, applied_at) VALUES (?, ?, ?, ?)').run(999, '999-future.sql', 'x', Date.now());
    db.close();
    const { readFileSync } = await import('node:fs');
    const before = readFileSync(path);
    const r = await runCli(['start', '--proxy-port', '0', ...dirs('newer')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/newer/i);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  test('a file that is not a database: one clear line, exit 1', async () => {
    const dataDir = join(root, 'corrupt', 'data');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'pinaudit.db'), 'this is not a SQLite database, just text'.repeat(100));
    const r = await runCli(['start', '--proxy-port', '0', ...dirs('corrupt')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/database/i);
  });
});
