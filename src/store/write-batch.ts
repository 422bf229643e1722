/**
 * The SQL side of one writer flush: inserts requests with their identifiers, line items and
 * pages, applies completions, and folds the batch into the roll-ups. Pages, identifiers, reason
 * sentences and roll-up keys are aggregated in memory first, so each is written once per batch
 * however many requests share it. Runs inside the caller's transaction.
 */
import type { Database, Statement } from './db.js';
import type { OutcomeColumns, PendingRequest, RequestColumns } from './rows.js';
import { reasonIdsWriter } from './reasons.js';
import { COUNTERS, ROLLUPS, upsertSql, type CounterName } from './rollups.js';
import { ACTIONS, ATTRIBUTION_METHODS, CATEGORIES, CONFIDENCES, LEAK_LEVELS, OBSERVATION_SOURCES, OUTCOME_KINDS } from '../types.js';

/** One insert of a batch; `outcome` is set when the completion is already known. */
export interface BatchInsert {
  pending: PendingRequest;
  outcome: OutcomeColumns | null;
}

/** Everything one flush writes. */
export interface Batch {
  inserts: readonly BatchInsert[];
  /** Outcomes of rows written by an earlier batch, each named by row id and flow id. */
  updates: ReadonlyArray<{ rowId: number; flowId: string; outcome: OutcomeColumns }>;
  /** Tunnel counts keyed by day and site. */
  tunnels: ReadonlyArray<{ day: string; site: string; count: number }>;
}

const NO_OUTCOME: Record<keyof OutcomeColumns, null> = {
  outcome: null, status: null, bytes: null, error_kind: null, error_message: null, completed_at: null,
};

/**
 * The columns whose CHECK allows only the values of a set: the insert binds a value's position in
 * its set, and its SQL turns the position back into the text. Binding a small integer costs much
 * less than binding a text: for these seven, about a tenth of the insert (measured in the proxy).
 * A value outside the set is bound as itself and the SQL makes it a text no CHECK accepts, so it
 * is refused as before. tests/store/coded-columns.test.ts holds each set to its column's CHECK.
 */
export const CODED_COLUMNS = {
  source: OBSERVATION_SOURCES, category: CATEGORIES, attributed_by: ATTRIBUTION_METHODS, confidence: CONFIDENCES,
  leak_level: LEAK_LEVELS, decision: ACTIONS, outcome: OUTCOME_KINDS,
} as const satisfies Record<string, readonly string[]>;

type CodedColumn = keyof typeof CODED_COLUMNS;
const OUTSIDE_EVERY_SET = 'a value outside the set';
/** NULL's code: the bound value is read once, so NULL cannot pass through as itself. */
const NULL_CODE = -1;

/** A value of a coded column as bound: its position in the set, NULL_CODE, or itself when it is not in the set. */
function code(set: readonly string[], value: string | null): number | string {
  if (value === null) return NULL_CODE;
  const i = set.indexOf(value);
  return i < 0 ? value : i;
}

/** The SQL that turns a coded column's bound value back into its text. */
const decodeSql = (set: readonly string[]): string =>
  `CASE ? WHEN ${NULL_CODE} THEN NULL ${set.map((v, i) => `WHEN ${i} THEN '${v.replaceAll("'", "''")}'`).join(' ')} ELSE '${OUTSIDE_EVERY_SET}' END`;

/**
 * One request row as named values: its keys are the insert's columns, in order. Named reads and
 * `Object.values` cost a tenth of reading 47 columns by computed name.
 */
