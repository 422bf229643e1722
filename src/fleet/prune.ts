/**
 * Fleet-wide retention: raw rows recorded before a day are removed from the fleet database for
 * every instance at once (the instances' own retention never reaches it). As locally
 * (src/store/retention.ts), roll-ups, tunnel counts and switch history are kept, so the fleet's
 * numbers do not change; pages and identifiers no remaining row refers to go too.
 */
import type { FleetDb } from './pg.js';

export interface FleetPruneReport {
  requests: number;
  pages: number;
  identifiers: number;
}

/** What {@link pruneFleet} would remove. */
export async function countFleetPrunable(db: FleetDb, cutoff: number): Promise<number> {
  const [row] = await db.query<{ n: string }>('SELECT count(*) AS n FROM requests WHERE time < $1', [cutoff]);
  return Number(row?.n ?? 0);
}

/** Removes raw rows older than `cutoff` (ms; `day` is its local day) in one transaction. */
export async function pruneFleet(db: FleetDb, cutoff: number, day: string): Promise<FleetPruneReport> {
  return await db.transaction(async () => {
    const count = async (sql: string, params: unknown[]): Promise<number> =>
      Number((await db.query<{ n: string }>(`WITH gone AS (${sql} RETURNING 1) SELECT count(*) AS n FROM gone`, params))[0]?.n ?? 0);
    const old = 'SELECT instance_id, id FROM requests WHERE time < $1';
    await db.query(`DELETE FROM request_identifiers WHERE (instance_id, request_id) IN (${old})`, [cutoff]);
    await db.query(`DELETE FROM purchase_items WHERE (instance_id, request_id) IN (${old})`, [cutoff]);
    const requests = await count('DELETE FROM requests WHERE time < $1', [cutoff]);
    await db.query('DELETE FROM identifier_days WHERE day < $1', [day]);
    await db.query('DELETE FROM page_days WHERE day < $1', [day]);
    const identifiers = await count(
      `DELETE FROM identifiers i WHERE
         NOT EXISTS (SELECT 1 FROM request_identifiers ri WHERE ri.instance_id = i.instance_id AND ri.identifier_id = i.id) AND
         NOT EXISTS (SELECT 1 FROM identifier_days d WHERE d.instance_id = i.instance_id AND d.identifier_id = i.id)`,
      [],
    );
    const pages = await count(
      `DELETE FROM pages p WHERE
         NOT EXISTS (SELECT 1 FROM requests r WHERE r.instance_id = p.instance_id AND r.page_id = p.id) AND
         NOT EXISTS (SELECT 1 FROM page_days d WHERE d.instance_id = p.instance_id AND d.page_id = p.id)`,
      [],
    );
    return { requests, pages, identifiers };
  });
}
