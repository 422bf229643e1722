import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Flow } from '../../src/pipeline.js';
import { openQueries, type Queries } from '../../src/store/queries.js';
import { createStore, type Store } from '../../src/store/writer.js';
import { fingerprint, makeFlow, makeTag } from '../helpers/findings.js';

/** Local times on 10–12 June 2025, so day boundaries are the machine's midnights. */
const at = (day: number, hour: number, minute = 0): number => new Date(2025, 5, day, hour, minute).getTime();
const U1 = { name: '_pinterest_ct_ua', kind: 'tracking-id', source: 'cookie', value: 'U1' } as const;
const P2 = { name: '_pin_unauth', kind: 'tracking-id', source: 'cookie', value: 'P2' } as const;
const EM = { name: 'pd.em', kind: 'hashed-email', source: 'query', value: 'e'.repeat(64) } as const;
const SESS = { name: '_pinterest_sess', kind: 'credential', source: 'cookie', fingerprint: fingerprint('s3cret') } as const;
const page = (site: string, url: string, attributedBy: 'referer' | 'tag-payload' = 'referer') => ({
  site, url, attributedBy, confidence: 'high' as const,
});

/** The seeded facts; comments give what each contributes to the expectations. */
function seed(store: Store): void {
  const rec = (mode: 'off' | 'strip' | 'trackers', flow: Flow): void => {
    if (store.settings.get().blockMode !== mode) store.settings.set({ blockMode: mode });
    store.record(flow);
    store.complete(flow, { kind: 'response', status: 200, bytes: 43 });
  };
  // A: shop pagevisit, full URL.
  rec('off', makeFlow({ observation: { time: at(10, 10) }, finding: { page: page('shop.example', 'https://shop.example/products/42'), identifiers: [U1] } }));
  // B: shop checkout, logged in, hashed e-mail, two line items.
  rec('off', makeFlow({
    observation: { time: at(10, 12) },
    finding: {
      page: page('shop.example', 'https://shop.example/checkout', 'tag-payload'),
      loggedIn: true,
      identifiers: [U1, EM],
      tag: makeTag({ event: 'checkout', orderId: 'O-1', value: 59.9, currency: 'EUR', hashedEmail: { value: EM.value, algo: 'sha256' },
        lineItems: [{ id: 'sku-1', name: 'Lamp', price: 29.95, quantity: 1 }, { id: 'sku-2', name: 'Shade', price: 29.95, quantity: 1 }] }),
    },
  }));
  // C: shop tag script, origin only, stripped (cookie + referer).
  rec('strip', makeFlow({
    observation: { time: at(10, 18), host: 's.pinimg.com', url: 'https://s.pinimg.com/ct/core.js' },
    finding: { category: 'tag-script', leakLevel: 'origin', tag: null, page: page('shop.example', 'https://shop.example/'), identifiers: [U1] },
    decision: { action: 'strip', reason: 'strip mode', stripped: ['cookie', 'referer'], prevented: { identifiers: [{ name: U1.name, source: 'cookie' }], page: true } },
  }));
  // News widget, blocked in trackers mode.
  rec('trackers', makeFlow({
    observation: { time: at(11, 9), host: 'widgets.pinterest.com', url: 'https://widgets.pinterest.com/v3/pidgets/count/' },
    finding: { category: 'widget', tag: null, page: page('news.example', 'https://news.example/article/1'), identifiers: [U1, P2] },
    decision: { action: 'block', reason: 'trackers mode blocks widgets', stripped: [], prevented: { identifiers: [U1, P2], page: true } },
  }));
  // News content, third party but no leak.
  rec('trackers', makeFlow({
    observation: { time: at(11, 10), host: 'i.pinimg.com', url: 'https://i.pinimg.com/236x/a.jpg' },
    finding: { category: 'content', tag: null, leakLevel: 'none', page: { site: 'news.example', url: null, attributedBy: 'none', confidence: 'none' }, identifiers: [] },
  }));
  // The user's own Pinterest use, logged in (credential fingerprint).
  rec('trackers', makeFlow({
    observation: { time: at(11, 11), host: 'www.pinterest.com', url: 'https://www.pinterest.com/' },
    finding: { category: 'first-party', thirdParty: false, tag: null, leakLevel: 'none', loggedIn: true,
      page: page('pinterest.com', 'https://www.pinterest.com/'), identifiers: [SESS, U1] },
  }));
  // The classifier failed.
  rec('trackers', makeFlow({ observation: { time: at(12, 8) }, finding: null, decision: null }));
  const tunnel = (site: string, time: number) => store.tunnel({ client: '127.0.0.1', host: `www.${site}`, site, url: null, time });
  tunnel('shop.example', at(10, 9));
  tunnel('shop.example', at(10, 17));
  for (let i = 0; i < 5; i++) tunnel('bank.example', at(10, 20));
  tunnel('news.example', at(11, 8));
  store.flush();
}

