/**
 * SQL building blocks shared by the read side. A time range is answered from the daily roll-ups
 * for its whole days plus raw rows for its partial first and last day (see days.ts), so overview
 * numbers stay exact for any range and fast at a million rows. Statements are prepared once per
 * connection and cached by their SQL text.
 */
import type { Database, Statement } from './db.js';
import { normaliseRange, splitRange, type TimeRange } from './days.js';
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
function rangeRows(r: Rollup): string {
  const sel = rollupSelect(r, 'day >= @firstDay AND day <= @lastDay', 'r.time >= @$From AND r.time < @$To');
  return `${sel.table}\n  UNION ALL\n  ${edges(sel.edge)}`;
}

/** A CTE `r`: per-site roll-up rows of the range (for anything grouped or filtered by site). */
export const ROLLUP_CTE = `r AS (${rangeRows(DAILY_ROLLUP)})`;
/** A CTE `r`: site-less roll-up rows of the range (overview numbers, categories, timeline, modes). */
export const TOTALS_CTE = `r AS (${rangeRows(DAILY_TOTALS)})`;
/** A CTE `s`: per-site counts of the range (site_days for whole days, raw rows for the edges). */
export const SITES_CTE = `s AS (${rangeRows(SITE_DAYS)})`;

/** A site's detail rows of the range (site_detail_days; `@site` is the site). */
export const SITE_DETAIL_ROWS = (() => {
  const sel = rollupSelect(SITE_DETAIL_DAYS, 'site = @site AND day >= @firstDay AND day <= @lastDay',
    'r.page_site = @site AND r.time >= @$From AND r.time < @$To');
  return `${sel.table}\n  UNION ALL\n  ${edges(sel.edge)}`;
})();

/** Sites that attempted a leak in the range, with whether it reached Pinterest (count DISTINCT). */
export const LEAKING_SITES_SQL = `
  SELECT site, reached FROM s WHERE attempted > 0`;

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

/** Hourly buckets: `start` and the hourly counters, ordered. */
export const HOURLY_SQL = (() => {
  const sel = rollupSelect(HOURLY_TOTALS, 'hour >= @firstHour AND hour < @lastHour', 'r.time >= @$From AND r.time < @$To');
  return `
  SELECT hour AS start, sum(requests) AS requests, sum(third_party) AS thirdParty, sum(attempted) AS attempted,
    sum(reached) AS reached, sum(blocked) AS blocked, sum(stripped) AS stripped
  FROM (${sel.table} UNION ALL ${edges(sel.edge)}) GROUP BY hour ORDER BY hour`;
})();

/** Leaked full-URL page ids of the range with `requests` and `reached` (page_days, raw rows for the edges). */
export const LEAKED_PAGES_SQL = `
  SELECT page_id, requests, reached FROM page_days WHERE day >= @firstDay AND day <= @lastDay
  UNION ALL
  ${edges(`SELECT r.page_id, 1, r.page_reached FROM requests r WHERE r.time >= @$From AND r.time < @$To
    AND r.page_id IS NOT NULL AND r.third_party = 1 AND r.leak_level = 'full-url'`)}`;

/** (identifier_id, page_site, requests, reached) rows of the range. */
export const IDENTIFIER_SITES_SQL = `
  SELECT identifier_id, page_site, requests, reached FROM identifier_days WHERE day >= @firstDay AND day <= @lastDay
  UNION ALL
  ${edges(`SELECT ri.identifier_id, coalesce(r.page_site, ''), 1, 1 - ri.prevented
    FROM requests r JOIN request_identifiers ri ON ri.request_id = r.id
    WHERE r.time >= @$From AND r.time < @$To`)}`;

/** Prepares statements once per connection. */
export class StatementCache {
  readonly #db: Database;
  readonly #cache = new Map<string, Statement>();

  constructor(db: Database) {
    this.#db = db;
  }

  get(sql: string): Statement {
    let stmt = this.#cache.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      this.#cache.set(sql, stmt);
    }
    return stmt;
  }

  /** Runs `sql` and returns all rows typed as `T`. */
  all<T>(sql: string, params: object): T[] {
    return this.get(sql).all(params) as T[];
  }

  /** Runs `sql` and returns the first row typed as `T`. */
  one<T>(sql: string, params: object): T | undefined {
    return this.get(sql).get(params) as T | undefined;
  }
}

/** A LIKE pattern matching `text` anywhere, with `%`, `_` and `\` escaped. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
