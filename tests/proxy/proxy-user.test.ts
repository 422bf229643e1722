/**
 * Proxy credentials as a traffic label: with `requireProxyUser` the proxy answers 407 until a
 * client sends Basic credentials, then labels its tunnels and intercepted requests with the user
 * name (the crawler gives each browser context its own); the label never reaches a site.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTestPki, type TestPki } from '../../bench/test-pki.js';
import { listenProxy, loggedPipeline, openAuthority } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { proxyUserOf } from '../../src/proxy/proxy-user.js';
import type { RunningProxy } from '../../src/proxy/server.js';
import { makeSink, type Sink } from '../helpers/proxy.js';
import { startHttpsUpstream, startHttpUpstream, type Upstream } from '../helpers/upstream.js';

let pki: TestPki;
let pinterest: Upstream;
let plain: Upstream;
let proxy: RunningProxy;
let sink: Sink;
let root: string;

const basic = (user: string): string => `Basic ${Buffer.from(`${user}:x`).toString('base64')}`;

beforeAll(async () => {
  pki = makeTestPki();
  pinterest = await startHttpsUpstream(pki.server(['ct.pinterest.com']));
  plain = await startHttpUpstream();
  root = mkdtempSync(join(tmpdir(), 'pinaudit-proxy-user-'));
  const config = loadConfig(
    {
      'ca-dir': join(root, 'ca'),
      'data-dir': join(root, 'data'),
      'upstream-ca': pki.caPath,
      'host-resolver-rules': `MAP ct.pinterest.com 127.0.0.1:${pinterest.port}, MAP shop.test 127.0.0.1:${plain.port}`,
    },
    {},
  );
  const log = createLogger('silent');
  sink = makeSink();
  const authority = await openAuthority(config);
  proxy = await listenProxy(config, loggedPipeline([sink], log), authority, log, { requireProxyUser: true, port: 0 });
});

afterAll(async () => {
  await proxy?.close();
  await Promise.all([pinterest?.close(), plain?.close()]);
  pki?.cleanup();
  rmSync(root, { recursive: true, force: true });
});

function connect(target: string, auth: string | null): Promise<{ status: number; socket: import('node:net').Socket }> {
  return new Promise((resolve, reject) => {
    const headers = auth ? { 'proxy-authorization': auth } : {};
    const req = http.request({ host: '127.0.0.1', port: proxy.port, method: 'CONNECT', path: target, headers });
    req.once('connect', (res, socket) => resolve({ status: res.statusCode ?? 0, socket }));
    req.once('response', (res) => resolve({ status: res.statusCode ?? 0, socket: res.socket }));
    req.once('error', reject);
    req.end();
  });
}

describe('proxyUserOf', () => {
  test.each([
    [basic('ctx-1'), 'ctx-1'],
    [`Basic ${Buffer.from('ctx-2').toString('base64')}`, 'ctx-2'],
    ['Bearer abc', null],
    [basic('has space'), null],
    [undefined, null],
  ])('%s → %s', (header, user) => {
    expect(proxyUserOf(header === undefined ? {} : { 'proxy-authorization': header })).toBe(user);
  });
});

describe('requireProxyUser', () => {
  test('a CONNECT without credentials is answered 407 with a Basic challenge, and nothing is tunnelled', async () => {
    const before = sink.tunnels.length;
    const { status, socket } = await connect('shop.test:443', null);
    socket.destroy();
    expect(status).toBe(407);
    expect(sink.tunnels.length).toBe(before);
  });

  test('a plain-HTTP request without credentials is answered 407', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: proxy.port, path: 'http://shop.test/', headers: { host: 'shop.test' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.once('error', reject);
    });
    expect(status).toBe(407);
    expect(plain.seen.length).toBe(0);
  });

  test('plain HTTP with credentials passes, labelled, and the site never sees the credentials', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.get(
        { host: '127.0.0.1', port: proxy.port, path: 'http://shop.test/page', headers: { host: 'shop.test', 'proxy-authorization': basic('ctx-plain') } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.once('error', reject);
    });
    expect(status).toBe(200);
    expect(plain.seen.at(-1)?.headers['proxy-authorization']).toBeUndefined();
    expect(sink.tunnels.some((t) => t.host === 'shop.test' && t.proxyUser === 'ctx-plain')).toBe(true);
  });

  test('an intercepted Pinterest request carries the user name of its CONNECT', async () => {
    const { status, socket } = await connect('ct.pinterest.com:443', basic('ctx-7'));
    expect(status).toBe(200);
    const secure = tls.connect({ socket, servername: 'ct.pinterest.com', rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => {
        secure.write('GET /v3/?tid=2612345678901 HTTP/1.1\r\nhost: ct.pinterest.com\r\nconnection: close\r\n\r\n');
      });
      secure.on('data', () => undefined);
      secure.once('end', () => resolve());
      secure.once('error', reject);
    });
    await sink.waitForCompletions(1);
    const flow = sink.requests.find((f) => f.observation.url.startsWith('https://ct.pinterest.com/v3/'));
    expect(flow?.observation.proxyUser).toBe('ctx-7');
    expect(pinterest.seen.at(-1)?.headers['proxy-authorization']).toBeUndefined();
  });
});
