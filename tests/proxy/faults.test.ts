/**
 * Upstream and client faults, each with a defined outcome, one terminal event, and the proxy still
 * serving afterwards: reset mid-response, a hanging upstream, a huge response header, an expired
 * certificate, a client that aborts its upload.
 */
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ProxyAgent, request } from 'undici';
import { makeTestPki, type TestPki } from '../../bench/test-pki.js';
import { createLeaf, createRoot, generateKeyPair, privateKeyToPem } from '../../src/ca/x509.js';
import { connectVia, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { startHttpsUpstream, type Upstream } from '../helpers/upstream.js';

let pki: TestPki;
let upstream: Upstream;
let expired: https.Server;
let proxy: TestProxy;
let agent: ProxyAgent;

async function expiredServer(dir: string): Promise<{ server: https.Server; caPath: string }> {
  const rootKeys = await generateKeyPair();
  const day = 86_400_000;
  const root = await createRoot(rootKeys, ['pinterest.com'], new Date(Date.now() - 30 * day), new Date(Date.now() + 30 * day));
  const leafKeys = await generateKeyPair();
  const leaf = await createLeaf('old.pinterest.com', leafKeys.publicKey, root.pem, rootKeys.privateKey, new Date(Date.now() - 10 * day), new Date(Date.now() - day));
  const server = https.createServer({ cert: leaf.pem, key: await privateKeyToPem(leafKeys.privateKey) }, (_q, s) => s.end('stale'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const caPath = join(dir, 'expired-root.pem');
  writeFileSync(caPath, `${root.pem}\n${pki.caPem}`);
  return { server, caPath };
}

beforeAll(async () => {
  pki = makeTestPki();
  upstream = await startHttpsUpstream(pki.server(['*.pinterest.com']), (req, res) => {
    if (req.url === '/reset') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '100000' });
      res.write(Buffer.alloc(1000));
      setTimeout(() => req.socket.destroy(), 20);
    } else if (req.url === '/hang') {
      // Never answers.
    } else if (req.url === '/huge-header') {
      res.writeHead(200, { 'x-big': 'a'.repeat(40 * 1024) });
      res.end('x');
    } else {
      res.end('ok');
    }
  });
  const old = await expiredServer(pki.dir);
  expired = old.server;
  proxy = await startTestProxy({
    'upstream-ca': old.caPath,
    'idle-timeout': '800',
    'host-resolver-rules': `MAP old.pinterest.com 127.0.0.1:${(expired.address() as AddressInfo).port}, MAP *.pinterest.com 127.0.0.1:${upstream.port}`,
  });
  agent = new ProxyAgent({ uri: proxy.url, requestTls: { ca: proxy.caPem } });
});

afterAll(async () => {
  await agent?.close();
  await proxy?.close();
  await upstream?.close();
  expired?.close();
  pki?.cleanup();
});

async function lastOutcome(start: number) {
  await proxy.sink.waitForCompletions(start + 1);
  await new Promise((r) => setTimeout(r, 50));
  expect(proxy.sink.completions.length).toBe(start + 1);
  return proxy.sink.completions[start]!.outcome;
}

