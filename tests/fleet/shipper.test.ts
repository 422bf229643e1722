import { describe, expect, test } from 'vitest';
import { connectFleet, fleetTarget, type FleetDb } from '../../src/fleet/pg.js';
import { startShipper, type Shipper } from '../../src/fleet/shipper.js';
import type { Flow } from '../../src/pipeline.js';
import { openDatabase, openRawConnection } from '../../src/store/db.js';
import { openQueries } from '../../src/store/queries.js';
import { prune } from '../../src/store/retention.js';
import { flowFor } from '../helpers/findings.js';
import { seed } from '../web/seed.js';
import { capturedLogger, fleetTotals, localInstance, localTotals, sum, type LocalInstance, postgresPerFile } from './fleet-helpers.js';

const fleetPg = postgresPerFile();

function instance(): LocalInstance {
  const i = localInstance();
  fleetPg.cleanup(() => i.close());
  return i;
}

async function fleet(url: string): Promise<FleetDb> {
  const db = await connectFleet(fleetTarget(url, {}));
  fleetPg.cleanup(() => db.close());
  return db;
}

function shipper(i: LocalInstance, url: string, name: string, log = capturedLogger().log): Shipper {
  const s = startShipper({ dbPath: i.dbPath, target: fleetTarget(url, {}), name, log, intervalMs: 60_000 });
  fleetPg.cleanup(() => s.close());
  return s;
}

function recordDone(i: LocalInstance, flow: Flow): void {
  i.store.record(flow);
  i.store.complete(flow, { kind: 'response', status: 200, bytes: 1 });
}

describe('shipping to the fleet database', () => {
  test('two instances with the same local ids arrive side by side; the fleet holds the sum of both', async () => {
    const url = fleetPg.pg.createDatabase('two');
    const [a, b] = [instance(), instance()];
    const now = Date.now();
    seed(a.store, now);
    seed(b.store, now - 86_400_000);
    const [sa, sb] = [shipper(a, url, 'lab-a'), shipper(b, url, 'lab-b')];
    expect(sa.instanceId).not.toBe(sb.instanceId);
    expect(await sa.drain()).toBe(7);
    expect(await sb.drain()).toBe(7);
    const db = await fleet(url);
    expect(await fleetTotals(db, sa.instanceId)).toEqual(localTotals(a.dbPath));
    expect(await fleetTotals(db, sb.instanceId)).toEqual(localTotals(b.dbPath));
    expect(await fleetTotals(db, null)).toEqual(sum(localTotals(a.dbPath), localTotals(b.dbPath)));
    const names = await db.query('SELECT id, name FROM instance ORDER BY name');
    expect(names).toEqual([{ id: sa.instanceId, name: 'lab-a' }, { id: sb.instanceId, name: 'lab-b' }]);
    // Same local ids on both instances.
    const ids = await db.query<{ instance_id: string; n: string }>('SELECT instance_id, count(*) AS n FROM requests WHERE id <= 7 GROUP BY instance_id');
    expect(ids.map((r) => Number(r.n))).toEqual([7, 7]);
    // Reasons arrive as the texts the instance shows, not as its local sentence ids.
    const queries = openQueries(a.dbPath);
    const shown = Object.fromEntries(queries.requests({}, { limit: 100 }).rows.map((r) => [r.flowId, r.reasons]));
    queries.close();
    expect(Object.values(shown).flat().length).toBeGreaterThan(0);
    const shipped = await db.query<{ flow_id: string; reasons: string }>('SELECT flow_id, reasons FROM requests WHERE instance_id = $1', [sa.instanceId]);
    expect(Object.fromEntries(shipped.map((r) => [r.flow_id, JSON.parse(r.reasons) as unknown]))).toEqual(shown);
  });

  test('sending again, even after the local marker is lost, stores nothing twice', async () => {
    const url = fleetPg.pg.createDatabase('again');
    const a = instance();
    seed(a.store, Date.now());
    const s = shipper(a, url, 'lab');
    await s.drain();
    const db = await fleet(url);
    const before = await fleetTotals(db, null);
    expect(await s.drain()).toBe(0);
    // A crash between the server's commit and the local marker: everything goes again.
    const raw = openRawConnection(a.dbPath);
    raw.prepare('DELETE FROM ship_marks').run();
    raw.close();
    expect(await s.drain()).toBe(7);
    expect(await fleetTotals(db, null)).toEqual(before);
    expect(before).toEqual(localTotals(a.dbPath));
  });

  test('new rows and grown roll-ups follow; roll-ups survive the local pruning of raw rows', async () => {
    const url = fleetPg.pg.createDatabase('grow');
    const a = instance();
    const now = Date.now();
    const old = now - 40 * 86_400_000;
    for (let i = 0; i < 5; i++) recordDone(a, flowFor('old.example', old + i));
    a.store.flush();
    const s = shipper(a, url, 'lab');
    await s.drain();
    const db = await fleet(url);
    // Retention removes the old raw rows locally; their roll-ups stay there and in the fleet.
    const { db: pruning } = openDatabase(a.dbPath);
    expect(prune(pruning, { retentionDays: 30 }).requests).toBe(5);
    pruning.close();
    for (let i = 0; i < 3; i++) recordDone(a, flowFor('old.example', old + 100 + i));
    for (let i = 0; i < 4; i++) recordDone(a, flowFor('new.example', now - i));
    a.store.flush();
    await s.drain();
    const local = localTotals(a.dbPath);
    const there = await fleetTotals(db, s.instanceId);
    expect(there.rollup_requests).toBe(12);
    expect(there.requests).toBe(12); // 5 shipped before the prune + 7 new (their local ids were reused)
    expect({ ...there, requests: 0, links: 0, items: 0, pages: 0, identifiers: 0 }).toEqual({ ...local, requests: 0, links: 0, items: 0, pages: 0, identifiers: 0 });
    const flows = await db.query<{ n: string }>('SELECT count(DISTINCT flow_id) AS n FROM requests');
    expect(Number(flows[0]?.n)).toBe(12);
  });

  test('a request waits for its outcome before it is shipped', async () => {
    const url = fleetPg.pg.createDatabase('outcome');
    const a = instance();
    const flow = flowFor('shop.example', Date.now());
    a.store.record(flow);
    a.store.flush();
    const s = shipper(a, url, 'lab');
    expect(await s.drain()).toBe(0);
    a.store.complete(flow, { kind: 'response', status: 204, bytes: 0 });
    a.store.flush();
    expect(await s.drain()).toBe(1);
    const db = await fleet(url);
    expect(await db.query('SELECT outcome, status FROM requests')).toEqual([{ outcome: 'response', status: '204' }]);
  });
});
