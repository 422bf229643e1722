/**
 * Every socket state has an end: a CONNECT to an intercepted host closed without TLS, one that
 * never sends a TLS byte, a handshake that never finishes, an idle keep-alive connection, a tunnel
 * whose upstream never answers the connect. Each is closed on time and leaves no socket behind
 * (the CLOSE-WAIT leak that once exhausted the process's descriptors).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTestPki, type TestPki } from '../../bench/test-pki.js';
import { PERMITTED_NAMES } from '../../src/app.js';
import { Authority } from '../../src/ca/authority.js';
import { Pipeline } from '../../src/pipeline.js';
import { parseResolverRules } from '../../src/proxy/resolver.js';
import { startProxy, type RunningProxy } from '../../src/proxy/server.js';
import { startBlackhole, type Blackhole } from '../helpers/blackhole.js';
import { connectVia, makeSink, type Sink } from '../helpers/proxy.js';
import { startHttpsUpstream, type Upstream } from '../helpers/upstream.js';

const DEADLINE_MS = 400;
const run = promisify(execFile);
let root: string;
let pki: TestPki;
let upstream: Upstream;
let blackhole: Blackhole;
let proxy: RunningProxy;
let sink: Sink;
let caPem: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pinaudit-sockets-'));
  pki = makeTestPki();
  upstream = await startHttpsUpstream(pki.server(['*.pinterest.com']));
  blackhole = await startBlackhole();
  const authority = await Authority.open(join(root, 'ca'), { permitted: PERMITTED_NAMES });
  caPem = authority.summary.certPem;
  sink = makeSink();
  proxy = await startProxy({
    port: 0,
    host: '127.0.0.1',
    pipeline: new Pipeline([sink], () => undefined),
    leaf: (host) => authority.leaf(host),
    rules: parseResolverRules(`MAP *.pinterest.com 127.0.0.1:${upstream.port}, MAP slow.test 127.0.0.1:${blackhole.port}`),
    upstreamCaPem: pki.caPem,
    connectTimeoutMs: DEADLINE_MS,
    idleTimeoutMs: 2000,
    clientIdleMs: DEADLINE_MS,
    handshakeTimeoutMs: DEADLINE_MS,
  });
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
  blackhole?.close();
  pki?.cleanup();
  rmSync(root, { recursive: true, force: true });
});

/** Waits until the proxy holds no open socket; fails after `ms`. */
async function drained(ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (proxy.openSockets() > 0) {
    if (Date.now() > until) throw new Error(`${proxy.openSockets()} sockets still open after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function closedBy(socket: net.Socket): Promise<number> {
  const started = Date.now();
  return new Promise((r) => socket.once('close', () => r(Date.now() - started)));
}

describe('intercepted CONNECTs', () => {
  test('a client that reads the 200 and closes without TLS leaves no socket (no CLOSE-WAIT)', async () => {
    await drained(1000);
    const clients = await Promise.all(Array.from({ length: 50 }, () => connectVia(proxy.port, 'ct.pinterest.com:443')));
    for (const c of clients) expect(c.status).toBe(200);
    // A half-close (FIN) only: the client would keep reading.
    for (const c of clients) c.socket.end();
    // Well before the handshake deadline: the proxy ends them because the client did.
    await drained(DEADLINE_MS / 2);
    for (const c of clients) c.socket.destroy();
  });

  test('a CONNECT that never sends a TLS byte is closed at the deadline', async () => {
    const { status, socket } = await connectVia(proxy.port, 'ct.pinterest.com:443');
    expect(status).toBe(200);
    const ms = await closedBy(socket);
    expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(ms).toBeLessThan(DEADLINE_MS + 1000);
    await drained(500);
  });

  test('a handshake that stops half-way is closed at the deadline', async () => {
    const { socket } = await connectVia(proxy.port, 'ct.pinterest.com:443');
    // The first bytes of a ClientHello record, then nothing.
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    const ms = await closedBy(socket);
    expect(ms).toBeLessThan(DEADLINE_MS + 1000);
    await drained(500);
  });

  test('an idle keep-alive connection inside intercepted TLS is closed, and a busy one is not', async () => {
    const { socket } = await connectVia(proxy.port, 'ct.pinterest.com:443');
    const secure = tls.connect({ socket, servername: 'ct.pinterest.com', ca: caPem });
    await new Promise<void>((r) => secure.once('secureConnect', () => r()));
    let replies = 0;
    secure.on('data', (d: Buffer) => (replies += (d.toString().match(/HTTP\/1\.1 200/g) ?? []).length));
    // Requests every half deadline keep it open past several deadlines.
    for (let i = 0; i < 4; i++) {
      secure.write('GET /keep HTTP/1.1\r\nHost: ct.pinterest.com\r\n\r\n');
      await new Promise((r) => setTimeout(r, DEADLINE_MS / 2));
    }
    expect(secure.destroyed).toBe(false);
    expect(replies).toBe(4);
    const ms = await new Promise<number>((r) => {
      const t = Date.now();
      secure.once('close', () => r(Date.now() - t));
    });
    expect(ms).toBeLessThan(DEADLINE_MS + 1000);
    await drained(500);
  });

  test('a trailing-dot host name is intercepted, forwarded and recorded under its name (curl)', async () => {
    writeFileSync(join(root, 'ca.pem'), caPem);
    const { stdout } = await run('curl', ['-sS', '-x', `http://127.0.0.1:${proxy.port}`, '--cacert', join(root, 'ca.pem'), 'https://ct.pinterest.com./v3/?tid=2612345678901']);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, path: '/v3/?tid=2612345678901' });
    const last = sink.requests[sink.requests.length - 1]!;
    expect(last.observation.host).toBe('ct.pinterest.com');
    expect(last.observation.url).toBe('https://ct.pinterest.com/v3/?tid=2612345678901');
  });
});

