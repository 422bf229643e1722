/**
 * The read side of the JSON API: one route per view of the dashboard, each a thin mapping from
 * query parameters to a `Queries` call. Responses are plain JSON; every string in them may have
 * been written by a website, and the UI renders them as text only.
 */
import type { FastifyInstance } from 'fastify';
import type { ReadQueries, SettingsHandle, SiteSort, TimelinePoint } from '../store/index.js';
import { intParam, oneOf, parseRange, parseRequestFilter, textParam, type QueryBag, type ResolvedRange } from './params.js';
import { PinauditError } from '../errors.js';

/** What the read routes need. */
export interface ReadDeps {
  /** The read side a request's parameters pick (over the fleet: the instance it names, or all). */
  queries(query: QueryBag): ReadQueries | Promise<ReadQueries>;
  /** The settings in force; null over the fleet, where each instance keeps its own. */
  settings: SettingsHandle | null;
  now: () => number;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** Ranges up to this long are drawn in minutes. */
const MAX_MINUTE_SPAN = 2 * HOUR;
/** Most hour buckets drawn on the timeline; a longer range is shown in days (a week of hours is noise). */
const MAX_HOUR_BUCKETS = 48;

/** Registers the `/api/…` read routes. */
export function registerReadRoutes(app: FastifyInstance, deps: ReadDeps): void {
  const queries = (req: { query: unknown }): ReadQueries | Promise<ReadQueries> => deps.queries(req.query as QueryBag);
  const exceptions = (): readonly string[] => deps.settings?.get().exceptions ?? [];
  const range = (query: unknown): ResolvedRange => parseRange(query as QueryBag, deps.now());
  const rangeOut = (r: ResolvedRange) => ({ name: r.name, from: r.from, to: r.to });

  app.get('/api/overview', async (req) => {
    const q = await queries(req);
    const r = range(req.query);
    const { sites: _, ...visited } = await q.sitesVisited(r, { limit: 0 });
    return {
      range: rangeOut(r),
      totals: await q.totals(r),
      topSites: await q.topSites(r, 10),
      timeline: await timeline(q, r, deps.now()),
      categories: await q.categories(r),
      leakLevels: await q.leakLevels(r),
      sitesVisited: visited,
    };
  });

  app.get('/api/sites', async (req) => {
    const query = req.query as QueryBag;
    const r = range(query);
    const sort = oneOf<SiteSort>(query, 'sort', ['leaks', 'requests', 'site', 'lastSeen']);
    const search = textParam(query, 'search');
    const limit = intParam(query, 'limit', 1000, 1, 5000);
    const except = new Set(exceptions());
    const sites = await (await queries(req)).sites(r, { ...(search ? { search } : {}), ...(sort ? { sort } : {}), limit });
    return { range: rangeOut(r), sites: sites.map((s) => ({ ...s, exception: except.has(s.site) })) };
  });

  app.get('/api/sites/:site', async (req) => {
    const site = siteParam((req.params as { site: string }).site);
    const r = range(req.query);
    // Lists are limited (a busy site has tens of thousands of tag ids); `more` says what was left out.
    const limit = intParam(req.query as QueryBag, 'limit', 100, 1, 1000);
    const detail = await (await queries(req)).siteDetail(site, r, { limit });
    return { range: rangeOut(r), ...detail, exception: exceptions().includes(site) };
  });

  app.get('/api/identifiers', async (req) => {
    const query = req.query as QueryBag;
    const r = range(query);
    const limit = intParam(query, 'limit', 500, 1, 5000);
    return { range: rangeOut(r), identifiers: await (await queries(req)).identifiers(r, { limit, maxSites: 100 }) };
  });

  app.get('/api/identifiers/:id/sites', async (req) => {
    const id = Number((req.params as { id: string }).id);
    if (!Number.isSafeInteger(id) || id < 1) throw new PinauditError('BAD_PARAM', 'identifier id must be a positive whole number');
    const r = range(req.query);
    // Over the fleet an id is one instance's: the UI names that instance (`instance=`).
    return { range: rangeOut(r), id, sites: await (await queries(req)).identifierSites(id, r) };
  });

  app.get('/api/requests', async (req) => {
    const query = req.query as QueryBag;
    const filter = parseRequestFilter(query, deps.now());
    const limit = intParam(query, 'limit', 50, 1, 1000);
    const offset = intParam(query, 'offset', 0, 0, 10_000_000);
    return { filter, limit, offset, ...(await (await queries(req)).requests(filter, { limit, offset })) };
  });

  app.get('/api/blocking', async (req) => {
    const r = range(req.query);
    const impact = await (await queries(req)).blockingImpact(r, { limit: 200 });
    return { range: rangeOut(r), mode: deps.settings?.get().blockMode ?? null, ...impact };
  });

  app.get('/api/sites-visited', async (req) => {
    const query = req.query as QueryBag;
    const r = range(query);
    return { range: rangeOut(r), ...(await (await queries(req)).sitesVisited(r, { limit: intParam(query, 'limit', 200, 0, 5000) })) };
  });

  const settings = deps.settings;
  if (settings) app.get('/api/settings', async () => settings.get());
}

/** A site name from the URL: a registrable domain is short and has no spaces or slashes. */
export function siteParam(text: string): string {
  const site = text.trim().toLowerCase();
  if (!/^[^\s/\\?#]{1,253}$/.test(site)) throw new PinauditError('BAD_PARAM', 'not a site name');
  return site;
}

/**
 * The leaks-over-time series: the bucket follows the range (minutes up to two hours, hours up to
 * two days, days beyond); empty buckets are filled with zeros so the chart draws them as such.
 */
async function timeline(q: ReadQueries, r: ResolvedRange, now: number): Promise<{ bucket: 'minute' | 'hour' | 'day'; points: TimelinePoint[] }> {
  const to = r.to ?? now;
  const span = r.from === null ? Infinity : to - r.from;
  const bucket = span <= MAX_MINUTE_SPAN ? 'minute' : span <= MAX_HOUR_BUCKETS * HOUR ? 'hour' : 'day';
  const raw = await q.timeline(r, bucket);
  const points = bucket === 'hour' ? rebucketHours(raw) : raw;
  const first = points[0];
  if (r.from === null && !first) return { bucket, points };
  let start = first?.start ?? 0;
  if (r.from !== null) {
    start = bucket === 'minute' ? Math.floor(r.from / MINUTE) * MINUTE
      : bucket === 'hour' ? (first ? alignHour(r.from, first.start) : localHour(r.from))
      : Math.min(first?.start ?? Infinity, localMidnight(r.from));
  }
  return { bucket, points: fill(points, start, to, bucket) };
}

/**
 * Sums points into whole local hours. The store's hour buckets are meant to be aligned already;
 * this keeps the chart right if a point's start is not (and is a no-op when it is).
 */
function rebucketHours(points: TimelinePoint[]): TimelinePoint[] {
  const out = new Map<number, TimelinePoint>();
  for (const p of points) {
    const offset = -new Date(p.start).getTimezoneOffset() * 60_000;
    const start = Math.floor((p.start + offset) / HOUR) * HOUR - offset;
    const e = out.get(start);
    if (!e) out.set(start, { ...p, start });
    else for (const k of ['requests', 'thirdParty', 'attempted', 'reached', 'blocked', 'stripped'] as const) e[k] += p[k];
  }
  return [...out.values()].sort((a, b) => a.start - b.start);
}

/** The hour bucket containing `from`, aligned with the buckets the query returned. */
function alignHour(from: number, anyBucket: number): number {
  return anyBucket - Math.ceil((anyBucket - from) / HOUR) * HOUR;
}

function localHour(t: number): number {
  const d = new Date(t);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate(), d.getHours()).getTime();
}

function localMidnight(t: number): number {
  const d = new Date(t);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

function fill(points: TimelinePoint[], start: number, end: number, bucket: 'minute' | 'hour' | 'day'): TimelinePoint[] {
  const byStart = new Map(points.map((p) => [p.start, p]));
  const out: TimelinePoint[] = [];
  const next = (t: number): number => {
    if (bucket === 'minute') return t + MINUTE;
    if (bucket === 'hour') return t + HOUR;
    const d = new Date(t);
    return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
  };
  // Bounded: a long "all" range keeps its sparse points rather than thousands of empty days.
  for (let t = start; t < end && out.length <= 400; t = next(t)) {
    out.push(byStart.get(t) ?? { start: t, requests: 0, thirdParty: 0, attempted: 0, reached: 0, blocked: 0, stripped: 0 });
  }
  if (out.length > 400) return points;
  // Points past `end` (clock skew) are kept rather than lost.
  for (const p of points) if (p.start >= end) out.push(p);
  return out;
}
