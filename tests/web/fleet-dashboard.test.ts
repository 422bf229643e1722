/**
 * The dashboard over the fleet's PostgreSQL holding two instances' data shows the sums of the two
 * local dashboards; its instance filter shows exactly that instance's own dashboard; it only reads.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPostgres, type TestPostgres } from '../../bench/postgres.js';
import type { SiteDetail, SiteSummary, Totals } from '../../src/store/index.js';
import { parseCsv } from '../helpers/csv.js';
import { withoutInstance } from '../fleet/fleet-helpers.js';
import { api, twoInstanceFleet, type TwoInstanceFleet } from './fleet-seed.js';

let pg: TestPostgres;
let f: TwoInstanceFleet;
beforeAll(async () => {
  pg = await startPostgres();
  f = await twoInstanceFleet(pg, 'dash');
});
afterAll(async () => {
  await f?.close();
  pg?.close();
});

type Overview = { totals: Totals; topSites: SiteSummary[]; categories: Array<{ category: string | null; requests: number }>;
  leakLevels: Record<string, number>; timeline: { bucket: string; points: Array<{ start: number } & Record<string, number>> };
  sitesVisited: Record<string, number> };

const sum = (x: number, y: number): number => x + y;
const sortBy = <T>(list: T[], key: (t: T) => string): T[] => [...list].sort((p, q) => (key(p) < key(q) ? -1 : key(p) > key(q) ? 1 : 0));

describe.each(['all', 'day'])('range=%s: the fleet shows the sums of the two local dashboards', (range) => {
  test('overview: every count is the sum; sites that leaked are the sites of either', async () => {
    const [a, b, fleet] = await Promise.all([f.a.app, f.b.app, f.fleet].map((app) => api<Overview>(app, `/api/overview?range=${range}`)));
    const [sa, sb] = await Promise.all([f.a.app, f.b.app].map((app) => api<{ sites: SiteSummary[] }>(app, `/api/sites?range=${range}`)));
    const union = (pick: (s: SiteSummary) => number): number => new Set([...sa.sites, ...sb.sites].filter((s) => pick(s) > 0).map((s) => s.site)).size;
    for (const key of Object.keys(a.totals) as Array<keyof Totals>) {
      const expected = key === 'attemptedSites' ? union((s) => s.attemptedLeaks) : key === 'reachedSites' ? union((s) => s.reachedLeaks) : a.totals[key] + b.totals[key];
      expect(fleet.totals[key], key).toBe(expected);
    }
    expect(fleet.totals.requests).toBeGreaterThan(a.totals.requests);
    for (const key of Object.keys(a.leakLevels)) expect(fleet.leakLevels[key], key).toBe(sum(a.leakLevels[key]!, b.leakLevels[key]!));
    const categories = (o: Overview, c: string | null): number => o.categories.find((x) => x.category === c)?.requests ?? 0;
    for (const c of new Set([...a.categories, ...b.categories].map((x) => x.category))) expect(categories(fleet, c)).toBe(categories(a, c) + categories(b, c));
    const points = (o: Overview): Map<number, number> => new Map(o.timeline.points.map((p) => [p.start, p.reached!]));
    const [pa, pb] = [points(a), points(b)];
    for (const [start, reached] of points(fleet)) expect(reached, String(start)).toBe((pa.get(start) ?? 0) + (pb.get(start) ?? 0));
  });

  test('sites: each site\'s numbers are the two instances\' summed', async () => {
    const [a, b, fleet] = await Promise.all([f.a.app, f.b.app, f.fleet].map((app) => api<{ sites: SiteSummary[] }>(app, `/api/sites?range=${range}`)));
    const names = new Set([...a.sites, ...b.sites].map((s) => s.site));
    expect(fleet.sites.map((s) => s.site).sort()).toEqual([...names].sort());
    expect(names.has('blog.example')).toBe(true);
    for (const s of fleet.sites) {
      const [x, y] = [a.sites.find((v) => v.site === s.site), b.sites.find((v) => v.site === s.site)];
      for (const key of ['requests', 'attemptedLeaks', 'reachedLeaks', 'attemptedFullUrl', 'reachedFullUrl', 'blocked', 'stripped'] as const) {
        expect(s[key], `${s.site} ${key}`).toBe((x?.[key] ?? 0) + (y?.[key] ?? 0));
      }
      expect(s.lastSeen).toBe(Math.max(x?.lastSeen ?? 0, y?.lastSeen ?? 0));
    }
  });

  test('a site\'s page: counts summed, lists are both instances\' entries', async () => {
    const path = `/api/sites/shop.example?range=${range}`;
    const [a, b, fleet] = await Promise.all([f.a.app, f.b.app, f.fleet].map((app) => api<SiteDetail>(app, path)));
    for (const key of ['requests', 'attemptedLeaks', 'reachedLeaks', 'preventedLeaks', 'preventedIdentifiers', 'preventedPages'] as const) {
      expect(fleet[key], key).toBe(a[key] + b[key]);
    }
    expect(fleet.originOnly.attempted).toBe(a.originOnly.attempted + b.originOnly.attempted);
    const pages = (d: SiteDetail): string[] => d.pages.map((p) => `${p.url} ${p.requests} ${p.reached}`).sort();
    expect(pages(fleet)).toEqual([...pages(a), ...pages(b)].sort());
    const ids = (d: SiteDetail): string[] => d.identifiers.map((i) => `${i.name}=${i.value} ${i.requests} ${i.reached}`).sort();
    expect(ids(fleet)).toEqual([...ids(a), ...ids(b)].sort());
    expect(fleet.purchases).toHaveLength(a.purchases.length + b.purchases.length);
    expect(fleet.purchases.flatMap((p) => p.items)).toEqual([...a.purchases, ...b.purchases].flatMap((p) => p.items));
    const tag = (d: SiteDetail): number => d.tags.reduce((n, t) => n + t.requests, 0);
    expect(tag(fleet)).toBe(tag(a) + tag(b));
  });

  test('identifiers and requests: both instances\' rows', async () => {
    type Ids = { identifiers: Array<{ name: string; value: string; requests: number; siteCount: number }> };
    const [ia, ib, ifl] = await Promise.all([f.a.app, f.b.app, f.fleet].map((app) => api<Ids>(app, `/api/identifiers?range=${range}`)));
    const key = (i: Ids['identifiers'][number]): string => `${i.name}=${i.value} ${i.requests} ${i.siteCount}`;
    expect(ifl.identifiers.map(key).sort()).toEqual([...ia.identifiers, ...ib.identifiers].map(key).sort());
    type Page = { total: number; rows: Array<{ flowId: string; instanceId?: string }> };
    const [ra, rb, rf] = await Promise.all([f.a.app, f.b.app, f.fleet].map((app) => api<Page>(app, `/api/requests?range=${range}&limit=1000`)));
    expect(rf.total).toBe(ra.total + rb.total);
    expect(rf.rows.map((r) => r.flowId).sort()).toEqual([...ra.rows, ...rb.rows].map((r) => r.flowId).sort());
    expect(new Set(rf.rows.map((r) => r.instanceId)).size).toBe(2);
  });
});

describe('the instance filter', () => {
  test.each(['lab-a', 'lab-b'])('%s over the fleet is that instance\'s own dashboard', async (name) => {
    const own = name === 'lab-a' ? f.a.app : f.b.app;
    const paths = ['/api/overview?range=all', '/api/overview?range=day', '/api/sites?range=all', '/api/sites/shop.example?range=all',
      '/api/sites/blog.example?range=week', '/api/identifiers?range=all', '/api/requests?range=all&limit=20&offset=1',
      '/api/requests?range=all&search=CART', '/api/sites-visited?range=all', '/api/advice', '/api/identifiers/changes?range=all'];
    for (const path of paths) {
      const [local, fleet] = await Promise.all([api(own, path), api(f.fleet, `${path}${path.includes('?') ? '&' : '?'}instance=${name}`)]);
      expect(withoutInstance(fleet), path).toEqual(local);
    }
    const blocking = await Promise.all([api(own, '/api/blocking?range=all'), api(f.fleet, `/api/blocking?range=all&instance=${name}`)]);
    expect({ ...blocking[1], mode: 'n/a' }).toEqual({ ...blocking[0], mode: 'n/a' });
  });

  test('the CSV export of one instance is its own export; of all, both instances\' rows', async () => {
    const csv = async (app: typeof f.fleet, q: string): Promise<string[][]> => {
      const res = await app.inject({ url: `/export.csv?${q}`, headers: { host: '127.0.0.1:8081' } });
      expect(res.statusCode).toBe(200);
      return parseCsv(res.body);
    };
    expect(await csv(f.fleet, 'range=all&instance=lab-a')).toEqual(await csv(f.a.app, 'range=all'));
    const [a, b, all] = [await csv(f.a.app, 'range=all'), await csv(f.b.app, 'range=all'), await csv(f.fleet, 'range=all')];
    expect(all.length - 1).toBe(a.length - 1 + b.length - 1);
  });

  test('an instance that does not ship here is a clear 404', async () => {
    const res = await f.fleet.inject({ url: '/api/overview?instance=nope', headers: { host: '127.0.0.1:8081' } });
    expect(res.statusCode).toBe(404);
    expect(res.json<{ error: { message: string } }>().error.message).toMatch(/no instance named "nope"/);
  });
});

describe('read-only', () => {
  test('the session names the fleet (no password) and its instances', async () => {
    const s = await api<{ fleet: { label: string; instances: Array<{ name: string }>; limits: Record<string, string> } }>(f.fleet, '/api/session');
    expect(s.fleet.label).toMatch(/^postgres:\/\/pinaudit@127\.0\.0\.1:\d+\/dash$/);
    expect(JSON.stringify(s)).not.toContain(pg.password);
    expect(s.fleet.instances.map((i) => i.name)).toEqual(['lab-a', 'lab-b']);
    expect(s.fleet.limits.live).toMatch(/live feed/);
  });

  test('changes answer 405 with the reason; live, setup and crawls answer 409', async () => {
    const { token, tokenHeader } = await api<{ token: string; tokenHeader: string }>(f.fleet, '/api/session');
    const headers = { host: '127.0.0.1:8081', origin: 'http://127.0.0.1:8081', [tokenHeader]: token };
    for (const [method, url, payload] of [['PUT', '/api/settings', { blockMode: 'all' }], ['POST', '/api/exceptions', { site: 'shop.example' }],
      ['DELETE', '/api/exceptions/shop.example', undefined], ['POST', '/api/purge', { confirm: 'purge', all: true }]] as const) {
      const res = await f.fleet.inject({ method, url, ...(payload ? { payload, headers: { ...headers, 'content-type': 'application/json' } } : { headers }) });
      expect(res.statusCode, url).toBe(405);
      expect(res.headers.allow).toBe('GET, HEAD');
      expect(res.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'READ_ONLY', message: expect.stringMatching(/each instance/) });
    }
    for (const url of ['/api/live', '/api/setup', '/api/crawls', '/api/settings', '/api/requests?crawl=1', '/export.csv?crawl=1']) {
      const res = await f.fleet.inject({ url, headers: { host: '127.0.0.1:8081' } });
      expect(res.statusCode, url).toBe(409);
      expect(res.json<{ error: { code: string } }>().error.code).toBe('NOT_IN_FLEET');
    }
    // Nothing changed anywhere.
    expect((await api<{ totals: Totals }>(f.fleet, '/api/overview?range=all')).totals.requests).toBeGreaterThan(0);
  });
});
