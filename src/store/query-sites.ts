/**
 * Per-site and per-identifier reads: a site's detail page, identifiers with the sites that sent
 * them, what blocking prevented, and sites visited versus sites that leaked.
 */
import type { Action, AttributionMethod, IdentifierKind, LineItem } from '../types.js';
import { BACKGROUND_SITES } from './background-hosts.js';
import { dayKey } from './days.js';
import { IDENTIFIER_SITES_SQL, ROLLUP_CTE, edges, SITE_DETAIL_ROWS, SITES_CTE, TOTALS_CTE, rangeParams, type RangeFilter, type StatementCache } from './query-sql.js';

/** Everything the site page shows. Lists hold at most `limit` entries; `more` says how many were left out. */
export interface SiteDetail {
  site: string;
  requests: number;
  /** Third-party requests of this site that carried the page or an identifier / that reached Pinterest. */
  attemptedLeaks: number;
  reachedLeaks: number;
  /** attemptedLeaks − reachedLeaks. */
  preventedLeaks: number;
  /** Identifier transmissions and pages the policy prevented. */
  preventedIdentifiers: number;
  preventedPages: number;
  /** Requests that carried only the site's origin, never listed as a page. */
  originOnly: { attempted: number; reached: number };
  /** Full page URLs sent in the range, most requests first; first/last seen are overall. */
  pages: Array<{ url: string; requests: number; reached: number; firstSeen: number; lastSeen: number }>;
  identifiers: Array<{ id: number; name: string; kind: IdentifierKind; value: string; requests: number; reached: number }>;
  tags: Array<{ tagId: string; event: string | null; requests: number }>;
  purchases: Array<{
    requestId: number;
    time: number;
    tagId: string | null;
    event: string | null;
    orderId: string | null;
    value: number | null;
    currency: string | null;
    items: LineItem[];
  }>;
  attribution: Array<{ method: AttributionMethod | null; requests: number }>;
  decisions: Array<{ decision: Action | null; requests: number }>;
  /** Entries left out of each list by the limit. */
  more: { pages: number; identifiers: number; tags: number; purchases: number };
}

/** An identifier with how many and which sites sent it. */
export interface IdentifierSummary {
  id: number;
  name: string;
  kind: IdentifierKind;
  /** The value as seen; for credentials the keyed fingerprint. */
  value: string;
  firstSeen: number;
  lastSeen: number;
  /** Requests that attempted to send it / in which it reached Pinterest (not stripped, not blocked). */
  requests: number;
  reached: number;
  siteCount: number;
  /** Site names (at most `maxSites`, alphabetical). */
  sites: string[];
}

export interface IdentifierSite {
  site: string;
  requests: number;
  firstDay: string;
  lastDay: string;
}

/** What blocking and stripping changed, per mode and per site. */
export interface BlockingImpact {
  byMode: Array<{ mode: string } & PreventedCounts>;
  bySite: Array<{ mode: string; site: string } & PreventedCounts>;
}

/** What one mode did: requests blocked or stripped, leaks and their parts prevented. */
export interface PreventedCounts {
  blocked: number;
  stripped: number;
  attemptedLeaks: number;
  reachedLeaks: number;
  preventedLeaks: number;
  preventedIdentifiers: number;
  preventedPages: number;
}

/** "N of the M sites you visited leaked to Pinterest". */
export interface SitesVisited {
  /** Distinct sites with counted visits in the range's days. */
  visited: number;
  /** Distinct sites that attempted a leak / whose leak reached Pinterest in the range. */
  attempted: number;
  reached: number;
  /** Visited sites that attempted a leak / whose leak reached Pinterest. */
  visitedAndAttempted: number;
  visitedAndReached: number;
  sites: Array<{ site: string; visits: number; attemptedLeaks: number; reachedLeaks: number }>;
}

interface Group {
  tagId: string | null;
  event: string | null;
  method: AttributionMethod | null;
  decision: Action | null;
  n: number;
  attempted: number;
  reached: number;
}

