/**
 * Load: 200 concurrent keep-alive clients through MITM and 200 through blind tunnels for 60 s
 * (STRESS_SECONDS) against loopback upstreams, with the real binary in its own process; beside
 * them, 2,000 half-open CONNECTs (the 200 read, then a close without TLS) and requests to 5,000
 * distinct Pinterest host names (one TLS context each, the cache bounded). No errors, every MITM'd
 * request recorded exactly once, RSS under 300 MB, file descriptors back to where they started
 * within 5 s of the load ending.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import tls from 'node:tls';
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
const HALF_OPEN = Number(process.env.STRESS_HALF_OPEN ?? 2000);
const HOST_NAMES = Number(process.env.STRESS_HOST_NAMES ?? 5000);
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

/** CONNECT, read the 200, close without a TLS byte. Resolves true when the 200 came. */
function halfOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'CONNECT', path: 'ct.pinterest.com:443' });
    req.once('connect', (res, socket) => {
      socket.end();
      resolve(res.statusCode === 200);
    });
    req.once('error', () => resolve(false));
    req.end();
  });
}

/** One request to `host` on a connection of its own (so each name costs a TLS context). */
function oneRequest(port: number, host: string, ca: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'CONNECT', path: `${host}:443` });
    req.once('connect', (_res, socket) => {
      const s = tls.connect({ socket, servername: host, ca }, () => {
        s.write(`GET /v3/?tid=2612345678901&event=pagevisit HTTP/1.1\r\nHost: ${host}\r\nReferer: https://shop.example/p\r\nConnection: close\r\n\r\n`);
      });
      let text = '';
      s.on('data', (d: Buffer) => (text += d.toString('latin1')));
      s.once('error', () => resolve(0));
      s.once('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
    });
    req.once('error', () => resolve(0));
    req.end();
  });
}

test(`${CLIENTS} MITM + ${CLIENTS} tunnel keep-alive clients for ${SECONDS} s, ${HALF_OPEN} half-open CONNECTs, ${HOST_NAMES} host names`, async () => {
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
    if (pa.child.exitCode === null) peakRss = Math.max(peakRss, rssMb(pid));
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
          errors.set(`${kind} status ${res.statusCode}`, (errors.get(`${kind} status ${res.statusCode}`) ?? 0) + 1);
        }
      } catch (err) {
        counts.errors++;
        // Split by client kind: a MITM error is pinaudit's own server, a tunnel error passes through.
        const key = `${kind} ${(err as { code?: string }).code ?? String(err)}`;
        errors.set(key, (errors.get(key) ?? 0) + 1);
      }
    }
  };
  const extra = { halfOpen: 0, names: 0 };
  // Spread over the load: 20 workers each for the half-open CONNECTs and the distinct names.
  let halfOpenSeq = 0;
  const halfOpenWorker = async (): Promise<void> => {
    while (halfOpenSeq < HALF_OPEN) {
      halfOpenSeq++;
      if (await halfOpen(port)) extra.halfOpen++;
      else {
        counts.errors++;
        errors.set('half-open', (errors.get('half-open') ?? 0) + 1);
      }
    }
  };
  let nameSeq = 0;
  const nameWorker = async (): Promise<void> => {
    while (nameSeq < HOST_NAMES) {
      const host = `r${nameSeq++}-${Math.random().toString(36).slice(2, 8)}.pinterest.com`;
      const status = await oneRequest(port, host, ca);
      if (nameSeq % 500 === 0) process.stdout.write(`names ${nameSeq} at ${Math.round((Date.now() - deadline) / 1000 + SECONDS)} s\n`);
      if (status === 200) extra.names++;
      else {
        counts.errors++;
        errors.set(`name ${status}`, (errors.get(`name ${status}`) ?? 0) + 1);
      }
    }
  };
  await Promise.all([
    ...Array.from({ length: CLIENTS }, () => loop('mitm')),
    ...Array.from({ length: CLIENTS }, () => loop('tunnel')),
    ...Array.from({ length: 20 }, halfOpenWorker),
    ...Array.from({ length: 20 }, nameWorker),
  ]);
  clearInterval(sampler);
  await mitm.close();
  await tunnel.close();
  const loadEnded = Date.now();

  // Client sockets close at once; idle upstream sockets after the 3 s idle timeout: all within 5 s.
  let fdsAfter = fds(pid);
  while (fdsAfter > fdsBefore && Date.now() - loadEnded < 5000) {
    await new Promise((r) => setTimeout(r, 100));
    fdsAfter = fds(pid);
  }
  const fdsBackAfterMs = Date.now() - loadEnded;

  pa.child.kill('SIGTERM');
  await new Promise<void>((r) => pa.child.once('exit', () => r()));
  const db = openRawConnection(join(root, 'data', 'pinaudit.db'));
  const rows = db.prepare("SELECT count(*) AS n, count(DISTINCT flow_id) AS flows FROM requests WHERE host = 'ct.pinterest.com'").get() as { n: number; flows: number };
  const nameRows = db.prepare("SELECT count(*) AS n FROM requests WHERE host GLOB 'r*-*.pinterest.com'").get() as { n: number };
  db.close();
  pki.cleanup();

  const report = {
    seconds: SECONDS,
    mitmRequests: counts.mitm,
    tunnelRequests: counts.tunnel,
    errors: counts.errors,
    errorKinds: Object.fromEntries(errors),
    halfOpenConnects: extra.halfOpen,
    distinctHostNames: extra.names,
    rowsRecorded: rows.n + nameRows.n,
    findingsLost: counts.mitm + extra.names - (rows.n + nameRows.n),
    peakRssMb: Math.round(peakRss),
    fdsBefore,
    fdsAfter,
    fdsBackAfterMs,
  };
  console.log(`stress report ${JSON.stringify(report)}`);
  expect(counts.errors).toBe(0);
  expect(extra.halfOpen).toBe(HALF_OPEN);
  expect(extra.names).toBe(HOST_NAMES);
  expect(rows.n).toBe(counts.mitm);
  expect(nameRows.n).toBe(extra.names);
  expect(rows.flows).toBe(rows.n);
  expect(peakRss).toBeLessThan(300);
  expect(fdsAfter).toBeLessThanOrEqual(fdsBefore);
}, 1_800_000); // 5,000 new names each cost a certificate and two TLS handshakes: slow on a busy machine
