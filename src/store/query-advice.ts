/**
 * The reads behind "Does the advice work?": the switch history, what reached Pinterest while a
 * switch was off, and the identifier sightings that show cookie clearing. "Reached Pinterest" is
 * the store's one verdict per request (`requests.reached`, see rollups.ts `leakFacts`) and per
 * identifier (`request_identifiers.prevented`); nothing here decides it again.
 */
import type { Sighting } from '../advice/id-changes.js';
import type { Database, Statement } from './db.js';
import { readSwitchHistory, type SwitchHistoryRow } from './switches.js';

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

export function createAdviceQueries(db: Database): AdviceQueries {
  const cache = new Map<string, Statement>();
  const prepared = (sql: string): Statement => {
    let s = cache.get(sql);
    if (s === undefined) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  return {
    switchHistory: () => readSwitchHistory(db),
    reachedDuring(periods) {
      const bySite = new Map<string, number>();
      let requests = 0;
      const stmt = prepared(
        `SELECT coalesce(r.page_site, '') AS site, count(*) AS n FROM requests r
         WHERE r.time >= @from AND r.time < @to AND ${REACHED_WITH_IDS} GROUP BY 1`,
      );
      for (const p of periods) {
        if (p.to <= p.from) continue;
        for (const row of stmt.all({ from: p.from, to: p.to }) as Array<{ site: string; n: number }>) {
          requests += row.n;
          if (row.site !== '') bySite.set(row.site, (bySite.get(row.site) ?? 0) + row.n);
        }
      }
      const sites = [...bySite].map(([site, n]) => ({ site, requests: n })).sort((a, b) => b.requests - a.requests || a.site.localeCompare(b.site));
      return { requests, sites: sites.slice(0, SITES_SHOWN), siteCount: sites.length };
    },
    idSightings(range, trackedNames, linkingKinds) {
      // One named parameter per name and kind: a list SQLite can match through its indexes.
      const params: Record<string, string | number> = {};
      const list = (prefix: string, values: readonly string[]): string =>
        values.map((v, i) => {
          params[`${prefix}${i}`] = v;
          return `@${prefix}${i}`;
        }).join(', ') || 'NULL';
      const names = list('n', trackedNames);
      const kinds = list('k', linkingKinds);
      const changed = prepared(
        `SELECT 1 FROM identifiers WHERE kind = 'tracking-id' AND name IN (${names})
         GROUP BY name HAVING count(*) > 1 LIMIT 1`,
      ).get(Object.fromEntries(trackedNames.map((_, i) => [`n${i}`, params[`n${i}`]])));
      if (changed === undefined) return [];
      const rows = prepared(
        // Newest first through the time index, stopping at the limit: never a sort of the whole range.
        `WITH req AS (
           SELECT r.id FROM requests r
           WHERE r.time >= @from AND r.time < @to AND EXISTS (
             SELECT 1 FROM request_identifiers ri JOIN identifiers i ON i.id = ri.identifier_id
             WHERE ri.request_id = r.id AND i.kind = 'tracking-id' AND i.name IN (${names}))
           ORDER BY r.time DESC LIMIT @limit)
         SELECT r.id, r.time, r.client, r.page_site AS site, i.name, i.kind, i.value, ri.prevented
         FROM req JOIN requests r ON r.id = req.id
         JOIN request_identifiers ri ON ri.request_id = r.id
         JOIN identifiers i ON i.id = ri.identifier_id
         WHERE (i.kind = 'tracking-id' AND i.name IN (${names})) OR i.kind IN (${kinds})
         ORDER BY r.time, r.id`,
      ).all({
        ...params, limit: SIGHTING_REQUEST_LIMIT,
        from: range.from ?? 0, to: range.to ?? Number.MAX_SAFE_INTEGER,
      }) as Array<{ id: number; time: number; client: string; site: string | null; name: string; kind: string; value: string; prevented: number }>;
      const out: Sighting[] = [];
      let last: { id: number; sighting: Sighting & { ids: Sighting['ids'][number][] } } | null = null;
      for (const row of rows) {
        if (last === null || last.id !== row.id) {
          last = { id: row.id, sighting: { time: row.time, client: row.client, site: row.site, ids: [] } };
          out.push(last.sighting);
        }
        last.sighting.ids.push({ name: row.name, kind: row.kind, value: row.value, reached: row.prevented === 0 });
      }
      return out;
    },
  };
}
