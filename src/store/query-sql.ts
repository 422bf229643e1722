/**
 * SQL building blocks shared by the read side. A time range is answered from the daily roll-ups
 * for its whole days plus raw rows for its partial first and last day (see days.ts), so overview
 * numbers stay exact for any range and fast at a million rows. Statements are prepared once per
 * connection and cached by their SQL text.
 */
import type { Database, Statement } from './db.js';
import { normaliseRange, splitRange, type TimeRange } from './days.js';

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

/** Raw-row expressions with the same meaning as the roll-up's count columns. */
const LEAK = "(r.third_party = 1 AND r.leak_level IS NOT NULL AND r.leak_level <> 'none')";

/**
 * A CTE `r` with one row per roll-up row of the whole days and one per raw request of the edges,
 * with the roll-up's columns. `daily_totals` has no site dimension (its `page_site` is '').
 */
function rollupCte(table: 'daily_rollup' | 'daily_totals'): string {
  const site = table === 'daily_rollup' ? 'page_site' : "'' AS page_site";
  return `r AS (
  SELECT day, ${site}, category, decision, mode, requests, third_party, leaks, full_url, origin_only,
         logged_in, hashed_emails, ids_prevented, pages_prevented, last_time
  FROM ${table} WHERE day >= @firstDay AND day <= @lastDay
  UNION ALL
  ${edges(`SELECT @$Day, coalesce(r.page_site, ''), coalesce(r.category, ''), coalesce(r.decision, ''),
         coalesce(r.block_mode, ''), 1, coalesce(r.third_party, 0), ${LEAK},
         ${LEAK} AND r.leak_level = 'full-url', ${LEAK} AND r.leak_level = 'origin',
         ${LEAK} AND coalesce(r.logged_in, 0) = 1, coalesce(r.third_party, 0) = 1 AND r.hashed_email = 1,
         r.ids_prevented, r.page_prevented, r.time
  FROM requests r WHERE r.time >= @$From AND r.time < @$To`)}
)`;
}

/** Per-site roll-up rows of the range (for anything grouped or filtered by site). */
export const ROLLUP_CTE = rollupCte('daily_rollup');
/** Site-less roll-up rows of the range (overview numbers, categories, timeline, modes). */
export const TOTALS_CTE = rollupCte('daily_totals');

/** A CTE `s`: per-site counts of the range (site_days for whole days, raw rows for the edges). */
export const SITES_CTE = `s AS (
  SELECT site, requests, third_party, leaks, full_url, blocked, stripped, last_time
  FROM site_days WHERE day >= @firstDay AND day <= @lastDay
  UNION ALL
  ${edges(`SELECT r.page_site, 1, coalesce(r.third_party, 0), ${LEAK}, ${LEAK} AND r.leak_level = 'full-url',
         coalesce(r.decision = 'block', 0), coalesce(r.decision = 'strip', 0), r.time
  FROM requests r WHERE r.time >= @$From AND r.time < @$To AND r.page_site IS NOT NULL`)}
)`;

/** Sites that leaked in the range (one row per site and day; count DISTINCT). */
export const LEAKING_SITES_SQL = `
  SELECT site FROM site_days WHERE day >= @firstDay AND day <= @lastDay AND leaks > 0
  UNION ALL
  ${edges(`SELECT r.page_site FROM requests r WHERE r.time >= @$From AND r.time < @$To
    AND r.page_site IS NOT NULL AND ${LEAK}`)}`;

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

/** Hourly buckets: `start, requests, thirdParty, leaks, blocked, stripped`, ordered. */
export const HOURLY_SQL = `
  SELECT start, sum(requests) AS requests, sum(third_party) AS thirdParty, sum(leaks) AS leaks,
    sum(blocked) AS blocked, sum(stripped) AS stripped
  FROM (
    SELECT hour AS start, requests, third_party, leaks, blocked, stripped FROM hourly_totals
    WHERE hour >= @firstHour AND hour < @lastHour
    UNION ALL
    ${edges(`SELECT (r.time / ${HOUR}) * ${HOUR}, 1, coalesce(r.third_party, 0), ${LEAK},
      coalesce(r.decision = 'block', 0), coalesce(r.decision = 'strip', 0)
      FROM requests r WHERE r.time >= @$From AND r.time < @$To`)}
  ) GROUP BY start ORDER BY start`;

/** Distinct leaked page ids of the range (page_days for whole days, raw rows for the edges). */
export const LEAKED_PAGES_SQL = `
  SELECT page_id FROM page_days WHERE day >= @firstDay AND day <= @lastDay
  UNION ALL
  ${edges(`SELECT r.page_id FROM requests r WHERE r.time >= @$From AND r.time < @$To
    AND r.page_id IS NOT NULL AND ${LEAK}`)}`;

/** (identifier_id, page_site, requests) rows of the range. */
export const IDENTIFIER_SITES_SQL = `
  SELECT identifier_id, page_site, requests FROM identifier_days WHERE day >= @firstDay AND day <= @lastDay
  UNION ALL
  ${edges(`SELECT ri.identifier_id, coalesce(r.page_site, ''), 1
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
