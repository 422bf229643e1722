/**
 * Fleet test helpers: local instances (a data directory with a real store) and what their local
 * database and the fleet database hold, counted the same way so tests compare them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll } from 'vitest';
import { startPostgres, type TestPostgres } from '../../bench/postgres.js';
import { createLogger, type Logger } from '../../src/log.js';
import { openDatabase } from '../../src/store/db.js';
import { createStore, type Store } from '../../src/store/writer.js';
import type { FleetDb } from '../../src/fleet/pg.js';

export interface LocalInstance {
  dir: string;
  dbPath: string;
  store: Store;
  close(): void;
}

export function localInstance(options: { retentionDays?: number | null } = {}): LocalInstance {
  const dir = mkdtempSync(join(tmpdir(), 'pinaudit-fleet-'));
  const dbPath = join(dir, 'pinaudit.db');
  const store = createStore({ path: dbPath, retentionDays: options.retentionDays ?? null, flushIntervalMs: 20 });
  return {
    dir,
    dbPath,
    store,
    close: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A logger writing into a string, to check what was (and was not) logged. */
export function capturedLogger(): { log: Logger; text(): string } {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { log: createLogger('debug', sink), text: () => text };
}

/** The numbers compared between engines: raw rows and the sums of every roll-up's counters. */
const TOTALS = `SELECT
  (SELECT count(*) FROM requests) AS requests,
  (SELECT count(*) FROM request_identifiers) AS links,
  (SELECT count(*) FROM purchase_items) AS items,
  (SELECT count(*) FROM pages) AS pages,
  (SELECT count(*) FROM identifiers) AS identifiers,
  (SELECT coalesce(sum(requests), 0) FROM daily_rollup) AS rollup_requests,
  (SELECT coalesce(sum(attempted), 0) FROM daily_rollup) AS rollup_attempted,
  (SELECT coalesce(sum(reached), 0) FROM daily_rollup) AS rollup_reached,
  (SELECT coalesce(sum(ids_prevented), 0) FROM daily_totals) AS totals_ids_prevented,
  (SELECT coalesce(sum(requests), 0) FROM daily_totals) AS totals_requests,
  (SELECT coalesce(sum(reached), 0) FROM site_days) AS site_reached,
  (SELECT coalesce(sum(attempted), 0) FROM site_detail_days) AS detail_attempted,
  (SELECT coalesce(sum(reached), 0) FROM hourly_totals) AS hourly_reached,
  (SELECT coalesce(sum(prevented), 0) FROM request_identifiers) AS links_prevented,
  (SELECT coalesce(sum(requests), 0) FROM identifier_days) AS identifier_day_requests,
  (SELECT coalesce(sum(count), 0) FROM tunnel_days) AS tunnels`;

export type Totals = Record<string, number>;

export function localTotals(dbPath: string): Totals {
  const { db } = openDatabase(dbPath, { readonly: true });
  try {
    return db.prepare(TOTALS).get() as Totals;
  } finally {
    db.close();
  }
}

/** The same totals over the fleet database, for one instance or (null) all of them. */
export async function fleetTotals(db: FleetDb, instance: string | null): Promise<Totals> {
  const scoped = instance === null ? TOTALS : TOTALS.replace(/FROM (\w+)\)/g, `FROM $1 WHERE instance_id = '${instance}')`);
  const [row] = await db.query(scoped);
  return Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k, Number(v)]));
}

export function sum(a: Totals, b: Totals): Totals {
  return Object.fromEntries(Object.keys(a).map((k) => [k, (a[k] ?? 0) + (b[k] ?? 0)]));
}

/** A fleet answer without its `instanceId` fields (fleet rows name their instance; one machine's do not). */
export function withoutInstance(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutInstance);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'instanceId').map(([k, x]) => [k, withoutInstance(x)]));
  }
  return v;
}

/**
 * A real PostgreSQL for one test file, started before its tests. `cleanup` registers what a test
 * opened; it is closed newest first after the file's tests, before the server stops.
 */
export function postgresPerFile(): { readonly pg: TestPostgres; cleanup(...fns: Array<() => unknown>): void } {
  const cleanups: Array<() => unknown> = [];
  let server: TestPostgres | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    server?.close();
  });
  return {
    get pg(): TestPostgres {
      if (server === undefined) throw new Error('PostgreSQL is not started yet');
      return server;
    },
    cleanup: (...fns) => void cleanups.push(...fns),
  };
}
