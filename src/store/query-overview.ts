/**
 * The overview's reads as plans (plan.ts): headline totals, the sites table, the timeline,
 * categories and leak levels. Numbers come from the daily roll-ups plus the raw rows of partial
 * days (query-sql.ts).
 */
import type { Category } from '../types.js';
import { dayStart } from './days.js';
import { row, rows, type Plan } from './plan.js';
import { hourParams, LEAKING_SITES_SQL, likePattern, rangeParams, type RangeFilter, type SqlParts } from './query-sql.js';
import { COUNTERS, type CounterName } from './rollups.js';
import type { CategoryCount, LeakLevelCounts, SiteSort, SiteSummary, TimelinePoint, Totals } from './queries.js';

export function* totals(q: SqlParts, range?: RangeFilter): Plan<Totals> {
  const p = rangeParams(range);
  const main = (yield* row<Record<string, number | null>>(
    `WITH ${q.TOTALS_CTE}
     SELECT count(*) AS n, sum(requests) AS requests, sum(third_party) AS thirdPartyRequests,
       sum(attempted) AS attemptedLeaks, sum(reached) AS reachedLeaks,
       sum(origin_only) AS attemptedOriginOnly, sum(origin_reached) AS reachedOriginOnly,
       sum(ids_prevented) AS preventedIdentifiers, sum(pages_prevented) AS preventedPages,
       sum(logged_in) AS attemptedLoggedIn, sum(logged_in_reached) AS reachedLoggedIn,
       sum(hashed_emails) AS attemptedHashedEmails, sum(hashed_emails_reached) AS reachedHashedEmails,
       sum(CASE WHEN decision = 'block' THEN requests ELSE 0 END) AS blocked,
       sum(CASE WHEN decision = 'strip' THEN requests ELSE 0 END) AS stripped
     FROM r`,
    p,
  )) ?? {};
  const sites = yield* row<{ a: number; r: number }>(
    `WITH ${q.SITES_CTE} SELECT count(DISTINCT site) AS a, count(DISTINCT CASE WHEN reached > 0 THEN site END) AS r
     FROM (${LEAKING_SITES_SQL}) x`,
    p,
  );
  // Pages and identifiers are one machine's rows: in a fleet, each instance's are its own.
  const pages = yield* row<{ a: number; r: number }>(
    `SELECT count(*) AS a, count(CASE WHEN reached > 0 THEN 1 END) AS r
     FROM (SELECT ${q.d.key()}page_id, sum(reached) AS reached FROM (${q.LEAKED_PAGES_SQL}) x GROUP BY ${q.d.key()}page_id) y`,
    p,
  );
  const ids = yield* row<{ a: number; r: number }>(
    `SELECT count(*) AS a, count(CASE WHEN reached > 0 THEN 1 END) AS r
     FROM (SELECT ${q.d.key()}identifier_id, sum(reached) AS reached FROM (${q.IDENTIFIER_SITES_SQL}) x
       GROUP BY ${q.d.key()}identifier_id) y`,
    p,
  );
  const n = (k: string): number => main[k] ?? 0;
  return {
    requests: n('requests'), thirdPartyRequests: n('thirdPartyRequests'), attemptedLeaks: n('attemptedLeaks'),
    reachedLeaks: n('reachedLeaks'), preventedLeaks: n('attemptedLeaks') - n('reachedLeaks'),
    attemptedSites: sites?.a ?? 0, reachedSites: sites?.r ?? 0, attemptedPages: pages?.a ?? 0, reachedPages: pages?.r ?? 0,
    attemptedOriginOnly: n('attemptedOriginOnly'), reachedOriginOnly: n('reachedOriginOnly'),
    attemptedIdentifiers: ids?.a ?? 0, reachedIdentifiers: ids?.r ?? 0,
    preventedIdentifiers: n('preventedIdentifiers'), preventedPages: n('preventedPages'),
    attemptedLoggedIn: n('attemptedLoggedIn'), reachedLoggedIn: n('reachedLoggedIn'),
    attemptedHashedEmails: n('attemptedHashedEmails'), reachedHashedEmails: n('reachedHashedEmails'),
    blocked: n('blocked'), stripped: n('stripped'),
  };
}

const SITE_ORDER: Record<SiteSort, string> = {
  leaks: 'reachedLeaks DESC, attemptedLeaks DESC, requests DESC, site',
  requests: 'requests DESC, attemptedLeaks DESC, site',
  site: 'site',
  lastSeen: 'lastSeen DESC, site',
};