describe('blind tunnels', () => {
  test('an upstream connect that times out answers 504 and closes', async () => {
    const started = Date.now();
    const { status, socket } = await connectVia(proxy.port, 'slow.test:443');
    expect(status).toBe(504);
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS + 1000);
    socket.destroy();
    await drained(500);
  });
});

describe('a burst of new names', () => {
  test('the handshake deadline starts once the certificate is ready: a slow certificate does not cut the handshake', async () => {
    const authority = await Authority.open(join(root, 'ca-slow'), { permitted: PERMITTED_NAMES });
    // Certificates that take longer than the whole deadline, as when thousands of new names queue.
    const slow = await startProxy({
      port: 0,
      host: '127.0.0.1',
      pipeline: new Pipeline([makeSink()], () => undefined),
      leaf: async (host) => {
        await new Promise((r) => setTimeout(r, DEADLINE_MS * 1.5));
        return authority.leaf(host);
      },
      rules: parseResolverRules(`MAP *.pinterest.com 127.0.0.1:${upstream.port}`),
      upstreamCaPem: pki.caPem,
      connectTimeoutMs: DEADLINE_MS,
      idleTimeoutMs: 2000,
      clientIdleMs: 5000, // longer than the wait, so only the handshake deadline can cut it
      handshakeTimeoutMs: DEADLINE_MS,
    });
    try {
      const { socket } = await connectVia(slow.port, 'fresh-name.pinterest.com:443');
      const secure = tls.connect({ socket, servername: 'fresh-name.pinterest.com', ca: authority.summary.certPem });
      const outcome = await new Promise<string>((r) => {
        secure.once('secureConnect', () => r('secure'));
        secure.once('error', (err) => r(`error ${(err as NodeJS.ErrnoException).code ?? err.message}`));
        secure.once('close', () => r('closed'));
      });
      expect(outcome).toBe('secure');
      secure.destroy();
    } finally {
      await slow.close();
    }
  });
});