const SITE_GROUPS_SQL = `
  SELECT nullif(tag_id, '') AS tagId, nullif(tag_event, '') AS event, nullif(attributed_by, '') AS method,
    nullif(decision, '') AS decision, sum(requests) AS n, sum(attempted) AS attempted, sum(reached) AS reached
  FROM (${SITE_DETAIL_ROWS}) GROUP BY 1, 2, 3, 4`;

/** A site's leaked full-URL pages in the range: page_days for whole days, raw rows for the edges. */
const SITE_PAGES_SQL = `
  SELECT p.url, sum(x.n) AS requests, sum(x.reached) AS reached, p.first_seen AS firstSeen, p.last_seen AS lastSeen,
    count(*) OVER () AS total
  FROM (
    SELECT pd.page_id, pd.requests AS n, pd.reached FROM pages pg JOIN page_days pd ON pd.page_id = pg.id
    WHERE pg.site = @site AND pd.day >= @firstDay AND pd.day <= @lastDay
    UNION ALL
    ${edges(`SELECT r.page_id, 1, r.page_reached FROM requests r WHERE r.page_site = @site AND r.time >= @$From AND r.time < @$To
      AND r.page_id IS NOT NULL AND r.third_party = 1 AND r.leak_level = 'full-url'`)}
  ) x JOIN pages p ON p.id = x.page_id
  GROUP BY x.page_id ORDER BY requests DESC, p.url LIMIT @limit`;

/** Per-site counts the detail page adds to its groups (from the per-site daily roll-up). */
const SITE_PREVENTED_SQL = `WITH ${ROLLUP_CTE}
  SELECT coalesce(sum(ids_prevented), 0) AS preventedIdentifiers, coalesce(sum(pages_prevented), 0) AS preventedPages,
    coalesce(sum(origin_only), 0) AS originAttempted, coalesce(sum(origin_reached), 0) AS originReached
  FROM r WHERE page_site = @site`;

/** Site and identifier queries over one connection. */
export class SiteQueries {
  readonly #c: StatementCache;

  constructor(cache: StatementCache) {
    this.#c = cache;
  }

