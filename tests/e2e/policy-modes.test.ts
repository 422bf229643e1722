/**
 * Blocking and stripping end to end: undici through the running proxy to a loopback "Pinterest".
 * For each mode: what reaches the upstream (nothing, or the stripped request), what the client
 * gets, and what is recorded in the database.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ProxyAgent, request } from 'undici';
import { makeTestPki, type TestPki } from '../../bench/test-pki.js';
import { createQueries } from '../../src/store/queries.js';
import { openRawConnection } from '../../src/store/db.js';
import { databasePath } from '../../src/app.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { startHttpsUpstream, type Upstream } from '../helpers/upstream.js';

const PD = encodeURIComponent(JSON.stringify({ em: 'a'.repeat(64), pin_unauth: 'dWlkPXRlc3Q' }));
const AD = encodeURIComponent(JSON.stringify({ loc: 'https://shop.example/checkout?order=77', ref: '', sh: 1 }));
const TAG_URL = `https://ct.pinterest.com/v3/?tid=2612345678901&event=checkout&pd=${PD}&ad=${AD}&cb=1`;
const HEADERS = { referer: 'https://shop.example/checkout?order=77', cookie: '_pinterest_ct_ua=TRACKME; _pinterest_sess=SESSIONSECRET', 'sec-fetch-dest': 'image' };

let pki: TestPki;
let pinterest: Upstream;
let proxy: TestProxy;
let agent: ProxyAgent;

beforeAll(async () => {
  pki = makeTestPki();
  pinterest = await startHttpsUpstream(pki.server(['*.pinterest.com', 'ct.pinterest.com', 's.pinimg.com', 'i.pinimg.com']));
  proxy = await startTestProxy({
    'upstream-ca': pki.caPath,
    'host-resolver-rules': `MAP *.pinterest.com 127.0.0.1:${pinterest.port}, MAP *.pinimg.com 127.0.0.1:${pinterest.port}`,
  });
  agent = new ProxyAgent({ uri: proxy.url, requestTls: { ca: proxy.caPem } });
});

afterAll(async () => {
  await agent?.close();
  await proxy?.close();
  await pinterest?.close();
  pki?.cleanup();
});

function setMode(mode: 'off' | 'strip' | 'trackers' | 'all', exceptions: string[] = []): void {
  proxy.app.store.settings.set({ blockMode: mode, exceptions });
}

/** Sends one request and returns the client's view, what the upstream saw, and the stored row. */
async function send(url: string, headers: Record<string, string> = HEADERS) {
  const seenBefore = pinterest.seen.length;
  const done = proxy.sink.completions.length;
  const res = await request(url, { dispatcher: agent, headers });
  const body = Buffer.from(await res.body.arrayBuffer());
  await proxy.sink.waitForCompletions(done + 1);
  const flowId = proxy.sink.completions[done]!.flow.observation.id;
  proxy.app.store.flush();
  const db = openRawConnection(databasePath({ dataDir: proxy.dataDir }));
  try {
    const rows = createQueries(db).requests({}, { limit: 1000 }).rows;
    return { res, body, upstream: pinterest.seen.slice(seenBefore), row: rows.find((r) => r.flowId === flowId)! };
  } finally {
    db.close();
  }
}

