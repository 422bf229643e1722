/**
 * Per-site and per-identifier reads: a site's detail page, identifiers with the sites that sent
 * them, what blocking prevented, and sites visited versus sites that leaked.
 */
import type { Action, AttributionMethod, IdentifierKind, LineItem } from '../types.js';
import { dayKey } from './days.js';
import { IDENTIFIER_SITES_SQL, ROLLUP_CTE, edges, SITES_CTE, TOTALS_CTE, rangeParams, type RangeFilter, type StatementCache } from './query-sql.js';

/** Everything the site page shows. */
export interface SiteDetail {
  site: string;
  requests: number;
  leaks: number;
  /** Leaked pages in the range, most requests first (at most 200); first/last seen are overall. */
  pages: Array<{ url: string; requests: number; firstSeen: number; lastSeen: number }>;
  identifiers: Array<{ id: number; name: string; kind: IdentifierKind; value: string; requests: number }>;
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
  requests: number;
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
  byMode: Array<{ mode: string; blocked: number; stripped: number; identifiersPrevented: number; pagesPrevented: number }>;
  bySite: Array<{
    mode: string;
    site: string;
    blocked: number;
    stripped: number;
    identifiersPrevented: number;
    pagesPrevented: number;
  }>;
}

/** "N of the M sites you visited leaked to Pinterest". */
export interface SitesVisited {
  /** Distinct sites with counted tunnels in the range's days. */
  visited: number;
  /** Distinct sites that leaked in the range. */
  leaked: number;
  /** Visited sites that also leaked. */
  visitedAndLeaked: number;
  sites: Array<{ site: string; visits: number; leaks: number }>;
}

interface Group {
  tagId: string | null;
  event: string | null;
  method: AttributionMethod | null;
  decision: Action | null;
  n: number;
  leaks: number;
}

const SITE_GROUPS_SQL = `
  SELECT nullif(tag_id, '') AS tagId, nullif(tag_event, '') AS event, nullif(attributed_by, '') AS method,
    nullif(decision, '') AS decision, sum(requests) AS n, sum(leaks) AS leaks
  FROM (
    SELECT tag_id, tag_event, attributed_by, decision, requests, leaks FROM site_detail_days
    WHERE site = @site AND day >= @firstDay AND day <= @lastDay
    UNION ALL
    ${edges(`SELECT coalesce(r.tag_id, ''), coalesce(r.tag_event, ''), coalesce(r.attributed_by, ''),
      coalesce(r.decision, ''), 1, coalesce(r.third_party = 1 AND r.leak_level <> 'none', 0)
      FROM requests r WHERE r.page_site = @site AND r.time >= @$From AND r.time < @$To`)}
  ) GROUP BY 1, 2, 3, 4`;

/** A site's leaked pages in the range: page_days for whole days, raw rows for the edges. */
const SITE_PAGES_SQL = `
  SELECT p.url, sum(x.n) AS requests, p.first_seen AS firstSeen, p.last_seen AS lastSeen
  FROM (
    SELECT pd.page_id, pd.requests AS n FROM pages pg JOIN page_days pd ON pd.page_id = pg.id
    WHERE pg.site = @site AND pd.day >= @firstDay AND pd.day <= @lastDay
    UNION ALL
    ${edges(`SELECT r.page_id, 1 FROM requests r WHERE r.page_site = @site AND r.time >= @$From AND r.time < @$To
      AND r.page_id IS NOT NULL AND r.third_party = 1 AND r.leak_level <> 'none'`)}
  ) x JOIN pages p ON p.id = x.page_id
  GROUP BY x.page_id ORDER BY requests DESC, p.url LIMIT 200`;

/** Site and identifier queries over one connection. */
export class SiteQueries {
  readonly #c: StatementCache;

  constructor(cache: StatementCache) {
    this.#c = cache;
  }

