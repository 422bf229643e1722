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

export type { RangeFilter } from './query-sql.js';
export type { RequestFilter, RequestPage, RequestRow, RequestIdentifier } from './query-requests.js';
export type { BlockingImpact, IdentifierSummary, SiteDetail, SitesVisited, IdentifierSite } from './query-sites.js';

/** The overview's headline numbers for a time range. */
export interface Totals {
  /** Every recorded Pinterest request. */
  requests: number;
  /** Requests to Pinterest from third-party sites. */
  thirdPartyRequests: number;
  /** Third-party requests that leaked the page (leak level not `none`). */
  leaks: number;
  /** Distinct sites that leaked. */
  sitesLeaked: number;
  /** Distinct page URLs leaked. */
  pagesLeaked: number;
  /** Distinct identifiers sent (all kinds, credentials included as fingerprints). */
  identifiers: number;
  /** Leaks made while logged in to Pinterest. */
  loggedInLeaks: number;
  /** Third-party requests carrying a hashed e-mail. */
  hashedEmails: number;
  blocked: number;
  stripped: number;
}

/** One row of the sites table / top-sites chart. */
export interface SiteSummary {
  site: string;
  /** Third-party requests from this site. */
  requests: number;
  leaks: number;
  fullUrl: number;
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
  leaks: number;
  blocked: number;
  stripped: number;
}

export interface CategoryCount {
  /** `null`: the classifier failed for these requests. */
  category: Category | null;
  requests: number;
  thirdParty: number;
  leaks: number;
}

export interface LeakLevelCounts {
  /** Third-party requests per leak level. */
  fullUrl: number;
  origin: number;
  none: number;
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
  /** Hour buckets (epoch-aligned) or local-day buckets, from the roll-ups plus raw partial buckets. */
  timeline(range: RangeFilter, bucket: 'hour' | 'day'): TimelinePoint[];
  categories(range?: RangeFilter): CategoryCount[];
  leakLevels(range?: RangeFilter): LeakLevelCounts;
  siteDetail(site: string, range?: RangeFilter): SiteDetail;
  identifiers(range?: RangeFilter, options?: { limit?: number; maxSites?: number }): IdentifierSummary[];
  /** The sites that sent one identifier: one indexed query. */
  identifierSites(identifierId: number, range?: RangeFilter): IdentifierSite[];
  requests(filter?: RequestFilter, page?: { limit?: number; offset?: number }): RequestPage;
  /** Every matching request, oldest first, read in chunks (the connection stays usable between them). */
  iterate(filter?: RequestFilter): IterableIterator<RequestRow>;
  blockingImpact(range?: RangeFilter, options?: { limit?: number }): BlockingImpact;
  sitesVisited(range?: RangeFilter, options?: { limit?: number }): SitesVisited;
  settings(): Readonly<StoredSettings>;
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
    timeline: (range, bucket) => (bucket === 'hour' ? hourly(cache, range) : daily(cache, range)),
    categories: (range) => categories(cache, range),
    leakLevels: (range) => leakLevels(cache, range),
    siteDetail: (site, range) => sites.detail(site, range),
    identifiers: (range, options) => sites.identifiers(range, options),
    identifierSites: (id, range) => sites.identifierSites(id, range),
    requests: (filter, page) => requests.page(filter, page),
    iterate: (filter) => requests.iterate(filter),
    blockingImpact: (range, options) => sites.blockingImpact(range, options),
    sitesVisited: (range, options) => sites.sitesVisited(range, options),
    settings: () => readSettings(db),
  };
}

/** Opens a read-only connection (the database must exist and be migrated) with its queries. */
export function openQueries(path: string): Queries & { close(): void } {
  const { db } = openDatabase(path, { readonly: true });
  return { ...createQueries(db), close: () => db.close() };
}

function totals(c: StatementCache, range?: RangeFilter): Totals {
  const p = rangeParams(range);
  const main = c.one<Omit<Totals, 'pagesLeaked' | 'identifiers' | 'sitesLeaked'>>(
    `WITH ${TOTALS_CTE}
     SELECT coalesce(sum(requests), 0) AS requests, coalesce(sum(third_party), 0) AS thirdPartyRequests,
       coalesce(sum(leaks), 0) AS leaks, coalesce(sum(logged_in), 0) AS loggedInLeaks,
       coalesce(sum(hashed_emails), 0) AS hashedEmails,
       coalesce(sum(CASE WHEN decision = 'block' THEN requests ELSE 0 END), 0) AS blocked,
       coalesce(sum(CASE WHEN decision = 'strip' THEN requests ELSE 0 END), 0) AS stripped
     FROM r`,
    p,
  );
  const sites = c.one<{ n: number }>(`SELECT count(DISTINCT site) AS n FROM (${LEAKING_SITES_SQL})`, p);
  const pages = c.one<{ n: number }>(`SELECT count(DISTINCT page_id) AS n FROM (${LEAKED_PAGES_SQL})`, p);
  const ids = c.one<{ n: number }>(`SELECT count(DISTINCT identifier_id) AS n FROM (${IDENTIFIER_SITES_SQL})`, p);
  return {
    requests: 0, thirdPartyRequests: 0, leaks: 0, loggedInLeaks: 0, hashedEmails: 0, blocked: 0,
    stripped: 0, ...main, sitesLeaked: sites?.n ?? 0, pagesLeaked: pages?.n ?? 0, identifiers: ids?.n ?? 0,
  };
}

const SITE_ORDER: Record<SiteSort, string> = {
  leaks: 'leaks DESC, requests DESC, site',
  requests: 'requests DESC, leaks DESC, site',
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
     SELECT site, sum(third_party) AS requests, sum(leaks) AS leaks, sum(full_url) AS fullUrl,
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

function daily(c: StatementCache, range: RangeFilter): TimelinePoint[] {
  const rows = c.all<TimelinePoint & { day: string }>(
    `WITH ${TOTALS_CTE}
     SELECT day, sum(requests) AS requests, sum(third_party) AS thirdParty, sum(leaks) AS leaks,
       sum(CASE WHEN decision = 'block' THEN requests ELSE 0 END) AS blocked,
       sum(CASE WHEN decision = 'strip' THEN requests ELSE 0 END) AS stripped
     FROM r GROUP BY day ORDER BY day`,
    rangeParams(range),
  );
  return rows.map(({ day, ...rest }) => ({ ...rest, start: dayStart(day) }));
}

function categories(c: StatementCache, range?: RangeFilter): CategoryCount[] {
  const rows = c.all<{ category: string; requests: number; thirdParty: number; leaks: number }>(
    `WITH ${TOTALS_CTE}
     SELECT category, sum(requests) AS requests, sum(third_party) AS thirdParty, sum(leaks) AS leaks
     FROM r GROUP BY category ORDER BY requests DESC, category`,
    rangeParams(range),
  );
  return rows.map((r) => ({ ...r, category: r.category === '' ? null : (r.category as Category) }));
}

function leakLevels(c: StatementCache, range?: RangeFilter): LeakLevelCounts {
  const row = c.one<{ fullUrl: number; origin: number; thirdParty: number; leaks: number }>(
    `WITH ${TOTALS_CTE}
     SELECT coalesce(sum(full_url), 0) AS fullUrl, coalesce(sum(origin_only), 0) AS origin,
       coalesce(sum(third_party), 0) AS thirdParty, coalesce(sum(leaks), 0) AS leaks FROM r`,
    rangeParams(range),
  );
  return { fullUrl: row?.fullUrl ?? 0, origin: row?.origin ?? 0, none: (row?.thirdParty ?? 0) - (row?.leaks ?? 0) };
}
