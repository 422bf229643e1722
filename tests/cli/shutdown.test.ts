/**
 * SIGTERM with many open sockets of every kind (intercepted TLS keep-alive connections, CONNECTs
 * waiting for TLS, blind tunnels, a live-feed stream on the dashboard): the process ends them all
 * and exits 0 promptly, not after a cap with sockets still open.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { makeTestPki, type TestPki } from '../../bench/test-pki.js';
import { connectVia } from '../helpers/proxy.js';
import { spawnCli } from '../helpers/cli.js';
import { startHttpsUpstream, type Upstream } from '../helpers/upstream.js';

let root: string;
let pki: TestPki;
let upstream: Upstream;
let echo: net.Server;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pinaudit-shutdown-'));
  pki = makeTestPki();
  upstream = await startHttpsUpstream(pki.server(['*.pinterest.com']));
  echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
});
afterAll(async () => {
  echo?.close();
  await upstream?.close();
  pki?.cleanup();
  rmSync(root, { recursive: true, force: true });
});

test('SIGTERM with 150 open client sockets and a live stream: all closed, exit 0 within 1.5 s', async () => {
  const echoPort = (echo.address() as net.AddressInfo).port;
  const p = spawnCli([
    'start', '--proxy-port', '0', '--dashboard-port', '0', '--log-level', 'warn', '--ca-dir', join(root, 'ca'), '--data-dir', join(root, 'data'),
    '--upstream-ca', pki.caPath, '--host-resolver-rules', `MAP *.pinterest.com 127.0.0.1:${upstream.port}, MAP echo.test 127.0.0.1:${echoPort}`,
  ]);
  const out = await p.waitFor(/Press Ctrl\+C/);
  const port = Number(/proxy\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
  const dashboard = /dashboard\s+(http:\/\/\S+)/.exec(out)![1]!;
  const ca = (await (await fetch(`${dashboard}/ca.pem`)).text()) || '';
  const sockets: net.Socket[] = [];
  // 60 intercepted keep-alive connections, each after one answered request.
  await Promise.all(
    Array.from({ length: 60 }, async () => {
      const { socket } = await connectVia(port, 'ct.pinterest.com:443');
      const s = tls.connect({ socket, servername: 'ct.pinterest.com', ca });
      await new Promise<void>((r) => s.once('secureConnect', () => r()));
      s.write('GET /v3/ HTTP/1.1\r\nHost: ct.pinterest.com\r\n\r\n');
      await new Promise((r) => s.once('data', r));
      sockets.push(s as unknown as net.Socket);
    }),
  );
  // 50 CONNECTs to an intercepted host that never start TLS, and 40 blind tunnels.
  for (const target of [...Array(50).fill('ct.pinterest.com:443'), ...Array(40).fill('echo.test:7')] as string[]) {
    const { status, socket } = await connectVia(port, target);
    expect(status).toBe(200);
    sockets.push(socket);
  }
  const live = http.get(`${dashboard}/api/live`);
  const liveOpen = await new Promise<http.IncomingMessage>((r) => live.once('response', r));
  expect(liveOpen.statusCode).toBe(200);
  const closed = sockets.map((s) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r()))));
  const sent = Date.now();
  p.child.kill('SIGTERM');
  const { code, at } = await p.exited;
  expect(code).toBe(0);
  expect(at - sent).toBeLessThan(1500);
  await Promise.all(closed);
  live.destroy();
});
