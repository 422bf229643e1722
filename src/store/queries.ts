/**
 * The read side: every query the dashboard, the CSV export and the terminal report need, as
 * prepared statements over a read-only connection. Overview numbers come from the daily roll-ups
 * plus the raw rows of partial days (query-sql.ts); lists come from raw rows through indexes.
 */
import type { Category } from '../types.js';
import { openDatabase, type Database } from './db.js';
import { dayStart } from './days.js';
import {
  LEAKED_PAGES_SQL,
  IDENTIFIER_SITES_SQL,
  HOURLY_SQL,
  LEAKING_SITES_SQL,
  SITES_CTE,
  TOTALS_CTE,
  hourParams,
  StatementCache,
  likePattern,
  rangeParams,
  type RangeFilter,
} from './query-sql.js';
import { RequestQueries, type RequestFilter, type RequestPage, type RequestRow } from './query-requests.js';
import {
  SiteQueries,
  type BlockingImpact,
  type IdentifierSummary,
  type SiteDetail,
  type SitesVisited,
  type IdentifierSite,
} from './query-sites.js';
import { readSettings, type StoredSettings } from './settings.js';
import { COUNTERS, type CounterName } from './rollups.js';
import { createAdviceQueries, type AdviceQueries } from './query-advice.js';

export type { RangeFilter } from './query-sql.js';
export type { RequestFilter, RequestPage, RequestRow, RequestIdentifier } from './query-requests.js';
export type { BlockingImpact, IdentifierSummary, SiteDetail, SitesVisited, IdentifierSite } from './query-sites.js';

/**
 * The overview's headline numbers for a time range. A third-party request *attempted* a leak when
 * it carried the page or an identifier; it *reached* Pinterest unless the policy prevented all of
 * it; *prevented* = attempted − reached (DESIGN.md vocabulary).
 */
export interface Totals {
  /** Every recorded Pinterest request. */
  requests: number;
  /** Requests to Pinterest from third-party sites. */
  thirdPartyRequests: number;
  /** Third-party requests that carried the page or an identifier. */
  attemptedLeaks: number;
  /** Of those, requests whose page or an identifier reached Pinterest. */
  reachedLeaks: number;
  /** attemptedLeaks − reachedLeaks: leaks the policy prevented whole. */
  preventedLeaks: number;
  /** Distinct sites that attempted a leak, and whose leak reached Pinterest. */
  attemptedSites: number;
  reachedSites: number;
  /** Distinct full page URLs sent / that reached Pinterest (origin-only leaks are not pages). */
  attemptedPages: number;
  reachedPages: number;
  /** Third-party requests that carried only the page's origin / whose origin reached Pinterest. */
  attemptedOriginOnly: number;
  reachedOriginOnly: number;
  /** Distinct identifiers sent / that reached Pinterest (credentials as fingerprints). */
  attemptedIdentifiers: number;
  reachedIdentifiers: number;
  /** Identifier transmissions the policy prevented. */
  preventedIdentifiers: number;
  /** Requests whose page the policy prevented. */
  preventedPages: number;
  /** Leaks made while logged in to Pinterest / where the login cookie reached Pinterest. */
  attemptedLoggedIn: number;
  reachedLoggedIn: number;
  /** Third-party requests carrying a hashed e-mail / whose hashed e-mail reached Pinterest. */
  attemptedHashedEmails: number;
  reachedHashedEmails: number;
  blocked: number;
  stripped: number;
}

/** One row of the sites table / top-sites chart. */
export interface SiteSummary {
  site: string;
  /** Third-party requests from this site. */
  requests: number;
  attemptedLeaks: number;
  reachedLeaks: number;
  /** Leaks of the full page URL attempted / that reached Pinterest. */
  attemptedFullUrl: number;
  reachedFullUrl: number;
  blocked: number;
  stripped: number;
  /** Time of the latest request (ms). */
  lastSeen: number;
}

/** One bucket of the timeline. */
export interface TimelinePoint {
  /** Bucket start (ms; local midnight for days). */
  start: number;
  requests: number;
  thirdParty: number;
  attempted: number;
  reached: number;
  blocked: number;
  stripped: number;
}

export interface CategoryCount {
  /** `null`: the classifier failed for these requests. */
  category: Category | null;
  requests: number;
  thirdParty: number;
  attemptedLeaks: number;
  reachedLeaks: number;
}

export interface LeakLevelCounts {
  /** Third-party requests per leak level, as attempted by the sites. */
  fullUrl: number;
  origin: number;
  none: number;
  /** Of those, the ones whose full URL / origin reached Pinterest. */
  reachedFullUrl: number;
  reachedOrigin: number;
}

