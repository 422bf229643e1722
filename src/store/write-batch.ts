/**
 * The SQL side of one writer flush: inserts requests with their identifiers, line items and
 * pages, applies completions, and folds the batch into the roll-ups (aggregated in memory first
 * so each roll-up key is written once per batch). Runs inside the caller's transaction.
 */
import type { Database, Statement } from './db.js';
import type { OutcomeColumns, PendingRequest } from './rows.js';

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

const ROLLUP_COUNTS = [
  'requests', 'third_party', 'leaks', 'full_url', 'origin_only', 'logged_in', 'hashed_emails', 'ids_prevented',
  'pages_prevented',
] as const;

type RollupCounts = Record<(typeof ROLLUP_COUNTS)[number], number>;
interface RollupEntry extends RollupCounts {
  key: [string, string, string, string, string];
  first: number;
  last: number;
}

/** Prepared statements of the write side (one set per connection). */
export interface WriteStatements {
  insertRequest: Statement<[Record<string, unknown>], { id: number }>;
  updateOutcome: Statement;
  upsertPage: Statement<unknown[], { id: number }>;
  upsertIdentifier: Statement<unknown[], { id: number }>;
  link: Statement;
  lineItem: Statement;
  identifierDay: Statement;
  pageDay: Statement;
  rollup: Statement;
  tunnel: Statement;
}

/** Prepares the write statements on `db`. */
export function prepareWriteStatements(db: Database): WriteStatements {
  const cols = REQUEST_COLUMNS.join(', ');
  const params = REQUEST_COLUMNS.map((c) => `@${c}`).join(', ');
  const counts = ROLLUP_COUNTS.join(', ');
  return {
    insertRequest: db.prepare(
      `INSERT INTO requests (${cols}) VALUES (${params})
       ON CONFLICT (flow_id) WHERE source = 'har' DO NOTHING RETURNING id`,
    ),
    updateOutcome: db.prepare(
      `UPDATE requests SET outcome = @outcome, status = @status, bytes = @bytes, error_kind = @error_kind,
         error_message = @error_message, completed_at = @completed_at WHERE id = @id AND outcome IS NULL`,
    ),
    upsertPage: db.prepare(
      `INSERT INTO pages (url, site, first_seen, last_seen) VALUES (?, ?, ?, ?)
       ON CONFLICT (url) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen),
         last_seen = max(last_seen, excluded.last_seen) RETURNING id`,
    ),
    upsertIdentifier: db.prepare(
      `INSERT INTO identifiers (name, kind, value, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name, kind, value) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen),
         last_seen = max(last_seen, excluded.last_seen) RETURNING id`,
    ),
    link: db.prepare('INSERT OR IGNORE INTO request_identifiers (request_id, identifier_id, source) VALUES (?, ?, ?)'),
    lineItem: db.prepare(
      'INSERT INTO purchase_items (request_id, position, item_id, name, price, quantity) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    identifierDay: db.prepare(
      `INSERT INTO identifier_days (identifier_id, page_site, day, requests) VALUES (?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET requests = requests + excluded.requests`,
    ),
    pageDay: db.prepare(
      `INSERT INTO page_days (page_id, day, requests) VALUES (?, ?, ?)
       ON CONFLICT DO UPDATE SET requests = requests + excluded.requests`,
    ),
    rollup: db.prepare(
      `INSERT INTO daily_rollup (day, page_site, category, decision, mode, ${counts}, first_time, last_time)
       VALUES (?, ?, ?, ?, ?, ${ROLLUP_COUNTS.map(() => '?').join(', ')}, ?, ?)
       ON CONFLICT DO UPDATE SET ${ROLLUP_COUNTS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')},
         first_time = min(first_time, excluded.first_time), last_time = max(last_time, excluded.last_time)`,
    ),
    tunnel: db.prepare(
      `INSERT INTO tunnel_days (day, site, count) VALUES (?, ?, ?)
       ON CONFLICT DO UPDATE SET count = count + excluded.count`,
    ),
  };
}

/**
 * Writes a batch. Returns the row id of each insert in order, or `null` for a HAR entry that was
 * already stored. Call inside a transaction.
 */
export function writeBatch(s: WriteStatements, batch: Batch): Array<number | null> {
  const rowIds: Array<number | null> = [];
  const rollups = new Map<string, RollupEntry>();
  const idDays = new Map<string, [number, string, string, number]>();
  const pageDays = new Map<string, [number, string, number]>();
  for (const { pending, outcome } of batch.inserts) {
    const c = pending.columns;
    const pageId = pending.pageUrl === null ? null : s.upsertPage.get(pending.pageUrl, c.page_site, c.time, c.time)?.id ?? null;
    const row = s.insertRequest.get({ ...c, page_id: pageId, ...(outcome ?? NO_OUTCOME) });
    if (row === undefined) {
      rowIds.push(null);
      continue;
    }
    rowIds.push(row.id);
    const site = c.page_site ?? '';
    for (const id of pending.identifiers) {
      const identifierId = s.upsertIdentifier.get(id.name, id.kind, id.value, c.time, c.time)?.id;
      if (identifierId === undefined) continue;
      s.link.run(row.id, identifierId, id.source);
      const k = `${identifierId}\0${site}\0${pending.day}`;
      const e = idDays.get(k);
      if (e) e[3] += 1;
      else idDays.set(k, [identifierId, site, pending.day, 1]);
    }
    pending.lineItems.forEach((item, i) => s.lineItem.run(row.id, i, item.id, item.name, item.price, item.quantity));
    const leaks = c.third_party === 1 && c.leak_level !== null && c.leak_level !== 'none';
    if (leaks && pageId !== null) {
      const k = `${pageId}\0${pending.day}`;
      const e = pageDays.get(k);
      if (e) e[2] += 1;
      else pageDays.set(k, [pageId, pending.day, 1]);
    }
    addRollup(rollups, pending, leaks);
  }
  for (const u of batch.updates) s.updateOutcome.run({ ...u.outcome, id: u.rowId });
  for (const e of idDays.values()) s.identifierDay.run(...e);
  for (const e of pageDays.values()) s.pageDay.run(...e);
  for (const e of rollups.values()) s.rollup.run(...e.key, ...ROLLUP_COUNTS.map((c) => e[c]), e.first, e.last);
  for (const t of batch.tunnels) s.tunnel.run(t.day, t.site, t.count);
  return rowIds;
}

const NO_OUTCOME = { outcome: null, status: null, bytes: null, error_kind: null, error_message: null, completed_at: null };

function addRollup(rollups: Map<string, RollupEntry>, p: PendingRequest, leaks: boolean): void {
  const c = p.columns;
  const key: RollupEntry['key'] = [p.day, c.page_site ?? '', c.category ?? '', c.decision ?? '', c.block_mode ?? ''];
  const k = key.join('\0');
  let e = rollups.get(k);
  if (!e) {
    e = { key, first: c.time, last: c.time, ...zeroCounts() };
    rollups.set(k, e);
  }
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
  e.first = Math.min(e.first, c.time);
  e.last = Math.max(e.last, c.time);
}

function zeroCounts(): RollupCounts {
  return Object.fromEntries(ROLLUP_COUNTS.map((c) => [c, 0])) as RollupCounts;
}
