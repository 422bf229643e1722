/**
 * The request list as plans (plan.ts): paged and filtered for the dashboard, and read in chunks for
 * CSV export. Filters are compiled into one of a few SQL shapes (so each uses the right index).
 * Streaming reads chunks by key (time, id; and instance in a fleet), so the connection is free
 * between chunks for the dashboard's other queries.
 */
import type { Action, AttributionMethod, Category, Confidence, IdentifierKind, IdentifierSource, LeakLevel } from '../types.js';
import { normaliseRange } from './days.js';
import { row, rows, type Dialect, type Plan } from './plan.js';
import { likePattern, type RangeFilter, type SqlParts } from './query-sql.js';

/** Filters of the request list and the export. */
export interface RequestFilter extends RangeFilter {
  /** Page site (eTLD+1), exact. */
  site?: string | null;
  /** Category, or `'none'` for unclassified requests. */
  category?: Category | 'none' | null;
  /** Decision, or `'none'` for requests without one. */
  decision?: Action | 'none' | null;
  /** Text found anywhere in host, path, page URL, site, tag id or event. */
  search?: string | null;
  /** Only the requests a crawl's visits caused (`pinaudit crawl`), by crawl id. */
  crawl?: number | null;
}

/** An identifier as stored with a request (credentials: `value` is the fingerprint). */
export interface RequestIdentifier {
  name: string;
  kind: IdentifierKind;
  source: IdentifierSource;
  value: string;
  /** The policy kept it from reaching Pinterest. */
  prevented: boolean;
}

/** One stored request, as the dashboard and the export see it. */
export interface RequestRow {
  /** In a fleet: the instance that recorded it (`id` is that instance's). */
  instanceId?: string;
  id: number;
  flowId: string;
  time: number;
  client: string;
  source: 'proxy' | 'har';
  method: string;
  host: string;
  connectHost: string | null;
  path: string;
  category: Category | null;
  thirdParty: boolean | null;
  pageSite: string | null;
  pageUrl: string | null;
  attributedBy: AttributionMethod | null;
  confidence: Confidence | null;
  leakLevel: LeakLevel | null;
  tagId: string | null;
  tagEvent: string | null;
  tagValue: number | null;
  tagCurrency: string | null;
  tagOrderId: string | null;
  tagPartner: string | null;
  hashedEmail: boolean;
  hashedEmailAlgo: string | null;
  loggedIn: boolean | null;
  gpc: boolean | null;
  dnt: boolean | null;
  clientHints: boolean | null;
  malformed: string[];
  reasons: string[];
  blockMode: string | null;
  decision: Action | null;
  decisionReason: string | null;
  stripped: string[];
  /** A third-party request that carried the page or an identifier. */
  attemptedLeak: boolean;
  /** Its page or an identifier reached Pinterest (false for every blocked request). */
  reachedPinterest: boolean;
  /** The page it carried reached Pinterest. */
  pageReached: boolean;
  identifiersAttempted: number;
  identifiersPrevented: number;
  pagePrevented: boolean;
  outcome: 'response' | 'blocked' | 'error' | null;
  status: number | null;
  bytes: number | null;
  errorKind: string | null;
  errorMessage: string | null;
  completedAt: number | null;
  identifiers: RequestIdentifier[];
}

/** One page of the request list. */
export interface RequestPage {
  rows: RequestRow[];
  /** Matching requests, counted up to {@link TOTAL_CAP} ({@link SEARCH_TOTAL_CAP} with a search). */
  total: number;
  /** True when there are more than `total` matches. */
  totalCapped: boolean;
}

/** Most matches counted for a page's total (the UI shows "10 000+"); text search counts fewer. */
export const TOTAL_CAP = 10_000;
export const SEARCH_TOTAL_CAP = 1_000;
const CHUNK = 1000;

