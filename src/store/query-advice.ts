/**
 * The reads behind "Does the advice work?": the switch history, what reached Pinterest while a
 * switch was off, and the identifier sightings that show cookie clearing. "Reached Pinterest" is
 * the store's one verdict per request (`requests.reached`, see rollups.ts `leakFacts`) and per
 * identifier (`request_identifiers.prevented`); nothing here decides it again. Plans (plan.ts), so
 * the fleet's PostgreSQL answers them too.
 */
import type { Sighting } from '../advice/id-changes.js';
import { rows, type Plan } from './plan.js';
import type { SqlParts } from './query-sql.js';
import { SWITCH_HISTORY_LIMIT, type SwitchHistoryRow } from './switches.js';

/** What reached Pinterest during some stretches of time. */
export interface ReachedDuring {
  /** Third-party requests whose leak reached Pinterest with at least one of the person's identifiers. */
  requests: number;
  /** Distinct page sites of those requests, most requests first (at most `SITES_SHOWN`). */
  sites: Array<{ site: string; requests: number }>;
  /** How many distinct sites in all. */
  siteCount: number;
}

/** Most requests read to find id changes in one range (the newest are kept). */
export const SIGHTING_REQUEST_LIMIT = 10_000;
const SITES_SHOWN = 20;

export interface AdviceQueries {
  switchHistory(): SwitchHistoryRow[];
  /** Requests that reached Pinterest with identifiers during the given periods (`to` exclusive). */
  reachedDuring(periods: ReadonlyArray<{ from: number; to: number }>): ReachedDuring;
  /**
   * Requests carrying a tracking id of `trackedNames`, with their tracking and linking
   * identifiers, oldest first; empty when no tracked name ever had two values.
   */
  idSightings(range: { from: number | null; to: number | null }, trackedNames: readonly string[], linkingKinds: readonly string[]): Sighting[];
}

/** Reached-with-identifiers: the store's verdict, and an identifier that was not prevented. */
const REACHED_WITH_IDS = 'r.reached = 1 AND r.ids_attempted > r.ids_prevented';

/** Every switch reading, oldest first (at most SWITCH_HISTORY_LIMIT, the newest). */
export function* switchHistory({ d }: SqlParts): Plan<SwitchHistoryRow[]> {
  const found = yield* rows<Omit<SwitchHistoryRow, 'state'> & { state: number }>(
    `SELECT time, account, field, state, how, endpoint FROM (
       SELECT * FROM ${d.from('account_switches', 'a')} ORDER BY time DESC, id DESC${d.tiebreak('a', 'DESC')} LIMIT @limit
     ) x ORDER BY time, id${d.tiebreak('x')}`,
    { limit: SWITCH_HISTORY_LIMIT },
  );
  return found.map((r) => ({ ...r, state: r.state === 1 }));
}

export function* reachedDuring({ d }: SqlParts, periods: ReadonlyArray<{ from: number; to: number }>): Plan<ReachedDuring> {
  const bySite = new Map<string, number>();
  let requests = 0;
  for (const p of periods) {
    if (p.to <= p.from) continue;
    const found = yield* rows<{ site: string; n: number }>(
      `SELECT coalesce(r.page_site, '') AS site, count(*) AS n FROM ${d.from('requests', 'r')}
       WHERE r.time >= @from AND r.time < @to AND ${REACHED_WITH_IDS} GROUP BY 1`,
      { from: p.from, to: p.to },
    );
    for (const x of found) {
      requests += x.n;
      if (x.site !== '') bySite.set(x.site, (bySite.get(x.site) ?? 0) + x.n);
    }
  }
  const sites = [...bySite].map(([site, n]) => ({ site, requests: n })).sort((a, b) => b.requests - a.requests || a.site.localeCompare(b.site));
  return { requests, sites: sites.slice(0, SITES_SHOWN), siteCount: sites.length };
}

export function* idSightings(
  { d }: SqlParts,
  range: { from: number | null; to: number | null },
  trackedNames: readonly string[],
  linkingKinds: readonly string[],
): Plan<Sighting[]> {
  // One named parameter per name and kind: a list the engine can match through its indexes.
  const params: Record<string, string | number> = {};
  const list = (prefix: string, values: readonly string[]): string =>
    values.map((v, i) => {
      params[`${prefix}${i}`] = v;
      return `@${prefix}${i}`;
    }).join(', ') || 'NULL';
  const names = list('n', trackedNames);
  const kinds = list('k', linkingKinds);
  const changed = yield* rows(
    `SELECT 1 AS one FROM ${d.from('identifiers')} WHERE kind = 'tracking-id' AND name IN (${names})
     GROUP BY ${d.key()}name HAVING count(*) > 1 LIMIT 1`,
    params,
  );
  if (changed.length === 0) return [];
  const found = yield* rows<{ instanceId?: string; id: number; time: number; client: string; site: string | null; name: string; kind: string; value: string; prevented: number }>(
    // Newest first through the time index, stopping at the limit: never a sort of the whole range.
    `WITH req AS (
       SELECT ${d.key('r')}r.id FROM ${d.from('requests', 'r')}
       WHERE r.time >= @from AND r.time < @to AND EXISTS (
         SELECT 1 FROM ${d.from('request_identifiers', 'ri')} JOIN ${d.from('identifiers', 'i')} ON i.id = ri.identifier_id${d.same('i', 'ri')}
         WHERE ri.request_id = r.id${d.same('ri', 'r')} AND i.kind = 'tracking-id' AND i.name IN (${names}))
       ORDER BY r.time DESC LIMIT @limit)
     SELECT ${d.instanceColumn('r')}r.id, r.time, r.client, r.page_site AS site, i.name, i.kind, i.value, ri.prevented
     FROM req JOIN ${d.from('requests', 'r')} ON r.id = req.id${d.same('r', 'req')}
     JOIN ${d.from('request_identifiers', 'ri')} ON ri.request_id = r.id${d.same('ri', 'r')}
     JOIN ${d.from('identifiers', 'i')} ON i.id = ri.identifier_id${d.same('i', 'ri')}
     WHERE (i.kind = 'tracking-id' AND i.name IN (${names})) OR i.kind IN (${kinds})
     ORDER BY r.time, r.id${d.tiebreak('r')}`,
    { ...params, limit: SIGHTING_REQUEST_LIMIT, from: range.from ?? 0, to: range.to ?? Number.MAX_SAFE_INTEGER },
  );
  const out: Sighting[] = [];
  let last: { key: string; sighting: Sighting & { ids: Sighting['ids'][number][] } } | null = null;
  for (const x of found) {
    const key = `${x.instanceId ?? ''}\0${x.id}`;
    if (last === null || last.key !== key) {
      last = { key, sighting: { time: x.time, client: x.client, site: x.site, ids: [] } };
      out.push(last.sighting);
    }
    last.sighting.ids.push({ name: x.name, kind: x.kind, value: x.value, reached: x.prevented === 0 });
  }
  return out;
}
