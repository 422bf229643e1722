/**
 * Per-site and per-identifier reads as plans (plan.ts): a site's detail page, identifiers with the
 * sites that sent them, what blocking prevented, and sites visited versus sites that leaked.
 */
import type { Action, AttributionMethod, IdentifierKind, LineItem } from '../types.js';
import { BACKGROUND_SITES } from './background-hosts.js';
import { dayKey } from './days.js';
import { row, rows, type Plan } from './plan.js';
import { edges, rangeParams, type RangeFilter, type SqlParts } from './query-sql.js';

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
  pages: Array<{ instanceId?: string; url: string; requests: number; reached: number; firstSeen: number; lastSeen: number }>;
  /** In a fleet each identifier names the instance that saw it (`id` is that instance's). */
  identifiers: Array<{ instanceId?: string; id: number; name: string; kind: IdentifierKind; value: string; requests: number; reached: number }>;
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
  /** In a fleet: the instance that saw it (`id` is that instance's). */
  instanceId?: string;
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

const SITE_GROUPS_SQL = (q: SqlParts): string => `
  SELECT nullif(tag_id, '') AS tagId, nullif(tag_event, '') AS event, nullif(attributed_by, '') AS method,
    nullif(decision, '') AS decision, sum(requests) AS n, sum(attempted) AS attempted, sum(reached) AS reached
  FROM (${q.SITE_DETAIL_ROWS}) x GROUP BY 1, 2, 3, 4`;

/** A site's leaked full-URL pages in the range: page_days for whole days, raw rows for the edges. */
const SITE_PAGES_SQL = ({ d }: SqlParts): string => `
  SELECT ${d.instanceColumn('p')}p.url, sum(x.n) AS requests, sum(x.reached) AS reached, p.first_seen AS firstSeen, p.last_seen AS lastSeen,
    count(*) OVER () AS total
  FROM (
    SELECT ${d.key('pd')}pd.page_id, pd.requests AS n, pd.reached
    FROM ${d.from('pages', 'pg')} JOIN ${d.from('page_days', 'pd')} ON pd.page_id = pg.id${d.same('pd', 'pg')}
    WHERE pg.site = @site AND pd.day >= @firstDay AND pd.day <= @lastDay
    UNION ALL
    ${edges(`SELECT ${d.key('r')}r.page_id, 1, r.page_reached FROM ${d.from('requests', 'r')}
      WHERE r.page_site = @site AND r.time >= @$From AND r.time < @$To
      AND r.page_id IS NOT NULL AND r.third_party = 1 AND r.leak_level = 'full-url'`)}
  ) x JOIN ${d.from('pages', 'p')} ON p.id = x.page_id${d.same('p', 'x')}
  GROUP BY ${d.key('p')}p.id, p.url, p.first_seen, p.last_seen ORDER BY requests DESC, p.url LIMIT @limit`;

/** Per-site counts the detail page adds to its groups (from the per-site daily roll-up). */
const SITE_PREVENTED_SQL = (q: SqlParts): string => `WITH ${q.ROLLUP_CTE}
  SELECT coalesce(sum(ids_prevented), 0) AS preventedIdentifiers, coalesce(sum(pages_prevented), 0) AS preventedPages,
    coalesce(sum(origin_only), 0) AS originAttempted, coalesce(sum(origin_reached), 0) AS originReached
  FROM r WHERE page_site = @site`;

