/**
 * What the proxy does when things go wrong: untrusted or unreachable upstreams, hostile CONNECT
 * targets, client aborts. Each case has one defined outcome and exactly one terminal event.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ProxyAgent, request } from 'undici';
import { makeTestPki, type TestPki } from '../../bench/test-pki.js';
import { startHttpsUpstream, type Upstream } from '../helpers/upstream.js';
import { connectVia, startTestProxy, type TestProxy } from '../helpers/proxy.js';

let pki: TestPki;
let untrusted: Upstream;
let slow: Upstream;
let proxy: TestProxy;
let closedPort: number;

beforeAll(async () => {
  pki = makeTestPki();
  untrusted = await startHttpsUpstream(pki.selfSigned('ct.pinterest.com'));
  // Answers the head, then trickles the body until the client goes away.
  slow = await startHttpsUpstream(pki.server(['s.pinimg.com']), (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const timer = setInterval(() => res.write(Buffer.alloc(1024)), 20);
    res.on('close', () => clearInterval(timer));
  });
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  proxy = await startTestProxy({
    'upstream-ca': pki.caPath,
    'idle-timeout': '1500',
    'host-resolver-rules': [
      `MAP ct.pinterest.com 127.0.0.1:${untrusted.port}`,
      `MAP s.pinimg.com 127.0.0.1:${slow.port}`,
      `MAP refused.pinterest.com 127.0.0.1:${closedPort}`,
      `MAP gone.pinterest.com ~NOTFOUND`,
    ].join(', '),
  });
});

afterAll(async () => {
  await proxy?.close();
  await Promise.all([untrusted?.close(), slow?.close()]);
  pki?.cleanup();
});

function agent(): ProxyAgent {
  return new ProxyAgent({ uri: proxy.url, requestTls: { ca: proxy.caPem } });
}

describe('upstream failures', () => {
  test.each([
    ['https://ct.pinterest.com/v3/?tid=1', 502, 'tls'],
    ['https://refused.pinterest.com/', 502, 'refused'],
    ['https://gone.pinterest.com/', 502, 'dns'],
  ])('%s → %i (%s), nothing forwarded, one terminal error event', async (url, status, kind) => {
    const a = agent();
    const start = proxy.sink.completions.length;
    const seenBefore = untrusted.seen.length;
    const res = await request(url, { dispatcher: a });
    const body = await res.body.text();
    expect(res.statusCode).toBe(status);
    expect(res.headers['x-pinaudit-error']).toBe(kind);
    expect(body).toContain(new URL(url).hostname);
    expect(body).not.toMatch(/at .*\.js:\d+|Error:/); // no stack trace, no raw library text
    expect(untrusted.seen.length).toBe(seenBefore);
    await proxy.sink.waitForCompletions(start + 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(proxy.sink.completions.length).toBe(start + 1);
    expect(proxy.sink.completions[start]!.outcome).toMatchObject({ kind: 'error', error: kind });
    await a.close();
  });

  test('a client that aborts mid-download ends the flow once, as client-aborted', async () => {
    const start = proxy.sink.completions.length;
    const { socket } = await connectVia(proxy.port, 's.pinimg.com:443');
    const tls = await import('node:tls');
    const s = tls.connect({ socket, servername: 's.pinimg.com', ca: proxy.caPem });
    await new Promise<void>((r) => s.once('secureConnect', () => r()));
    s.write('GET /big HTTP/1.1\r\nHost: s.pinimg.com\r\n\r\n');
    await new Promise<void>((r) => s.once('data', () => r()));
    s.destroy();
    await proxy.sink.waitForCompletions(start + 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(proxy.sink.completions.length).toBe(start + 1);
    expect(proxy.sink.completions[start]!.outcome).toMatchObject({ kind: 'error', error: 'client-aborted' });
  });
});

describe('hostile CONNECT targets', () => {
  test.each([
    '../../x:443',
    '..%2F..%2Fx:443',
    'a/b.pinterest.com:443',
    'ct.pinterest.com\\..:443',
    ':443',
    'ct.pinterest.com',
    'ct.pinterest.com:99999',
    'ct.pinterest.com:0',
    `${'a'.repeat(64)}.pinterest.com:443`,
    `${'abc.'.repeat(70)}pinterest.com:443`,
  ])('CONNECT %s → 400 and nothing written', async (target) => {
    const parent = dirname(proxy.caDir);
    const before = { ca: readdirSync(proxy.caDir).sort(), parent: readdirSync(parent).sort() };
    const { status } = await connectVia(proxy.port, target);
    expect(status).toBe(400);
    expect(readdirSync(proxy.caDir).sort()).toEqual(before.ca);
    expect(readdirSync(parent).sort()).toEqual(before.parent);
    expect(existsSync(join(parent, 'x'))).toBe(false);
  });

  test('a control character in the CONNECT target is refused', async () => {
    const sock = net.connect(proxy.port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write('CONNECT ct.pinterest.com\x01:443 HTTP/1.1\r\nHost: x\r\n\r\n');
    const reply = await new Promise<string>((r) => sock.once('data', (d) => r(d.toString())));
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    sock.destroy();
  });

  test('the proxy keeps serving after hostile input', async () => {
    const a = agent();
    const res = await request('https://gone.pinterest.com/', { dispatcher: a });
    await res.body.dump();
    expect(res.statusCode).toBe(502);
    await a.close();
  });
});