export function* siteList(
  q: SqlParts,
  range?: RangeFilter,
  options: { search?: string; sort?: SiteSort; limit?: number } = {},
): Plan<SiteSummary[]> {
  const search = options.search ? `AND site ${q.d.like} @search ESCAPE '\\'` : '';
  return yield* rows<SiteSummary>(
    `WITH ${q.SITES_CTE}
     SELECT site, sum(third_party) AS requests, sum(attempted) AS attemptedLeaks, sum(reached) AS reachedLeaks,
       sum(full_url) AS attemptedFullUrl, sum(full_url_reached) AS reachedFullUrl,
       sum(blocked) AS blocked, sum(stripped) AS stripped, max(last_time) AS lastSeen
     FROM s WHERE 1 = 1 ${search}
     GROUP BY site HAVING sum(third_party) > 0
     ORDER BY ${SITE_ORDER[options.sort ?? 'leaks']} LIMIT @limit`,
    { ...rangeParams(range), ...(options.search ? { search: likePattern(options.search) } : {}), limit: options.limit ?? 1000 },
  );
}

export function* timeline(q: SqlParts, range: RangeFilter, bucket: 'minute' | 'hour' | 'day'): Plan<TimelinePoint[]> {
  // Hour buckets are epoch-aligned hours (whole local hours except in half-hour time zones).
  if (bucket === 'hour') return yield* rows<TimelinePoint>(q.HOURLY_SQL, hourParams(range));
  if (bucket === 'minute') {
    const n = (name: CounterName): string => `sum(${COUNTERS[name].sql})`;
    return yield* rows<TimelinePoint>(
      `SELECT (r.time / 60000) * 60000 AS start, count(*) AS requests, ${n('third_party')} AS thirdParty,
         ${n('attempted')} AS attempted, ${n('reached')} AS reached, ${n('blocked')} AS blocked, ${n('stripped')} AS stripped
       FROM ${q.d.from('requests', 'r')} WHERE r.time >= @from AND r.time < @to GROUP BY 1 ORDER BY 1`,
      rangeParams(range),
    );
  }
  const days = yield* rows<TimelinePoint & { day: string }>(
    `WITH ${q.TOTALS_CTE}
     SELECT day, sum(requests) AS requests, sum(third_party) AS thirdParty, sum(attempted) AS attempted,
       sum(reached) AS reached,
       sum(CASE WHEN decision = 'block' THEN requests ELSE 0 END) AS blocked,
       sum(CASE WHEN decision = 'strip' THEN requests ELSE 0 END) AS stripped
     FROM r GROUP BY day ORDER BY day`,
    rangeParams(range),
  );
  return days.map(({ day, ...rest }) => ({ ...rest, start: dayStart(day) }));
}

export function* categories(q: SqlParts, range?: RangeFilter): Plan<CategoryCount[]> {
  const list = yield* rows<Omit<CategoryCount, 'category'> & { category: string }>(
    `WITH ${q.TOTALS_CTE}
     SELECT category, sum(requests) AS requests, sum(third_party) AS thirdParty, sum(attempted) AS attemptedLeaks,
       sum(reached) AS reachedLeaks
     FROM r GROUP BY category ORDER BY requests DESC, category`,
    rangeParams(range),
  );
  return list.map((r) => ({ ...r, category: r.category === '' ? null : (r.category as Category) }));
}

export function* leakLevels(q: SqlParts, range?: RangeFilter): Plan<LeakLevelCounts> {
  const found = yield* row<Omit<LeakLevelCounts, 'none'> & { thirdParty: number }>(
    `WITH ${q.TOTALS_CTE}
     SELECT coalesce(sum(full_url), 0) AS fullUrl, coalesce(sum(origin_only), 0) AS origin,
       coalesce(sum(full_url_reached), 0) AS reachedFullUrl, coalesce(sum(origin_reached), 0) AS reachedOrigin,
       coalesce(sum(third_party), 0) AS thirdParty FROM r`,
    rangeParams(range),
  );
  const r = found ?? { fullUrl: 0, origin: 0, reachedFullUrl: 0, reachedOrigin: 0, thirdParty: 0 };
  return {
    fullUrl: r.fullUrl, origin: r.origin, none: r.thirdParty - r.fullUrl - r.origin,
    reachedFullUrl: r.reachedFullUrl, reachedOrigin: r.reachedOrigin,
  };
}
