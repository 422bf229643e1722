/**
 * Reads, in one SQLite read transaction (one consistent snapshot), what the shipper sends next:
 * requests past the marker with their links, line items, pages and identifiers, switch rows, the
 * roll-up rows those requests touched, and the tunnel counts of the recent days. Also the marker
 * table (migration 009) that says how far each stream went, per fleet database.
 */
import { dayKey, type Database } from '../store/index.js';
import { readCrawlBatch, type CrawlBatch } from './crawl-batch.js';
import { REFERENCED, REQUEST_CHILDREN, ROLLUPS, SHIPPED_AS, TUNNELS, type RollupTable, type Stream } from './tables.js';

export type Row = Record<string, unknown>;

/** How far one stream went: the highest local id sent, the flow id of that row, the id offset. */
export interface Mark {
  upto: number;
  ref: string;
  base: number;
}

export type MarkName = Stream | 'tunnel_days' | 'rollups' | 'crawl_sites' | 'crawls';
export type Marks = Record<MarkName, Mark>;

const EMPTY: Mark = { upto: 0, ref: '', base: 0 };

/**
 * A request is sent once its outcome is known (the row is updated when the response ends), or once
 * it is this old with none: it then goes as it is.
 */
export const OUTCOME_GRACE_MS = 120_000;

/** Re-sending tunnel counts starts this long before now, so a late flush near midnight is not missed. */
const TUNNEL_OVERLAP_MS = 3_600_000;

export function readMarks(db: Database, target: string): Marks {
  const rows = db.prepare('SELECT stream, upto, ref, base FROM ship_marks WHERE target = ?').all(target) as Array<Mark & { stream: MarkName }>;
  const marks: Marks = { requests: EMPTY, account_switches: EMPTY, tunnel_days: EMPTY, rollups: EMPTY, crawl_sites: EMPTY, crawls: EMPTY };
  for (const r of rows) marks[r.stream] = { upto: r.upto, ref: r.ref, base: r.base };
  return marks;
}

export function writeMarks(db: Database, target: string, marks: Partial<Marks>): void {
  const put = db.prepare(
    'INSERT INTO ship_marks (target, stream, upto, ref, base) VALUES (?, ?, ?, ?, ?) ' +
      'ON CONFLICT (target, stream) DO UPDATE SET upto = excluded.upto, ref = excluded.ref, base = excluded.base',
  );
  db.transaction(() => {
    for (const [stream, m] of Object.entries(marks)) put.run(target, stream, m.upto, m.ref, m.base);
  }).immediate();
}

/** One shipment. Ids are already offset by the stream's base. */
export interface LocalBatch {
  requests: Row[];
  /** request_identifiers, purchase_items, pages, identifiers. */
  related: Map<string, Row[]>;
  switches: Row[];
  rollups: Map<string, Row[]>;
  tunnels: Row[];
  /** Ended crawl sites, their request links, and the crawls when they changed. */
  crawl: Omit<CrawlBatch, 'next' | 'more'>;
  /** The markers to store once the server committed this batch. */
  next: Partial<Marks>;
  /** Whether rows are left past this batch. */
  more: boolean;
}

/** The local columns the server also has, per table. */
export type Columns = ReadonlyMap<string, readonly string[]>;

export function readBatch(db: Database, columns: Columns, marks: Marks, limit: number, now = Date.now()): LocalBatch {
  return db.transaction(() => {
    const column = (t: string, c: string): string => {
      const as = SHIPPED_AS[t]?.[c];
      return as === undefined ? c : `${as} AS ${c}`;
    };
    const cols = (t: string): string => (columns.get(t) ?? []).map((c) => column(t, c)).join(', ');
    const next: Partial<Marks> = {};
    const related = new Map<string, Row[]>();

    const req = streamRows(db, 'requests', cols('requests'), marks.requests, limit, now);
    const reqMark = req.mark;
    if (req.rows.length > 0 || reqMark !== marks.requests) next.requests = reqMark;
    const from = marks.requests.base === reqMark.base ? marks.requests.upto : 0;
    const to = reqMark.upto;
    for (const child of REQUEST_CHILDREN) {
      const rows = to > from ? (db.prepare(`SELECT ${cols(child.table)} FROM ${child.table} WHERE request_id > ? AND request_id <= ?`).all(from, to) as Row[]) : [];
      related.set(child.table, rows);
    }
    const ids = (rows: Row[], column: string): string => JSON.stringify([...new Set(rows.map((r) => r[column]).filter((v) => v !== null))]);
    const referencing: Record<string, Row[]> = { page_id: req.rows, identifier_id: related.get('request_identifiers') ?? [] };
    for (const ref of REFERENCED) {
      const list = ids(referencing[ref.via] ?? [], ref.via);
      related.set(ref.table, db.prepare(`SELECT ${cols(ref.table)} FROM ${ref.table} WHERE id IN (SELECT value FROM json_each(?))`).all(list) as Row[]);
    }
    for (const child of REQUEST_CHILDREN) related.set(child.table, offset(related.get(child.table) ?? [], 'request_id', reqMark.base));

    const sw = streamRows(db, 'account_switches', cols('account_switches'), marks.account_switches, limit, Number.POSITIVE_INFINITY);
    if (sw.rows.length > 0 || sw.mark !== marks.account_switches) next.account_switches = sw.mark;

    const rollups = new Map<string, Row[]>();
    const backfill = marks.rollups.upto === 0;
    for (const t of ROLLUPS) {
      rollups.set(t.table, backfill ? (db.prepare(`SELECT ${cols(t.table)} FROM ${t.table}`).all() as Row[]) : touchedRows(db, t, cols(t.table), req.rows));
    }
    if (backfill) next.rollups = { upto: 1, ref: '', base: 0 };
    const tunnels = recentTunnels(db, cols(TUNNELS.table), backfill ? EMPTY : marks.tunnel_days, now);
    if (tunnels.mark !== marks.tunnel_days) next.tunnel_days = tunnels.mark;
    const { next: crawlNext, more: crawlMore, ...crawl } = readCrawlBatch(db, columns, marks, limit);
    Object.assign(next, crawlNext);

    return {
      requests: offset(req.rows, 'id', reqMark.base),
      related,
      switches: offset(sw.rows, 'id', sw.mark.base),
      rollups,
      tunnels: tunnels.rows,
      crawl,
      next,
      more: req.more || sw.more || crawlMore,
    };
  })();
}

