/**
 * The read side of crawls (tables of migration 007, joined to the recorded requests by flow id):
 * the list of crawls, one row per site with what its audit visit sent to Pinterest, and the
 * requests with their ground-truth crawl page next to pinaudit's own attribution. The audit visit
 * is the crawl's first mode (normally `off`): what the site attempted.
 */
import type { CrawlOptions, SiteEvidence, Verdict } from '../crawl/types.js';
import { openDatabase, type Database } from './db.js';
import { SQLITE } from './plan.js';

export interface CrawlListItem {
  id: number;
  label: string | null;
  options: CrawlOptions;
  createdAt: number;
  finishedAt: number | null;
  sites: number;
  done: number;
  failed: number;
  /** Sites whose audit visit sent a third-party page or identifier to Pinterest (attempted). */
  leaking: number;
  broken: number;
  changed: number;
}

export interface CrawlSiteRow {
  id: number;
  position: number;
  input: string;
  url: string;
  site: string;
  state: 'pending' | 'running' | 'done' | 'failed';
  finalUrl: string | null;
  finalSite: string | null;
  /** The home page ended on another site. */
  redirected: boolean;
  errorKind: string | null;
  error: string | null;
  verdict: Verdict | null;
  verdictReason: string | null;
  pixelDiff: number | null;
  /** Pinterest requests of the audit visit (attempted). */
  requests: number;
  /** Third-party requests that carried the page or identifiers (attempted). */
  leaks: number;
  tagPresent: boolean;
  tagIds: string[];
  events: string[];
  fullUrlLeaked: boolean;
  hashedEmail: boolean;
  /** Identifier names sent, as `kind:name`. */
  identifiers: string[];
  /** A tag beacon fired before any interaction (the crawler never clicks a consent banner). */
  beforeInteraction: boolean;
  evidence: SiteEvidence;
}

/** One crawl request with the crawl page and pinaudit's attribution. */
export interface CrawlRequestRow {
  flowId: string;
  siteId: number;
  mode: string;
  pageIndex: number;
  crawlPage: string;
  beforeInteraction: boolean;
  host: string;
  path: string;
  category: string | null;
  pageSite: string | null;
  pageUrl: string | null;
  attributedBy: string | null;
  leakLevel: string | null;
  decision: string | null;
}

export interface CrawlQueries {
  list(): CrawlListItem[];
  get(id: number): CrawlListItem | null;
  sites(crawlId: number): CrawlSiteRow[];
  /** Every recorded request of the crawl, all modes. */
  requests(crawlId: number): CrawlRequestRow[];
  close(): void;
}

/** A leak the site attempted: the writer's verdict on each request (migration 005, rollups.ts). */
const LEAK = 'r.attempted = 1';

export function openCrawlQueries(path: string): CrawlQueries {
  const { db } = openDatabase(path, { readonly: true });
  return createCrawlQueries(db, () => db.close());
}