const SELECT = (d: Dialect): string => `SELECT ${d.instanceColumn('r')}r.id, r.flow_id AS flowId, r.time, r.client, r.source, r.method, r.host,
  r.connect_host AS connectHost, r.path, r.category, r.third_party AS thirdParty, r.page_site AS pageSite,
  p.url AS pageUrl, r.attributed_by AS attributedBy, r.confidence, r.leak_level AS leakLevel, r.tag_id AS tagId,
  r.tag_event AS tagEvent, r.tag_value AS tagValue, r.tag_currency AS tagCurrency, r.tag_order_id AS tagOrderId,
  r.tag_partner AS tagPartner, r.hashed_email AS hashedEmail, r.hashed_email_algo AS hashedEmailAlgo,
  r.logged_in AS loggedIn, r.gpc, r.dnt, r.client_hints AS clientHints, r.malformed, ${d.reasons('r')} AS reasons,
  r.block_mode AS blockMode, r.decision, r.decision_reason AS decisionReason, r.stripped,
  r.attempted AS attemptedLeak, r.reached AS reachedPinterest, r.page_reached AS pageReached,
  r.ids_attempted AS identifiersAttempted, r.ids_prevented AS identifiersPrevented, r.page_prevented AS pagePrevented,
  r.outcome, r.status, r.bytes,
  r.error_kind AS errorKind, r.error_message AS errorMessage, r.completed_at AS completedAt
  FROM ${d.from('requests', 'r')} LEFT JOIN ${d.from('pages', 'p')} ON p.id = r.page_id${d.same('p', 'r')}`;

/** The identifiers of the requests a `keys` statement selects (its columns: instance key, `id`). */
const IDENTIFIERS_OF = (d: Dialect, keys: string): string => `SELECT ${d.instanceColumn('x')}x.id AS requestId,
    i.name, i.kind, ri.source, i.value, ri.prevented
  FROM (${keys}) x JOIN ${d.from('request_identifiers', 'ri')} ON ri.request_id = x.id${d.same('ri', 'x')}
  JOIN ${d.from('identifiers', 'i')} ON i.id = ri.identifier_id${d.same('i', 'ri')}
  ORDER BY x.id, i.name`;

type Flag = 'thirdParty' | 'hashedEmail' | 'loggedIn' | 'gpc' | 'dnt' | 'clientHints' | 'pagePrevented' | 'attemptedLeak'
  | 'reachedPinterest' | 'pageReached';
type RawRow = Omit<RequestRow, 'identifiers' | 'malformed' | 'reasons' | 'stripped' | Flag> & Record<Flag, number | null> & {
  malformed: string; reasons: string; stripped: string;
};

/** One page of the request list, newest first. */
export function* requestPage(q: SqlParts, filter: RequestFilter = {}, page: { limit?: number; offset?: number } = {}): Plan<RequestPage> {
  const { d } = q;
  const { where, params } = compile(d, filter);
  const limit = Math.max(0, Math.min(page.limit ?? 50, 1000));
  const offset = Math.max(0, page.offset ?? 0);
  const order = `ORDER BY r.time DESC, r.id DESC${d.tiebreak('r', 'DESC')} LIMIT @limit OFFSET @offset`;
  const p = { ...params, limit, offset };
  const raw = yield* rows<RawRow>(`${SELECT(d)} WHERE ${where} ${order}`, p);
  const cap = filter.search ? SEARCH_TOTAL_CAP : TOTAL_CAP;
  const counted = yield* row<{ n: number }>(
    `SELECT count(*) AS n FROM (SELECT 1 AS one FROM ${d.from('requests', 'r')} WHERE ${where} LIMIT ${cap + 1}) x`,
    params,
  );
  const n = counted?.n ?? 0;
  const keys = `SELECT ${d.key('r')}r.id FROM ${d.from('requests', 'r')} WHERE ${where} ${order}`;
  const ids = raw.length === 0 ? [] : yield* rows<IdRow>(IDENTIFIERS_OF(d, keys), p);
  return { rows: withIdentifiers(raw, ids), total: Math.min(n, cap), totalCapped: n > cap };
}

/** Matching requests oldest first, `CHUNK` at a time after the key of the previous chunk's last row. */
export function* requestChunk(q: SqlParts, filter: RequestFilter, after: ChunkKey): Plan<{ rows: RequestRow[]; next: ChunkKey | null }> {
  const { d } = q;
  const { where, params } = compile(d, filter);
  const cond = `${where} AND r.time >= @afterTime AND NOT (r.time = @afterTime
    AND (r.id < @afterId OR (r.id = @afterId AND ${d.instanceOf('r')} <= @afterInstance)))`;
  const order = `ORDER BY r.time, r.id${d.tiebreak('r')} LIMIT ${CHUNK}`;
  const p = { ...params, afterTime: after.time, afterId: after.id, afterInstance: after.instance };
  const raw = yield* rows<RawRow>(`${SELECT(d)} WHERE ${cond} ${order}`, p);
  const keys = `SELECT ${d.key('r')}r.id FROM ${d.from('requests', 'r')} WHERE ${cond} ${order}`;
  const ids = raw.length === 0 ? [] : yield* rows<IdRow>(IDENTIFIERS_OF(d, keys), p);
  const last = raw[raw.length - 1];
  const next = last && raw.length === CHUNK ? { time: last.time, id: last.id, instance: last.instanceId ?? '' } : null;
  return { rows: withIdentifiers(raw, ids), next };
}

