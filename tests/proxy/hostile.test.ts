/**
 * Hostile input through the running proxy: malformed request lines, header injection, a 1 MB
 * cookie, invalid UTF-8, deeply nested JSON and huge query strings in tag parameters. Each is
 * answered or closed cleanly, recorded where it should be, and the proxy keeps serving others.
 */
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ProxyAgent, request } from 'undici';
import { makeTestPki, type TestPki } from '../../bench/test-pki.js';
import { connectVia, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { startHttpsUpstream, type Upstream } from '../helpers/upstream.js';

let pki: TestPki;
let upstream: Upstream;
let proxy: TestProxy;
let agent: ProxyAgent;

beforeAll(async () => {
  pki = makeTestPki();
  upstream = await startHttpsUpstream(pki.server(['*.pinterest.com']));
  proxy = await startTestProxy({ 'upstream-ca': pki.caPath, 'host-resolver-rules': `MAP *.pinterest.com 127.0.0.1:${upstream.port}` });
  agent = new ProxyAgent({ uri: proxy.url, requestTls: { ca: proxy.caPem } });
});
afterAll(async () => {
  await agent?.close();
  await proxy?.close();
  await upstream?.close();
  pki?.cleanup();
});

/** Sends raw bytes to the proxy's plain port; resolves with what came back before close. */
function raw(bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(proxy.port, '127.0.0.1');
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
    s.write(bytes);
    setTimeout(() => s.end(), 300);
  });
}

/** Sends raw bytes inside an intercepted TLS session to ct.pinterest.com. */
async function rawTls(bytes: string | Buffer): Promise<string> {
  const { socket } = await connectVia(proxy.port, 'ct.pinterest.com:443');
  return new Promise((resolve) => {
    const s = tls.connect({ socket, servername: 'ct.pinterest.com', ca: proxy.caPem }, () => s.write(bytes));
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
    setTimeout(() => s.end(), 500);
  });
}

async function stillServing(): Promise<void> {
  const res = await request('https://ct.pinterest.com/ok', { dispatcher: agent });
  expect(res.statusCode).toBe(200);
  await res.body.dump();
}

describe('malformed requests', () => {
  test.each([
    ['garbage request line', 'HELLO\r\n\r\n'],
    ['no version', 'GET http://ct.pinterest.com/\r\n\r\n'],
    ['header without colon', 'GET http://ct.pinterest.com/ HTTP/1.1\r\nHost ct.pinterest.com\r\n\r\n'],
    ['NUL in header', 'GET http://ct.pinterest.com/ HTTP/1.1\r\nHost: ct.pinterest.com\r\nX: a\0b\r\n\r\n'],
    ['bare LF injection', 'GET http://ct.pinterest.com/ HTTP/1.1\r\nHost: ct.pinterest.com\r\nX: a\nSet-Cookie: injected=1\r\n\r\n'],
    ['conflicting lengths', 'POST http://ct.pinterest.com/ HTTP/1.1\r\nHost: ct.pinterest.com\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ])('%s → a well-formed answer or a clean close, and the proxy keeps serving', async (_name, bytes) => {
    const reply = await raw(bytes);
    expect(reply === '' || /^HTTP\/1\.[01] [2-5]\d\d /.test(reply)).toBe(true);
    expect(reply).not.toMatch(/injected=1/i);
    await stillServing();
  });

  test('an invalid Host header on an intercepted request is refused with 400, nothing forwarded or recorded', async () => {
    const seen = upstream.seen.length;
    const before = proxy.sink.requests.length;
    const reply = await rawTls('GET /v3/ HTTP/1.1\r\nHost: ../../etc/passwd\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect(upstream.seen.length).toBe(seen);
    expect(proxy.sink.requests.length).toBe(before);
    const plain = await raw('GET http://ct.pinterest.com/ HTTP/1.1\r\nHost: a/b\r\n\r\n');
    expect(plain).toMatch(/^HTTP\/1\.1 400/);
    await stillServing();
  });

  test('malformed bytes inside an intercepted TLS session are answered 400', async () => {
    const reply = await rawTls('NOT HTTP AT ALL\r\n\r\n');
    expect(reply === '' || /^HTTP\/1\.1 400/.test(reply)).toBe(true);
    await stillServing();
  });
});

describe('oversized and odd payloads', () => {
  test('a 1 MB cookie is refused with 431 and nothing is forwarded', async () => {
    const seen = upstream.seen.length;
    const reply = await rawTls(`GET /v3/ HTTP/1.1\r\nHost: ct.pinterest.com\r\nCookie: _pinterest_ct_ua=${'a'.repeat(1024 * 1024)}\r\n\r\n`);
    expect(reply === '' || /^HTTP\/1\.1 431/.test(reply)).toBe(true);
    expect(upstream.seen.length).toBe(seen);
    await stillServing();
  });

  test('a request line over 16 KiB is refused with 431, and the proxy keeps serving', async () => {
    const reply = await rawTls(`GET /v3/?tid=1&${'k=v&'.repeat(30_000)} HTTP/1.1\r\nHost: ct.pinterest.com\r\n\r\n`);
    expect(reply === '' || /^HTTP\/1\.1 431/.test(reply)).toBe(true);
    await stillServing();
  });

  test('invalid UTF-8, deep JSON and a 12 KB query are forwarded and classified without a crash', async () => {
    const start = proxy.sink.completions.length;
    const deep = `${'['.repeat(2000)}${']'.repeat(2000)}`;
    const urls = [
      `https://ct.pinterest.com/v3/?tid=2612345678901&ad=%FF%FE%C3%28&pd=%E0%80%AF`,
      `https://ct.pinterest.com/v3/?tid=2612345678901&ed=${encodeURIComponent(deep)}`,
      `https://ct.pinterest.com/v3/?tid=2612345678901&${Array.from({ length: 1500 }, (_, i) => `k${i}=v${i}`).join('&')}`.slice(0, 12_000),
    ];
    for (const url of urls) {
      const res = await request(url, { dispatcher: agent });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    }
    const body = Buffer.from([0x65, 0x64, 0x3d, 0xff, 0xfe, 0x7b, 0x22, 0xc3]);
    const post = await request('https://ct.pinterest.com/v3/', { method: 'POST', body, dispatcher: agent, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    await post.body.dump();
    await proxy.sink.waitForCompletions(start + 4);
    const flows = proxy.sink.completions.slice(start, start + 4).map((c) => c.flow);
    for (const f of flows) {
      expect(f.finding?.pinterest).toBe(true);
      expect(f.finding?.category).toBe('tag');
    }
    expect(flows[1]!.finding?.malformed).toContain('ed');
    await stillServing();
  });
});
