/**
 * Fleet benchmark (`node dist/bench/fleet.js [rows]`, default one million): on a real PostgreSQL
 * started for the run,
 * - shipping: a local store seeded with `rows` requests through the real write path is shipped
 *   whole; rows/s of requests (with their links, pages, identifiers and roll-ups);
 * - lag under load: the writer records completed requests as fast as it can for 10 s in the same
 *   process as the shipper (as in `start --ship-to`); how many rows wait and how old the oldest is;
 * - dashboard reads: the same queries (src/store/queries.ts plans) on the local SQLite and on
 *   PostgreSQL holding the same rows, median of 5 runs each, and their ratio
 *   (BENCH_FLEET_SKIP_LOAD=1 leaves out the lag part).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Flow } from '../src/pipeline.js';
import { createLogger } from '../src/log.js';
import { connectFleet, fleetTarget } from '../src/fleet/pg.js';
import { startShipper } from '../src/fleet/shipper.js';
import { openFleetReader } from '../src/fleet/reader.js';
import { openQueries, type ReadQueries } from '../src/store/index.js';
import { openDatabase, type Database } from '../src/store/db.js';
import { toPending } from '../src/store/rows.js';
import { prepareWriteStatements, writeBatch } from '../src/store/write-batch.js';
import { createStore } from '../src/store/writer.js';
import { startPostgres } from './postgres.js';
import { modeAt, mulberry32, OK, syntheticFlow } from './store.js';

const DAY = 86_400_000;

/**
 * The dashboard's reads (src/store/queries.ts), the same plans on both engines: the local SQLite
 * and the fleet's PostgreSQL holding the same rows. Ranges end now, so their last day is partial
 * and comes from raw rows, as on the dashboard.
 */
const READS: Array<[string, (q: ReadQueries, now: number) => unknown]> = [
  ['overview totals 7d', (q, now) => q.totals({ from: now - 7 * DAY, to: now })],
  ['overview totals all', (q) => q.totals({})],
  ['sites 30d', (q, now) => q.sites({ from: now - 30 * DAY, to: now })],
  ['timeline days 30d', (q, now) => q.timeline({ from: now - 30 * DAY, to: now }, 'day')],
  ['timeline hours 24h', (q, now) => q.timeline({ from: now - DAY, to: now }, 'hour')],
  ['categories 30d', (q, now) => q.categories({ from: now - 30 * DAY, to: now })],
  ['leak levels 30d', (q, now) => q.leakLevels({ from: now - 30 * DAY, to: now })],
  ['site detail 30d', (q, now) => q.siteDetail('site3.example', { from: now - 30 * DAY, to: now })],
  ['identifiers 30d', (q, now) => q.identifiers({ from: now - 30 * DAY, to: now })],
  ['blocking impact 30d', (q, now) => q.blockingImpact({ from: now - 30 * DAY, to: now })],
  ['sites visited 30d', (q, now) => q.sitesVisited({ from: now - 30 * DAY, to: now })],
  ['latest 50 requests', (q) => q.requests({}, { limit: 50 })],
  ['50 requests of one site', (q) => q.requests({ site: 'site3.example' }, { limit: 50 })],
  ['request search', (q) => q.requests({ search: 'SITE3' }, { limit: 50 })],
];

export async function benchFleet(tmpDir: string, options: { rows?: number; skipLoad?: boolean } = {}): Promise<Record<string, number>> {
  mkdirSync(tmpDir, { recursive: true });
  const rows = options.rows ?? 1_000_000;
  const figures: Record<string, number> = {};
  const now = Date.now();
  const pg = await startPostgres();
  const log = createLogger('silent');
  try {
    const path = join(tmpDir, 'local.db');
    seed(path, rows, now);
    const url = pg.createDatabase('bench');
    const target = fleetTarget(url, {});
    const shipper = startShipper({ dbPath: path, target, name: 'bench', log, batchRows: 5000, intervalMs: 3_600_000 });
    const t = performance.now();
    await shipper.drain();
    figures['ship rows/s'] = Math.round(rows / ((performance.now() - t) / 1000));
    await shipper.close();

    const db = await connectFleet(target);
    await db.query('ANALYZE').finally(() => db.close());
    const reader = await openFleetReader(url, {});
    const local = openQueries(path);
    try {
      for (const [name, read] of READS) {
        const sqlite = await medianMs(() => read(local, now));
        const postgres = await medianMs(() => read(reader.queries(null), now));
        figures[`${name} sqlite ms`] = sqlite;
        figures[`${name} postgres ms`] = postgres;
        figures[`${name} postgres/sqlite`] = Math.round((postgres / Math.max(sqlite, 0.1)) * 10) / 10;
      }
    } finally {
      local.close();
      await reader.close();
    }
    if (!options.skipLoad) Object.assign(figures, await lagUnderLoad(join(tmpDir, 'load.db'), pg.createDatabase('load'), log));
  } finally {
    pg.close();
  }
  return figures;
}