export function createCrawlQueries(db: Database, close: () => void = () => undefined): CrawlQueries {
  const listSql = `SELECT c.id, c.label, c.options, c.created_at AS createdAt, c.finished_at AS finishedAt,
      (SELECT count(*) FROM crawl_sites s WHERE s.crawl_id = c.id) AS sites,
      (SELECT count(*) FROM crawl_sites s WHERE s.crawl_id = c.id AND s.state = 'done') AS done,
      (SELECT count(*) FROM crawl_sites s WHERE s.crawl_id = c.id AND s.state = 'failed') AS failed,
      (SELECT count(*) FROM crawl_sites s WHERE s.crawl_id = c.id AND s.verdict = 'broken') AS broken,
      (SELECT count(*) FROM crawl_sites s WHERE s.crawl_id = c.id AND s.verdict = 'changed') AS changed,
      (SELECT count(DISTINCT s.id) FROM crawl_sites s JOIN crawl_requests cr ON cr.crawl_site_id = s.id
         JOIN requests r ON r.flow_id = cr.flow_id${SQLITE.byFlow('r')}
        WHERE s.crawl_id = c.id AND cr.mode = json_extract(c.options, '$.modes[0]') AND ${LEAK}) AS leaking
    FROM crawls c`;
  const list = db.prepare(`${listSql} ORDER BY c.id DESC`);
  const one = db.prepare(`${listSql} WHERE c.id = ?`);
  const sites = db.prepare(`SELECT s.id, s.position, s.input, s.url, s.site, s.state, s.final_url AS finalUrl, s.final_site AS finalSite,
      s.error_kind AS errorKind, s.error, s.verdict, s.verdict_reason AS verdictReason, s.pixel_diff AS pixelDiff, s.evidence,
      count(r.id) AS requests,
      coalesce(sum(${LEAK}), 0) AS leaks,
      coalesce(max(r.category IN ('tag', 'tag-script')), 0) AS tagPresent,
      group_concat(DISTINCT r.tag_id) AS tagIds,
      group_concat(DISTINCT r.tag_event) AS events,
      coalesce(max(r.third_party = 1 AND r.leak_level = 'full-url'), 0) AS fullUrlLeaked,
      coalesce(max(r.hashed_email), 0) AS hashedEmail,
      coalesce(max(r.category = 'tag' AND cr.before_interaction = 1), 0) AS beforeInteraction,
      (SELECT group_concat(DISTINCT i.kind || ':' || i.name) FROM crawl_requests cr2
         JOIN requests r2 ON r2.flow_id = cr2.flow_id${SQLITE.byFlow('r2')}
         JOIN request_identifiers ri ON ri.request_id = r2.id JOIN identifiers i ON i.id = ri.identifier_id
        WHERE cr2.crawl_site_id = s.id AND cr2.mode = ?) AS identifiers
    FROM crawl_sites s
    LEFT JOIN crawl_requests cr ON cr.crawl_site_id = s.id AND cr.mode = ?
    LEFT JOIN requests r ON r.flow_id = cr.flow_id${SQLITE.byFlow('r')}
    WHERE s.crawl_id = ?
    GROUP BY s.id ORDER BY s.position`);
  const requests = db.prepare(`SELECT cr.flow_id AS flowId, cr.crawl_site_id AS siteId, cr.mode, cr.page_index AS pageIndex,
      cr.crawl_page AS crawlPage, cr.before_interaction AS beforeInteraction, r.host, r.path, r.category,
      r.page_site AS pageSite, p.url AS pageUrl, r.attributed_by AS attributedBy, r.leak_level AS leakLevel, r.decision
    FROM crawl_sites s JOIN crawl_requests cr ON cr.crawl_site_id = s.id
    JOIN requests r ON r.flow_id = cr.flow_id${SQLITE.byFlow('r')} LEFT JOIN pages p ON p.id = r.page_id
    WHERE s.crawl_id = ? ORDER BY s.position, cr.mode, r.time, r.id`);

  const toItem = (row: Record<string, unknown>): CrawlListItem => ({ ...(row as unknown as CrawlListItem), options: JSON.parse(String(row.options)) as CrawlOptions });
  const split = (v: unknown): string[] => (typeof v === 'string' && v !== '' ? v.split(',').sort() : []);
  return {
    list: () => (list.all() as Array<Record<string, unknown>>).map(toItem),
    get: (id) => {
      const row = one.get(id) as Record<string, unknown> | undefined;
      return row ? toItem(row) : null;
    },
    sites: (crawlId) => {
      const crawl = one.get(crawlId) as Record<string, unknown> | undefined;
      if (!crawl) return [];
      const audit = toItem(crawl).options.modes[0] ?? 'off';
      return (sites.all(audit, audit, crawlId) as Array<Record<string, unknown>>).map((r) => ({
        ...(r as unknown as CrawlSiteRow),
        redirected: r.finalSite !== null && r.finalSite !== r.site,
        tagPresent: r.tagPresent === 1,
        fullUrlLeaked: r.fullUrlLeaked === 1,
        hashedEmail: r.hashedEmail === 1,
        beforeInteraction: r.beforeInteraction === 1,
        tagIds: split(r.tagIds),
        events: split(r.events),
        identifiers: split(r.identifiers),
        evidence: JSON.parse(String(r.evidence)) as SiteEvidence,
      }));
    },
    requests: (crawlId) =>
      (requests.all(crawlId) as Array<Record<string, unknown>>).map((r) => ({ ...(r as unknown as CrawlRequestRow), beforeInteraction: r.beforeInteraction === 1 })),
    close,
  };
}
