/**
 * The shipper: sends what is new in this instance's local SQLite store to the fleet's PostgreSQL,
 * in batches, at least once and idempotently (every row keyed by instance id + local key), and
 * keeps going when the server is away: rows wait in the local store, and the next attempt after
 * the server is back sends them. The local marker (ship_marks) moves only after the server
 * committed, so a crash between the two sends a batch again, which the keys make harmless.
 * One shipper per instance: a server-side advisory lock keyed by the instance id keeps a second
 * process on the same data directory from interleaving its shipments.
 */
import { openDatabase, type Database } from '../store/index.js';
import { messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import { migrateFleet } from './migrate.js';
import { instanceId } from './instance.js';
import { readBatch, readMarks, writeMarks, type Columns, type LocalBatch } from './local-batch.js';
import { connectFleet, type FleetDb, type FleetTarget } from './pg.js';
import { CRAWL_TABLES } from './crawl-batch.js';
import { insertStatements, REFERENCED, REQUEST_CHILDREN, ROLLUPS, SHIPPED_AS, SHIPPED_TABLES, TUNNELS } from './tables.js';

export interface ShipperOptions {
  /** The local database file. */
  dbPath: string;
  target: FleetTarget;
  /** The instance's name (`--instance-name`). */
  name: string;
  log: Logger;
  /** Requests per batch. Default 2000. */
  batchRows?: number;
  /** Pause between rounds when caught up, ms. Default 1000. */
  intervalMs?: number;
  /** Longest pause after failures, ms. Default 15000. */
  maxBackoffMs?: number;
}

export interface ShipperStatus {
  instanceId: string;
  /** Rows the server has committed since this shipper started. */
  shipped: { requests: number; switches: number; rollups: number; tunnels: number; crawlSites: number };
  /** Local requests not yet shipped. */
  waiting: number;
  /** The last failure to reach or write the server, until a shipment succeeds. */
  lastError: string | null;
  lastShippedAt: number | null;
}

export interface Shipper {
  readonly instanceId: string;
  status(): ShipperStatus;
  /** Ships until caught up (or the server fails); resolves with the number of requests sent. */
  drain(): Promise<number>;
  /** Stops; a final round is tried for up to `capMs` so recent rows go now rather than next start. */
  close(capMs?: number): Promise<void>;
}

const SHIP_LOCK_SQL = 'SELECT pg_try_advisory_lock(hashtext($1)) AS locked';

export function startShipper(options: ShipperOptions): Shipper {
  const { db: local } = openDatabase(options.dbPath, { busyTimeoutMs: 1000 });
  const id = instanceId(local);
  const batchRows = options.batchRows ?? 2000;
  const interval = options.intervalMs ?? 1000;
  const maxBackoff = options.maxBackoffMs ?? 15_000;
  const log = options.log.child({ module: 'shipper', fleet: options.target.label });
  const shipped = { requests: 0, switches: 0, rollups: 0, tunnels: 0, crawlSites: 0 };
  let remote: { db: FleetDb; columns: Columns } | null = null;
  let lastError: string | null = null;
  let lastShippedAt: number | null = null;
  let failures = 0;
  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;

  const connect = async (): Promise<{ db: FleetDb; columns: Columns }> => {
    if (remote && !remote.db.broken) return remote;
    if (remote) await remote.db.close();
    remote = null;
    const db = await connectFleet(options.target, 'pinaudit shipper');
    try {
      await migrateFleet(db);
      const locked = await db.query<{ locked: boolean }>(SHIP_LOCK_SQL, [id]);
      if (locked[0]?.locked !== true) throw new Error(`another process already ships instance ${id} (same data directory)`);
      await registerInstance(db, id, options.name);
      remote = { db, columns: await sharedColumns(db, local) };
      return remote;
    } catch (err: unknown) {
      await db.close();
      throw err;
    }
  };

  const round = async (): Promise<number> => {
    let sent = 0;
    for (;;) {
      const { db, columns } = await connect();
      const batch = readBatch(local, columns, readMarks(local, options.target.label), batchRows);
      const crawlRows = batch.crawl.crawls.length + batch.crawl.sites.length;
      const empty = batch.requests.length + batch.switches.length + batch.tunnels.length + crawlRows + [...batch.rollups.values()].flat().length === 0;
      if (!empty) await send(db, columns, batch, id, options.name);
      if (Object.keys(batch.next).length > 0) writeMarks(local, options.target.label, batch.next);
      if (!empty) {
        shipped.requests += batch.requests.length;
        shipped.switches += batch.switches.length;
        shipped.rollups += [...batch.rollups.values()].reduce((n, rows) => n + rows.length, 0);
        shipped.tunnels += batch.tunnels.length;
        shipped.crawlSites += batch.crawl.sites.length;
        lastShippedAt = Date.now();
      }
      sent += batch.requests.length;
      if (!batch.more || closed) return sent;
    }
  };

  const once = (): Promise<number> => {
    running ??= round()
      .then((n) => {
        if (lastError !== null) log.info({ waited: failures }, 'the fleet database is reachable again; waiting rows were shipped');
        lastError = null;
        failures = 0;
        return n;
      })
      .catch((err: unknown) => {
        if (lastError === null) log.warn({ err: messageOf(err) }, 'cannot ship to the fleet database; rows wait locally');
        lastError = messageOf(err);
        failures += 1;
        return 0;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };

  const schedule = (): void => {
    if (closed) return;
    const wait = failures === 0 ? interval : Math.min(maxBackoff, interval * 2 ** Math.min(failures, 8));
    timer = setTimeout(() => void once().then(schedule), wait);
    timer.unref();
  };
  schedule();

  return {
    instanceId: id,
    status: () => ({
      instanceId: id,
      shipped: { ...shipped },
      waiting: waitingRequests(local, options.target.label),
      lastError,
      lastShippedAt,
    }),
    drain: async () => {
      if (running) await running;
      return await once();
    },
    close: async (capMs = 2000) => {
      closed = true;
      if (timer) clearTimeout(timer);
      const cap = new Promise<void>((r) => setTimeout(r, capMs).unref());
      await Promise.race([running ?? (lastError === null ? once() : Promise.resolve(0)), cap]);
      await remote?.db.close();
      local.close();
    },
  };
}

/** Sends one batch in one server transaction. */
async function send(db: FleetDb, columns: Columns, batch: LocalBatch, id: string, name: string): Promise<void> {
  const run = async (table: string, rows: readonly Record<string, unknown>[], conflict: Parameters<typeof insertStatements>[4]): Promise<void> => {
    if (rows.length === 0) return;
    for (const s of insertStatements(table, columns.get(table) ?? [], rows, id, conflict)) await db.query(s.sql, s.params);
  };
  await db.transaction(async () => {
    await registerInstance(db, id, name);
    for (const ref of REFERENCED) await run(ref.table, batch.related.get(ref.table) ?? [], { kind: 'seen', key: ['id'] });
    await run('requests', batch.requests, { kind: 'keep' });
    for (const child of REQUEST_CHILDREN) await run(child.table, batch.related.get(child.table) ?? [], { kind: 'keep' });
    await run('account_switches', batch.switches, { kind: 'keep' });
    for (const t of ROLLUPS) await run(t.table, batch.rollups.get(t.table) ?? [], { kind: 'overwrite', key: t.key });
    await run(TUNNELS.table, batch.tunnels, { kind: 'overwrite', key: TUNNELS.key });
    const crawlRows = { crawls: batch.crawl.crawls, crawl_sites: batch.crawl.sites, crawl_requests: batch.crawl.requests };
    for (const t of CRAWL_TABLES) await run(t.table, crawlRows[t.table], t.kind === 'keep' ? { kind: 'keep' } : { kind: 'overwrite', key: t.key });
  });
}

/** Records the instance (its name may have changed) and when it last shipped. */
async function registerInstance(db: FleetDb, id: string, name: string): Promise<void> {
  await db.query(
    'INSERT INTO instance (id, name, first_seen, last_seen) VALUES ($1, $2, $3, $3) ON CONFLICT (id) DO UPDATE SET name = excluded.name, last_seen = excluded.last_seen',
    [id, name, Date.now()],
  );
}

/** Per shipped table, the columns both the local store and the fleet database have. */
async function sharedColumns(db: FleetDb, local: Database): Promise<Columns> {
  const remote = await db.query<{ table_name: string; column_name: string }>(
    'SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()',
  );
  const out = new Map<string, string[]>();
  for (const table of SHIPPED_TABLES) {
    const there = new Set(remote.filter((r) => r.table_name === table).map((r) => r.column_name));
    const here = (local.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as Array<{ name: string }>).map((r) => r.name);
    here.push(...Object.keys(SHIPPED_AS[table] ?? {}));
    out.set(table, here.filter((c) => there.has(c)));
  }
  return out;
}

function waitingRequests(local: Database, target: string): number {
  const mark = readMarks(local, target).requests;
  const row = local.prepare('SELECT count(*) AS n FROM requests WHERE id > ?').get(mark.upto) as { n: number };
  return row.n;
}
