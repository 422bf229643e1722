import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectFleet, fleetTarget } from '../../src/fleet/pg.js';
import { startShipper } from '../../src/fleet/shipper.js';
import { openDatabase } from '../../src/store/db.js';
import { flowFor } from '../helpers/findings.js';
import { startPostgres, type TestPostgres } from '../../bench/postgres.js';
import { capturedLogger, fleetTotals, localInstance, localTotals } from './fleet-helpers.js';

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(() => pg?.close());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('shipping through a fleet database outage', () => {
  test('PostgreSQL stopped for 30 s under load, then started: every row arrives exactly once; no credential is logged', async () => {
    const url = pg.createDatabase('outage');
    const a = localInstance();
    const captured = capturedLogger();
    const shipper = startShipper({ dbPath: a.dbPath, target: fleetTarget(url, {}), name: 'lab', log: captured.log, intervalMs: 100, maxBackoffMs: 1000, batchRows: 500 });
    try {
      // Load: 20 completed requests every 50 ms over a few sites, recorded as the proxy would.
      let n = 0;
      const load = setInterval(() => {
        for (let i = 0; i < 20; i++) {
          const flow = flowFor(`site${n % 17}.example`, Date.now());
          a.store.record(flow);
          a.store.complete(flow, { kind: 'response', status: 200, bytes: 10 });
          n++;
        }
      }, 50);
      try {
        // Shipping runs before the outage (however slow this machine is right now).
        for (const until = Date.now() + 20_000; shipper.status().shipped.requests === 0 && Date.now() < until; ) await sleep(100);
        expect(shipper.status().shipped.requests).toBeGreaterThan(0);
        pg.stop();
        const stoppedAt = n;
        await sleep(30_000);
        expect(n - stoppedAt).toBeGreaterThan(5000);
        expect(shipper.status().lastError).toMatch(/ECONNREFUSED|terminat|connect/i);
        expect(shipper.status().waiting).toBeGreaterThan(5000);
        pg.start();
        await sleep(3000);
      } finally {
        clearInterval(load);
      }
      a.store.flush();
      await shipper.drain();
      expect(shipper.status()).toMatchObject({ waiting: 0, lastError: null });

      const db = await connectFleet(fleetTarget(url, {}));
      try {
        const local = openDatabase(a.dbPath, { readonly: true }).db;
        const localFlows = local.prepare('SELECT flow_id FROM requests ORDER BY flow_id').pluck().all() as string[];
        local.close();
        expect(localFlows.length).toBe(n);
        const fleetFlows = (await db.query<{ flow_id: string }>('SELECT flow_id FROM requests ORDER BY flow_id')).map((r) => r.flow_id);
        expect(fleetFlows).toEqual(localFlows);
        expect(await fleetTotals(db, shipper.instanceId)).toEqual(localTotals(a.dbPath));
      } finally {
        await db.close();
      }
      const logs = captured.text();
      expect(logs).toContain('cannot ship to the fleet database; rows wait locally');
      expect(logs).toContain('the fleet database is reachable again');
      expect(logs.match(/cannot ship to the fleet database/g)).toHaveLength(1);
      expect(logs).toContain(`postgres://pinaudit@127.0.0.1:${pg.port}/outage`);
      expect(logs).not.toContain(pg.password);
    } finally {
      await shipper.close();
      a.close();
    }
  }, 90_000);
});
