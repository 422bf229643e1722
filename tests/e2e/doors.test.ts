/**
 * Doors into the machine, checked on the real binary: nothing listens beyond loopback, upstream
 * verification cannot be turned off (not even with NODE_TLS_REJECT_UNAUTHORIZED=0), logs never
 * carry cookie values, and a locked database neither crashes the proxy nor loses findings.
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ProxyAgent, request } from 'undici';
import { makeTestPki, type TestPki } from '../../bench/test-pki.js';
import { openRawConnection } from '../../src/store/db.js';
import { runCli, spawnCli, type Spawned } from '../helpers/cli.js';
import { startHttpsUpstream, type Upstream } from '../helpers/upstream.js';

let root: string;
let pki: TestPki;
let good: Upstream;
let bad: Upstream;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pinaudit-doors-'));
  pki = makeTestPki();
  good = await startHttpsUpstream(pki.server(['*.pinterest.com']));
  bad = await startHttpsUpstream(pki.selfSigned('bad.pinterest.com'));
});
afterAll(async () => {
  await Promise.all([good?.close(), bad?.close()]);
  pki?.cleanup();
  rmSync(root, { recursive: true, force: true });
});

async function startBinary(name: string, extra: string[] = [], env: Record<string, string> = {}): Promise<{ p: Spawned; port: number; dashboard: string; ca: string }> {
  const p = spawnCli(
    ['start', '--proxy-port', '0', '--dashboard-port', '0', '--ca-dir', join(root, name, 'ca'), '--data-dir', join(root, name, 'data'),
      '--upstream-ca', pki.caPath, '--host-resolver-rules', `MAP bad.pinterest.com 127.0.0.1:${bad.port}, MAP *.pinterest.com 127.0.0.1:${good.port}`, ...extra],
    env,
  );
  const out = await p.waitFor(/Press Ctrl\+C/);
  return {
    p,
    port: Number(/proxy\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]),
    dashboard: /dashboard\s+(\S+)/.exec(out)![1]!,
    ca: readFileSync(join(root, name, 'ca', 'pinaudit-ca.pem'), 'utf8'),
  };
}

async function stop(p: Spawned): Promise<void> {
  p.child.kill('SIGTERM');
  await p.exited;
}

/** Local addresses of the sockets a process listens on, from /proc (hex → dotted). */
function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9]!)) continue; // 0A = LISTEN
      const [hex, portHex] = f[1]!.split(':') as [string, string];
      const addr = hex.length === 8 ? hex.match(/../g)!.reverse().map((h) => parseInt(h, 16)).join('.') : `v6:${hex}`;
      out.push(`${addr}:${parseInt(portHex, 16)}`);
    }
  }
  return out;
}

describe('doors', () => {
  test('by default every listening socket of the process is on 127.0.0.1', async () => {
    const { p, port } = await startBinary('listen');
    const addresses = listeningAddresses(p.child.pid!);
    await stop(p);
    // The proxy and the dashboard: intercepted TLS is served on the proxy's own connections.
    expect(addresses).toHaveLength(2);
    expect(addresses).toContain(`127.0.0.1:${port}`);
    for (const a of addresses) expect(a).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  test('upstream verification stays on with NODE_TLS_REJECT_UNAUTHORIZED=0, and no flag turns it off', async () => {
    const { p, port, ca } = await startBinary('verify', [], { NODE_TLS_REJECT_UNAUTHORIZED: '0' });
    const agent = new ProxyAgent({ uri: `http://127.0.0.1:${port}`, requestTls: { ca } });
    const res = await request('https://bad.pinterest.com/', { dispatcher: agent });
    await res.body.dump();
    await agent.close();
    await stop(p);
    expect(res.statusCode).toBe(502);
    expect(res.headers['x-pinaudit-error']).toBe('tls');
    expect(bad.seen).toHaveLength(0);
    for (const flag of ['--insecure', '--no-verify', '--ignore-certificate-errors', '--reject-unauthorized=false']) {
      const r = await runCli(['start', flag, '--proxy-port', '0', '--dashboard-port', '0', '--ca-dir', join(root, 'x', 'ca'), '--data-dir', join(root, 'x', 'data')]);
      expect(r.code).toBe(2);
    }
  }, 60_000);

  test('logs never contain cookie or authorization values, even at trace level', async () => {
    const { p, port, ca } = await startBinary('logs', ['--log-level', 'trace']);
    const agent = new ProxyAgent({ uri: `http://127.0.0.1:${port}`, requestTls: { ca } });
    for (const host of ['ct.pinterest.com', 'bad.pinterest.com', 'nowhere.pinterest.com']) {
      const res = await request(`https://${host}/v3/?tid=1`, {
        dispatcher: agent,
        headers: { cookie: '_pinterest_sess=SESSIONVALUE1234; _pinterest_ct_ua=TRACKERVALUE5678', authorization: 'Bearer AUTHVALUE9012' },
      });
      await res.body.dump();
    }
    await agent.close();
    await stop(p);
    const logs = p.stdout() + p.stderr();
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of ['SESSIONVALUE1234', 'TRACKERVALUE5678', 'AUTHVALUE9012']) expect(logs).not.toContain(secret);
  });
});

describe('durability', () => {
  test('a locked database: the proxy keeps serving, warns, and writes everything once the lock is gone', async () => {
    const { p, port, ca } = await startBinary('locked', ['--log-level', 'warn']);
    const dbPath = join(root, 'locked', 'data', 'pinaudit.db');
    const locker = openRawConnection(dbPath);
    locker.exec('BEGIN EXCLUSIVE');
    const agent = new ProxyAgent({ uri: `http://127.0.0.1:${port}`, requestTls: { ca } });
    for (let i = 0; i < 20; i++) {
      const res = await request(`https://ct.pinterest.com/v3/?tid=2612345678901&i=${i}`, { dispatcher: agent });
      await res.body.dump();
      expect(res.statusCode).toBe(200);
    }
    await p.waitFor(/cannot write the database/, 10_000);
    locker.exec('COMMIT');
    locker.close();
    await new Promise((r) => setTimeout(r, 1500));
    await agent.close();
    await stop(p);
    const db = openRawConnection(dbPath);
    const n = (db.prepare('SELECT count(*) AS n FROM requests').get() as { n: number }).n;
    db.close();
    expect(n).toBe(20);
  });

  test('SIGKILL under load, then restart: the database opens cleanly and keeps what was flushed', async () => {
    const { p, port, ca } = await startBinary('killed', ['--log-level', 'warn']);
    const agent = new ProxyAgent({ uri: `http://127.0.0.1:${port}`, connections: 10, requestTls: { ca } });
    let ok = 0;
    // At least 1.5 s and 60 answered requests (a loaded machine takes longer), at most 10 s.
    const until = Date.now() + 1500;
    const cap = Date.now() + 10_000;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while ((Date.now() < until || ok < 60) && Date.now() < cap) {
          const res = await request('https://ct.pinterest.com/v3/?tid=2612345678901', { dispatcher: agent });
          await res.body.dump();
          ok++;
        }
      }),
    );
    p.child.kill('SIGKILL');
    await p.exited;
    await agent.close().catch(() => undefined);
    const again = await startBinary('killed', ['--log-level', 'warn']);
    await stop(again.p);
    const db = openRawConnection(join(root, 'killed', 'data', 'pinaudit.db'));
    const integrity = (db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check;
    const n = (db.prepare('SELECT count(*) AS n FROM requests').get() as { n: number }).n;
    db.close();
    expect(integrity).toBe('ok');
    expect(ok).toBeGreaterThan(50);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(ok);
  });
});
