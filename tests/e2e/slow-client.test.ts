/**
 * A slow client downloading a large body through the real binary: backpressure reaches the
 * upstream, so the proxy buffers a bounded amount instead of the whole body.
 */
import https from 'node:https';
import tls from 'node:tls';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { makeTestPki, type TestPki } from '../../bench/test-pki.js';
import { connectVia } from '../helpers/proxy.js';
import { spawnCli } from '../helpers/cli.js';

let root: string;
let pki: TestPki;
let server: https.Server;
let sent = 0;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pinaudit-slow-'));
  pki = makeTestPki();
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  server = https.createServer(pki.server(['v1.pinimg.com']), (_req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(200 * 1024 * 1024) });
    const pump = (): void => {
      while (sent < 200 * 1024 * 1024) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
});

afterAll(() => {
  server?.closeAllConnections();
  server?.close();
  pki?.cleanup();
  rmSync(root, { recursive: true, force: true });
});

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

test('a client that reads nothing for 3 s holds the upstream back; proxy memory stays bounded', async () => {
  const port = (server.address() as AddressInfo).port;
  const p = spawnCli(['start', '--proxy-port', '0', '--dashboard-port', '0', '--log-level', 'warn', '--ca-dir', join(root, 'ca'), '--data-dir', join(root, 'data'),
    '--upstream-ca', pki.caPath, '--host-resolver-rules', `MAP v1.pinimg.com 127.0.0.1:${port}`]);
  const out = await p.waitFor(/Press Ctrl\+C/);
  const proxyPort = Number(/proxy\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
  const rssBefore = rssMb(p.child.pid!);
  const { socket } = await connectVia(proxyPort, 'v1.pinimg.com:443');
  const s = tls.connect({ socket, servername: 'v1.pinimg.com', ca: readFileSync(join(root, 'ca', 'pinaudit-ca.pem'), 'utf8') });
  await new Promise<void>((r) => s.once('secureConnect', () => r()));
  s.write('GET /video.mp4 HTTP/1.1\r\nHost: v1.pinimg.com\r\n\r\n');
  let received = 0;
  s.on('data', (d: Buffer) => {
    received += d.length;
    s.pause(); // a slow reader: take one chunk, then stop reading
  });
  await new Promise((r) => setTimeout(r, 3000));
  const rssDuring = rssMb(p.child.pid!);
  const sentDuring = sent;
  s.destroy();
  p.child.kill('SIGTERM');
  const { code } = await p.exited;
  console.log(`slow client: upstream sent ${(sentDuring / 2 ** 20).toFixed(1)} MiB, client read ${(received / 2 ** 20).toFixed(2)} MiB, proxy RSS ${rssBefore.toFixed(0)} → ${rssDuring.toFixed(0)} MB`);
  expect(code).toBe(0);
  expect(sentDuring).toBeLessThan(32 * 1024 * 1024);
  expect(rssDuring - rssBefore).toBeLessThan(64);
});
