/**
 * Malformed requests get one answer (`400`, or `431` for too large a head) and a close, inside
 * intercepted TLS exactly as on the plain port, within a second rather than after a long silence.
 * Request heads up to 64 KiB pass on both (browsers send cookies that large).
 */
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTestPki, type TestPki } from '../../bench/test-pki.js';
import { connectVia, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { startHttpsUpstream, startHttpUpstream, type Upstream } from '../helpers/upstream.js';

let pki: TestPki;
let upstream: Upstream;
let plainUpstream: Upstream;
let proxy: TestProxy;

beforeAll(async () => {
  pki = makeTestPki();
  upstream = await startHttpsUpstream(pki.server(['*.pinterest.com']));
  plainUpstream = await startHttpUpstream();
  upstream.seen.length = 0;
  proxy = await startTestProxy({
    'upstream-ca': pki.caPath,
    'host-resolver-rules': `MAP ct.pinterest.com:80 127.0.0.1:${plainUpstream.port}, MAP *.pinterest.com 127.0.0.1:${upstream.port}`,
  });
});
afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
  await plainUpstream?.close();
  pki?.cleanup();
});

interface Reply {
  text: string;
  /** Time from the last byte sent to the close. */
  closedAfterMs: number;
}

function collect(s: net.Socket | tls.TLSSocket, resolve: (r: Reply) => void, sentAt: () => number): void {
  let text = '';
  s.on('data', (d: Buffer) => (text += d.toString('latin1')));
  s.on('error', () => undefined);
  s.once('close', () => resolve({ text, closedAfterMs: Date.now() - sentAt() }));
  setTimeout(() => s.destroy(), 5000).unref();
}

/** Sends `bytes` inside an intercepted TLS session; resolves with the reply once the proxy closes. */
async function overTls(bytes: string | string[]): Promise<Reply> {
  const { socket } = await connectVia(proxy.port, 'ct.pinterest.com:443');
  return new Promise((resolve) => {
    let sent = 0;
    const s = tls.connect({ socket, servername: 'ct.pinterest.com', ca: proxy.caPem }, async () => {
      // Each later part goes once the proxy answered the one before (a response began).
      for (const part of Array.isArray(bytes) ? bytes : [bytes]) {
        s.write(part);
        sent = Date.now();
        if (Array.isArray(bytes)) await new Promise((r) => s.once('data', r));
      }
    });
    collect(s, resolve, () => sent);
  });
}

/** The same on the plain port. */
function plain(bytes: string): Promise<Reply> {
  return new Promise((resolve) => {
    let sent = 0;
    const s = net.connect(proxy.port, '127.0.0.1', () => {
      s.write(bytes);
      sent = Date.now();
    });
    collect(s, resolve, () => sent);
  });
}

const cookie = (bytes: number): string => `_pinterest_sess=${'a'.repeat(bytes)}`;

const MALFORMED: Array<{ name: string; bytes: string; status: number }> = [
  { name: 'a head over 64 KiB', bytes: `GET /v3/ HTTP/1.1\r\nHost: ct.pinterest.com\r\nCookie: ${cookie(70 * 1024)}\r\n\r\n`, status: 431 },
  { name: 'conflicting Content-Length and Transfer-Encoding', bytes: 'POST /v3/ HTTP/1.1\r\nHost: ct.pinterest.com\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', status: 400 },
  { name: 'a bare LF inside a header', bytes: 'GET /v3/ HTTP/1.1\r\nHost: ct.pinterest.com\r\nX: a\nSet-Cookie: injected=1\r\n\r\n', status: 400 },
  { name: 'a bad chunk size', bytes: 'POST /v3/ HTTP/1.1\r\nHost: ct.pinterest.com\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n', status: 400 },
  { name: 'an HTTP/2 preface', bytes: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', status: 400 },
  { name: 'garbage', bytes: 'NOT HTTP AT ALL\r\n\r\n', status: 400 },
];

describe('inside intercepted TLS', () => {
  test.each(MALFORMED)('$name → $status, then a close within a second; nothing forwarded', async ({ bytes, status }) => {
    const seen = upstream.seen.length;
    const reply = await overTls(bytes);
    expect(reply.text).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(reply.text).toMatch(/connection: close/i);
    expect(reply.text).not.toMatch(/injected=1/);
    expect(reply.closedAfterMs).toBeLessThan(1000);
    expect(upstream.seen.length).toBe(seen);
  });

  test('a malformed request after a good one on a keep-alive connection still gets its answer', async () => {
    const reply = await overTls(['GET /first HTTP/1.1\r\nHost: ct.pinterest.com\r\n\r\n', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n']);
    expect(reply.text).toMatch(/^HTTP\/1\.1 200 [\s\S]*HTTP\/1\.1 400 /);
    expect(reply.closedAfterMs).toBeLessThan(1000);
  });

  test('a 60 KiB cookie is accepted and forwarded', async () => {
    const before = upstream.seen.length;
    const reply = await overTls(`GET /big HTTP/1.1\r\nHost: ct.pinterest.com\r\nCookie: ${cookie(60 * 1024)}\r\nConnection: close\r\n\r\n`);
    expect(reply.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(upstream.seen.length).toBe(before + 1);
    expect(String(upstream.seen[before]!.headers.cookie).length).toBeGreaterThan(60 * 1024);
  });
});

describe('on the plain port', () => {
  test.each(MALFORMED)('$name → $status, then a close', async ({ bytes, status }) => {
    const reply = await plain(bytes.replace(/^(\w+) \/v3\//, '$1 http://ct.pinterest.com/v3/'));
    expect(reply.text).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(reply.closedAfterMs).toBeLessThan(1000);
  });

  test('a 60 KiB cookie is accepted and forwarded', async () => {
    const before = plainUpstream.seen.length;
    const reply = await plain(`GET http://ct.pinterest.com/big HTTP/1.1\r\nHost: ct.pinterest.com\r\nCookie: ${cookie(60 * 1024)}\r\nConnection: close\r\n\r\n`);
    expect(reply.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(plainUpstream.seen.length).toBe(before + 1);
  });
});
