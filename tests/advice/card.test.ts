/**
 * "Opt-out is not opt-out" over a real database: the switch history the advice stage wrote and the
 * requests the writer recorded give the card (API), the report section (text and JSON) and the CSV
 * column. Only requests that reached Pinterest with identifiers while the switch was off count.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Decision, Identifier } from '../../src/types.js';
import { openQueries, type Queries } from '../../src/store/queries.js';
import type { SwitchRecord } from '../../src/store/switches.js';
import { createStore, type Store } from '../../src/store/writer.js';
import { buildDashboard } from '../../src/web/dashboard.js';
import { LiveFeed } from '../../src/web/live.js';
import { buildReport, renderReport } from '../../src/commands/report.js';
import { makeFlow } from '../helpers/findings.js';
import { parseCsv } from '../helpers/csv.js';
import { CA } from '../web/seed.js';

const T = Date.UTC(2026, 0, 5, 12, 0);
const MIN = 60_000;
const ACCOUNT = 'ab'.repeat(32);
const ids: Identifier[] = [
  { name: '_pinterest_ct_ua', kind: 'tracking-id', source: 'cookie', value: 'TWc9PSZ1a3ZqTk' },
  { name: 'pd.em', kind: 'hashed-email', source: 'query', value: 'e'.repeat(64) },
];

let dir: string;
let store: Store;
let queries: Queries & { close(): void };
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-card-'));
  store = createStore({ path: join(dir, 'p.db'), retentionDays: null });
});
afterEach(() => {
  queries?.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const switchAt = (min: number, field: string, state: boolean, how: 'read' | 'change'): SwitchRecord => ({
  time: T + min * MIN, flowId: `s${min}${field}`, client: '127.0.0.1', account: ACCOUNT, endpoint: 'UserSettingsResource/get', field, state, how,
});

function beacon(site: string, min: number, decision: Partial<Decision> = {}): void {
  const url = `https://${site}/products/${min}`;
  const flow = makeFlow({
    observation: { time: T + min * MIN, headers: { referer: url } },
    finding: { page: { site, url, attributedBy: 'referer', confidence: 'high' }, identifiers: ids },
    decision,
  });
  store.record(flow);
  store.complete(flow, decision.action === 'block' ? { kind: 'blocked', status: 204 } : { kind: 'response', status: 200, bytes: 43 });
}

function seed(): Queries {
  beacon('shop-a.test', 0); // before anything was seen: unknown
  store.recordSwitches([
    switchAt(10, 'personalize_from_offsite_browsing', true, 'read'),
    switchAt(10, 'ads_customize_from_conversion', false, 'read'),
    switchAt(10, 'exclude_from_search', false, 'read'),
  ]);
  beacon('shop-a.test', 15); // on
  store.recordSwitches([switchAt(20, 'personalize_from_offsite_browsing', false, 'change')]);
  beacon('shop-a.test', 25); // off, reached
  beacon('shop-b.test', 26); // off, reached
  beacon('shop-b.test', 27); // off, reached
  beacon('blocked.test', 28, { action: 'block', reason: 'all mode blocks everything' }); // off, did not reach
  store.flush();
  queries = openQueries(join(dir, 'p.db'));
  return queries;
}

function dashboard(q: Queries) {
  return buildDashboard({
    queries: q, settings: store.settings, purge: (o) => store.purge(o), live: new LiveFeed(),
    proxy: { host: '127.0.0.1', port: 8080 }, ca: CA, now: () => T + 60 * MIN,
  });
}

describe('opt-out card', () => {
  test('nothing seen: every switch is "not seen yet" and nothing is counted', async () => {
    const app = dashboard(openQueries(store.path));
    const res = await app.inject({ method: 'GET', url: '/api/advice', headers: { host: '127.0.0.1' } });
    await app.close();
    const body = res.json();
    expect(body.accounts).toBe(0);
    expect(body.switches.map((s: { state: string; offPeriods: unknown[] }) => [s.state, s.offPeriods.length])).toEqual([
      ['unknown', 0], ['unknown', 0], ['unknown', 0], ['unknown', 0],
    ]);
  });

  test('the API: off since the change, and the requests that still reached Pinterest while off', async () => {
    const app = dashboard(seed());
    const res = await app.inject({ method: 'GET', url: '/api/advice', headers: { host: '127.0.0.1' } });
    await app.close();
    expect(res.statusCode).toBe(200);
    const [offsite, partners, marketing, search] = res.json().switches;
    expect(offsite).toMatchObject({
      field: 'personalize_from_offsite_browsing', state: 'off', since: T + 20 * MIN, sinceHow: 'change',
      offPeriods: [{ from: T + 20 * MIN, to: null, fromHow: 'change' }],
      reachedWhileOff: { requests: 3, siteCount: 2, sites: [{ site: 'shop-b.test', requests: 2 }, { site: 'shop-a.test', requests: 1 }] },
    });
    // Seen off from the first reading on: the request at :15 counts too, the one at :00 does not.
    expect(partners).toMatchObject({ state: 'off', since: T + 10 * MIN, sinceHow: 'read', reachedWhileOff: { requests: 4, siteCount: 2 } });
    expect(marketing).toMatchObject({ state: 'unknown', since: null, offPeriods: [], reachedWhileOff: { requests: 0, siteCount: 0 } });
    // Off means "not hidden from search engines": nothing to count against it.
    expect(search).toMatchObject({ state: 'off', aboutTracking: false, reachedWhileOff: null });
  });

  test('the CSV says the state of "Use sites you visit" at each request', async () => {
    const app = dashboard(seed());
    const res = await app.inject({ method: 'GET', url: '/export.csv?range=all', headers: { host: '127.0.0.1' } });
    await app.close();
    const rows = parseCsv(res.body);
    const header = rows[0]!;
    const col = header.indexOf('use_sites_you_visit');
    const site = header.indexOf('page_site');
    expect(col).toBe(header.length - 1);
    expect(rows.slice(1).map((r) => [r[site], r[col]])).toEqual([
      ['shop-a.test', 'unknown'], ['shop-a.test', 'on'], ['shop-a.test', 'off'], ['shop-b.test', 'off'], ['shop-b.test', 'off'], ['blocked.test', 'off'],
    ]);
  });

  test('report and report --json carry the card', async () => {
    const q = seed();
    const report = await buildReport(q, { from: null }, 'all', 10, T + 60 * MIN);
    expect(report.advice.switches[0]).toEqual({
      field: 'personalize_from_offsite_browsing', label: 'Use sites you visit', state: 'off', since: '2026-01-05T12:20:00.000Z', sinceHow: 'change',
      reachedWhileOff: { requests: 3, sites: 2, topSites: ['shop-b.test', 'shop-a.test'] },
    });
    expect(report.advice.switches[2]).toMatchObject({ state: 'unknown', since: null, reachedWhileOff: null });
    const text = renderReport(report, null);
    expect(text).toContain('Does the advice work? Your Pinterest privacy switches');
    expect(text).toContain('  Use sites you visit: off since 2026-01-05 12:20 UTC (your change)');
    expect(text).toContain('    while off: 3 requests from 2 sites still reached Pinterest with your identifiers (shop-b.test, shop-a.test)');
    expect(text).toContain('  Third-party marketing tracking: not seen yet');
  });
});
