/**
 * Cookie clearing, measured over a real database: id A with hashed e-mail H, then id B (cookies
 * cleared), later H again from another site. The timeline (API), the report line and
 * `report --json` link B to A through H and name the site; a blocked request ties nothing back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { buildAdviceReport, renderAdviceReport } from '../../src/advice/report-section.js';
import { durationWords } from '../../src/advice/summary.js';
import { openQueries, type Queries } from '../../src/store/queries.js';
import { createStore, type Store } from '../../src/store/writer.js';
import { buildDashboard } from '../../src/web/dashboard.js';
import { LiveFeed } from '../../src/web/live.js';
import type { Identifier } from '../../src/types.js';
import { makeFlow } from '../helpers/findings.js';
import { CA } from '../web/seed.js';

const T0 = Date.UTC(2026, 0, 5, 14, 0);
const MIN = 60_000;
const A = 'TWc9PSZBQUFBQUFB';
const B = 'TWc9PSZCQkJCQkJC';
const H = 'f1'.repeat(32);
const ua = (value: string): Identifier => ({ name: '_pinterest_ct_ua', kind: 'tracking-id', source: 'cookie', value });
const em: Identifier = { name: 'pd.em', kind: 'hashed-email', source: 'query', value: H };

let dir: string;
let store: Store;
let queries: Queries & { close(): void };
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-clearing-'));
  store = createStore({ path: join(dir, 'p.db'), retentionDays: null });
});
afterEach(() => {
  queries?.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A tag request from `site`; `blocked`: as the policy decides a block (everything prevented). */
function visit(site: string, min: number, identifiers: Identifier[], blocked = false): void {
  const url = `https://${site}/page`;
  const decision = blocked
    ? { action: 'block' as const, reason: 'all mode blocks everything', stripped: [], prevented: { identifiers: identifiers.map((i) => ({ name: i.name, source: i.source })), page: true } }
    : {};
  const flow = makeFlow({
    observation: { time: T0 + min * MIN, headers: { referer: url } },
    finding: { page: { site, url, attributedBy: 'referer', confidence: 'high' }, identifiers },
    decision,
  });
  store.record(flow);
  store.complete(flow, blocked ? { kind: 'blocked', status: 204 } : { kind: 'response', status: 200, bytes: 43 });
}

function open(): Queries {
  store.flush();
  queries = openQueries(join(dir, 'p.db'));
  return queries;
}

describe('cookie clearing', () => {
  test('B is linked back to A through H, naming the site that sent H with B', async () => {
    visit('shop-b.test', 0, [ua(A), em]);
    visit('shop-b.test', 1, [ua(A)]);
    visit('blog.test', 2, [ua(B)]);
    visit('shop-c.test', 3, [ua(B), em], true);
    visit('shop-a.test', 6, [ua(B), em]);
    const q = open();

    const app = buildDashboard({
      queries: q, settings: store.settings, purge: (o) => store.purge(o), live: new LiveFeed(),
      proxy: { host: '127.0.0.1', port: 8080 }, ca: CA, now: () => T0 + 60 * MIN,
    });
    const res = await app.inject({ method: 'GET', url: '/api/identifiers/changes?range=all', headers: { host: '127.0.0.1' } });
    await app.close();
    expect(res.statusCode).toBe(200);
    const { changes } = res.json();
    expect(changes).toEqual([{
      family: '_pinterest_ct_ua', client: '127.0.0.1', site: null, oldValue: A, newValue: B, at: T0 + 2 * MIN,
      // shop-c.test sent H with B first, but that request was blocked: shop-a.test's made the link.
      link: { at: T0 + 6 * MIN, afterMs: 4 * MIN, kind: 'hashed-email', name: 'pd.em', value: H, site: 'shop-a.test', after: '4 min later' },
    }]);

    const report = await buildAdviceReport(q.advice, { from: null, to: null }, T0 + 60 * MIN);
    expect(report.idChanges).toEqual([{
      family: '_pinterest_ct_ua', site: null, at: '2026-01-05T14:02:00.000Z',
      linked: { at: '2026-01-05T14:06:00.000Z', afterMs: 4 * MIN, by: 'hashed-email', name: 'pd.em', site: 'shop-a.test' },
      text: 'new _pinterest_ct_ua at 2026-01-05 14:02 UTC; linked back at 2026-01-05 14:06 UTC (4 min later) by the hashed e-mail that shop-a.test sent',
    }]);
    expect(renderAdviceReport(report, String)).toContain(`  ${report.idChanges[0]!.text}`);
  });

  test('no change, or a change nothing tied back, says so', async () => {
    visit('shop-a.test', 0, [ua(A), em]);
    visit('shop-a.test', 5, [ua(A), em]);
    const q = open();
    expect((await buildAdviceReport(q.advice, { from: null, to: null }, T0)).idChanges).toEqual([]);
    queries.close();
    visit('blog.test', 7, [ua(B)]);
    const again = open();
    const [change] = (await buildAdviceReport(again.advice, { from: null, to: null }, T0)).idChanges;
    expect(change?.linked).toBeNull();
    expect(change?.text).toBe('new _pinterest_ct_ua at 2026-01-05 14:07 UTC; not linked back to the old id by anything pinaudit saw');
  });
});

describe('how fast, in words', () => {
  test.each([
    [0, 'at once'], [400, 'within a second'], [40_000, '40 s later'], [4 * MIN, '4 min later'], [3 * 60 * MIN, '3 h later'], [3 * 24 * 60 * MIN, '3 days later'],
  ])('%i ms → %s', (ms, words) => {
    expect(durationWords(ms)).toBe(words);
  });
});
