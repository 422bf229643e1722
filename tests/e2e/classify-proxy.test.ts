/**
 * End to end: real requests (undici) through the real proxy, with the classify stage in the
 * pipeline, produce exactly the Finding that classifying the same request directly predicts.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ProxyAgent, request } from 'undici';
import { makeTestPki, type TestPki } from '../../bench/test-pki.js';
import { startHttpsUpstream, type Upstream } from '../helpers/upstream.js';
import { peerCertificateVia, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { buildObservation, classify, classifyStage } from '../../src/classify/index.js';
import { fingerprint } from '../classify/helpers.js';

let pki: TestPki;
let pinterest: Upstream;
let other: Upstream;
let proxy: TestProxy;
let agent: ProxyAgent;

beforeAll(async () => {
  pki = makeTestPki();
  pinterest = await startHttpsUpstream(pki.server(['*.pinterest.com']));
  other = await startHttpsUpstream(pki.server(['other.test']));
  proxy = await startTestProxy(
    {
      'upstream-ca': join(pki.dir, 'root.pem'),
      'host-resolver-rules': `MAP *.pinterest.com:443 127.0.0.1:${pinterest.port}, MAP other.test:443 127.0.0.1:${other.port}`,
    },
    { extraStages: [classifyStage({ fingerprint })] },
  );
  agent = new ProxyAgent({ uri: proxy.url, requestTls: { ca: proxy.caPem } });
});

afterAll(async () => {
  await agent?.close();
  await proxy?.close();
  await Promise.all([pinterest?.close(), other?.close()]);
  pki?.cleanup();
});

async function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const start = proxy.sink.completions.length;
  const res = await request(url, { dispatcher: agent, method: (init.method ?? 'GET') as 'GET', headers: init.headers ?? {}, body: init.body ?? null });
  await res.body.dump();
  await proxy.sink.waitForCompletions(start + 1);
  return proxy.sink.completions[start]!.flow;
}

describe('classify stage in the running proxy', () => {
  test('a beacon with a Referer gets the predicted Finding', async () => {
    const url = 'https://ct.pinterest.com/v3/?tid=2612345678901&event=checkout';
    const headers = { referer: 'https://shop.example/cart?id=7', cookie: '_pinterest_ct_ua=abc; _pinterest_sess=SESSION-VALUE-123' };
    const flow = await send(url, { headers });
    const predicted = classify(buildObservation({ url, headers }), { fingerprint, recentPage: null });
    expect(flow.finding).toEqual(predicted);
    expect(flow.finding).toMatchObject({
      category: 'tag',
      thirdParty: true,
      page: { site: 'shop.example', url: 'https://shop.example/cart?id=7', attributedBy: 'referer' },
      leakLevel: 'full-url',
      loggedIn: true,
    });
    expect(JSON.stringify(flow.finding)).not.toContain('SESSION-VALUE-123');
  });

  test('a JSON POST body is classified as the direct call predicts', async () => {
    const url = 'https://ct.pinterest.com/v3/';
    const body = JSON.stringify({ tid: '2612345678901', event: 'lead', ad: { loc: 'https://news.example/story' } });
    const headers = { origin: 'https://news.example', 'content-type': 'application/json' };
    const flow = await send(url, { method: 'POST', headers, body });
    expect(flow.finding).toEqual(classify(buildObservation({ url, headers, body }), { fingerprint, recentPage: null }));
    expect(flow.finding?.page.attributedBy).toBe('tag-payload');
  });

  test('a blind tunnel just before a bare beacon attributes it by recent navigation', async () => {
    await peerCertificateVia(proxy.port, 'other.test', pki.caPem);
    const flow = await send('https://ct.pinterest.com/v3/?tid=1', { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(flow.finding?.page).toEqual({ site: 'other.test', url: null, attributedBy: 'recent-navigation', confidence: 'low' });
  });
});