let dir: string;
let store: Store;
let q: Queries & { close(): void };
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-queries-'));
  store = createStore({ path: join(dir, 'q.db'), retentionDays: null });
  seed(store);
  q = openQueries(join(dir, 'q.db'));
});
afterAll(() => {
  q.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('overview', () => {
  // A and B reached Pinterest; C was stripped of its cookie and origin, D blocked: attempted, not reached.
  test.each([
    ['all time', {},
      { requests: 7, thirdPartyRequests: 5, attemptedLeaks: 4, reachedLeaks: 2, preventedLeaks: 2, attemptedSites: 2, reachedSites: 1, attemptedPages: 3, reachedPages: 2, attemptedOriginOnly: 1, reachedOriginOnly: 0, attemptedIdentifiers: 4, reachedIdentifiers: 3, preventedIdentifiers: 3, preventedPages: 2, attemptedLoggedIn: 1, reachedLoggedIn: 1, attemptedHashedEmails: 1, reachedHashedEmails: 1, blocked: 1, stripped: 1 }],
    ['two partial days', { from: at(10, 11), to: at(11, 9, 30) },
      { requests: 3, thirdPartyRequests: 3, attemptedLeaks: 3, reachedLeaks: 1, preventedLeaks: 2, attemptedSites: 2, reachedSites: 1, attemptedPages: 2, reachedPages: 1, attemptedOriginOnly: 1, reachedOriginOnly: 0, attemptedIdentifiers: 3, reachedIdentifiers: 2, preventedIdentifiers: 3, preventedPages: 2, attemptedLoggedIn: 1, reachedLoggedIn: 1, attemptedHashedEmails: 1, reachedHashedEmails: 1, blocked: 1, stripped: 1 }],
    ['edges and a whole day', { from: at(10, 11), to: at(12, 9) },
      { requests: 6, thirdPartyRequests: 4, attemptedLeaks: 3, reachedLeaks: 1, preventedLeaks: 2, attemptedSites: 2, reachedSites: 1, attemptedPages: 2, reachedPages: 1, attemptedOriginOnly: 1, reachedOriginOnly: 0, attemptedIdentifiers: 4, reachedIdentifiers: 3, preventedIdentifiers: 3, preventedPages: 2, attemptedLoggedIn: 1, reachedLoggedIn: 1, attemptedHashedEmails: 1, reachedHashedEmails: 1, blocked: 1, stripped: 1 }],
    ['within one day', { from: at(10, 11), to: at(10, 13) },
      { requests: 1, thirdPartyRequests: 1, attemptedLeaks: 1, reachedLeaks: 1, preventedLeaks: 0, attemptedSites: 1, reachedSites: 1, attemptedPages: 1, reachedPages: 1, attemptedOriginOnly: 0, reachedOriginOnly: 0, attemptedIdentifiers: 2, reachedIdentifiers: 2, preventedIdentifiers: 0, preventedPages: 0, attemptedLoggedIn: 1, reachedLoggedIn: 1, attemptedHashedEmails: 1, reachedHashedEmails: 1, blocked: 0, stripped: 0 }],
    ['nothing', { from: at(1, 0), to: at(2, 0) },
      { requests: 0, thirdPartyRequests: 0, attemptedLeaks: 0, reachedLeaks: 0, preventedLeaks: 0, attemptedSites: 0, reachedSites: 0, attemptedPages: 0, reachedPages: 0, attemptedOriginOnly: 0, reachedOriginOnly: 0, attemptedIdentifiers: 0, reachedIdentifiers: 0, preventedIdentifiers: 0, preventedPages: 0, attemptedLoggedIn: 0, reachedLoggedIn: 0, attemptedHashedEmails: 0, reachedHashedEmails: 0, blocked: 0, stripped: 0 }],
  ])('totals: %s', (_name, range, expected) => {
    expect(q.totals(range)).toEqual(expected);
  });

  test('top sites, most leaking first; the user\'s own Pinterest use is not a leaking site', () => {
    expect(q.topSites({})).toEqual([
      { site: 'shop.example', requests: 3, attemptedLeaks: 3, reachedLeaks: 2, attemptedFullUrl: 2, reachedFullUrl: 2, blocked: 0, stripped: 1, lastSeen: at(10, 18) },
      { site: 'news.example', requests: 2, attemptedLeaks: 1, reachedLeaks: 0, attemptedFullUrl: 1, reachedFullUrl: 0, blocked: 1, stripped: 0, lastSeen: at(11, 10) },
    ]);
    expect(q.sites({}, { search: 'news', sort: 'site' }).map((s) => s.site)).toEqual(['news.example']);
    expect(q.topSites({}, 1)).toHaveLength(1);
  });

  test('timeline by day and by hour', () => {
    expect(q.timeline({}, 'day').map((p) => [p.start, p.requests, p.attempted, p.reached, p.blocked])).toEqual([
      [at(10, 0), 3, 3, 2, 0],
      [at(11, 0), 3, 1, 0, 1],
      [at(12, 0), 1, 0, 0, 0],
    ]);
    expect(q.timeline({ from: at(10, 0), to: at(11, 0) }, 'hour').map((p) => [p.attempted, p.reached])).toEqual([[1, 1], [1, 1], [1, 0]]);
    expect(q.timeline({ from: at(10, 0), to: at(11, 0) }, 'hour').map((p) => [p.start, p.requests])).toEqual([
      [at(10, 10), 1],
      [at(10, 12), 1],
      [at(10, 18), 1],
    ]);
    // Partial hours at both ends come from raw rows.
    expect(q.timeline({ from: at(10, 10, 30), to: at(10, 18, 30) }, 'hour').map((p) => [p.start, p.requests])).toEqual([
      [at(10, 12), 1],
      [at(10, 18), 1],
    ]);
    expect(q.timeline({ from: at(10, 12, 0), to: at(10, 12, 1) }, 'hour').map((p) => p.requests)).toEqual([1]);
  });

  test('categories and leak levels', () => {
    const cats = Object.fromEntries(q.categories({}).map((c) => [String(c.category), c.requests]));
    expect(cats).toEqual({ tag: 2, 'tag-script': 1, widget: 1, content: 1, 'first-party': 1, null: 1 });
    expect(q.leakLevels({})).toEqual({ fullUrl: 3, origin: 1, none: 1, reachedFullUrl: 2, reachedOrigin: 0 });
  });
});

describe('sites and identifiers', () => {
  test('site detail', () => {
    const d = q.siteDetail('shop.example', {});
    expect(d).toMatchObject({
      site: 'shop.example', requests: 3, attemptedLeaks: 3, reachedLeaks: 2, preventedLeaks: 1, preventedIdentifiers: 1, preventedPages: 1,
      originOnly: { attempted: 1, reached: 0 }, more: { pages: 0, identifiers: 0, tags: 0, purchases: 0 },
    });
    // Pages are full URLs only: C's origin-only leak (https://shop.example/) is never listed as a page.
    expect(d.pages.map((p) => [p.url, p.requests, p.reached]).sort()).toEqual([
      ['https://shop.example/checkout', 1, 1], ['https://shop.example/products/42', 1, 1],
    ]);
    expect(d.identifiers.map((i) => [i.name, i.value, i.requests, i.reached])).toEqual([['_pinterest_ct_ua', 'U1', 3, 2], ['pd.em', EM.value, 1, 1]]);
    const limited = q.siteDetail('shop.example', {}, { limit: 1 });
    expect([limited.pages.length, limited.identifiers.length, limited.tags.length]).toEqual([1, 1, 1]);
    expect(limited.more).toEqual({ pages: 1, identifiers: 1, tags: 1, purchases: 0 });
    expect(d.tags.map((t) => [t.tagId, t.event, t.requests]).sort()).toEqual([['2612345678901', 'checkout', 1], ['2612345678901', 'pagevisit', 1]]);
    expect(d.purchases).toEqual([
      expect.objectContaining({ orderId: 'O-1', value: 59.9, currency: 'EUR', items: [
        { id: 'sku-1', name: 'Lamp', price: 29.95, quantity: 1 },
        { id: 'sku-2', name: 'Shade', price: 29.95, quantity: 1 },
      ] }),
    ]);
    expect(d.attribution).toEqual([{ method: 'referer', requests: 2 }, { method: 'tag-payload', requests: 1 }]);
    expect(d.decisions).toEqual([{ decision: 'allow', requests: 2 }, { decision: 'strip', requests: 1 }]);
    expect(q.siteDetail('shop.example', { from: at(10, 11), to: at(10, 13) }).requests).toBe(1);
  });

  test('identifiers with the sites that sent each; credentials only as fingerprints', () => {
    const ids = q.identifiers({});
    // Attempted and reached Pinterest: the strip took the cookie from C, the block took the widget's two.
    expect(ids.map((i) => [i.name, i.siteCount, i.sites, i.requests, i.reached])).toEqual([
      ['_pinterest_ct_ua', 3, ['news.example', 'pinterest.com', 'shop.example'], 5, 3],
      ['pd.em', 1, ['shop.example'], 1, 1],
      ['_pin_unauth', 1, ['news.example'], 1, 0],
      ['_pinterest_sess', 1, ['pinterest.com'], 1, 1],
    ]);
    const sess = ids.find((i) => i.kind === 'credential');
    expect(sess?.value).toBe(SESS.fingerprint);
    const u1 = ids[0];
    expect(q.identifierSites(u1?.id ?? -1, {}).map((s) => [s.site, s.requests])).toEqual([
      ['shop.example', 3], ['news.example', 1], ['pinterest.com', 1],
    ]);
    expect(q.identifiers({ from: at(11, 0), to: at(12, 0) }).find((i) => i.name === '_pinterest_ct_ua')?.sites)
      .toEqual(['news.example', 'pinterest.com']);
  });

  test('what blocking changed, per mode and per site', () => {
    expect(q.blockingImpact({})).toEqual({
      byMode: [
        { mode: 'strip', blocked: 0, stripped: 1, attemptedLeaks: 1, reachedLeaks: 0, preventedLeaks: 1, preventedIdentifiers: 1, preventedPages: 1 },
        { mode: 'trackers', blocked: 1, stripped: 0, attemptedLeaks: 1, reachedLeaks: 0, preventedLeaks: 1, preventedIdentifiers: 2, preventedPages: 1 },
      ].sort((a, b) => a.mode.localeCompare(b.mode)),
      bySite: expect.arrayContaining([
        { mode: 'strip', site: 'shop.example', blocked: 0, stripped: 1, attemptedLeaks: 1, reachedLeaks: 0, preventedLeaks: 1, preventedIdentifiers: 1, preventedPages: 1 },
        { mode: 'trackers', site: 'news.example', blocked: 1, stripped: 0, attemptedLeaks: 1, reachedLeaks: 0, preventedLeaks: 1, preventedIdentifiers: 2, preventedPages: 1 },
      ]),
    });
  });

  test('sites visited versus sites that leaked', () => {
    const v = q.sitesVisited({});
    expect(v).toMatchObject({ visited: 3, attempted: 2, reached: 1, visitedAndAttempted: 2, visitedAndReached: 1 });
    expect(v.sites).toEqual([
      { site: 'shop.example', visits: 2, attemptedLeaks: 3, reachedLeaks: 2 },
      { site: 'news.example', visits: 1, attemptedLeaks: 1, reachedLeaks: 0 },
      { site: 'bank.example', visits: 5, attemptedLeaks: 0, reachedLeaks: 0 },
    ]);
    expect(q.sitesVisited({ from: at(11, 0), to: at(12, 0) })).toMatchObject({ visited: 1, attempted: 1, reached: 0, visitedAndAttempted: 1 });
  });

  test('settings are readable from the read-only connection', () => {
    expect(q.settings().blockMode).toBe('trackers');
  });
});

describe('request list and export stream', () => {
  test.each([
    ['no filter', {}, 7],
    ['site', { site: 'shop.example' }, 3],
    ['category', { category: 'tag' as const }, 2],
    ['unclassified', { category: 'none' as const }, 1],
    ['decision', { decision: 'block' as const }, 1],
    ['no decision', { decision: 'none' as const }, 1],
    ['search in page URL', { search: 'checkout' }, 1],
    ['search in host', { search: 'pinimg' }, 2],
    ['search with LIKE characters is literal', { search: '%' }, 0],
    ['time range', { from: at(11, 0), to: at(12, 0) }, 3],
  ])('filter: %s', (_name, filter, n) => {
    const page = q.requests(filter, { limit: 50 });
    expect(page.rows).toHaveLength(n);
    expect(page.total).toBe(n);
    expect(page.totalCapped).toBe(false);
    expect([...q.iterate(filter)]).toHaveLength(n);
  });

  test('rows are newest first, paged, with their identifiers and outcome', () => {
    const page = q.requests({ site: 'shop.example' }, { limit: 2, offset: 0 });
    expect(page.total).toBe(3);
    expect(page.rows.map((r) => r.time)).toEqual([at(10, 18), at(10, 12)]);
    const b = page.rows[1];
    expect(b).toMatchObject({
      pageUrl: 'https://shop.example/checkout', attributedBy: 'tag-payload', tagEvent: 'checkout', hashedEmail: true,
      hashedEmailAlgo: 'sha256', loggedIn: true, thirdParty: true, outcome: 'response', status: 200, bytes: 43,
      decision: 'allow', reasons: ['Referer names https://shop.example/products/42'], stripped: [],
    });
    expect(b?.identifiers.map((i) => i.name).sort()).toEqual(['_pinterest_ct_ua', 'pd.em']);
    expect(q.requests({ site: 'shop.example' }, { limit: 2, offset: 2 }).rows.map((r) => r.time)).toEqual([at(10, 10)]);
  });

  test('the stream is oldest first and carries the credential as a fingerprint only', () => {
    const rows = [...q.iterate({})];
    expect(rows.map((r) => r.time)).toEqual([...rows.map((r) => r.time)].sort((a, b) => a - b));
    const own = rows.find((r) => r.category === 'first-party');
    expect(own?.identifiers).toContainEqual({ name: '_pinterest_sess', kind: 'credential', source: 'cookie', value: SESS.fingerprint, prevented: false });
  });
});