function seed(path: string, rows: number, now: number): void {
  const { db } = openDatabase(path);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  const stmts = prepareWriteStatements(db);
  const write = db.transaction((batch: Flow[]) =>
    writeBatch(stmts, { inserts: batch.map((f) => ({ pending: toPending(f, modeAt(f.observation.time, now)), outcome: { ...OK, completed_at: f.observation.time } })), updates: [], tunnels: [] }),
  );
  const rng = mulberry32(7);
  const start = now - 90 * DAY;
  for (let done = 0; done < rows; done += 50_000) {
    const n = Math.min(50_000, rows - done);
    write(Array.from({ length: n }, (_, i) => syntheticFlow(done + i, start + Math.floor(((done + i) / rows) * 90 * DAY), rng)));
  }
  db.pragma('journal_mode = WAL');
  db.close();
}

/** The writer at full speed for 10 s with the shipper beside it, sampled every 250 ms. */
async function lagUnderLoad(path: string, url: string, log: ReturnType<typeof createLogger>): Promise<Record<string, number>> {
  const store = createStore({ path, retentionDays: null });
  const shipper = startShipper({ dbPath: path, target: fleetTarget(url, {}), name: 'load', log, intervalMs: 200 });
  const { db: probe } = openDatabase(path, { readonly: true });
  const rng = mulberry32(9);
  let written = 0;
  let maxWaiting = 0;
  let maxAgeMs = 0;
  const started = performance.now();
  const label = fleetTarget(url, {}).label;
  let lastSample = 0;
  while (performance.now() - started < 10_000) {
    for (let i = 0; i < 200; i++) {
      const flow = syntheticFlow(written, Date.now(), rng);
      store.record(flow);
      store.complete(flow, { kind: 'response', status: 200, bytes: 43 });
      written++;
    }
    await new Promise((r) => setImmediate(r));
    if (performance.now() - lastSample > 250) {
      lastSample = performance.now();
      const s = oldestWaiting(probe, label);
      maxWaiting = Math.max(maxWaiting, s.waiting);
      if (s.oldest !== null) maxAgeMs = Math.max(maxAgeMs, Date.now() - s.oldest);
    }
  }
  const loadSeconds = (performance.now() - started) / 1000;
  store.flush();
  const t = performance.now();
  await shipper.drain();
  const catchUp = performance.now() - t;
  await shipper.close();
  store.close();
  probe.close();
  return {
    'load rows/s written': Math.round(written / loadSeconds),
    'load max rows waiting': maxWaiting,
    'load max lag ms': Math.round(maxAgeMs),
    'load catch-up after ms': Math.round(catchUp),
  };
}

function oldestWaiting(db: Database, label: string): { waiting: number; oldest: number | null } {
  const mark = (db.prepare("SELECT upto FROM ship_marks WHERE target = ? AND stream = 'requests'").get(label) as { upto: number } | undefined)?.upto ?? 0;
  return db.prepare('SELECT count(*) AS waiting, min(time) AS oldest FROM requests WHERE id > ?').get(mark) as { waiting: number; oldest: number | null };
}

/** Median of 5 timed runs after one warm-up, in ms (one decimal). */
async function medianMs(run: () => unknown): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return Math.round((times[2] ?? 0) * 10) / 10;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = Number(process.argv[2] ?? process.env.BENCH_FLEET_ROWS ?? 1_000_000);
  const dir = join(tmpdir(), `pinaudit-bench-fleet-${process.pid}`);
  benchFleet(dir, { rows, skipLoad: process.env.BENCH_FLEET_SKIP_LOAD === '1' })
    .then((f) => console.log(JSON.stringify(f, null, 2)))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    })
    .finally(() => rmSync(dir, { recursive: true, force: true }));
}
