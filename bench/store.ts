/**
 * Storage benchmark: the writer's rows/s, then every dashboard query's time on a database seeded
 * with one million requests (target ≤ 100 ms each). Seeding goes through the real write path
 * (same statements, roll-ups and identifier tables) in large transactions, with a realistic shape:
 * 90 days, a few thousand sites with a long tail, a handful of the user's own tracking ids plus
 * per-site ones, and blocking turned on for the last month.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Category, Decision, Finding, Identifier, Observation } from '../src/types.js';
import type { Flow } from '../src/pipeline.js';
import { openDatabase } from '../src/store/db.js';
import { dayKey } from '../src/store/days.js';
import { openQueries, type Queries } from '../src/store/queries.js';
import { toPending } from '../src/store/rows.js';
import { prepareWriteStatements, writeBatch } from '../src/store/write-batch.js';
import { createStore } from '../src/store/writer.js';

const DAY = 86_400_000;
const TUNNEL_SITES = 6000;

/** Runs the storage benchmark in `tmpDir`; returns figures keyed by name (ms unless named otherwise). */
export async function benchStore(tmpDir: string, options: { rows?: number } = {}): Promise<Record<string, number>> {
  mkdirSync(tmpDir, { recursive: true });
  const rows = options.rows ?? 1_000_000;
  const figures: Record<string, number> = {};
  const now = Date.now();
  const rng = mulberry32(42);

  // Writer throughput through the public API (queue + batched flushes of 500).
  const writerRows = 50_000;
  const store = createStore({ path: join(tmpDir, 'writer.db'), retentionDays: null, flushIntervalMs: 60_000 });
  const flows = Array.from({ length: writerRows }, (_, i) => syntheticFlow(i, now - DAY + i, rng));
  let t = performance.now();
  for (let i = 0; i < flows.length; i++) {
    store.record(flows[i] as Flow);
    if (i % 500 === 499) store.flush();
  }
  store.close();
  figures['writer rows/s'] = Math.round(writerRows / ((performance.now() - t) / 1000));
  await new Promise((r) => setImmediate(r));

  // Seed a million requests through the same statements, in large transactions.
  const path = join(tmpDir, 'million.db');
  const { db } = openDatabase(path);
  // Seeding only: no rollback journal and a big cache (the file is thrown away if this crashes).
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  const stmts = prepareWriteStatements(db);
  const seed = db.transaction((batch: Flow[]) =>
    writeBatch(stmts, { inserts: batch.map((f) => ({ pending: toPending(f, modeAt(f.observation.time, now)), outcome: OK })), updates: [], tunnels: [] }),
  );
  t = performance.now();
  const start = now - 90 * DAY;
  for (let done = 0; done < rows; done += 50_000) {
    const n = Math.min(50_000, rows - done);
    const batch = Array.from({ length: n }, (_, i) => syntheticFlow(done + i, start + Math.floor(((done + i) / rows) * 90 * DAY), rng));
    seed(batch);
  }
  seedTunnels(db, start, rng);
  // No ANALYZE: the plans measured are the ones a user's database gets without statistics.
  db.pragma('journal_mode = WAL');
  db.close();
  figures['seed seconds'] = Math.round((performance.now() - t) / 100) / 10;

  const q = openQueries(path);
  try {
    Object.assign(figures, timeQueries(q, now));
  } finally {
    q.close();
  }
  return figures;
}

function timeQueries(q: Queries, now: number): Record<string, number> {
  const all = {};
  const day = { from: now - DAY, to: now };
  const week = { from: now - 7 * DAY, to: now };
  const topSite = q.topSites(all, 1)[0]?.site ?? 'site0.example';
  const tailSite = 'site1234.example';
  const topId = q.identifiers(all, { limit: 1 })[0]?.id ?? 1;
  const cases: Array<[string, () => unknown]> = [
    ['totals all', () => q.totals(all)],
    ['totals 24h', () => q.totals(day)],
    ['totals 7d', () => q.totals(week)],
    ['topSites all', () => q.topSites(all)],
    ['sites all search', () => q.sites(all, { search: 'site1', sort: 'lastSeen' })],
    ['timeline day all', () => q.timeline(all, 'day')],
    ['timeline hour 24h', () => q.timeline(day, 'hour')],
    ['timeline hour 7d', () => q.timeline(week, 'hour')],
    ['categories all', () => q.categories(all)],
    ['leakLevels all', () => q.leakLevels(all)],
    ['siteDetail top all', () => q.siteDetail(topSite, all)],
    ['siteDetail top 7d', () => q.siteDetail(topSite, week)],
    ['siteDetail tail all', () => q.siteDetail(tailSite, all)],
    ['identifiers all', () => q.identifiers(all)],
    ['identifierSites top', () => q.identifierSites(topId, all)],
    ['requests page 1', () => q.requests({}, { limit: 50 })],
    ['requests offset 5000', () => q.requests({}, { limit: 50, offset: 5000 })],
    ['requests site', () => q.requests({ site: topSite }, { limit: 50 })],
    ['requests category+decision', () => q.requests({ category: 'first-party', decision: 'allow' }, { limit: 50 })],
    ['requests search', () => q.requests({ search: 'checkout' }, { limit: 50 })],
    ['blockingImpact all', () => q.blockingImpact(all)],
    ['sitesVisited all', () => q.sitesVisited(all)],
  ];
  const out: Record<string, number> = {};
  for (const [name, run] of cases) {
    run();
    const times = Array.from({ length: 5 }, () => {
      const t = performance.now();
      run();
      return performance.now() - t;
    }).sort((a, b) => a - b);
    out[`query ${name} ms`] = Math.round((times[2] ?? 0) * 10) / 10;
  }
  let t = performance.now();
  let n = 0;
  for (const _row of q.iterate({})) if (++n >= 100_000) break;
  out['export stream rows/s'] = Math.round(n / ((performance.now() - t) / 1000));
  return out;
}

