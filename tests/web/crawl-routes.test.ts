/**
 * The Crawls view's routes over a real database: a crawl recorded through the crawl store and the
 * writer, its report with screenshot URLs, a site's requests with their crawl page, and the
 * screenshot files, served only under the one name shape the crawler writes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { screenshotDir } from '../../src/crawl/paths.js';
import { parseSiteList } from '../../src/crawl/sites.js';
import { openCrawlQueries, type CrawlQueries } from '../../src/store/crawl-queries.js';
import { openCrawlStore } from '../../src/store/crawls.js';
import { buildDashboard } from '../../src/web/dashboard.js';
import type { FastifyInstance } from 'fastify';
import { makeFlow } from '../helpers/findings.js';
import { seededDashboard, type TestDashboard } from './seed.js';

const HOST = { host: '127.0.0.1:8081' };
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);

let base: TestDashboard;
let crawls: CrawlQueries;
let app: FastifyInstance;
let dataDir: string;

beforeAll(async () => {
  base = await seededDashboard({ empty: true });
  dataDir = dirname(base.dbPath);
  const flow = makeFlow({
    observation: { id: 'crawl-flow-1', proxyUser: 's1-a1-off' },
    finding: { page: { site: 'shop-a.test', url: 'https://shop-a.test/', attributedBy: 'tag-payload', confidence: 'high' } },
  });
  base.store.record(flow);
  base.store.complete('crawl-flow-1', { kind: 'response', status: 200, bytes: 43 });
  base.store.flush();
  const store = openCrawlStore(base.dbPath);
  const crawl = store.begin(parseSiteList(['shop-a.test', 'silent-f.test']).sites, { pages: 1, modes: ['off', 'trackers'], timeoutMs: 5000 }, '<b>label</b>');
  const q = store.queue(crawl.id);
  const shop = (await q.claim())!;
  const page = (mode: string) => ({ requested: 'https://shop-a.test/', url: 'https://shop-a.test/', status: 200, pageErrors: [], failedSameSite: [], textLength: 10, screenshot: `${shop.id}-${mode}-0.jpg`, error: null });
  await q.finish(shop, {
    finalUrl: 'https://shop-a.test/', finalSite: 'shop-a.test', verdict: 'works', verdictReason: null, pixelDiff: 0,
    evidence: { pages: [{ off: page('off'), trackers: page('trackers') }], comparisons: [] },
    flows: [{ flowId: 'crawl-flow-1', mode: 'off', pageIndex: 0, crawlPage: 'https://shop-a.test/', beforeInteraction: true }],
  });
  await q.fail((await q.claim())!, { kind: 'timeout', message: 'page.goto: Timeout 5000ms exceeded.', flows: [] });
  store.finish(crawl.id);
  store.close();
  mkdirSync(screenshotDir(dataDir, crawl.id), { recursive: true });
  writeFileSync(join(screenshotDir(dataDir, crawl.id), `${shop.id}-off-0.jpg`), JPEG);
  crawls = openCrawlQueries(base.dbPath);
  app = buildDashboard({ ...base.deps, crawls: { crawls, dataDir } });
});

afterAll(async () => {
  await app?.close();
  crawls?.close();
  await base?.close();
});

const get = (url: string, headers: Record<string, string> = HOST) => app.inject({ url, headers });

describe('crawl routes', () => {
  test('the list counts sites, failures and leaking sites', async () => {
    const res = await get('/api/crawls');
    expect(res.statusCode).toBe(200);
    expect(res.json().crawls).toEqual([expect.objectContaining({ id: 1, label: '<b>label</b>', sites: 2, done: 1, failed: 1, leaking: 1 })]);
  });

  test("a crawl's report gives screenshots as dashboard URLs, never file paths", async () => {
    const body = (await get('/api/crawls/1')).json();
    const shop = body.sites[0];
    expect(shop).toMatchObject({ site: 'shop-a.test', verdict: 'works', tagPresent: true, beforeInteraction: true, requests: 1 });
    expect(shop.screenshots.map((s: { src: string }) => s.src)).toEqual([`/crawl-shots/1/${shop.id}-off-0.jpg`, `/crawl-shots/1/${shop.id}-trackers-0.jpg`]);
    expect(JSON.stringify(body)).not.toContain(dataDir);
    expect(body.sites[1]).toMatchObject({ site: 'silent-f.test', state: 'failed', errorKind: 'timeout' });
    expect(body.attribution.site).toEqual({ compared: 1, agreed: 1, percent: 100 });
  });

  test("a site's requests carry their crawl page next to pinaudit's page", async () => {
    const body = (await get('/api/crawls/1/sites/1/requests')).json();
    expect(body.requests).toEqual([expect.objectContaining({ flowId: 'crawl-flow-1', crawlPage: 'https://shop-a.test/', pageSite: 'shop-a.test', mode: 'off' })]);
  });

  test('a screenshot is served as a JPEG; a missing one is 404', async () => {
    const res = await get('/crawl-shots/1/1-off-0.jpg');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.rawPayload.equals(JPEG)).toBe(true);
    expect((await get('/crawl-shots/1/1-trackers-0.jpg')).statusCode).toBe(404);
  });

  test.each(['/crawl-shots/1/..%2F..%2Fweb.db', '/crawl-shots/1/1-off-0.png', '/crawl-shots/1/secret.jpg', '/crawl-shots/..%2F1/1-off-0.jpg'])(
    '%s is refused before the disk is touched',
    async (url) => {
      expect([400, 404]).toContain((await get(url)).statusCode);
    },
  );

  test('unknown or malformed crawls, and a foreign Host, are refused', async () => {
    expect((await get('/api/crawls/9')).statusCode).toBe(404);
    expect((await get('/api/crawls/abc')).statusCode).toBe(400);
    expect((await get('/crawl-shots/1/1-off-0.jpg', { host: 'evil.example' })).statusCode).toBe(403);
  });
});