/** Sort orders of {@link Queries.sites}. */
export type SiteSort = 'leaks' | 'requests' | 'site' | 'lastSeen';

/** Every read pinaudit makes. */
export interface Queries {
  totals(range?: RangeFilter): Totals;
  /** Sites that sent third-party requests, most leaking first by default. */
  sites(range?: RangeFilter, options?: { search?: string; sort?: SiteSort; limit?: number }): SiteSummary[];
  /** `sites` limited to the top `limit` (default 10) by leaks. */
  topSites(range?: RangeFilter, limit?: number): SiteSummary[];
  /**
   * Minute buckets (raw rows: for short ranges), hour buckets (epoch-aligned) or local-day buckets
   * (roll-ups plus raw partial buckets).
   */
  timeline(range: RangeFilter, bucket: 'minute' | 'hour' | 'day'): TimelinePoint[];
  categories(range?: RangeFilter): CategoryCount[];
  leakLevels(range?: RangeFilter): LeakLevelCounts;
  /** One site's page; lists hold at most `limit` (default 100) entries, `more` counts the rest. */
  siteDetail(site: string, range?: RangeFilter, options?: { limit?: number }): SiteDetail;
  identifiers(range?: RangeFilter, options?: { limit?: number; maxSites?: number }): IdentifierSummary[];
  /** The sites that sent one identifier: one indexed query. */
  identifierSites(identifierId: number, range?: RangeFilter): IdentifierSite[];
  requests(filter?: RequestFilter, page?: { limit?: number; offset?: number }): RequestPage;
  /** Every matching request, oldest first, read in chunks (the connection stays usable between them). */
  iterate(filter?: RequestFilter): IterableIterator<RequestRow>;
  blockingImpact(range?: RangeFilter, options?: { limit?: number }): BlockingImpact;
  sitesVisited(range?: RangeFilter, options?: { limit?: number }): SitesVisited;
  settings(): Readonly<StoredSettings>;
  /** The person's privacy switches and tracking-id changes ("Does the advice work?"). */
  readonly advice: AdviceQueries;
}

/** Queries over an open connection (e.g. one the caller already has). */
export function createQueries(db: Database): Queries {
  const cache = new StatementCache(db);
  const requests = new RequestQueries(cache);
  const sites = new SiteQueries(cache);
  return {
    totals: (range) => totals(cache, range),
    sites: (range, options) => siteList(cache, range, options),
    topSites: (range, limit = 10) => siteList(cache, range, { limit }),
    timeline: (range, bucket) => (bucket === 'minute' ? minutely(cache, range) : bucket === 'hour' ? hourly(cache, range) : daily(cache, range)),
    categories: (range) => categories(cache, range),
    leakLevels: (range) => leakLevels(cache, range),
    siteDetail: (site, range, options) => sites.detail(site, range, options),
    identifiers: (range, options) => sites.identifiers(range, options),
    identifierSites: (id, range) => sites.identifierSites(id, range),
    requests: (filter, page) => requests.page(filter, page),
    iterate: (filter) => requests.iterate(filter),
    blockingImpact: (range, options) => sites.blockingImpact(range, options),
    sitesVisited: (range, options) => sites.sitesVisited(range, options),
    settings: () => readSettings(db),
    advice: createAdviceQueries(db),
  };
}

/** Opens a read-only connection (the database must exist and be migrated) with its queries. */
export function openQueries(path: string): Queries & { close(): void } {
  const { db } = openDatabase(path, { readonly: true });
  return { ...createQueries(db), close: () => db.close() };
}

