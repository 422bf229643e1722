import { ACTIONS, CATEGORIES } from '../../src/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CSV_COLUMNS } from '../../src/export/csv.js';
import { parseCsv } from '../helpers/csv.js';
import { CA, FORMULA_URL, SESSION_FINGERPRINT, XSS_URL, seededDashboard, type TestDashboard } from './seed.js';

const HOST = { host: '127.0.0.1:8081' };
let d: TestDashboard;
beforeAll(async () => {
  d = await seededDashboard();
});
afterAll(async () => {
  await d.close();
});

const get = async (url: string) => d.app.inject({ url, headers: HOST });
const json = async <T = any>(url: string): Promise<T> => {
  const res = await get(url);
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['cache-control']).toBe('no-store');
  return res.json<T>();
};

describe('overview', () => {
  test('totals, charts data and visited sites for all time', async () => {
    const o = await json('/api/overview');
    expect(o.range).toEqual({ name: 'all', from: null, to: null });
    // news.example's widget was blocked: attempted, not reached.
    expect(o.totals).toMatchObject({
      requests: 7, thirdPartyRequests: 7, attemptedLeaks: 7, reachedLeaks: 6, preventedLeaks: 1, attemptedSites: 3, reachedSites: 2,
      attemptedLoggedIn: 1, reachedLoggedIn: 1, attemptedHashedEmails: 1, reachedHashedEmails: 1, blocked: 1, stripped: 0,
    });
    expect([o.totals.attemptedPages, o.totals.reachedPages]).toEqual([6, 5]);
    expect(o.topSites.map((s: { site: string }) => s.site)).toEqual(['shop.example', 'evil.example', 'news.example']);
    expect(o.categories).toEqual(expect.arrayContaining([expect.objectContaining({ category: 'tag', requests: 6 }), expect.objectContaining({ category: 'widget', requests: 1 })]));
    expect(o.leakLevels).toEqual({ fullUrl: 7, origin: 0, none: 0, reachedFullUrl: 6, reachedOrigin: 0 });
    expect(o.sitesVisited).toEqual({ visited: 2, attempted: 3, reached: 2, visitedAndAttempted: 1, visitedAndReached: 1 });
    expect(o.timeline.bucket).toBe('day');
    expect(o.timeline.points.reduce((n: number, p: { attempted: number }) => n + p.attempted, 0)).toBe(7);
    expect(o.timeline.points.reduce((n: number, p: { reached: number }) => n + p.reached, 0)).toBe(6);
  });

  test('last hour uses hour buckets, aligned and gap-filled', async () => {
    const o = await json('/api/overview?range=day');
    expect(o.range).toMatchObject({ name: 'day', from: d.now - 86_400_000 });
    expect(o.totals.requests).toBe(6);
    expect(o.totals.blocked).toBe(0);
    expect(o.timeline.bucket).toBe('hour');
    const pts = o.timeline.points as Array<{ start: number; requests: number }>;
    expect(pts.length).toBeGreaterThanOrEqual(24);
    expect(pts.length).toBeLessThanOrEqual(26);
    for (let i = 1; i < pts.length; i++) expect(pts[i]!.start - pts[i - 1]!.start).toBe(3_600_000);
    expect(pts.reduce((n, p) => n + p.requests, 0)).toBe(6);
  });

  test('custom range from/to (ms and ISO)', async () => {
    const from = d.now - 4 * 86_400_000;
    const to = d.now - 86_400_000;
    const o = await json(`/api/overview?from=${from}&to=${new Date(to).toISOString()}`);
    expect(o.range).toEqual({ name: 'custom', from, to });
    expect(o.totals).toMatchObject({ requests: 1, blocked: 1, attemptedSites: 1, reachedSites: 0 });
  });

  test.each([
    ['/api/overview?range=year', /range must be one of/],
    ['/api/overview?from=yesterday', /from must be a time/],
    ['/api/overview?from=2000&to=1000', /to must be after from/],
    ['/api/sites?sort=evil', /sort must be one of/],
    ['/api/requests?category=bogus', /category must be one of/],
    ['/api/requests?limit=0', /limit must be a whole number/],
    ['/api/identifiers/abc/sites', /positive whole number/],
  ])('%s → 400', async (url, message) => {
    const res = await get(url);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(message);
  });
});