  detail(site: string, range?: RangeFilter): SiteDetail {
    const p = { ...rangeParams(range), site };
    // The site's requests grouped by what the lists need (site_detail_days for whole days, raw rows
    // for the edges); pages come from page_days.
    const groups = this.#c.all<Group>(SITE_GROUPS_SQL, p);
    const tags = new Map<string, { tagId: string; event: string | null; requests: number }>();
    const methods = new Map<AttributionMethod | null, number>();
    const decisions = new Map<Action | null, number>();
    let requests = 0;
    let leaks = 0;
    for (const g of groups) {
      requests += g.n;
      leaks += g.leaks;
      if (g.tagId !== null) {
        const k = `${g.tagId}\0${g.event ?? ''}`;
        const e = tags.get(k) ?? { tagId: g.tagId, event: g.event, requests: 0 };
        e.requests += g.n;
        tags.set(k, e);
      }
      methods.set(g.method, (methods.get(g.method) ?? 0) + g.n);
      decisions.set(g.decision, (decisions.get(g.decision) ?? 0) + g.n);
    }
    return {
      site,
      requests,
      leaks,
      pages: this.#c.all(SITE_PAGES_SQL, p),
      identifiers: this.#c.all(
        `SELECT i.id, i.name, i.kind, i.value, sum(s.requests) AS requests
         FROM (${IDENTIFIER_SITES_SQL}) s JOIN identifiers i ON i.id = s.identifier_id
         WHERE s.page_site = @site GROUP BY i.id ORDER BY requests DESC, i.name`,
        p,
      ),
      tags: [...tags.values()].sort((a, b) => b.requests - a.requests),
      purchases: this.#purchases(p),
      attribution: [...methods].map(([method, n]) => ({ method, requests: n })).sort((a, b) => b.requests - a.requests),
      decisions: [...decisions].map(([decision, n]) => ({ decision, requests: n })).sort((a, b) => b.requests - a.requests),
    };
  }

  #purchases(p: Record<string, unknown>): SiteDetail['purchases'] {
    const rows = this.#c.all<Omit<SiteDetail['purchases'][number], 'items'>>(
      `SELECT r.id AS requestId, r.time, r.tag_id AS tagId, r.tag_event AS event, r.tag_order_id AS orderId,
         r.tag_value AS value, r.tag_currency AS currency
       FROM requests r WHERE r.page_site = @site AND r.time >= @from AND r.time < @to
         AND (r.tag_order_id IS NOT NULL OR r.tag_event = 'checkout'
              OR EXISTS (SELECT 1 FROM purchase_items pi WHERE pi.request_id = r.id))
       ORDER BY r.time DESC LIMIT 200`,
      p,
    );
    const items = this.#c.all<LineItem & { requestId: number }>(
      `SELECT request_id AS requestId, item_id AS id, name, price, quantity FROM purchase_items
       WHERE request_id IN (SELECT value FROM json_each(@ids)) ORDER BY request_id, position`,
      { ids: JSON.stringify(rows.map((r) => r.requestId)) },
    );
    return rows.map((r) => ({
      ...r,
      items: items.filter((i) => i.requestId === r.requestId).map(({ requestId: _, ...item }) => item),
    }));
  }

  identifiers(range?: RangeFilter, options: { limit?: number; maxSites?: number } = {}): IdentifierSummary[] {
    // Two levels: (identifier, site) pairs first, so the per-identifier step needs no DISTINCT.
    const rows = this.#c.all<Omit<IdentifierSummary, 'sites'> & { sites: string | null }>(
      `SELECT i.id, i.name, i.kind, i.value, i.first_seen AS firstSeen, i.last_seen AS lastSeen,
         x.requests, x.siteCount, x.sites
       FROM (
         SELECT identifier_id, sum(n) AS requests, count(nullif(page_site, '')) AS siteCount,
           group_concat(nullif(page_site, '')) AS sites
         FROM (SELECT identifier_id, page_site, sum(requests) AS n FROM (${IDENTIFIER_SITES_SQL}) GROUP BY 1, 2)
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
    const select = (group: string): string => `WITH ${group.includes('site') ? ROLLUP_CTE : TOTALS_CTE}
      SELECT ${group}, sum(CASE WHEN decision = 'block' THEN requests ELSE 0 END) AS blocked,
        sum(CASE WHEN decision = 'strip' THEN requests ELSE 0 END) AS stripped,
        sum(ids_prevented) AS identifiersPrevented, sum(pages_prevented) AS pagesPrevented
      FROM r WHERE decision IN ('block', 'strip') GROUP BY ${group.includes('site') ? '1, 2' : '1'}
      ORDER BY blocked + stripped DESC, ${group.includes('site') ? '1, 2' : '1'} LIMIT @limit`;
    const p = { ...rangeParams(range), limit: options.limit ?? 1000 };
    return {
      byMode: this.#c.all(select('mode'), p),
      bySite: this.#c.all(select('mode, page_site AS site'), p),
    };
  }

  sitesVisited(range?: RangeFilter, options: { limit?: number } = {}): SitesVisited {
    const p = rangeParams(range);
    const params = { ...p, d1: dayKey(p.from), d2: dayKey(Math.max(p.from, p.to - 1)), limit: options.limit ?? 200 };
    // One grouped pass over visited and leaking sites; the three counts are folded here.
    const all = this.#c.all<SitesVisited['sites'][number]>(
      `WITH ${SITES_CTE}
       SELECT site, sum(visits) AS visits, sum(leaks) AS leaks FROM (
         SELECT site, count AS visits, 0 AS leaks FROM tunnel_days WHERE day >= @d1 AND day <= @d2
         UNION ALL
         SELECT site, 0, leaks FROM s
       ) GROUP BY site`,
      params,
    );
    const visitedSites = all.filter((x) => x.visits > 0);
    const sites = [...visitedSites]
      .sort((a, b) => b.leaks - a.leaks || b.visits - a.visits || (a.site < b.site ? -1 : a.site > b.site ? 1 : 0))
      .slice(0, params.limit);
    return {
      visited: visitedSites.length,
      leaked: all.filter((x) => x.leaks > 0).length,
      visitedAndLeaked: visitedSites.filter((x) => x.leaks > 0).length,
      sites,
    };
  }
}