describe('upstream faults', () => {
  test('a reset mid-response ends the client response and records a reset', async () => {
    const start = proxy.sink.completions.length;
    const res = await request('https://ct.pinterest.com/reset', { dispatcher: agent });
    expect(res.statusCode).toBe(200);
    await expect(res.body.arrayBuffer()).rejects.toThrow();
    expect(await lastOutcome(start)).toMatchObject({ kind: 'error', error: 'reset' });
  });

  test('an upstream that hangs gets 504 after the idle timeout', async () => {
    const start = proxy.sink.completions.length;
    const t = Date.now();
    const res = await request('https://ct.pinterest.com/hang', { dispatcher: agent });
    expect(res.statusCode).toBe(504);
    expect(res.headers['x-pinaudit-error']).toBe('timeout');
    await res.body.dump();
    expect(Date.now() - t).toBeGreaterThanOrEqual(700);
    expect(await lastOutcome(start)).toMatchObject({ kind: 'error', error: 'timeout' });
  });

  test('a huge response header is a protocol error, 502', async () => {
    const start = proxy.sink.completions.length;
    const res = await request('https://ct.pinterest.com/huge-header', { dispatcher: agent });
    expect(res.statusCode).toBe(502);
    expect(res.headers['x-pinaudit-error']).toBe('protocol');
    await res.body.dump();
    expect(await lastOutcome(start)).toMatchObject({ kind: 'error', error: 'protocol' });
  });

  test('an expired upstream certificate is refused, even when its root is trusted', async () => {
    const start = proxy.sink.completions.length;
    const res = await request('https://old.pinterest.com/', { dispatcher: agent });
    expect(res.statusCode).toBe(502);
    expect(res.headers['x-pinaudit-error']).toBe('tls');
    await res.body.dump();
    expect(await lastOutcome(start)).toMatchObject({ kind: 'error', error: 'tls' });
  });
});

describe('client faults', () => {
  test('a client that aborts mid-upload: recorded once as client-aborted, nothing forwarded', async () => {
    const start = proxy.sink.completions.length;
    const seen = upstream.seen.length;
    const { socket } = await connectVia(proxy.port, 'ct.pinterest.com:443');
    const s = tls.connect({ socket, servername: 'ct.pinterest.com', ca: proxy.caPem });
    await new Promise<void>((r) => s.once('secureConnect', () => r()));
    s.write('POST /v3/ HTTP/1.1\r\nHost: ct.pinterest.com\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n');
    s.write('x'.repeat(1000));
    await new Promise((r) => setTimeout(r, 100));
    s.destroy();
    expect(await lastOutcome(start)).toMatchObject({ kind: 'error', error: 'client-aborted' });
    expect(proxy.sink.completions[start]!.flow.observation.method).toBe('POST');
    await new Promise((r) => setTimeout(r, 100));
    expect(upstream.seen.length).toBe(seen);
  });

  test('the proxy keeps serving afterwards', async () => {
    const res = await request('https://ct.pinterest.com/fine', { dispatcher: agent });
    expect(await res.body.text()).toBe('ok');
  });

  test('TLS without SNI to an intercepted host is closed cleanly', async () => {
    const { socket } = await connectVia(proxy.port, 'ct.pinterest.com:443');
    const s = tls.connect({ socket, ca: proxy.caPem, servername: '' as unknown as undefined });
    const outcome = await new Promise<string>((resolve) => {
      s.once('secureConnect', () => resolve('connected'));
      s.once('error', () => resolve('error'));
      s.once('close', () => resolve('closed'));
    });
    expect(outcome).not.toBe('connected');
    s.destroy();
  });

  test('plain bytes after a CONNECT to a Pinterest host get a 400, not a crash', async () => {
    const { socket } = await connectVia(proxy.port, 'ct.pinterest.com:443');
    socket.write('GET / HTTP/1.1\r\nHost: ct.pinterest.com\r\n\r\n');
    const reply = await new Promise<string>((r) => socket.once('data', (d: Buffer) => r(d.toString())));
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    socket.destroy();
  });

  test('CONNECT to IP literals is tunnelled, never intercepted', async () => {
    const echo = net.createServer((c) => c.end('hi'));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    const port = (echo.address() as AddressInfo).port;
    const before = proxy.sink.requests.length;
    const { status, socket, head } = await connectVia(proxy.port, `127.0.0.1:${port}`);
    expect(status).toBe(200);
    const data = head.length > 0 ? head.toString() : await new Promise<string>((r) => socket.once('data', (d: Buffer) => r(d.toString())));
    expect(data).toBe('hi');
    socket.destroy();
    const v6 = await connectVia(proxy.port, `[::1]:${port}`);
    expect([200, 502]).toContain(v6.status); // ::1 may not be bound here; either way no interception
    v6.socket.destroy();
    expect(proxy.sink.requests.length).toBe(before);
    echo.close();
  });
});
