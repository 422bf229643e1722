/**
 * SQL building blocks shared by the read side. A time range is answered from the daily roll-ups
 * for its whole days plus raw rows for its partial first and last day (see days.ts), so overview
 * numbers stay exact for any range and fast at a million rows. The blocks are made per dialect
 * (plan.ts): the same text for SQLite and for the fleet's PostgreSQL but for its instance hooks.
 */
import type { Database, Statement } from './db.js';
import { normaliseRange, splitRange, type TimeRange } from './days.js';
import type { Dialect, SqlRow, SyncExecutor } from './plan.js';
import { DAILY_ROLLUP, DAILY_TOTALS, HOURLY_TOTALS, rollupSelect, SITE_DAYS, SITE_DETAIL_DAYS, type Rollup } from './rollups.js';

/** An optional time range in ms; missing ends are open. `to` is exclusive. */
export interface RangeFilter {
  from?: number | null;
  to?: number | null;
}

/** Named parameters describing a split range. */
export interface RangeParams {
  firstDay: string;
  lastDay: string;
  headFrom: number;
  headTo: number;
  headDay: string;
  tailFrom: number;
  tailTo: number;
  tailDay: string;
  from: number;
  to: number;
}

/** The named parameters of a range for the SQL below. */
export function rangeParams(filter: RangeFilter = {}): RangeParams {
  const range: TimeRange = normaliseRange(filter.from, filter.to);
  const s = splitRange(range);
  return {
    firstDay: s.firstDay,
    lastDay: s.lastDay,
    headFrom: s.head.from,
    headTo: s.head.to,
    headDay: s.headDay,
    tailFrom: s.tail.from,
    tailTo: s.tail.to,
    tailDay: s.tailDay,
    from: range.from,
    to: range.to,
  };
}

/** `select` over raw rows of the head edge UNION ALL the tail edge (`$` stands for head/tail). */
export function edges(select: string): string {
  return `${select.replaceAll('$', 'head')} UNION ALL ${select.replaceAll('$', 'tail')}`;
}

/**
 * A roll-up's rows for a range: the table's whole days, then raw requests of the partial first and
 * last day counted with the same counters (rollups.ts).
 */
function rangeRows(d: Dialect, r: Rollup): string {
  const sel = rollupSelect(d, r, 'day >= @firstDay AND day <= @lastDay', 'r.time >= @$From AND r.time < @$To');
  return `${sel.table}\n  UNION ALL\n  ${edges(sel.edge)}`;
}

const HOUR = 3_600_000;

/** Named parameters of an hour-aligned split (hourly_totals for whole hours, raw rows for the edges). */
export function hourParams(filter: RangeFilter = {}): Record<string, number> {
  const p = rangeParams(filter);
  const firstHour = Math.ceil(p.from / HOUR) * HOUR;
  const lastHour = Math.floor(p.to / HOUR) * HOUR;
  if (firstHour >= lastHour) {
    return { firstHour: 0, lastHour: 0, headFrom: p.from, headTo: p.to, tailFrom: 0, tailTo: 0 };
  }
  return { firstHour, lastHour, headFrom: p.from, headTo: firstHour, tailFrom: lastHour, tailTo: p.to };
}

/** The SQL building blocks of one dialect (plan.ts), made once per dialect. */
export interface SqlParts {
  readonly d: Dialect;
  /** A CTE `r`: per-site roll-up rows of the range (for anything grouped or filtered by site). */
  readonly ROLLUP_CTE: string;
  /** A CTE `r`: site-less roll-up rows of the range (overview numbers, categories, timeline, modes). */
  readonly TOTALS_CTE: string;
  /** A CTE `s`: per-site counts of the range (site_days for whole days, raw rows for the edges). */
  readonly SITES_CTE: string;
  /** A site's detail rows of the range (site_detail_days; `@site` is the site). */
  readonly SITE_DETAIL_ROWS: string;
  /** Hourly buckets: `start` and the hourly counters, ordered. */
  readonly HOURLY_SQL: string;
  /** Leaked full-URL pages of the range: (instance,) page_id, requests, reached (page_days, raw rows for the edges). */
  readonly LEAKED_PAGES_SQL: string;
  /** (instance,) identifier_id, page_site, requests, reached rows of the range. */
  readonly IDENTIFIER_SITES_SQL: string;
}

const parts = new Map<Dialect, SqlParts>();

/** The building blocks for `d`. */
export function sqlParts(d: Dialect): SqlParts {
  let p = parts.get(d);
  if (p === undefined) {
    p = makeParts(d);
    parts.set(d, p);
  }
  return p;
}

function makeParts(d: Dialect): SqlParts {
  const detail = rollupSelect(d, SITE_DETAIL_DAYS, 'site = @site AND day >= @firstDay AND day <= @lastDay',
    'r.page_site = @site AND r.time >= @$From AND r.time < @$To');
  const hourly = rollupSelect(d, HOURLY_TOTALS, 'hour >= @firstHour AND hour < @lastHour', 'r.time >= @$From AND r.time < @$To');
  return {
    d,
    ROLLUP_CTE: `r AS (${rangeRows(d, DAILY_ROLLUP)})`,
    TOTALS_CTE: `r AS (${rangeRows(d, DAILY_TOTALS)})`,
    SITES_CTE: `s AS (${rangeRows(d, SITE_DAYS)})`,
    SITE_DETAIL_ROWS: `${detail.table}\n  UNION ALL\n  ${edges(detail.edge)}`,
    HOURLY_SQL: `
  SELECT hour AS start, sum(requests) AS requests, sum(third_party) AS thirdParty, sum(attempted) AS attempted,
    sum(reached) AS reached, sum(blocked) AS blocked, sum(stripped) AS stripped
  FROM (${hourly.table} UNION ALL ${edges(hourly.edge)}) h GROUP BY hour ORDER BY hour`,
    LEAKED_PAGES_SQL: `
  SELECT ${d.key()}page_id, requests, reached FROM ${d.from('page_days')} WHERE day >= @firstDay AND day <= @lastDay
  UNION ALL
  ${edges(`SELECT ${d.key('r')}r.page_id, 1, r.page_reached FROM ${d.from('requests', 'r')} WHERE r.time >= @$From AND r.time < @$To
    AND r.page_id IS NOT NULL AND r.third_party = 1 AND r.leak_level = 'full-url'`)}`,
    IDENTIFIER_SITES_SQL: `
  SELECT ${d.key()}identifier_id, page_site, requests, reached FROM ${d.from('identifier_days')} WHERE day >= @firstDay AND day <= @lastDay
  UNION ALL
  ${edges(`SELECT ${d.key('r')}ri.identifier_id, coalesce(r.page_site, ''), 1, 1 - ri.prevented
    FROM ${d.from('requests', 'r')} JOIN ${d.from('request_identifiers', 'ri')} ON ri.request_id = r.id${d.same('ri', 'r')}
    WHERE r.time >= @$From AND r.time < @$To`)}`,
  };
}

/** Sites that attempted a leak in the range, with whether it reached Pinterest (count DISTINCT). */
export const LEAKING_SITES_SQL = `
  SELECT site, reached FROM s WHERE attempted > 0`;

/** The SQLite executor of plans (plan.ts): statements prepared once per connection, cached by their text. */
export function sqliteExecutor(db: Database): SyncExecutor {
  const cache = new Map<string, Statement>();
  return {
    all(sql, params) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = db.prepare(sql);
        cache.set(sql, stmt);
      }
      return stmt.all(params) as SqlRow[];
    },
  };
}

/** A LIKE pattern matching `text` anywhere (case ignored, Dialect.like), with `%`, `_` and `\\` escaped. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
