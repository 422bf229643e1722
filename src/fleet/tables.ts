/**
 * What the shipper sends, table by table, and how PostgreSQL takes it. Three kinds of table:
 *
 * - streams: append-only rows with a growing local `id` (requests, account_switches). Shipped once,
 *   in id order, past a marker kept locally; stored with `ON CONFLICT DO NOTHING` so a batch sent
 *   twice (crash between the server's commit and the local marker) is stored once.
 * - children and referenced rows of a batch of requests: identifier links and line items (append
 *   only), pages and identifiers (their `last_seen` moves, so they are upserted).
 * - crawls (crawl-batch.ts): sites once they ended, with their request links; crawls when changed.
 * - roll-ups: counters the local writer keeps per day (and site, hour…). They outlive the raw rows
 *   locally, so they are shipped as they are, not rebuilt: each changed row overwrites the
 *   instance's copy, and the fleet's number is the sum of its instances' current numbers.
 *
 * Columns are those both databases have (local `PRAGMA table_info` and {@link SHIPPED_AS}, ∩ the
 * server's information_schema), so a local column that the fleet schema does not have yet waits for
 * a fleet migration instead of failing the shipment.
 */

import { reasonsText, ROLLUPS as STORE_ROLLUPS } from '../store/index.js';
import { CRAWL_TABLES } from './crawl-batch.js';

/** A roll-up table and the columns that select the rows a batch of requests touched. */
export interface RollupTable {
  readonly table: string;
  /** Primary key without instance_id. */
  readonly key: readonly string[];
  /** How a touched row is found: by day and site, by day, by hour, or by page and day. */
  readonly touched: 'day-site' | 'day' | 'hour' | 'page-day';
  /** The column holding the site, for `day-site`. */
  readonly siteColumn?: string;
}

export const STREAMS = ['requests', 'account_switches'] as const;
export type Stream = (typeof STREAMS)[number];

/** Tables hanging off requests: shipped with the requests of the batch, never twice. */
export const REQUEST_CHILDREN = [
  { table: 'request_identifiers', key: ['request_id', 'identifier_id', 'source'] },
  { table: 'purchase_items', key: ['request_id', 'position'] },
] as const;

/** Tables requests point to: upserted, keeping the widest first/last seen. */
export const REFERENCED = [
  { table: 'pages', via: 'page_id' },
  { table: 'identifiers', via: 'identifier_id' },
] as const;

/** The store's roll-ups (src/store/rollups.ts, each defined once there) and the per-day tables of raw rows. */
export const ROLLUPS: readonly RollupTable[] = [
  ...STORE_ROLLUPS.map((r): RollupTable => {
    const key = r.key.map((k) => k.name);
    const site = key.find((k) => k === 'page_site' || k === 'site');
    return { table: r.table, key, touched: key.includes('hour') ? 'hour' : site ? 'day-site' : 'day', ...(site ? { siteColumn: site } : {}) };
  }),
  { table: 'identifier_days', key: ['identifier_id', 'page_site', 'day'], touched: 'day-site', siteColumn: 'page_site' },
  { table: 'page_days', key: ['page_id', 'day'], touched: 'page-day' },
];

/**
 * Columns the local store keeps in another form, by the name and as the SQL the fleet's column is
 * filled from: locally a request's reasons are ids of sentences kept once (store/reasons.ts), in
 * the fleet the list of texts.
 */
export const SHIPPED_AS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  requests: { reasons: reasonsText('requests') },
};

/** Tunnel counts change without requests: every row of the recent days is sent again. */
export const TUNNELS: RollupTable = { table: 'tunnel_days', key: ['day', 'site'], touched: 'day' };

/** Every local table the shipper reads. */
export const SHIPPED_TABLES: readonly string[] = [
  ...STREAMS,
  ...REQUEST_CHILDREN.map((c) => c.table),
  ...REFERENCED.map((r) => r.table),
  ...ROLLUPS.map((r) => r.table),
  TUNNELS.table,
  ...CRAWL_TABLES.map((c) => c.table),
];

/** PostgreSQL caps a statement at 65535 parameters. */
const MAX_PARAMS = 60_000;

/** How a conflicting row is treated. */
export type OnConflict =
  | { kind: 'keep' }
  | { kind: 'overwrite'; key: readonly string[] }
  | { kind: 'seen'; key: readonly string[] };

/**
 * Multi-row INSERT statements for `rows` (objects keyed by column), with `instance_id` first, split
 * so that no statement passes the parameter cap.
 */
export function insertStatements(
  table: string,
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
  instanceId: string,
  conflict: OnConflict,
): Array<{ sql: string; params: unknown[] }> {
  const cols = ['instance_id', ...columns];
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / cols.length));
  const out: Array<{ sql: string; params: unknown[] }> = [];
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const params: unknown[] = [];
    const tuples = chunk.map((row) => {
      params.push(instanceId);
      const marks = [`$${params.length}`];
      for (const c of columns) {
        params.push(row[c] ?? null);
        marks.push(`$${params.length}`);
      }
      return `(${marks.join(', ')})`;
    });
    out.push({ sql: `INSERT INTO ${table} AS t (${cols.join(', ')}) VALUES ${tuples.join(', ')} ${conflictClause(columns, conflict)}`, params });
  }
  return out;
}

function conflictClause(columns: readonly string[], conflict: OnConflict): string {
  if (conflict.kind === 'keep') return 'ON CONFLICT DO NOTHING';
  const target = `ON CONFLICT (instance_id, ${conflict.key.join(', ')}) DO UPDATE SET`;
  const rest = columns.filter((c) => !conflict.key.includes(c));
  if (conflict.kind === 'overwrite') return `${target} ${rest.map((c) => `${c} = excluded.${c}`).join(', ')}`;
  const set = rest.map((c) =>
    c === 'first_seen' ? 'first_seen = LEAST(t.first_seen, excluded.first_seen)'
    : c === 'last_seen' ? 'last_seen = GREATEST(t.last_seen, excluded.last_seen)'
    : `${c} = excluded.${c}`,
  );
  return `${target} ${set.join(', ')}`;
}
