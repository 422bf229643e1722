/**
 * Fleet benchmark (`node dist/bench/fleet.js [rows]`, default one million): on a real PostgreSQL
 * started for the run,
 * - shipping: a local store seeded with `rows` requests through the real write path is shipped
 *   whole; rows/s of requests (with their links, pages, identifiers and roll-ups);
 * - lag under load: the writer records completed requests as fast as it can for 10 s in the same
 *   process as the shipper (as in `start --ship-to`); how many rows wait and how old the oldest is;
 * - queries: the same SQL text (roll-ups and raw rows) on the local SQLite and on PostgreSQL
 *   holding the same rows, median of 5 runs each.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Flow } from '../src/pipeline.js';
import { createLogger } from '../src/log.js';
import { connectFleet, fleetTarget } from '../src/fleet/pg.js';
import { startShipper } from '../src/fleet/shipper.js';
import { openDatabase, type Database } from '../src/store/db.js';
import { dayKey } from '../src/store/days.js';
import { toPending } from '../src/store/rows.js';
import { prepareWriteStatements, writeBatch } from '../src/store/write-batch.js';
import { createStore } from '../src/store/writer.js';
import { startPostgres } from './postgres.js';
import { modeAt, mulberry32, OK, syntheticFlow } from './store.js';

const DAY = 86_400_000;

/** The same text on both engines (`?` becomes `$n` for PostgreSQL). */
const QUERIES: Array<[string, string, (now: number) => unknown[]]> = [
  ['totals 90d (daily_totals)', 'SELECT sum(requests) AS r, sum(attempted) AS a, sum(reached) AS re, sum(ids_prevented) AS p FROM daily_totals WHERE day >= ?', (now) => [dayKey(now - 90 * DAY)]],
  ['top sites 30d (site_days)', 'SELECT site, sum(reached) AS re FROM site_days WHERE day >= ? GROUP BY site ORDER BY re DESC, site LIMIT 20', (now) => [dayKey(now - 30 * DAY)]],
  ['timeline hour 7d (hourly_totals)', 'SELECT hour, sum(requests) AS r FROM hourly_totals WHERE hour >= ? GROUP BY hour ORDER BY hour', (now) => [now - 7 * DAY]],
  ['site detail (site_detail_days)', 'SELECT tag_id, tag_event, sum(requests) AS r, sum(reached) AS re FROM site_detail_days WHERE site = ? GROUP BY tag_id, tag_event ORDER BY r DESC', () => ['site3.example']],
  ['latest 50 requests (raw)', 'SELECT id, time, page_site, category, decision FROM requests ORDER BY time DESC LIMIT 50', () => []],
  ['requests of one site 7d (raw)', 'SELECT count(*) AS n FROM requests WHERE page_site = ? AND time >= ?', (now) => ['site3.example', now - 7 * DAY]],
  ['requests per category 24h (raw)', 'SELECT category, count(*) AS n FROM requests WHERE time >= ? GROUP BY category ORDER BY category', (now) => [now - DAY]],
  ['identifiers by requests (raw join)', 'SELECT i.name, count(*) AS n FROM request_identifiers ri JOIN identifiers i ON i.id = ri.identifier_id GROUP BY i.name ORDER BY n DESC', () => []],
];

export async function benchFleet(tmpDir: string, options: { rows?: number } = {}): Promise<Record<string, number>> {
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
    try {
      await db.query('ANALYZE');
      const { db: local } = openDatabase(path, { readonly: true });
      try {
        for (const [name, sql, params] of QUERIES) {
          figures[`${name} sqlite ms`] = medianMs(() => local.prepare(sql).all(...params(now)));
          figures[`${name} postgres ms`] = await medianMsAsync(() => db.query(toPostgres(sql), params(now)));
        }
      } finally {
        local.close();
      }
    } finally {
      await db.close();
    }
    Object.assign(figures, await lagUnderLoad(join(tmpDir, 'load.db'), pg.createDatabase('load'), log));
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
      store.complete(flow.observation.id, { kind: 'response', status: 200, bytes: 43 });
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

function toPostgres(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function medianMs(run: () => unknown): number {
  run();
  const times = Array.from({ length: 5 }, () => {
    const t = performance.now();
    run();
    return performance.now() - t;
  }).sort((a, b) => a - b);
  return Math.round((times[2] ?? 0) * 10) / 10;
}

async function medianMsAsync(run: () => Promise<unknown>): Promise<number> {
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
  benchFleet(dir, { rows })
    .then((f) => console.log(JSON.stringify(f, null, 2)))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    })
    .finally(() => rmSync(dir, { recursive: true, force: true }));
}
