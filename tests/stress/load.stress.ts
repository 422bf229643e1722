/**
 * Load: 200 concurrent keep-alive clients through MITM and 200 through blind tunnels for 60 s
 * (STRESS_SECONDS) against loopback upstreams, with the real binary in its own process. No errors,
 * every MITM'd request recorded exactly once, RSS under 300 MB, file descriptors back to where they
 * started once the clients are gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { ProxyAgent, request } from 'undici';
import { makeTestPki } from '../../bench/test-pki.js';
import { openRawConnection } from '../../src/store/db.js';
import { requireBuild, CLI } from '../helpers/cli.js';

const SECONDS = Number(process.env.STRESS_SECONDS ?? 60);
const CLIENTS = 200;
const CHILD = fileURLToPath(new URL('../../dist/bench/child.js', import.meta.url));
const children: ChildProcess[] = [];
const root = mkdtempSync(join(tmpdir(), 'pinaudit-stress-'));

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

function start(args: string[], ready: RegExp): Promise<{ child: ChildProcess; m: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) resolve({ child, m });
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}`)));
  });
}

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const fds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

test(`${CLIENTS} MITM + ${CLIENTS} tunnel keep-alive clients for ${SECONDS} s`, async () => {
  requireBuild();
  const pki = makeTestPki();
  const tlsFiles = pki.server(['*.pinterest.com', 'other.test']);
  writeFileSync(join(root, 'up.pem'), tlsFiles.cert);
  writeFileSync(join(root, 'up.key'), tlsFiles.key);
  const up = await start([CHILD, 'upstream', join(root, 'up.pem'), join(root, 'up.key')], /PORT (\d+)/);
  const upPort = Number(up.m[1]);
  const pa = await start(
    [CLI, 'start', '--proxy-port', '0', '--dashboard-port', '0', '--log-level', 'warn', '--idle-timeout', '3000',
      '--ca-dir', join(root, 'ca'), '--data-dir', join(root, 'data'), '--upstream-ca', pki.caPath,
      '--host-resolver-rules', `MAP * 127.0.0.1:${upPort}`],
    /proxy\s+http:\/\/127\.0\.0\.1:(\d+)/,
  );
  const pid = pa.child.pid!;
  const port = Number(pa.m[1]);
  const ca = readFileSync(join(root, 'ca', 'pinaudit-ca.pem'), 'utf8');
  await new Promise((r) => setTimeout(r, 500));
  const fdsBefore = fds(pid);

  const mitm = new ProxyAgent({ uri: `http://127.0.0.1:${port}`, connections: CLIENTS, requestTls: { ca } });
  const tunnel = new ProxyAgent({ uri: `http://127.0.0.1:${port}`, connections: CLIENTS, requestTls: { ca: pki.caPem } });
  let peakRss = rssMb(pid);
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssMb(pid));
  }, 250);
  const counts = { mitm: 0, tunnel: 0, errors: 0 };
  const errors = new Map<string, number>();
  const deadline = Date.now() + SECONDS * 1000;
  let seq = 0;
  const loop = async (kind: 'mitm' | 'tunnel'): Promise<void> => {
    while (Date.now() < deadline) {
      const n = seq++;
      const url = kind === 'mitm' ? `https://ct.pinterest.com/v3/?tid=2612345678901&event=pagevisit&n=${n}` : `https://other.test/?n=${n}`;
      try {
        const res = await request(url, { dispatcher: kind === 'mitm' ? mitm : tunnel, headers: { referer: 'https://shop.example/p' } });
        await res.body.dump();
        if (res.statusCode === 200) counts[kind]++;
        else {
          counts.errors++;
          errors.set(`status ${res.statusCode}`, (errors.get(`status ${res.statusCode}`) ?? 0) + 1);
        }
      } catch (err) {
        counts.errors++;
        const key = (err as { code?: string }).code ?? String(err);
        errors.set(key, (errors.get(key) ?? 0) + 1);
      }
    }
  };
  await Promise.all([...Array.from({ length: CLIENTS }, () => loop('mitm')), ...Array.from({ length: CLIENTS }, () => loop('tunnel'))]);
  clearInterval(sampler);
  await mitm.close();
  await tunnel.close();

  // Client sockets close at once; idle upstream sockets after the 3 s idle timeout.
  let fdsAfter = fds(pid);
  for (let i = 0; i < 40 && fdsAfter > fdsBefore; i++) {
    await new Promise((r) => setTimeout(r, 250));
    fdsAfter = fds(pid);
  }

  pa.child.kill('SIGTERM');
  await new Promise<void>((r) => pa.child.once('exit', () => r()));
  const db = openRawConnection(join(root, 'data', 'pinaudit.db'));
  const rows = db.prepare("SELECT count(*) AS n, count(DISTINCT flow_id) AS flows FROM requests WHERE host = 'ct.pinterest.com'").get() as { n: number; flows: number };
  db.close();
  pki.cleanup();

  const report = {
    seconds: SECONDS,
    mitmRequests: counts.mitm,
    tunnelRequests: counts.tunnel,
    errors: counts.errors,
    errorKinds: Object.fromEntries(errors),
    rowsRecorded: rows.n,
    findingsLost: counts.mitm - rows.n,
    peakRssMb: Math.round(peakRss),
    fdsBefore,
    fdsAfter,
  };
  console.log(`stress report ${JSON.stringify(report)}`);
  expect(counts.errors).toBe(0);
  expect(rows.n).toBe(counts.mitm);
  expect(rows.flows).toBe(rows.n);
  expect(peakRss).toBeLessThan(300);
  expect(fdsAfter).toBeLessThanOrEqual(fdsBefore);
});
