/**
 * The host pinaudit contacts is the host it classifies and decides by: the CONNECT target inside
 * TLS, the absolute URL's host on plain HTTP. A Host header naming another host can neither hide a
 * request from recording and blocking nor make a beacon look like the user's own use of Pinterest.
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
let auditing: TestProxy;
let blocking: TestProxy;

beforeAll(async () => {
  pki = makeTestPki();
  upstream = await startHttpsUpstream(pki.server(['*.pinterest.com']));
  plainUpstream = await startHttpUpstream();
  const rules = `MAP *.pinterest.com:80 127.0.0.1:${plainUpstream.port}, MAP *.pinterest.com 127.0.0.1:${upstream.port}, MAP * ~NOTFOUND`;
  auditing = await startTestProxy({ 'upstream-ca': pki.caPath, 'host-resolver-rules': rules });
  blocking = await startTestProxy({ 'upstream-ca': pki.caPath, 'host-resolver-rules': rules, block: 'trackers' });
});
afterAll(async () => {
  await auditing?.close();
  await blocking?.close();
  await upstream?.close();
  await plainUpstream?.close();
  pki?.cleanup();
});

const BEACON = '/v3/?tid=2612345678901&event=checkout&value=42';

function head(target: string, host: string): string {
  return `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nCookie: _pinterest_sess=secret\r\nReferer: https://shop.example/cart\r\nConnection: close\r\n\r\n`;
}

async function overTls(p: TestProxy, host: string): Promise<string> {
  const { socket } = await connectVia(p.port, 'ct.pinterest.com:443');
  return new Promise((resolve) => {
    let text = '';
    const s = tls.connect({ socket, servername: 'ct.pinterest.com', ca: p.caPem }, () => s.write(head(BEACON, host)));
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.on('error', () => undefined);
    s.once('close', () => resolve(text));
  });
}

function plain(p: TestProxy, host: string): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const s = net.connect(p.port, '127.0.0.1', () => s.write(head(`http://ct.pinterest.com${BEACON}`, host)));
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.on('error', () => undefined);
    s.once('close', () => resolve(text));
  });
}

describe.each([
  ['intercepted TLS (CONNECT ct.pinterest.com)', overTls, 'https'],
  ['plain HTTP (GET http://ct.pinterest.com/…)', plain, 'http'],
] as const)('%s', (_name, send, scheme) => {
  test.each(['evil.example.test', 'www.pinterest.com'])('with Host: %s it is recorded as the tag request it is', async (host) => {
    const start = auditing.sink.requests.length;
    const reply = await send(auditing, host);
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    await auditing.sink.waitForCompletions(auditing.sink.completions.length);
    const flow = auditing.sink.requests[start]!;
    expect(flow.observation.host).toBe('ct.pinterest.com');
    expect(flow.observation.url).toBe(`${scheme}://ct.pinterest.com${BEACON}`);
    expect(flow.observation.headers.host).toBe(host);
    expect(flow.finding?.pinterest).toBe(true);
    expect(flow.finding?.category).toBe('tag');
    expect(flow.finding?.thirdParty).toBe(true);
  });

  test.each(['evil.example.test', 'www.pinterest.com'])('with Host: %s it is blocked in mode trackers, nothing forwarded', async (host) => {
    const seen = upstream.seen.length + plainUpstream.seen.length;
    const reply = await send(blocking, host);
    expect(reply).not.toMatch(/^HTTP\/1\.1 200 [\s\S]*"ok":true/);
    expect(upstream.seen.length + plainUpstream.seen.length).toBe(seen);
    const last = blocking.sink.requests[blocking.sink.requests.length - 1]!;
    expect(last.decision?.action).toBe('block');
  });
});
