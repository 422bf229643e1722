/**
 * The SQL side of one writer flush: inserts requests with their identifiers, line items and
 * pages, applies completions, and folds the batch into the roll-ups. Pages, identifiers and
 * roll-up keys are aggregated in memory first, so each is written once per batch however many
 * requests share it. Runs inside the caller's transaction.
 */
import type { Database, Statement } from './db.js';
import type { OutcomeColumns, PendingRequest, RequestColumns } from './rows.js';

/** One insert of a batch; `outcome` is set when the completion is already known. */
export interface BatchInsert {
  pending: PendingRequest;
  outcome: OutcomeColumns | null;
}

/** Everything one flush writes. */
export interface Batch {
  inserts: readonly BatchInsert[];
  updates: ReadonlyArray<{ rowId: number; outcome: OutcomeColumns }>;
  /** Tunnel counts keyed by day and site. */
  tunnels: ReadonlyArray<{ day: string; site: string; count: number }>;
}

const REQUEST_COLUMNS = [
  'flow_id', 'time', 'client', 'source', 'method', 'host', 'connect_host', 'path', 'category', 'third_party',
  'page_site', 'page_id', 'attributed_by', 'confidence', 'leak_level', 'tag_id', 'tag_event', 'tag_value',
  'tag_currency', 'tag_order_id', 'tag_partner', 'hashed_email', 'hashed_email_algo', 'logged_in', 'gpc', 'dnt',
  'client_hints', 'malformed', 'reasons', 'block_mode', 'decision', 'decision_reason', 'stripped', 'ids_prevented',
  'page_prevented', 'outcome', 'status', 'bytes', 'error_kind', 'error_message', 'completed_at',
] as const;

const COUNTS = [
  'requests', 'third_party', 'leaks', 'full_url', 'origin_only', 'logged_in', 'hashed_emails', 'ids_prevented',
  'pages_prevented', 'blocked', 'stripped',
] as const;
/** The count columns of daily_rollup and daily_totals (blocked/stripped are in their key there). */
const ROLLUP_COUNTS = COUNTS.slice(0, 9);
const SITE_COUNTS = ['requests', 'third_party', 'leaks', 'full_url', 'blocked', 'stripped'] as const;
const HOUR_COUNTS = ['requests', 'third_party', 'leaks', 'blocked', 'stripped'] as const;

type Counts = Record<(typeof COUNTS)[number], number>;
interface Agg extends Counts {
  key: readonly (string | number)[];
  first: number;
  last: number;
}

const NO_OUTCOME: Record<keyof OutcomeColumns, null> = {
  outcome: null, status: null, bytes: null, error_kind: null, error_message: null, completed_at: null,
};

/** Prepared statements of the write side (one set per connection). */
export type WriteStatements = ReturnType<typeof prepareWriteStatements>;

const upsertCounts = (table: string, keys: readonly string[], counts: readonly string[], extra: string[]): string =>
  `INSERT INTO ${table} (${[...keys, ...counts, ...extra.map((e) => e.split(' ')[0])].join(', ')})
   VALUES (${[...keys, ...counts, ...extra].map(() => '?').join(', ')})
   ON CONFLICT DO UPDATE SET ${[
     ...counts.map((c) => `${c} = ${c} + excluded.${c}`),
     ...extra.map((e) => {
       const [col, fn] = e.split(' ');
       return `${col} = ${fn}(${col}, excluded.${col})`;
     }),
   ].join(', ')}`;