export const OK = { outcome: 'response' as const, status: 200, bytes: 43, error_kind: null, error_message: null, completed_at: 0 };

/** Blocking was off for two months, then `trackers`. */
export function modeAt(time: number, now: number): string {
  return time < now - 30 * DAY ? 'off' : 'trackers';
}

/** The request pattern of one page view on a tagged site (first-party views use the same shape). */
const PAGE_VIEW: Category[] = ['tag-script', 'tag', 'tag', 'content', 'content', 'content', 'widget', 'telemetry'];

/**
 * Request `i` of the synthetic history. Requests come in page views of eight; 90% of page views
 * are on 200 habitual sites (skewed), 10% on a tail of 3000, 5% of all are the user's own use of
 * Pinterest. Habitual sites have up to 500 distinct pages; tail pages are unique.
 */
export function syntheticFlow(i: number, time: number, rng: () => number): Flow {
  const view = Math.floor(i / PAGE_VIEW.length);
  const v = mulberry32(view + 1);
  const firstParty = v() < 0.05;
  const habitual = v() < 0.9;
  const siteNo = habitual ? Math.floor(200 * v() ** 2) : 200 + Math.floor(3000 * v());
  const site = firstParty ? 'pinterest.com' : `site${siteNo}.example`;
  const checkout = !firstParty && v() < 0.01;
  const path = checkout ? 'checkout' : habitual ? `p/${Math.floor(500 * v() ** 2)}` : `article/${view}`;
  const url = `https://${site}/${path}`;
  const category: Category = firstParty ? 'first-party' : (PAGE_VIEW[i % PAGE_VIEW.length] ?? 'tag');
  const leak = firstParty ? 'none' : category === 'content' && rng() < 0.5 ? 'none' : category === 'tag-script' ? 'origin' : 'full-url';
  const month = Math.floor(time / (30 * DAY));
  const ids: Identifier[] = [{ name: '_pinterest_ct_ua', kind: 'tracking-id', source: 'cookie', value: `ua-${month}` }];
  if (!firstParty) ids.push({ name: '_pin_unauth', kind: 'tracking-id', source: 'cookie', value: `unauth-${siteNo}` });
  if (firstParty) ids.push({ name: '_pinterest_sess', kind: 'credential', source: 'cookie', fingerprint: 'ab'.repeat(32) });
  if (v() < 0.01) ids.push({ name: 'epik', kind: 'click-id', source: 'query', value: `epik-${view}` });
  const isTag = category === 'tag';
  if (isTag && checkout) ids.push({ name: 'pd.em', kind: 'hashed-email', source: 'query', value: 'f'.repeat(64) });
  const observation: Observation = {
    id: `bench-${i}`, time, client: '127.0.0.1', connectHost: 'ct.pinterest.com', host: 'ct.pinterest.com', method: 'GET',
    url: 'https://ct.pinterest.com/v3/?tid=2612345678901', headers: {}, body: null, bodyTruncated: false, source: 'proxy',
  };
  const finding: Finding = {
    pinterest: true, host: 'ct.pinterest.com', category, thirdParty: !firstParty,
    page: { site, url: leak === 'none' && !firstParty ? null : url, attributedBy: isTag ? 'tag-payload' : 'referer', confidence: 'high' },
    leakLevel: leak,
    tag: isTag
      ? { id: `26${String(siteNo).padStart(11, '0')}`, event: checkout ? 'checkout' : 'pagevisit',
          hashedEmail: checkout ? { value: 'f'.repeat(64), algo: 'sha256' } : null, value: checkout ? 42.5 : null,
          currency: checkout ? 'EUR' : null, orderId: checkout ? `o-${view}` : null,
          lineItems: checkout ? [{ id: 'sku', name: 'Thing', price: 42.5, quantity: 1 }] : [], partner: null }
      : null,
    identifiers: ids, loggedIn: rng() < 0.3, signals: { gpc: false, dnt: false, clientHints: true }, malformed: [],
    reasons: ['Referer names the page'],
  };
  const blocking = time > Date.now() - 30 * DAY && !firstParty;
  const action = !blocking ? 'allow' : ['tag', 'tag-script', 'telemetry'].includes(category) ? 'block' : 'strip';
  const stripped = action === 'strip' ? ['cookie', 'referer'] : [];
  const prevented = action === 'allow' ? { identifiers: [], page: false }
    : action === 'block' ? { identifiers: ids.map((i) => ({ name: i.name, source: i.source })), page: leak !== 'none' }
    : { identifiers: ids.filter((i) => i.source === 'cookie').map((i) => ({ name: i.name, source: i.source })), page: leak !== 'none' && !isTag };
  const decision: Decision = { action, reason: `${action} (bench)`, stripped, prevented };
  return { observation, finding, decision };
}

function seedTunnels(db: ReturnType<typeof openDatabase>['db'], start: number, rng: () => number): void {
  const put = db.prepare('INSERT INTO tunnel_days (day, site, count) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET count = count + excluded.count');
  db.transaction(() => {
    for (let d = 0; d < 90; d++) {
      const day = dayKey(start + d * DAY);
      for (let k = 0; k < 400; k++) put.run(day, `site${Math.floor(TUNNEL_SITES * rng() ** 2)}.example`, 1 + Math.floor(rng() * 20));
    }
  })();
}

/** A small seeded PRNG so runs are comparable. */
export function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2] ?? join(process.cwd(), '.tmp', 'bench-store');
  benchStore(dir).then((f) => console.log(JSON.stringify(f, null, 2)), (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
