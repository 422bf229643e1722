/**
 * The read side: every query the dashboard, the CSV export and the terminal report need. Each is a
 * plan (plan.ts) run synchronously over a read-only SQLite connection or asynchronously over the
 * fleet's PostgreSQL. Overview numbers come from the daily roll-ups plus the raw rows of partial
 * days (query-sql.ts); lists come from raw rows through indexes.
 */
import { openDatabase, type Database } from './db.js';
import { POSTGRES, runAsync, runSync, SQLITE, type AsyncExecutor, type Plan } from './plan.js';
import { idSightings, reachedDuring, switchHistory, type AdviceQueries } from './query-advice.js';
import { categories, leakLevels, siteList, timeline, totals } from './query-overview.js';
import { FIRST_CHUNK, requestChunk, requestPage, type ChunkKey, type RequestFilter, type RequestPage, type RequestRow } from './query-requests.js';
import {
  blockingImpact,
  identifierList,
  identifierSites,
  siteDetail,
  sitesVisited,
  type BlockingImpact,
  type IdentifierSite,
  type IdentifierSummary,
  type SiteDetail,
  type SitesVisited,
} from './query-sites.js';
import { sqlParts, sqliteExecutor, type RangeFilter, type SqlParts } from './query-sql.js';
import { readSettings, type StoredSettings } from './settings.js';
import type { Category } from '../types.js';

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

/** Every read as a plan over a dialect's SQL (plan.ts): one set of queries for both engines. */
const READS = {
  totals,
  sites: siteList,
  topSites: (q: SqlParts, range?: RangeFilter, limit = 10) => siteList(q, range, { limit }),
  timeline,
  categories,
  leakLevels,
  siteDetail,
  identifiers: identifierList,
  identifierSites,
  requests: requestPage,
  blockingImpact,
  sitesVisited,
};
const ADVICE_READS = { switchHistory, reachedDuring, idSightings };

type Args<F> = F extends (q: SqlParts, ...a: infer A) => Plan<unknown> ? A : never;
type Out<F> = F extends (...a: never[]) => Plan<infer T> ? T : never;
/** Reads answered with a promise (the fleet's PostgreSQL). */
export type AsyncReads<R> = { [K in keyof R]: (...a: Args<R[K]>) => Promise<Out<R[K]>> };
/** Reads answered either way: what the dashboard, the report and the export are written against. */
export type AwaitableReads<R> = { [K in keyof R]: (...a: Args<R[K]>) => Out<R[K]> | Promise<Out<R[K]>> };

/** The read side over either engine (a local {@link Queries} or the fleet's {@link FleetQueries}). */
export type ReadQueries = AwaitableReads<typeof READS> & {
  iterate(filter?: RequestFilter): Iterable<RequestRow> | AsyncIterable<RequestRow>;
  readonly advice: AwaitableReads<typeof ADVICE_READS>;
};

/** The advice reads over either engine. */
export type ReadAdvice = ReadQueries['advice'];

/** The read side over the fleet's PostgreSQL: the same plans, answered with promises. */
export type FleetQueries = AsyncReads<typeof READS> & {
  iterate(filter?: RequestFilter): AsyncIterable<RequestRow>;
  readonly advice: AsyncReads<typeof ADVICE_READS>;
};

function bind(reads: object, q: SqlParts, run: (plan: Plan<unknown>) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(reads).map(([name, read]) => [
    name,
    (...args: unknown[]) => run((read as (q: SqlParts, ...a: unknown[]) => Plan<unknown>)(q, ...args)),
  ]));
}

/** Queries over an open connection (e.g. one the caller already has). */
export function createQueries(db: Database): Queries {
  const ex = sqliteExecutor(db);
  const q = sqlParts(SQLITE);
  const run = (plan: Plan<unknown>): unknown => runSync(ex, plan);
  return {
    ...(bind(READS, q, run) as unknown as Omit<Queries, 'iterate' | 'settings' | 'advice'>),
    *iterate(filter = {}) {
      // A whole chunk is read before rows are handed out: no statement stays open while the consumer waits.
      for (let key: ChunkKey | null = FIRST_CHUNK; key !== null;) {
        const chunk: { rows: RequestRow[]; next: ChunkKey | null } = runSync(ex, requestChunk(q, filter, key));
        yield* chunk.rows;
        key = chunk.next;
      }
    },
    settings: () => readSettings(db),
    advice: createAdviceQueries(db),
  };
}

/** The advice reads alone over an open connection. */
export function createAdviceQueries(db: Database): AdviceQueries {
  const ex = sqliteExecutor(db);
  return bind(ADVICE_READS, sqlParts(SQLITE), (plan) => runSync(ex, plan)) as unknown as AdviceQueries;
}

/** The same queries over the fleet's PostgreSQL, through its executor (src/fleet/reader.ts). */
export function createFleetQueries(ex: AsyncExecutor): FleetQueries {
  const q = sqlParts(POSTGRES);
  const run = (plan: Plan<unknown>): unknown => runAsync(ex, plan);
  return {
    ...(bind(READS, q, run) as unknown as AsyncReads<typeof READS>),
    async *iterate(filter = {}) {
      for (let key: ChunkKey | null = FIRST_CHUNK; key !== null;) {
        const chunk: { rows: RequestRow[]; next: ChunkKey | null } = await runAsync(ex, requestChunk(q, filter, key));
        yield* chunk.rows;
        key = chunk.next;
      }
    },
    advice: bind(ADVICE_READS, q, run) as unknown as AsyncReads<typeof ADVICE_READS>,
  };
}

/** Opens a read-only connection (the database must exist and be migrated) with its queries. */
export function openQueries(path: string): Queries & { close(): void } {
  const { db } = openDatabase(path, { readonly: true });
  return { ...createQueries(db), close: () => db.close() };
}
