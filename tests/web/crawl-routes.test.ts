/**
 * The Crawls view's routes over a real database: a crawl recorded through the crawl store and the
 * writer, its report with screenshot URLs, a site's requests with their crawl page, and the
 * screenshot files, served only under the one name shape the crawler writes.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { crawlDashboard, type CrawlDashboard } from './crawl-seed.js';

const HOST = { host: '127.0.0.1:8081' };

let d: CrawlDashboard;
beforeAll(async () => {
  d = await crawlDashboard();
});
afterAll(async () => {
  await d?.close();
});

const get = (url: string, headers: Record<string, string> = HOST) => d.app.inject({ url, headers });

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
    expect(JSON.stringify(body)).not.toContain(d.dataDir);
    expect(body.sites[1]).toMatchObject({ site: 'silent-f.test', state: 'failed', errorKind: 'timeout' });
    expect(body.attribution.site).toEqual({ compared: 1, agreed: 1, percent: 100 });
  });

  test('the request list and the CSV export take a crawl filter: only the requests its visits caused', async () => {
    const pageSites = (url: string) => (get(url).then((r) => r.json().rows.map((x: { pageSite: string }) => x.pageSite)));
    expect((await pageSites('/api/requests')).sort()).toEqual(['blog-b.test', 'shop-a.test']);
    expect(await pageSites('/api/requests?crawl=1')).toEqual(['shop-a.test']);
    expect(await pageSites('/api/requests?crawl=2')).toEqual([]);
    const csv = (await get('/export.csv?crawl=1')).body.trim().split('\n');
    expect(csv).toHaveLength(2);
    expect(csv[1]).toContain('shop-a.test');
    for (const bad of ['x', '0', '1.5']) {
      const res = await get(`/api/requests?crawl=${bad}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().error.message).toContain('crawl must be a whole number');
    }
  });

  test("a site's requests carry their crawl page next to pinaudit's page", async () => {
    const body = (await get('/api/crawls/1/sites/1/requests')).json();
    expect(body.requests).toEqual([expect.objectContaining({ flowId: 'crawl-flow-1', crawlPage: 'https://shop-a.test/', pageSite: 'shop-a.test', mode: 'off' })]);
  });

  test('a screenshot is served as a JPEG; a missing one is 404', async () => {
    const res = await get('/crawl-shots/1/1-off-0.jpg');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.rawPayload.equals(d.shots.off)).toBe(true);
    expect((await get('/crawl-shots/1/1-strip-0.jpg')).statusCode).toBe(404);
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