/** Prepares the write statements on `db`. */
export function prepareWriteStatements(db: Database) {
  const returning = <P extends unknown[]>(sql: string): Statement<P, { id: number }> => db.prepare(sql) as Statement<P, { id: number }>;
  const rollupKey = ['day', 'page_site', 'category', 'decision', 'mode'];
  return {
    insertRequest: returning<unknown[]>(
      `INSERT INTO requests (${REQUEST_COLUMNS.join(', ')}) VALUES (${REQUEST_COLUMNS.map(() => '?').join(', ')})
       ON CONFLICT (flow_id) WHERE source = 'har' DO NOTHING RETURNING id`,
    ),
    updateOutcome: db.prepare(
      `UPDATE requests SET outcome = @outcome, status = @status, bytes = @bytes, error_kind = @error_kind,
         error_message = @error_message, completed_at = @completed_at WHERE id = @id AND outcome IS NULL`,
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
    link: db.prepare('INSERT OR IGNORE INTO request_identifiers (request_id, identifier_id, source) VALUES (?, ?, ?)'),
    lineItem: db.prepare(
      'INSERT INTO purchase_items (request_id, position, item_id, name, price, quantity) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    identifierDay: db.prepare(upsertCounts('identifier_days', ['identifier_id', 'page_site', 'day'], ['requests'], [])),
    pageDay: db.prepare(upsertCounts('page_days', ['page_id', 'day'], ['requests'], [])),
    rollup: db.prepare(upsertCounts('daily_rollup', rollupKey, ROLLUP_COUNTS, ['first_time min', 'last_time max'])),
    totals: db.prepare(
      upsertCounts('daily_totals', rollupKey.filter((k) => k !== 'page_site'), ROLLUP_COUNTS, ['first_time min', 'last_time max']),
    ),
    siteDay: db.prepare(upsertCounts('site_days', ['day', 'site'], SITE_COUNTS, ['last_time max'])),
    hour: db.prepare(upsertCounts('hourly_totals', ['hour'], HOUR_COUNTS, [])),
    siteDetail: db.prepare(
      upsertCounts('site_detail_days', ['site', 'day', 'tag_id', 'tag_event', 'attributed_by', 'decision'], ['requests', 'leaks'], []),
    ),
    tunnel: db.prepare(upsertCounts('tunnel_days', ['day', 'site'], ['count'], [])),
  };
}

/**
 * Writes a batch. Returns the row id of each insert in order, or `null` for a HAR entry that was
 * already stored. Call inside a transaction.
 */
export function writeBatch(s: WriteStatements, batch: Batch): Array<number | null> {
  const pageIds = upsertPages(s, batch.inserts);
  const identifierIds = upsertIdentifiers(s, batch.inserts);
  const rowIds: Array<number | null> = [];
  const aggs = {
    rollup: new Map<string, Agg>(), totals: new Map<string, Agg>(), sites: new Map<string, Agg>(),
    hours: new Map<string, Agg>(), detail: new Map<string, Agg>(),
  };
  const idDays = new Map<string, Agg>();
  const pageDays = new Map<string, Agg>();
  for (const { pending, outcome } of batch.inserts) {
    const c = pending.columns;
    const pageId = pending.pageUrl === null ? null : (pageIds.get(pending.pageUrl) ?? null);
    const o = outcome ?? NO_OUTCOME;
    // Positional binding: spreading a 40-key object per row cost more than the insert itself.
    const row = s.insertRequest.get(
      ...REQUEST_COLUMNS.map((k) => (k === 'page_id' ? pageId : k in o ? o[k as keyof OutcomeColumns] : c[k as keyof RequestColumns])),
    );
    if (row === undefined) {
      rowIds.push(null);
      continue;
    }
    rowIds.push(row.id);
    const site = c.page_site ?? '';
    for (const id of pending.identifiers) {
      const identifierId = identifierIds.get(identifierKey(id));
      if (identifierId === undefined) continue;
      s.link.run(row.id, identifierId, id.source);
      add(idDays, [identifierId, site, pending.day], c.time).requests += 1;
    }
    pending.lineItems.forEach((item, i) => s.lineItem.run(row.id, i, item.id, item.name, item.price, item.quantity));
    const leaks = c.third_party === 1 && c.leak_level !== null && c.leak_level !== 'none';
    if (leaks && pageId !== null) add(pageDays, [pageId, pending.day], c.time).requests += 1;
    const [cat, dec, mode] = [c.category ?? '', c.decision ?? '', c.block_mode ?? ''];
    count(add(aggs.rollup, [pending.day, site, cat, dec, mode], c.time), c, leaks);
    count(add(aggs.totals, [pending.day, cat, dec, mode], c.time), c, leaks);
    if (site !== '') {
      count(add(aggs.sites, [pending.day, site], c.time), c, leaks);
      const detailKey = [site, pending.day, c.tag_id ?? '', c.tag_event ?? '', c.attributed_by ?? '', dec];
      count(add(aggs.detail, detailKey, c.time), c, leaks);
    }
    count(add(aggs.hours, [Math.floor(c.time / 3_600_000) * 3_600_000], c.time), c, leaks);
  }
  for (const u of batch.updates) s.updateOutcome.run({ ...u.outcome, id: u.rowId });
  for (const e of idDays.values()) s.identifierDay.run(...e.key, e.requests);
  for (const e of pageDays.values()) s.pageDay.run(...e.key, e.requests);
  for (const e of aggs.rollup.values()) s.rollup.run(...e.key, ...ROLLUP_COUNTS.map((k) => e[k]), e.first, e.last);
  for (const e of aggs.totals.values()) s.totals.run(...e.key, ...ROLLUP_COUNTS.map((k) => e[k]), e.first, e.last);
  for (const e of aggs.sites.values()) s.siteDay.run(...e.key, ...SITE_COUNTS.map((k) => e[k]), e.last);
  for (const e of aggs.hours.values()) s.hour.run(...e.key, ...HOUR_COUNTS.map((k) => e[k]));
  for (const e of aggs.detail.values()) s.siteDetail.run(...e.key, e.requests, e.leaks);
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

const identifierKey = (id: { name: string; kind: string; value: string }): string => `${id.name}\0${id.kind}\0${id.value}`;

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

function add(map: Map<string, Agg>, key: readonly (string | number)[], time: number): Agg {
  const k = key.join('\0');
  let e = map.get(k);
  if (!e) {
    e = { key, first: time, last: time, ...(Object.fromEntries(COUNTS.map((c) => [c, 0])) as Counts) };
    map.set(k, e);
  }
  e.first = Math.min(e.first, time);
  e.last = Math.max(e.last, time);
  return e;
}

function count(e: Agg, c: RequestColumns, leaks: boolean): void {
  const third = c.third_party === 1;
  e.requests += 1;
  e.third_party += third ? 1 : 0;
  e.leaks += leaks ? 1 : 0;
  e.full_url += leaks && c.leak_level === 'full-url' ? 1 : 0;
  e.origin_only += leaks && c.leak_level === 'origin' ? 1 : 0;
  e.logged_in += leaks && c.logged_in === 1 ? 1 : 0;
  e.hashed_emails += third && c.hashed_email === 1 ? 1 : 0;
  e.ids_prevented += c.ids_prevented;
  e.pages_prevented += c.page_prevented;
  e.blocked += c.decision === 'block' ? 1 : 0;
  e.stripped += c.decision === 'strip' ? 1 : 0;
}