/**
 * Rows of an append-only table past the marker. Local ids are reused once every row is removed
 * (SQLite hands out max(id) + 1): when the row at the marker is gone or is another flow while rows
 * at or below it exist, those are new rows, and the stream's base grows so their ids stay unique.
 */
function streamRows(db: Database, table: Stream, cols: string, mark: Mark, limit: number, now: number): { rows: Row[]; mark: Mark; more: boolean } {
  let m = mark;
  if (m.upto > 0) {
    const at = db.prepare(`SELECT flow_id FROM ${table} WHERE id = ?`).get(m.upto) as { flow_id: string } | undefined;
    if (at?.flow_id !== m.ref && db.prepare(`SELECT 1 FROM ${table} WHERE id <= ? LIMIT 1`).get(m.upto) !== undefined) {
      m = { upto: 0, ref: '', base: m.base + m.upto };
    }
  }
  const all = db.prepare(`SELECT ${cols} FROM ${table} WHERE id > ? ORDER BY id LIMIT ?`).all(m.upto, limit) as Row[];
  // Requests wait for their outcome (see OUTCOME_GRACE_MS); later ones wait behind them, in order.
  const ready = table === 'requests' ? all.findIndex((r) => r.outcome === null && (r.time as number) > now - OUTCOME_GRACE_MS) : -1;
  const rows = ready === -1 ? all : all.slice(0, ready);
  const last = rows.at(-1);
  return {
    rows,
    mark: last === undefined ? m : { upto: last.id as number, ref: String(last.flow_id), base: m.base },
    more: ready === -1 && all.length === limit,
  };
}

function offset(rows: Row[], column: string, base: number): Row[] {
  if (base === 0) return rows;
  return rows.map((r) => ({ ...r, [column]: typeof r[column] === 'number' ? (r[column] as number) + base : r[column] }));
}

/** The rows of a roll-up that the given requests added to (see write-batch.ts for the keys). */
function touchedRows(db: Database, t: RollupTable, cols: string, requests: readonly Row[]): Row[] {
  if (requests.length === 0) return [];
  const keys = new Map<string, unknown[]>();
  for (const r of requests) {
    const time = r.time as number;
    const day = dayKey(time);
    const site = (r.page_site as string | null) ?? '';
    if (t.touched === 'day-site') keys.set(`${day}\0${site}`, [day, site]);
    else if (t.touched === 'day') keys.set(day, [day]);
    else if (t.touched === 'hour') keys.set(String(Math.floor(time / 3_600_000)), [Math.floor(time / 3_600_000) * 3_600_000]);
    else if (r.page_id !== null) keys.set(`${String(r.page_id)}\0${day}`, [r.page_id, day]);
  }
  const where =
    t.touched === 'day-site' ? `day = ? AND ${t.siteColumn ?? 'site'} = ?`
    : t.touched === 'day' ? 'day = ?'
    : t.touched === 'hour' ? 'hour = ?'
    : 'page_id = ? AND day = ?';
  const stmt = db.prepare(`SELECT ${cols} FROM ${t.table} WHERE ${where}`);
  return [...keys.values()].flatMap((k) => stmt.all(...k) as Row[]);
}

/**
 * Tunnel counts of the days since the marker's day, when their total moved since the last
 * shipment (the marker keeps that total in `upto`).
 */
function recentTunnels(db: Database, cols: string, mark: Mark, now: number): { rows: Row[]; mark: Mark } {
  const total = (since: string): number =>
    (db.prepare(`SELECT coalesce(sum(count), 0) AS n FROM ${TUNNELS.table} WHERE day >= ?`).get(since) as { n: number }).n;
  if (mark.ref !== '' && total(mark.ref) === mark.upto) return { rows: [], mark };
  const rows = db.prepare(`SELECT ${cols} FROM ${TUNNELS.table} WHERE day >= ?`).all(mark.ref) as Row[];
  const since = dayKey(now - TUNNEL_OVERLAP_MS);
  return { rows, mark: { upto: total(since), ref: since, base: 0 } };
}