function totals(c: StatementCache, range?: RangeFilter): Totals {
  const p = rangeParams(range);
  const main = c.one<Record<string, number>>(
    `WITH ${TOTALS_CTE}
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
  ) ?? {};
  const sites = c.one<{ a: number; r: number }>(
    `WITH ${SITES_CTE} SELECT count(DISTINCT site) AS a, count(DISTINCT CASE WHEN reached > 0 THEN site END) AS r
     FROM (${LEAKING_SITES_SQL})`,
    p,
  );
  const pages = c.one<{ a: number; r: number }>(
    `SELECT count(*) AS a, count(CASE WHEN reached > 0 THEN 1 END) AS r
     FROM (SELECT page_id, sum(reached) AS reached FROM (${LEAKED_PAGES_SQL}) GROUP BY page_id)`,
    p,
  );
  const ids = c.one<{ a: number; r: number }>(
    `SELECT count(*) AS a, count(CASE WHEN reached > 0 THEN 1 END) AS r
     FROM (SELECT identifier_id, sum(reached) AS reached FROM (${IDENTIFIER_SITES_SQL}) GROUP BY identifier_id)`,
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

function siteList(
  c: StatementCache,
  range?: RangeFilter,
  options: { search?: string; sort?: SiteSort; limit?: number } = {},
): SiteSummary[] {
  const search = options.search ? "AND site LIKE @search ESCAPE '\\'" : '';
  return c.all<SiteSummary>(
    `WITH ${SITES_CTE}
     SELECT site, sum(third_party) AS requests, sum(attempted) AS attemptedLeaks, sum(reached) AS reachedLeaks,
       sum(full_url) AS attemptedFullUrl, sum(full_url_reached) AS reachedFullUrl,
       sum(blocked) AS blocked, sum(stripped) AS stripped, max(last_time) AS lastSeen
     FROM s WHERE 1 ${search}
     GROUP BY site HAVING sum(third_party) > 0
     ORDER BY ${SITE_ORDER[options.sort ?? 'leaks']} LIMIT @limit`,
    { ...rangeParams(range), search: likePattern(options.search ?? ''), limit: options.limit ?? 1000 },
  );
}

function hourly(c: StatementCache, range: RangeFilter): TimelinePoint[] {
  // Buckets are epoch-aligned hours (whole local hours except in half-hour time zones).
  return c.all<TimelinePoint>(HOURLY_SQL, hourParams(range));
}

function minutely(c: StatementCache, range: RangeFilter): TimelinePoint[] {
  const n = (name: CounterName): string => `sum(${COUNTERS[name].sql})`;
  return c.all<TimelinePoint>(
    `SELECT (r.time / 60000) * 60000 AS start, count(*) AS requests, ${n('third_party')} AS thirdParty,
       ${n('attempted')} AS attempted, ${n('reached')} AS reached, ${n('blocked')} AS blocked, ${n('stripped')} AS stripped
     FROM requests r WHERE r.time >= @from AND r.time < @to GROUP BY 1 ORDER BY 1`,
    rangeParams(range),
  );
}

function daily(c: StatementCache, range: RangeFilter): TimelinePoint[] {
  const rows = c.all<TimelinePoint & { day: string }>(
    `WITH ${TOTALS_CTE}
     SELECT day, sum(requests) AS requests, sum(third_party) AS thirdParty, sum(attempted) AS attempted,
       sum(reached) AS reached,
       sum(CASE WHEN decision = 'block' THEN requests ELSE 0 END) AS blocked,
       sum(CASE WHEN decision = 'strip' THEN requests ELSE 0 END) AS stripped
     FROM r GROUP BY day ORDER BY day`,
    rangeParams(range),
  );
  return rows.map(({ day, ...rest }) => ({ ...rest, start: dayStart(day) }));
}

function categories(c: StatementCache, range?: RangeFilter): CategoryCount[] {
  const rows = c.all<Omit<CategoryCount, 'category'> & { category: string }>(
    `WITH ${TOTALS_CTE}
     SELECT category, sum(requests) AS requests, sum(third_party) AS thirdParty, sum(attempted) AS attemptedLeaks,
       sum(reached) AS reachedLeaks
     FROM r GROUP BY category ORDER BY requests DESC, category`,
    rangeParams(range),
  );
  return rows.map((r) => ({ ...r, category: r.category === '' ? null : (r.category as Category) }));
}

function leakLevels(c: StatementCache, range?: RangeFilter): LeakLevelCounts {
  const row = c.one<Omit<LeakLevelCounts, 'none'> & { thirdParty: number }>(
    `WITH ${TOTALS_CTE}
     SELECT coalesce(sum(full_url), 0) AS fullUrl, coalesce(sum(origin_only), 0) AS origin,
       coalesce(sum(full_url_reached), 0) AS reachedFullUrl, coalesce(sum(origin_reached), 0) AS reachedOrigin,
       coalesce(sum(third_party), 0) AS thirdParty FROM r`,
    rangeParams(range),
  );
  const r = row ?? { fullUrl: 0, origin: 0, reachedFullUrl: 0, reachedOrigin: 0, thirdParty: 0 };
  return {
    fullUrl: r.fullUrl, origin: r.origin, none: r.thirdParty - r.fullUrl - r.origin,
    reachedFullUrl: r.reachedFullUrl, reachedOrigin: r.reachedOrigin,
  };
}