const requestRow = (c: RequestColumns, pageId: number | null, reasonIds: string, o: OutcomeColumns | typeof NO_OUTCOME) => ({
  flow_id: c.flow_id, time: c.time, client: c.client, source: code(CODED_COLUMNS.source, c.source), method: c.method, host: c.host,
  connect_host: c.connect_host, path: c.path, category: code(CODED_COLUMNS.category, c.category), third_party: c.third_party,
  page_site: c.page_site, page_id: pageId, attributed_by: code(CODED_COLUMNS.attributed_by, c.attributed_by),
  confidence: code(CODED_COLUMNS.confidence, c.confidence), leak_level: code(CODED_COLUMNS.leak_level, c.leak_level), tag_id: c.tag_id,
  tag_event: c.tag_event, tag_value: c.tag_value, tag_currency: c.tag_currency, tag_order_id: c.tag_order_id,
  tag_partner: c.tag_partner, hashed_email: c.hashed_email, hashed_email_algo: c.hashed_email_algo, logged_in: c.logged_in,
  gpc: c.gpc, dnt: c.dnt, client_hints: c.client_hints, malformed: c.malformed, reason_ids: reasonIds,
  block_mode: c.block_mode, decision: code(CODED_COLUMNS.decision, c.decision), decision_reason: c.decision_reason, stripped: c.stripped,
  ids_attempted: c.ids_attempted, ids_prevented: c.ids_prevented, page_prevented: c.page_prevented, attempted: c.attempted,
  reached: c.reached, page_reached: c.page_reached, logged_in_reached: c.logged_in_reached,
  hashed_email_reached: c.hashed_email_reached, outcome: code(CODED_COLUMNS.outcome, o.outcome), status: o.status, bytes: o.bytes,
  error_kind: o.error_kind, error_message: o.error_message, completed_at: o.completed_at, labelled: c.labelled,
});

/** The columns the writer inserts, in the order of `requestRow`'s values. */
const REQUEST_COLUMNS = Object.keys(requestRow({} as RequestColumns, null, '[]', NO_OUTCOME));

/** Every counter any roll-up has, computed once per request. */
const COUNTER_NAMES = Object.keys(COUNTERS) as CounterName[];
const COUNTER_OF = COUNTER_NAMES.map((name) => COUNTERS[name].of);
/** Per roll-up: the positions of its counters in COUNTER_NAMES. */
const COUNTER_INDEX = ROLLUPS.map((r) => r.counters.map((c) => COUNTER_NAMES.indexOf(c)));
/** Every column some roll-up key reads, once (two keys with the same SQL read the same value). */
const KEY_COLUMNS = [...new Map(ROLLUPS.flatMap((r) => r.key).map((k) => [k.sql, k])).values()];

/**
 * Requests of a batch alike in every roll-up key column: counted together first, so each roll-up
 * key is built once per group instead of once per request. `like` is the group's first request.
 */
interface Group {
  like: RequestColumns;
  day: string;
  counts: number[];
  first: number;
  last: number;
}

interface Agg {
  key: readonly (string | number)[];
  counts: number[];
  first: number;
  last: number;
}

/** Per-day detail counts (identifier_days, page_days): requests, and how many reached Pinterest. */
interface DayCount {
  key: readonly (string | number)[];
  requests: number;
  reached: number;
}

/** Prepared statements of the write side (one set per connection). */
export type WriteStatements = ReturnType<typeof prepareWriteStatements>;

const upsertDetail = (table: string, keys: readonly string[]): string =>
  `INSERT INTO ${table} (${keys.join(', ')}, requests, reached) VALUES (${keys.map(() => '?').join(', ')}, ?, ?)
   ON CONFLICT DO UPDATE SET requests = requests + excluded.requests, reached = reached + excluded.reached`;