  detail(site: string, range?: RangeFilter, options: { limit?: number } = {}): SiteDetail {
    const limit = options.limit ?? 100;
    const p = { ...rangeParams(range), site, limit };
    // The site's requests grouped by what the lists need (site_detail_days for whole days, raw rows
    // for the edges); pages come from page_days.
    const groups = this.#c.all<Group>(SITE_GROUPS_SQL, p);
    const tags = new Map<string, { tagId: string; event: string | null; requests: number }>();
    const methods = new Map<AttributionMethod | null, number>();
    const decisions = new Map<Action | null, number>();
    let requests = 0;
    let attempted = 0;
    let reached = 0;
    for (const g of groups) {
      requests += g.n;
      attempted += g.attempted;
      reached += g.reached;
      if (g.tagId !== null) {
        const k = `${g.tagId}\0${g.event ?? ''}`;
        const e = tags.get(k) ?? { tagId: g.tagId, event: g.event, requests: 0 };
        e.requests += g.n;
        tags.set(k, e);
      }
      methods.set(g.method, (methods.get(g.method) ?? 0) + g.n);
      decisions.set(g.decision, (decisions.get(g.decision) ?? 0) + g.n);
    }
    const extra = this.#c.one<{ preventedIdentifiers: number; preventedPages: number; originAttempted: number; originReached: number }>(
      SITE_PREVENTED_SQL, p,
    );
    const pages = this.#c.all<SiteDetail['pages'][number] & { total: number }>(SITE_PAGES_SQL, p);
    const identifiers = this.#c.all<SiteDetail['identifiers'][number] & { total: number }>(
      `SELECT i.id, i.name, i.kind, i.value, sum(s.requests) AS requests, sum(s.reached) AS reached, count(*) OVER () AS total
       FROM (${IDENTIFIER_SITES_SQL}) s JOIN identifiers i ON i.id = s.identifier_id
       WHERE s.page_site = @site GROUP BY i.id ORDER BY requests DESC, i.name LIMIT @limit`,
      p,
    );
    const purchases = this.#purchases(p);
    const allTags = [...tags.values()].sort((a, b) => b.requests - a.requests);
    const strip = <T extends { total: number }>(rows: T[]): Array<Omit<T, 'total'>> => rows.map(({ total: _, ...r }) => r);
    return {
      site,
      requests,
      attemptedLeaks: attempted,
      reachedLeaks: reached,
      preventedLeaks: attempted - reached,
      preventedIdentifiers: extra?.preventedIdentifiers ?? 0,
      preventedPages: extra?.preventedPages ?? 0,
      originOnly: { attempted: extra?.originAttempted ?? 0, reached: extra?.originReached ?? 0 },
      pages: strip(pages),
      identifiers: strip(identifiers),
      tags: allTags.slice(0, limit),
      purchases: purchases.rows,
      attribution: [...methods].map(([method, n]) => ({ method, requests: n })).sort((a, b) => b.requests - a.requests),
      decisions: [...decisions].map(([decision, n]) => ({ decision, requests: n })).sort((a, b) => b.requests - a.requests),
      more: {
        pages: Math.max(0, (pages[0]?.total ?? 0) - pages.length),
        identifiers: Math.max(0, (identifiers[0]?.total ?? 0) - identifiers.length),
        tags: Math.max(0, allTags.length - limit),
        purchases: purchases.more,
      },
    };
  }

  #purchases(p: Record<string, unknown>): { rows: SiteDetail['purchases']; more: number } {
    const rows = this.#c.all<Omit<SiteDetail['purchases'][number], 'items'> & { total: number }>(
      `SELECT r.id AS requestId, r.time, r.tag_id AS tagId, r.tag_event AS event, r.tag_order_id AS orderId,
         r.tag_value AS value, r.tag_currency AS currency, count(*) OVER () AS total
       FROM requests r WHERE r.page_site = @site AND r.time >= @from AND r.time < @to
         AND (r.tag_order_id IS NOT NULL OR r.tag_event = 'checkout'
              OR EXISTS (SELECT 1 FROM purchase_items pi WHERE pi.request_id = r.id))
       ORDER BY r.time DESC LIMIT @limit`,
      p,
    );
    const items = this.#c.all<LineItem & { requestId: number }>(
      `SELECT request_id AS requestId, item_id AS id, name, price, quantity FROM purchase_items
       WHERE request_id IN (SELECT value FROM json_each(@ids)) ORDER BY request_id, position`,
      { ids: JSON.stringify(rows.map((r) => r.requestId)) },
    );
    return {
      rows: rows.map(({ total: _, ...r }) => ({
        ...r,
        items: items.filter((i) => i.requestId === r.requestId).map(({ requestId: _id, ...item }) => item),
      })),
      more: Math.max(0, (rows[0]?.total ?? 0) - rows.length),
    };
  }

  identifiers(range?: RangeFilter, options: { limit?: number; maxSites?: number } = {}): IdentifierSummary[] {
    // Two levels: (identifier, site) pairs first, so the per-identifier step needs no DISTINCT.
    const rows = this.#c.all<Omit<IdentifierSummary, 'sites'> & { sites: string | null }>(
      `SELECT i.id, i.name, i.kind, i.value, i.first_seen AS firstSeen, i.last_seen AS lastSeen,
         x.requests, x.reached, x.siteCount, x.sites
       FROM (
         SELECT identifier_id, sum(n) AS requests, sum(reached) AS reached, count(nullif(page_site, '')) AS siteCount,
           group_concat(nullif(page_site, '')) AS sites
         FROM (SELECT identifier_id, page_site, sum(requests) AS n, sum(reached) AS reached FROM (${IDENTIFIER_SITES_SQL}) GROUP BY 1, 2)
         GROUP BY identifier_id
       ) x JOIN identifiers i ON i.id = x.identifier_id
       ORDER BY x.siteCount DESC, x.requests DESC, i.id LIMIT @limit`,
      { ...rangeParams(range), limit: options.limit ?? 500 },
    );
    const max = options.maxSites ?? 100;
    return rows.map((r) => ({ ...r, sites: (r.sites ? r.sites.split(',') : []).sort().slice(0, max) }));
  }

  identifierSites(identifierId: number, range?: RangeFilter): IdentifierSite[] {
    const p = rangeParams(range);
    // Whole days of the range, widened to the days its edges touch (identifier_days is per day).
    return this.#c.all<IdentifierSite>(
      `SELECT page_site AS site, sum(requests) AS requests, min(day) AS firstDay, max(day) AS lastDay
       FROM identifier_days WHERE identifier_id = @id AND page_site <> '' AND day >= @d1 AND day <= @d2
       GROUP BY page_site ORDER BY requests DESC, site`,
      { id: identifierId, d1: dayKey(p.from), d2: dayKey(Math.max(p.from, p.to - 1)) },
    );
  }

  blockingImpact(range?: RangeFilter, options: { limit?: number } = {}): BlockingImpact {
    const select = (group: string, n: string): string => `WITH ${group.includes('site') ? ROLLUP_CTE : TOTALS_CTE}
      SELECT ${group}, sum(CASE WHEN decision = 'block' THEN requests ELSE 0 END) AS blocked,
        sum(CASE WHEN decision = 'strip' THEN requests ELSE 0 END) AS stripped,
        sum(attempted) AS attemptedLeaks, sum(reached) AS reachedLeaks, sum(attempted) - sum(reached) AS preventedLeaks,
        sum(ids_prevented) AS preventedIdentifiers, sum(pages_prevented) AS preventedPages
      FROM r WHERE decision IN ('block', 'strip') GROUP BY ${n}
      ORDER BY blocked + stripped DESC, ${n} LIMIT @limit`;
    const p = { ...rangeParams(range), limit: options.limit ?? 1000 };
    return {
      byMode: this.#c.all(select('mode', '1'), p),
      bySite: this.#c.all(select('mode, page_site AS site', '1, 2'), p),
    };
  }

  sitesVisited(range?: RangeFilter, options: { limit?: number } = {}): SitesVisited {
    const p = rangeParams(range);
    const params = { ...p, d1: dayKey(p.from), d2: dayKey(Math.max(p.from, p.to - 1)), limit: options.limit ?? 200 };
    // One grouped pass over visited and leaking sites; the three counts are folded here.
    const all = this.#c.all<SitesVisited['sites'][number]>(
      `WITH ${SITES_CTE}
       SELECT site, sum(visits) AS visits, sum(attempted) AS attemptedLeaks, sum(reached) AS reachedLeaks FROM (
         SELECT site, count AS visits, 0 AS attempted, 0 AS reached FROM tunnel_days WHERE day >= @d1 AND day <= @d2
         UNION ALL
         SELECT site, 0, attempted, reached FROM s
       ) GROUP BY site`,
      params,
    );
    // Days counted before background hosts were left out may still hold them.
    const visitedSites = all.filter((x) => x.visits > 0 && !BACKGROUND_SITES.has(x.site));
    const sites = [...visitedSites]
      .sort((a, b) => b.reachedLeaks - a.reachedLeaks || b.attemptedLeaks - a.attemptedLeaks || b.visits - a.visits
        || (a.site < b.site ? -1 : a.site > b.site ? 1 : 0))
      .slice(0, params.limit);
    return {
      visited: visitedSites.length,
      attempted: all.filter((x) => x.attemptedLeaks > 0).length,
      reached: all.filter((x) => x.reachedLeaks > 0).length,
      visitedAndAttempted: visitedSites.filter((x) => x.attemptedLeaks > 0).length,
      visitedAndReached: visitedSites.filter((x) => x.reachedLeaks > 0).length,
      sites,
    };
  }
}