describe('sites', () => {
  test('list is sortable and searchable, with exceptions marked', async () => {
    expect((await json('/api/sites')).sites.map((s: { site: string }) => s.site)).toEqual(['shop.example', 'evil.example', 'news.example']);
    expect((await json('/api/sites?sort=site')).sites.map((s: { site: string }) => s.site)).toEqual(['evil.example', 'news.example', 'shop.example']);
    const found = (await json('/api/sites?search=news')).sites;
    expect(found).toEqual([expect.objectContaining({ site: 'news.example', attemptedLeaks: 1, reachedLeaks: 0, blocked: 1, exception: false })]);
    expect((await json('/api/sites?search=%25')).sites).toEqual([]);
  });

  test('site detail: pages, identifiers, tags, purchases, attribution, decisions', async () => {
    const s = await json('/api/sites/shop.example');
    expect(s.site).toBe('shop.example');
    expect(s.requests).toBe(4);
    expect(s.pages.map((p: { url: string }) => p.url).sort()).toEqual(['https://shop.example/cart', 'https://shop.example/checkout', 'https://shop.example/products/42']);
    expect(s.identifiers).toEqual(expect.arrayContaining([
      expect.objectContaining({ name: '_pinterest_ct_ua', value: 'UA-SHARED', requests: 3 }),
      expect.objectContaining({ name: '_pinterest_sess', kind: 'credential', value: SESSION_FINGERPRINT }),
    ]));
    expect(s.tags).toEqual(expect.arrayContaining([expect.objectContaining({ tagId: '2612345678901', event: 'checkout', requests: 1 })]));
    expect(s.purchases).toEqual([expect.objectContaining({ orderId: 'O-77', value: 59.9, currency: 'EUR', items: [{ id: 'sku-1', name: 'Lamp', price: 29.95, quantity: 2 }] })]);
    expect(s.attribution).toEqual([{ method: 'referer', requests: 4 }]);
    expect(s.decisions).toEqual([{ decision: 'allow', requests: 4 }]);
    expect(s.exception).toBe(false);
  });

  test('unknown site is an empty detail, not an error', async () => {
    const s = await json('/api/sites/nowhere.example');
    expect(s).toMatchObject({ site: 'nowhere.example', requests: 0, pages: [] });
  });
});

describe('identifiers, requests, blocking, visited, settings, setup, session', () => {
  test('identifiers with the sites that sent them; credentials as fingerprints only', async () => {
    const list = (await json('/api/identifiers')).identifiers as Array<{ id: number; name: string; value: string; sites: string[]; siteCount: number }>;
    const ua = list.find((i) => i.value === 'UA-SHARED');
    // Four requests attempted to send it; the blocked widget's never reached Pinterest.
    expect(ua).toMatchObject({ siteCount: 2, sites: ['news.example', 'shop.example'], requests: 4, reached: 3 });
    expect(list.find((i) => i.name === '_pinterest_sess')?.value).toBe(SESSION_FINGERPRINT);
    const body = JSON.stringify(list);
    expect(body).not.toContain('s3cret-session-value');
    const sites = await json(`/api/identifiers/${ua!.id}/sites`);
    expect(sites.sites.map((s: { site: string }) => s.site).sort()).toEqual(['news.example', 'shop.example']);
  });

  test('requests page with filters and paging', async () => {
    const all = await json('/api/requests?limit=2');
    expect(all.total).toBe(7);
    expect(all.rows).toHaveLength(2);
    expect(all.rows[0].time).toBeGreaterThanOrEqual(all.rows[1].time);
    const blocked = await json('/api/requests?decision=block');
    expect(blocked.rows.map((r: { pageSite: string }) => r.pageSite)).toEqual(['news.example']);
    const evil = await json('/api/requests?site=evil.example&search=onerror');
    expect(evil.rows.map((r: { pageUrl: string }) => r.pageUrl)).toEqual([XSS_URL]);
    const second = await json('/api/requests?limit=5&offset=5');
    expect(second.rows).toHaveLength(2);
  });

  test('blocking impact and sites visited', async () => {
    const b = await json('/api/blocking');
    expect(b.mode).toBe('off');
    expect(b.bySite).toEqual([expect.objectContaining({ site: 'news.example', blocked: 1 })]);
    const v = await json('/api/sites-visited');
    expect(v).toMatchObject({ visited: 2, attempted: 3, reached: 2, visitedAndAttempted: 1, visitedAndReached: 1 });
    expect(v.sites).toEqual(expect.arrayContaining([{ site: 'bank.example', visits: 1, attemptedLeaks: 0, reachedLeaks: 0 }]));
  });

  test('settings, setup and session', async () => {
    expect(await json('/api/settings')).toEqual({ blockMode: 'off', exceptions: [], retentionDays: 90, tunnelCounting: true });
    const setup = await json('/api/setup');
    expect(setup.proxy).toEqual({ host: '127.0.0.1', port: 8080, address: '127.0.0.1:8080' });
    expect(setup.ca).toMatchObject({ fingerprint: CA.fingerprint, certPath: CA.certPath, downloadPath: '/ca.pem', notAfter: '2035-01-01T00:00:00.000Z' });
    expect(setup.ca.instructions).toContain('update-ca-certificates');
    expect(setup.checkUrl).toBe('https://check.pinaudit.invalid/');
    expect(setup.pinterestDomains).toContain('pinimg.com');
    // Without a proxy attached, nobody has refused the certificate.
    expect(setup.caRejections).toEqual({ total: 0, lastAt: null, hosts: [], moreHosts: 0, untracked: 0, checkHost: 0 });
    const session = await json('/api/session');
    expect(session.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.tokenHeader).toBe('x-pinaudit-token');
    // The dashboard's filter lists come from here, the one list in src/types.ts.
    expect(session.filters).toEqual({ category: [...CATEGORIES, 'none'], decision: [...ACTIONS, 'none'] });
  });
});

