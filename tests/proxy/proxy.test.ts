/**
 * The proxy end to end with real clients (undici, curl, Node's TLS) against loopback upstreams:
 * Pinterest hosts are intercepted with a leaf from the pinaudit CA, everything else is tunnelled
 * blind, plain HTTP passes both ways, and every intercepted request ends in one terminal event.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ProxyAgent, request } from 'undici';
import { makeTestPki, type TestPki } from '../../bench/test-pki.js';
import { startHttpsUpstream, startHttpUpstream, type Upstream } from '../helpers/upstream.js';
import { peerCertificateVia, startTestProxy, type TestProxy } from '../helpers/proxy.js';

const run = promisify(execFile);

let pki: TestPki;
let pinterest: Upstream; // plays ct.pinterest.com, s.pinimg.com …
let other: Upstream; // plays other.test over TLS
let plain: Upstream; // plain HTTP for both
let proxy: TestProxy;

beforeAll(async () => {
  pki = makeTestPki();
  pinterest = await startHttpsUpstream(pki.server(['ct.pinterest.com', '*.pinterest.com', 's.pinimg.com', '*.pinimg.com']));
  other = await startHttpsUpstream(pki.server(['other.test']));
  plain = await startHttpUpstream();
  const caFile = join(pki.dir, 'root.pem');
  proxy = await startTestProxy({
    'upstream-ca': caFile,
    'host-resolver-rules': [
      `MAP *.pinterest.com:443 127.0.0.1:${pinterest.port}`,
      `MAP *.pinimg.com:443 127.0.0.1:${pinterest.port}`,
      `MAP other.test:443 127.0.0.1:${other.port}`,
      `MAP *:80 127.0.0.1:${plain.port}`,
    ].join(', '),
  });
});

afterAll(async () => {
  await proxy?.close();
  await Promise.all([pinterest?.close(), other?.close(), plain?.close()]);
  pki?.cleanup();
});

describe('interception decision', () => {
  test('a Pinterest host answers through a leaf issued by the pinaudit CA', async () => {
    const cert = await peerCertificateVia(proxy.port, 'ct.pinterest.com', proxy.caPem);
    expect(cert.issuer.CN).toMatch(/^pinaudit local CA/);
    expect(cert.subjectaltname).toBe('DNS:ct.pinterest.com');
  });

  test('a non-Pinterest host presents its own certificate through a blind tunnel', async () => {
    const before = proxy.sink.requests.length;
    const cert = await peerCertificateVia(proxy.port, 'other.test', pki.caPem);
    expect(cert.issuer.CN).toBe('pinaudit test upstream root');
    expect(proxy.sink.requests.length).toBe(before);
    expect(proxy.sink.tunnels.some((t) => t.host === 'other.test' && t.site === 'other.test' && t.url === null)).toBe(true);
  });

  test('look-alike names are tunnelled, not intercepted', async () => {
    for (const host of ['notpinterest.com', 'pinterest.com.evil.test']) {
      const before = proxy.sink.requests.length;
      await peerCertificateVia(proxy.port, host, pki.caPem).catch(() => undefined);
      expect(proxy.sink.requests.length).toBe(before);
      expect(proxy.sink.tunnels.some((t) => t.host === host)).toBe(true);
    }
  });
});

describe('through the proxy with undici', () => {
  test('an intercepted HTTPS request reaches the upstream and yields one Observation and one completion', async () => {
    const agent = new ProxyAgent({ uri: proxy.url, requestTls: { ca: proxy.caPem } });
    const start = proxy.sink.completions.length;
    const res = await request('https://ct.pinterest.com/v3/?tid=2612345678901&event=checkout', {
      dispatcher: agent,
      headers: { referer: 'https://shop.example/cart?id=7', cookie: '_pinterest_ct_ua=abc' },
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ ok: true, path: '/v3/?tid=2612345678901&event=checkout' });
    await proxy.sink.waitForCompletions(start + 1);
    const { flow, outcome } = proxy.sink.completions[start]!;
    const o = flow.observation;
    expect(o).toMatchObject({
      method: 'GET',
      url: 'https://ct.pinterest.com/v3/?tid=2612345678901&event=checkout',
      host: 'ct.pinterest.com',
      connectHost: 'ct.pinterest.com',
      client: '127.0.0.1',
      source: 'proxy',
      body: null,
    });
    expect(o.headers.referer).toBe('https://shop.example/cart?id=7');
    expect(outcome).toMatchObject({ kind: 'response', status: 200 });
    expect(outcome.kind === 'response' && outcome.bytes).toBe(Buffer.byteLength(JSON.stringify({ ok: true, path: '/v3/?tid=2612345678901&event=checkout' })));
    const seen = pinterest.seen.at(-1)!;
    expect(seen.servername).toBe('ct.pinterest.com');
    expect(seen.headers.host).toBe('ct.pinterest.com');
    expect(seen.headers['proxy-connection']).toBeUndefined();
    await agent.close();
  });

  test('a POST body is kept for classification (bounded) and forwarded whole', async () => {
    const agent = new ProxyAgent({ uri: proxy.url, requestTls: { ca: proxy.caPem } });
    const small = 'event=lead&ed=%7B%22value%22%3A1%7D';
    const big = 'x'.repeat(200 * 1024);
    const start = proxy.sink.completions.length;
    for (const body of [small, big]) {
      const res = await request('https://ct.pinterest.com/v3/', { method: 'POST', body, dispatcher: agent, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
      expect(pinterest.seen.at(-1)!.body).toBe(body);
    }
    await proxy.sink.waitForCompletions(start + 2);
    const [a, b] = proxy.sink.completions.slice(start).map((c) => c.flow.observation);
    expect(a!.body?.toString()).toBe(small);
    expect(a!.bodyTruncated).toBe(false);
    expect(b!.body?.length).toBe(64 * 1024);
    expect(b!.bodyTruncated).toBe(true);
    await agent.close();
  });
});

describe('plain HTTP', () => {
  test('plain HTTP to another host is forwarded untouched and produces no Observation', async () => {
    const before = proxy.sink.requests.length;
    const { stdout } = await run('curl', ['-sS', '-x', proxy.url, '-H', 'X-Test: 1', 'http://plain.test/hello?a=1']);
    expect(JSON.parse(stdout)).toEqual({ ok: true, path: '/hello?a=1' });
    expect(plain.seen.at(-1)!.headers['x-test']).toBe('1');
    expect(plain.seen.at(-1)!.headers.host).toBe('plain.test');
    expect(proxy.sink.requests.length).toBe(before);
  });

  test('plain HTTP to a Pinterest host is intercepted', async () => {
    const start = proxy.sink.completions.length;
    const { stdout } = await run('curl', ['-sS', '-x', proxy.url, 'http://log.pinterest.com/?type=pidget&via=http%3A%2F%2Fblog.example%2F']);
    expect(JSON.parse(stdout).path).toBe('/?type=pidget&via=http%3A%2F%2Fblog.example%2F');
    await proxy.sink.waitForCompletions(start + 1);
    const o = proxy.sink.completions[start]!.flow.observation;
    expect(o.url).toBe('http://log.pinterest.com/?type=pidget&via=http%3A%2F%2Fblog.example%2F');
    expect(o.connectHost).toBeNull();
  });

  test('a request addressed to the proxy itself is answered, not looped', async () => {
    const { stdout } = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `${proxy.url}/`]);
    expect(stdout).toBe('400');
  });
});

describe('curl', () => {
  test('curl trusts the pinaudit CA for a Pinterest host', async () => {
    const caFile = join(proxy.caDir, 'pinaudit-ca.pem');
    const { stdout } = await run('curl', ['-sS', '-x', proxy.url, '--cacert', caFile, 'https://s.pinimg.com/ct/core.js']);
    expect(JSON.parse(stdout).path).toBe('/ct/core.js');
  });

  test('curl reaches a tunnelled host with that host\'s own certificate', async () => {
    const { stdout } = await run('curl', ['-sS', '-x', proxy.url, '--cacert', pki.caPath, 'https://other.test/x']);
    expect(JSON.parse(stdout).path).toBe('/x');
    // The pinaudit CA cannot be used for it: the tunnel shows the real certificate.
    const bad = await run('curl', ['-sS', '-x', proxy.url, '--cacert', join(proxy.caDir, 'pinaudit-ca.pem'), 'https://other.test/x']).catch((e: { code: number }) => e);
    expect((bad as { code: number }).code).toBe(60);
  });
});

describe('setup check host', () => {
  test('check.pinaudit.invalid is answered by pinaudit itself', async () => {
    const agent = new ProxyAgent({ uri: proxy.url, requestTls: { ca: proxy.caPem } });
    const res = await request('https://check.pinaudit.invalid/', { dispatcher: agent });
    expect(await res.body.json()).toEqual({ pinaudit: true, tls: true });
    expect(res.headers['access-control-allow-origin']).toBe('*');
    await agent.close();
  });
});

test('the upstream CA file is only trusted for upstream TLS (sanity of the fixture)', () => {
  writeFileSync(join(pki.dir, 'marker'), '');
  expect(pki.caPem).toContain('BEGIN CERTIFICATE');
});