/** Where a chunked read stands: the last row's time, id and instance (`''` on one machine). */
export interface ChunkKey {
  time: number;
  id: number;
  instance: string;
}

/** Before the first row. */
export const FIRST_CHUNK: ChunkKey = { time: -1, id: -1, instance: '' };

type IdRow = Omit<RequestIdentifier, 'prevented'> & { requestId: number; instanceId?: string; prevented: number };

function withIdentifiers(raw: RawRow[], ids: IdRow[]): RequestRow[] {
  const byRequest = new Map<string, RequestIdentifier[]>();
  for (const { requestId, instanceId, prevented, ...rest } of ids) {
    const key = `${instanceId ?? ''}\0${requestId}`;
    const id = { ...rest, prevented: prevented === 1 };
    const list = byRequest.get(key);
    if (list) list.push(id);
    else byRequest.set(key, [id]);
  }
  return raw.map((r) => toRow(r, byRequest.get(`${r.instanceId ?? ''}\0${r.id}`) ?? []));
}

function compile(d: Dialect, filter: RequestFilter): { where: string; params: Record<string, unknown> } {
  const range = normaliseRange(filter.from, filter.to);
  const parts = ['r.time >= @from', 'r.time < @to'];
  const params: Record<string, unknown> = { from: range.from, to: range.to };
  if (filter.site) {
    parts.push('r.page_site = @site');
    params.site = filter.site;
  }
  if (filter.crawl != null) {
    // The flow ids the crawl's visits recorded (crawl_requests), found through requests_flow.
    parts.push(`r.flow_id IN (SELECT cr.flow_id FROM crawl_requests cr JOIN crawl_sites cs ON cs.id = cr.crawl_site_id WHERE cs.crawl_id = @crawl)${d.byFlow('r')}`);
    params.crawl = filter.crawl;
  }
  if (filter.category) {
    parts.push(filter.category === 'none' ? 'r.category IS NULL' : 'r.category = @category');
    params.category = filter.category;
  }
  if (filter.decision) {
    parts.push(filter.decision === 'none' ? 'r.decision IS NULL' : 'r.decision = @decision');
    params.decision = filter.decision;
  }
  if (filter.search) {
    const like = `${d.like} @search ESCAPE '\\'`;
    const fields = ['r.host', 'r.path', 'r.page_site', 'r.tag_id', 'r.tag_event'];
    // Matching page URLs are found once in `pages` (far fewer rows than requests), not per request.
    parts.push(`(${fields.map((f) => `${f} ${like}`).join(' OR ')} OR (${d.key('r')}r.page_id) IN (SELECT ${d.key()}id FROM ${d.from('pages')} WHERE url ${like}))`);
    params.search = likePattern(filter.search);
  }
  return { where: parts.join(' AND '), params };
}

function toRow(r: RawRow, identifiers: RequestIdentifier[]): RequestRow {
  const bool = (v: number | null): boolean | null => (v === null ? null : v === 1);
  return {
    ...r,
    thirdParty: bool(r.thirdParty),
    hashedEmail: r.hashedEmail === 1,
    loggedIn: bool(r.loggedIn),
    gpc: bool(r.gpc),
    dnt: bool(r.dnt),
    clientHints: bool(r.clientHints),
    pagePrevented: r.pagePrevented === 1,
    attemptedLeak: r.attemptedLeak === 1,
    reachedPinterest: r.reachedPinterest === 1,
    pageReached: r.pageReached === 1,
    malformed: parseList(r.malformed),
    reasons: parseList(r.reasons),
    stripped: parseList(r.stripped),
    identifiers,
  };
}

function parseList(text: string): string[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}