describe('modes', () => {
  test('off: forwarded as it came, recorded with its identifiers, credential only fingerprinted', async () => {
    setMode('off');
    const { res, upstream, row } = await send(TAG_URL);
    expect(res.statusCode).toBe(200);
    expect(upstream).toHaveLength(1);
    expect(upstream[0]!.url).toBe(new URL(TAG_URL).pathname + new URL(TAG_URL).search);
    expect(upstream[0]!.headers.cookie).toContain('TRACKME');
    expect(row).toMatchObject({ decision: 'allow', outcome: 'response', status: 200, pageSite: 'shop.example', category: 'tag', loggedIn: true, hashedEmail: true });
    const names = row.identifiers.map((i) => i.name);
    expect(names).toEqual(expect.arrayContaining(['_pinterest_ct_ua', '_pinterest_sess', 'pin_unauth']));
    expect(row.identifiers.find((i) => i.name === '_pinterest_sess')!.value).toMatch(/^[0-9a-f]{64}$/);
  });

  test('strip: forwarded without cookies, referer, identifiers or the page; Set-Cookie dropped', async () => {
    setMode('strip');
    const { res, upstream, row } = await send(TAG_URL, { ...HEADERS, origin: 'https://shop.example' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(upstream).toHaveLength(1);
    const seen = upstream[0]!;
    expect(seen.headers.cookie).toBeUndefined();
    expect(seen.headers.referer).toBeUndefined();
    expect(seen.headers.origin).toBeUndefined();
    const q = new URL(seen.url, 'https://x').searchParams;
    expect(q.get('tid')).toBe('2612345678901');
    expect(q.get('event')).toBe('checkout');
    expect(seen.url).not.toContain('aaaaaaaa');
    expect(seen.url).not.toContain('shop.example');
    expect(seen.url).not.toContain('dWlkPXRlc3Q');
    expect(row).toMatchObject({ decision: 'strip', outcome: 'response', status: 200 });
    expect(row.stripped).toEqual(expect.arrayContaining(['cookie', 'referer', 'pd.em', 'ad.loc']));
    expect(row.identifiers.length).toBeGreaterThanOrEqual(4);
    expect(row.identifiersPrevented).toBe(row.identifiers.length);
    expect(row.pagePrevented).toBe(true);
  });

  test('trackers: a tag request is blocked locally (nothing upstream), a pin image is stripped', async () => {
    setMode('trackers');
    const tag = await send(TAG_URL);
    expect(tag.upstream).toHaveLength(0);
    expect(tag.res.headers['x-pinaudit']).toBe('blocked');
    expect(tag.res.headers['content-type']).toBe('image/gif');
    expect(tag.row).toMatchObject({ decision: 'block', outcome: 'blocked' });
    const img = await send('https://i.pinimg.com/236x/ab/cd/ef.jpg', { referer: 'https://blog.example/post', cookie: 'x=1', 'sec-fetch-dest': 'image' });
    expect(img.upstream).toHaveLength(1);
    expect(img.upstream[0]!.headers.referer).toBeUndefined();
    expect(img.row).toMatchObject({ decision: 'strip', category: 'content', pageSite: 'blog.example' });
  });

  test('all: the tag script is answered with an empty script, nothing upstream', async () => {
    setMode('all');
    const { res, body, upstream, row } = await send('https://s.pinimg.com/ct/core.js', { referer: 'https://shop.example/', 'sec-fetch-dest': 'script' });
    expect(upstream).toHaveLength(0);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(body.length).toBeLessThan(64);
    expect(row).toMatchObject({ decision: 'block', category: 'tag-script', outcome: 'blocked', status: 200 });
  });

  test('an exception lets a site through; the user\'s own Pinterest use is never touched', async () => {
    setMode('all', ['shop.example']);
    const allowed = await send(TAG_URL);
    expect(allowed.upstream).toHaveLength(1);
    expect(allowed.row.decision).toBe('allow');
    expect(allowed.row.decisionReason).toMatch(/exception/);
    setMode('all');
    const own = await send('https://www.pinterest.com/pin/123/', { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', cookie: '_pinterest_sess=S' });
    expect(own.upstream).toHaveLength(1);
    expect(own.upstream[0]!.headers.cookie).toBe('_pinterest_sess=S');
    expect(own.row).toMatchObject({ decision: 'allow', category: 'first-party', thirdParty: false });
  });

  test('a mode change applies to the very next request', async () => {
    setMode('off');
    expect((await send(TAG_URL)).upstream).toHaveLength(1);
    setMode('trackers');
    expect((await send(TAG_URL)).upstream).toHaveLength(0);
    setMode('off');
    expect((await send(TAG_URL)).upstream).toHaveLength(1);
  });
});