/** Prepares the write statements on `db`. */
export function prepareWriteStatements(db: Database) {
  const returning = <P extends unknown[]>(sql: string): Statement<P, { id: number }> => db.prepare(sql) as Statement<P, { id: number }>;
  return {
    // No RETURNING: it costs a quarter of the insert; `run()` reports the row id and whether a HAR
    // entry already stored was skipped (no change).
    insertRequest: db.prepare<unknown[]>(
      `INSERT INTO requests (${REQUEST_COLUMNS.join(', ')})
       VALUES (${REQUEST_COLUMNS.map((c) => (c in CODED_COLUMNS ? decodeSql(CODED_COLUMNS[c as CodedColumn]) : '?')).join(', ')})
       ON CONFLICT (flow_id) WHERE source = 'har' DO NOTHING`,
    ),
    updateOutcome: db.prepare(
      `UPDATE requests SET outcome = @outcome, status = @status, bytes = @bytes, error_kind = @error_kind,
         error_message = @error_message, completed_at = @completed_at WHERE id = @id AND flow_id = @flow_id AND outcome IS NULL`,
    ),
    upsertPage: returning<unknown[]>(
      `INSERT INTO pages (url, site, first_seen, last_seen) VALUES (?, ?, ?, ?)
       ON CONFLICT (url) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen),
         last_seen = max(last_seen, excluded.last_seen) RETURNING id`,
    ),
    upsertIdentifier: returning<unknown[]>(
      `INSERT INTO identifiers (name, kind, value, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name, kind, value) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen),
         last_seen = max(last_seen, excluded.last_seen) RETURNING id`,
    ),
    link: db.prepare('INSERT OR IGNORE INTO request_identifiers (request_id, identifier_id, source, prevented) VALUES (?, ?, ?, ?)'),
    lineItem: db.prepare(
      'INSERT INTO purchase_items (request_id, position, item_id, name, price, quantity) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    identifierDay: db.prepare(upsertDetail('identifier_days', ['identifier_id', 'page_site', 'day'])),
    pageDay: db.prepare(upsertDetail('page_days', ['page_id', 'day'])),
    rollups: ROLLUPS.map((r) => db.prepare(upsertSql(r))),
    reasonIds: reasonIdsWriter(db),
    tunnel: db.prepare(
      'INSERT INTO tunnel_days (day, site, count) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET count = count + excluded.count',
    ),
  };
}

/**
 * Writes a batch. Returns the row id of each insert in order, or `null` for a HAR entry that was
 * already stored. Call inside a transaction.
 */
export function writeBatch(s: WriteStatements, batch: Batch): Array<number | null> {
  const pageIds = upsertPages(s, batch.inserts);
  const reasons = s.reasonIds();
  const identifierIds = upsertIdentifiers(s, batch.inserts);
  const rowIds: Array<number | null> = [];
  const groups = new Map<string, Group>();
  const idDays = new Map<string, DayCount>();
  const pageDays = new Map<string, DayCount>();
  for (const { pending, outcome } of batch.inserts) {
    const c = pending.columns;
    const pageId = pending.pageUrl === null ? null : (pageIds.get(pending.pageUrl) ?? null);
    // Positional binding: binding by name cost more than the insert itself.
    const inserted = s.insertRequest.run(...Object.values(requestRow(c, pageId, reasons.of(pending.reasons, c.time), outcome ?? NO_OUTCOME)));
    if (inserted.changes === 0) {
      rowIds.push(null);
      continue;
    }
    const rowId = Number(inserted.lastInsertRowid);
    rowIds.push(rowId);
    const site = c.page_site ?? '';
    for (const id of pending.identifiers) {
      const identifierId = identifierIds.get(identifierKey(id));
      if (identifierId === undefined) continue;
      s.link.run(rowId, identifierId, id.source, id.prevented ? 1 : 0);
      tally(idDays, [identifierId, site, pending.day], !id.prevented);
    }
    pending.lineItems.forEach((item, i) => s.lineItem.run(rowId, i, item.id, item.name, item.price, item.quantity));
    // Pages leaked are full URLs: an origin-only leak names no page the person opened.
    if (pageId !== null && c.third_party === 1 && c.leak_level === 'full-url') tally(pageDays, [pageId, pending.day], c.page_reached === 1);
    group(groups, c, pending.day);
  }
  reasons.finish();
  // The flow id too: after a purge SQLite may give a deleted row's id to another flow's row.
  for (const u of batch.updates) s.updateOutcome.run({ ...u.outcome, id: u.rowId, flow_id: u.flowId });
  for (const e of idDays.values()) s.identifierDay.run(...e.key, e.requests, e.reached);
  for (const e of pageDays.values()) s.pageDay.run(...e.key, e.requests, e.reached);
  // One upsert per roll-up key per batch, however many requests share it.
  ROLLUPS.forEach((r, i) => {
    const aggs = new Map<string, Agg>();
    const idx = COUNTER_INDEX[i]!;
    for (const g of groups.values()) {
      if (r.siteOnly && g.like.page_site === null) continue;
      const e = add(aggs, r.key.map((k) => k.of(g.like, g.day)), g.first, g.last, idx.length);
      for (let j = 0; j < idx.length; j++) e.counts[j]! += g.counts[idx[j]!]!;
    }
    const times = (e: Agg): number[] => r.times.map((t) => (t.fn === 'min' ? e.first : e.last));
    for (const e of aggs.values()) s.rollups[i]!.run(...e.key, ...e.counts, ...times(e));
  });
  for (const t of batch.tunnels) s.tunnel.run(t.day, t.site, t.count);
  return rowIds;
}

function upsertPages(s: WriteStatements, inserts: readonly BatchInsert[]): Map<string, number> {
  const seen = new Map<string, { site: string | null; first: number; last: number }>();
  for (const { pending } of inserts) {
    if (pending.pageUrl === null) continue;
    const t = pending.columns.time;
    const e = seen.get(pending.pageUrl);
    if (e) {
      e.first = Math.min(e.first, t);
      e.last = Math.max(e.last, t);
    } else seen.set(pending.pageUrl, { site: pending.columns.page_site, first: t, last: t });
  }
  const ids = new Map<string, number>();
  for (const [url, e] of seen) {
    const row = s.upsertPage.get(url, e.site, e.first, e.last);
    if (row) ids.set(url, row.id);
  }
  return ids;
}

const identifierKey = (id: { name: string; kind: string; value: string }): string => keyOf([id.name, id.kind, id.value]);

function upsertIdentifiers(s: WriteStatements, inserts: readonly BatchInsert[]): Map<string, number> {
  const seen = new Map<string, { name: string; kind: string; value: string; first: number; last: number }>();
  for (const { pending } of inserts) {
    const t = pending.columns.time;
    for (const id of pending.identifiers) {
      const k = identifierKey(id);
      const e = seen.get(k);
      if (e) {
        e.first = Math.min(e.first, t);
        e.last = Math.max(e.last, t);
      } else seen.set(k, { name: id.name, kind: id.kind, value: id.value, first: t, last: t });
    }
  }
  const ids = new Map<string, number>();
  for (const [k, e] of seen) {
    const row = s.upsertIdentifier.get(e.name, e.kind, e.value, e.first, e.last);
    if (row) ids.set(k, row.id);
  }
  return ids;
}

/** Counts one request into its group (see Group). */
function group(groups: Map<string, Group>, c: RequestColumns, day: string): void {
  let k = '';
  for (const col of KEY_COLUMNS) k += keyPart(col.of(c, day));
  let g = groups.get(k);
  if (!g) {
    g = { like: c, day, counts: new Array<number>(COUNTER_OF.length).fill(0), first: c.time, last: c.time };
    groups.set(k, g);
  }
  if (c.time < g.first) g.first = c.time;
  if (c.time > g.last) g.last = c.time;
  for (let i = 0; i < COUNTER_OF.length; i++) g.counts[i]! += COUNTER_OF[i]!(c);
}

/**
 * One value of a map key made of several: its length first, so that no text (a tag id may hold any
 * character) can make two different keys read the same.
 */
const keyPart = (v: string | number): string => (typeof v === 'string' ? `${v.length}:${v}` : `${v};`);
const keyOf = (values: readonly (string | number)[]): string => values.map(keyPart).join('');

function add(map: Map<string, Agg>, key: readonly (string | number)[], first: number, last: number, counters: number): Agg {
  const k = keyOf(key);
  let e = map.get(k);
  if (!e) {
    e = { key, first, last, counts: new Array<number>(counters).fill(0) };
    map.set(k, e);
  }
  if (first < e.first) e.first = first;
  if (last > e.last) e.last = last;
  return e;
}

function tally(map: Map<string, DayCount>, key: readonly (string | number)[], reached: boolean): void {
  const k = keyOf(key);
  let e = map.get(k);
  if (!e) {
    e = { key, requests: 0, reached: 0 };
    map.set(k, e);
  }
  e.requests += 1;
  if (reached) e.reached += 1;
}