/** One site's page (see Queries.siteDetail). */
export function* siteDetail(q: SqlParts, site: string, range?: RangeFilter, options: { limit?: number } = {}): Plan<SiteDetail> {
  const { d } = q;
  const limit = options.limit ?? 100;
  const p = { ...rangeParams(range), site, limit };
  // The site's requests grouped by what the lists need (site_detail_days for whole days, raw rows
  // for the edges); pages come from page_days.
  const groups = yield* rows<Group>(SITE_GROUPS_SQL(q), p);
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
  const extra = yield* row<{ preventedIdentifiers: number; preventedPages: number; originAttempted: number; originReached: number }>(
    SITE_PREVENTED_SQL(q), p,
  );
  const pages = yield* rows<SiteDetail['pages'][number] & { total: number }>(SITE_PAGES_SQL(q), p);
  const identifiers = yield* rows<SiteDetail['identifiers'][number] & { total: number }>(
    `SELECT ${d.instanceColumn('i')}i.id, i.name, i.kind, i.value, sum(s.requests) AS requests, sum(s.reached) AS reached,
       count(*) OVER () AS total
     FROM (${q.IDENTIFIER_SITES_SQL}) s JOIN ${d.from('identifiers', 'i')} ON i.id = s.identifier_id${d.same('i', 's')}
     WHERE s.page_site = @site GROUP BY ${d.key('i')}i.id, i.name, i.kind, i.value ORDER BY requests DESC, i.name LIMIT @limit`,
    p,
  );
  const purchases = yield* sitePurchases(q, p);
  const allTags = [...tags.values()].sort((a, b) => b.requests - a.requests);
  const strip = <T extends { total: number }>(list: T[]): Array<Omit<T, 'total'>> => list.map(({ total: _, ...r }) => r);
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

type Purchase = SiteDetail['purchases'][number];

/** A site's purchases, newest first, with their line items: one statement (items joined to the limited rows). */
function* sitePurchases(q: SqlParts, p: Record<string, unknown>): Plan<{ rows: Purchase[]; more: number }> {
  const { d } = q;
  const found = yield* rows<Omit<Purchase, 'items'> & { total: number; instance_id?: string } & Record<`item${string}`, unknown>>(
    `SELECT x.*, pi.position AS itemPosition, pi.item_id AS itemId, pi.name AS itemName, pi.price AS itemPrice, pi.quantity AS itemQuantity
     FROM (
       SELECT ${d.key('r')}r.id AS requestId, r.time, r.tag_id AS tagId, r.tag_event AS event, r.tag_order_id AS orderId,
         r.tag_value AS value, r.tag_currency AS currency, count(*) OVER () AS total
       FROM ${d.from('requests', 'r')} WHERE r.page_site = @site AND r.time >= @from AND r.time < @to
         AND (r.tag_order_id IS NOT NULL OR r.tag_event = 'checkout'
              OR EXISTS (SELECT 1 FROM ${d.from('purchase_items', 'pe')} WHERE pe.request_id = r.id${d.same('pe', 'r')}))
       ORDER BY r.time DESC, r.id DESC${d.tiebreak('r', 'DESC')} LIMIT @limit
     ) x LEFT JOIN ${d.from('purchase_items', 'pi')} ON pi.request_id = x.requestId${d.same('pi', 'x')}
     ORDER BY x.time DESC, x.requestId DESC${d.tiebreak('x', 'DESC')}, pi.position`,
    p,
  );
  const out: Purchase[] = [];
  let total = 0;
  let lastKey = '';
  for (const { itemPosition, itemId, itemName, itemPrice, itemQuantity, total: t, instance_id: instance, ...r } of found) {
    total = t;
    const key = `${instance ?? ''}\0${r.requestId}`;
    let last = out[out.length - 1];
    if (last === undefined || key !== lastKey) {
      last = { ...r, items: [] };
      out.push(last);
      lastKey = key;
    }
    if (itemPosition !== null) {
      last.items.push({ id: itemId, name: itemName, price: itemPrice, quantity: itemQuantity } as Purchase['items'][number]);
    }
  }
  return { rows: out, more: Math.max(0, total - out.length) };
}

export function* identifierList(q: SqlParts, range?: RangeFilter, options: { limit?: number; maxSites?: number } = {}): Plan<IdentifierSummary[]> {
  const { d } = q;
  // Two levels: (identifier, site) pairs first, so the per-identifier step needs no DISTINCT.
  const found = yield* rows<Omit<IdentifierSummary, 'sites'> & { sites: string | null }>(
    `SELECT ${d.instanceColumn('i')}i.id, i.name, i.kind, i.value, i.first_seen AS firstSeen, i.last_seen AS lastSeen,
       x.requests, x.reached, x.siteCount, x.sites
     FROM (
       SELECT ${d.key()}identifier_id, sum(n) AS requests, sum(reached) AS reached, count(nullif(page_site, '')) AS siteCount,
         string_agg(nullif(page_site, ''), ',') AS sites
       FROM (SELECT ${d.key()}identifier_id, page_site, sum(requests) AS n, sum(reached) AS reached FROM (${q.IDENTIFIER_SITES_SQL}) y
         GROUP BY ${d.key()}identifier_id, page_site) z
       GROUP BY ${d.key()}identifier_id
     ) x JOIN ${d.from('identifiers', 'i')} ON i.id = x.identifier_id${d.same('i', 'x')}
     ORDER BY x.siteCount DESC, x.requests DESC, i.id${d.tiebreak('i')} LIMIT @limit`,
    { ...rangeParams(range), limit: options.limit ?? 500 },
  );
  const max = options.maxSites ?? 100;
  return found.map((r) => ({ ...r, sites: (r.sites ? r.sites.split(',') : []).sort().slice(0, max) }));
}

export function* identifierSites(q: SqlParts, identifierId: number, range?: RangeFilter): Plan<IdentifierSite[]> {
  const p = rangeParams(range);
  // Whole days of the range, widened to the days its edges touch (identifier_days is per day).
  return yield* rows<IdentifierSite>(
    `SELECT page_site AS site, sum(requests) AS requests, min(day) AS firstDay, max(day) AS lastDay
     FROM ${q.d.from('identifier_days')} WHERE identifier_id = @id AND page_site <> '' AND day >= @d1 AND day <= @d2
     GROUP BY page_site ORDER BY requests DESC, site`,
    { id: identifierId, d1: dayKey(p.from), d2: dayKey(Math.max(p.from, p.to - 1)) },
  );
}

export function* blockingImpact(q: SqlParts, range?: RangeFilter, options: { limit?: number } = {}): Plan<BlockingImpact> {
  const blocked = "sum(CASE WHEN decision = 'block' THEN requests ELSE 0 END)";
  const stripped = "sum(CASE WHEN decision = 'strip' THEN requests ELSE 0 END)";
  const select = (group: string, n: string): string => `WITH ${group.includes('site') ? q.ROLLUP_CTE : q.TOTALS_CTE}
    SELECT ${group}, ${blocked} AS blocked, ${stripped} AS stripped,
      sum(attempted) AS attemptedLeaks, sum(reached) AS reachedLeaks, sum(attempted) - sum(reached) AS preventedLeaks,
      sum(ids_prevented) AS preventedIdentifiers, sum(pages_prevented) AS preventedPages
    FROM r WHERE decision IN ('block', 'strip') GROUP BY ${n}
    ORDER BY ${blocked} + ${stripped} DESC, ${n} LIMIT @limit`;
  const p = { ...rangeParams(range), limit: options.limit ?? 1000 };
  return {
    byMode: yield* rows<BlockingImpact['byMode'][number]>(select('mode', '1'), p),
    bySite: yield* rows<BlockingImpact['bySite'][number]>(select('mode, page_site AS site', '1, 2'), p),
  };
}

export function* sitesVisited(q: SqlParts, range?: RangeFilter, options: { limit?: number } = {}): Plan<SitesVisited> {
  const p = rangeParams(range);
  const params = { ...p, d1: dayKey(p.from), d2: dayKey(Math.max(p.from, p.to - 1)), limit: options.limit ?? 200 };
  // One grouped pass over visited and leaking sites; the three counts are folded here.
  const all = yield* rows<SitesVisited['sites'][number]>(
    `WITH ${q.SITES_CTE}
     SELECT site, sum(visits) AS visits, sum(attempted) AS attemptedLeaks, sum(reached) AS reachedLeaks FROM (
       SELECT site, count AS visits, 0 AS attempted, 0 AS reached FROM ${q.d.from('tunnel_days')} WHERE day >= @d1 AND day <= @d2
       UNION ALL
       SELECT site, 0, attempted, reached FROM s
     ) v GROUP BY site`,
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