describe('files', () => {
  test('index page, its scripts and the chart library are served locally', async () => {
    const index = await get('/');
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    const srcs = [...index.body.matchAll(/(?:src|href)="([^"#]+)"/g)].map((m) => m[1]!);
    expect(srcs).toEqual(expect.arrayContaining(['/style.css', '/js/main.js', '/vendor/chart.umd.min.js']));
    for (const src of srcs) {
      expect(src.startsWith('/'), `${src} is local`).toBe(true);
      const res = await get(src);
      expect(res.statusCode, src).toBe(200);
    }
    expect(index.body).not.toMatch(/<script>|<style>|\sstyle=|\son[a-z]+=/i);
    const chart = await get('/vendor/chart.umd.min.js');
    expect(chart.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(chart.body).toContain('Chart.js v4');
    expect((await get('/js/views/overview.js')).body).toContain('export async function render');
  });

  test.each(['/../package.json', '/%2e%2e/package.json', '/js/../../package.json', '/.env', '/nothing.js', '/js/main.ts'])('%s → 404', async (url) => {
    const res = await get(url);
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('"name": "pinaudit"');
  });

  test('no UI file writes markup from data', async () => {
    for (const f of ['/js/dom.js', '/js/main.js', '/js/views/overview.js', '/js/views/site.js', '/js/views/live.js', '/js/views/requests.js', '/js/views/identifiers.js', '/js/views/settings.js', '/js/views/setup.js', '/js/views/sites.js']) {
      const body = (await get(f)).body;
      expect(body, f).not.toMatch(/\.innerHTML\s*=|outerHTML|insertAdjacentHTML|document\.write/);
    }
  });

  test('/proxy.pac sends only Pinterest and the check host to the proxy', async () => {
    const res = await get('/proxy.pac');
    expect(res.headers['content-type']).toBe('application/x-ns-proxy-autoconfig');
    expect(res.body).toContain('"PROXY 127.0.0.1:8080; DIRECT"');
    expect(res.body).toContain('function FindProxyForURL(url, host)');
  });

  test('/ca.pem downloads the certificate', async () => {
    const res = await get('/ca.pem');
    expect(res.headers['content-type']).toBe('application/x-pem-file');
    expect(res.headers['content-disposition']).toBe('attachment; filename="pinaudit-ca.pem"');
    expect(res.body).toBe(CA.certPem);
  });
});

describe('/export.csv', () => {
  const col = (name: string): number => CSV_COLUMNS.findIndex((c) => c.name === name);

  test('streams every row of the filter with the documented header; formulas neutralised', async () => {
    const res = await get('/export.csv');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="pinaudit-requests-v2-\d{4}-\d{2}-\d{2}\.csv"$/);
    const rows = parseCsv(res.body);
    expect(rows[0]).toEqual(CSV_COLUMNS.map((c) => c.name));
    expect(rows).toHaveLength(8);
    const urls = rows.slice(1).map((r) => r[col('page_url')]);
    expect(urls).toContain(XSS_URL);
    expect(urls).toContain(FORMULA_URL);
    expect(res.body).not.toContain('s3cret-session-value');
    for (const row of rows.slice(1)) for (const cell of row) expect(cell).not.toMatch(/^[=+@\t\r]/);
  });

  test('filters like the request list, and redacts on request', async () => {
    const site = parseCsv((await get('/export.csv?site=news.example')).body);
    expect(site).toHaveLength(2);
    expect(site[1]?.[col('decision')]).toBe('block');
    const red = await get('/export.csv?redact=1&site=shop.example');
    expect(red.headers['content-disposition']).toContain('-redacted.csv');
    expect(red.body).not.toContain('UA-SHARED');
    expect(red.body).not.toContain(SESSION_FINGERPRINT);
    expect(red.body).not.toContain('O-77');
    expect(parseCsv(red.body)).toHaveLength(5);
  });
});
