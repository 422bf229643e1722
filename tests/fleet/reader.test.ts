/**
 * One set of queries, two engines: every read of the store (src/store/queries.ts) run over a local
 * SQLite and, unchanged, over the fleet's PostgreSQL that instance shipped to, gives the same answer.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { openFleetReader, positional, type FleetReader } from '../../src/fleet/reader.js';
import { startShipper } from '../../src/fleet/shipper.js';
import { connectFleet, fleetTarget } from '../../src/fleet/pg.js';
import { migrateFleet } from '../../src/fleet/migrate.js';
import { openQueries, type Queries, type RangeFilter, type ReadQueries } from '../../src/store/index.js';
import { errorCodeOf, messageOf } from '../../src/errors.js';
import { seed } from '../web/seed.js';
import { capturedLogger, localInstance, withoutInstance, type LocalInstance, postgresPerFile } from './fleet-helpers.js';

const fleetPg = postgresPerFile();

const HOUR = 3_600_000;
const now = Date.now();

/** Every read the dashboard, report and export make, over several ranges (partial days included). */
async function everyRead(q: ReadQueries): Promise<Record<string, unknown>> {
  const ranges: RangeFilter[] = [{}, { from: now - 86_400_000 }, { from: now - 2.5 * HOUR, to: now - 15 * 60_000 }, { from: now - 5 * 86_400_000, to: now - 86_400_000 }];
  const out: Record<string, unknown> = {};
  for (const [i, r] of ranges.entries()) {
    const ids = await q.identifiers(r, { limit: 50, maxSites: 10 });
    out[`${i}`] = {
      totals: await q.totals(r),
      sites: await q.sites(r),
      sitesByName: await q.sites(r, { search: 'SHOP', sort: 'site' }),
      top: await q.topSites(r, 2),
      categories: await q.categories(r),
      leakLevels: await q.leakLevels(r),
      minutes: await q.timeline({ from: now - HOUR, to: now }, 'minute'),
      hours: await q.timeline(r, 'hour'),
      days: await q.timeline(r, 'day'),
      shop: await q.siteDetail('shop.example', r, { limit: 2 }),
      news: await q.siteDetail('news.example', r),
      ids,
      idSites: await Promise.all(ids.map((x) => q.identifierSites(x.id, r))),
      requests: await q.requests({ ...r }, { limit: 3, offset: 1 }),
      search: await q.requests({ ...r, search: 'CHECKOUT' }),
      blocked: await q.requests({ ...r, decision: 'block' }),
      impact: await q.blockingImpact(r),
      visited: await q.sitesVisited(r),
    };
  }
  const rows = [];
  for await (const row of q.iterate({})) rows.push(row);
  out.iterate = rows;
  out.history = await q.advice.switchHistory();
  out.reached = await q.advice.reachedDuring([{ from: now - 86_400_000, to: now }]);
  out.sightings = await q.advice.idSightings({ from: null, to: null }, ['_pinterest_ct_ua'], ['hashed-email', 'credential']);
  return out;
}

async function shipped(i: LocalInstance, url: string, name: string): Promise<void> {
  const s = startShipper({ dbPath: i.dbPath, target: fleetTarget(url, {}), name, log: capturedLogger().log, intervalMs: 60_000 });
  fleetPg.cleanup(() => s.close());
  await s.drain();
}

describe('the store\'s reads over PostgreSQL', () => {
  let reader: FleetReader;
  let local: Queries & { close(): void };

  beforeAll(async () => {
    const url = fleetPg.pg.createDatabase('reads');
    const [a, b] = [localInstance(), localInstance()];
    fleetPg.cleanup(() => a.close(), () => b.close());
    seed(a.store, now);
    a.store.recordSwitches([{
      time: now - 40 * 60_000, flowId: 'f-switch', client: '127.0.0.1', account: 'acct', endpoint: 'UserSettingsResource',
      field: 'personalize_from_offsite_browsing', state: false, how: 'change',
    }]);
    a.store.flush();
    // The other instance has the same local ids for other rows: the filter must keep them apart.
    seed(b.store, now - 86_400_000);
    await shipped(a, url, 'lab-a');
    await shipped(b, url, 'lab-b');
    reader = await openFleetReader(url, {});
    fleetPg.cleanup(() => reader.close());
    local = openQueries(a.dbPath);
    fleetPg.cleanup(() => local.close());
  });

  test('one instance of the fleet reads exactly as its own SQLite, for every read and range', async () => {
    const fromSqlite = await everyRead(local);
    expect(withoutInstance(await everyRead(reader.queries('lab-a')))).toEqual(fromSqlite);
    expect((fromSqlite['0'] as { totals: { requests: number } }).totals.requests).toBeGreaterThan(0);
    expect((fromSqlite.history as unknown[]).length).toBe(1);
  });

  test('by id or by name, and fleet rows say which instance recorded them', async () => {
    const [a] = (await reader.instances()).filter((i) => i.name === 'lab-a');
    expect(withoutInstance(await reader.queries(a!.id).totals())).toEqual(await local.totals());
    const page = await reader.queries(null).requests({}, { limit: 100 });
    expect(new Set(page.rows.map((r) => r.instanceId)).size).toBe(2);
    expect(page.rows.filter((r) => r.instanceId === a!.id)).toHaveLength(local.requests({}, { limit: 100 }).rows.length);
  });
});

describe('a fleet database pinaudit cannot read', () => {
  test('an unreachable server, and one without the fleet schema, each give one clear error without the password', async () => {
    const empty = fleetPg.pg.createDatabase('noschema');
    const err = await openFleetReader(empty, {}).catch((e: unknown) => e);
    expect(errorCodeOf(err)).toBe('DB_CHANGED');
    expect(messageOf(err)).toMatch(/lacks migrations 001-fleet.*pinaudit fleet migrate/);
    expect(messageOf(err)).not.toContain(fleetPg.pg.password);
    const down = `postgres://pinaudit:${fleetPg.pg.password}@127.0.0.1:1/x`;
    const err2 = await openFleetReader(down, {}).catch((e: unknown) => e);
    expect(errorCodeOf(err2)).toBe('FLEET_UNREACHABLE');
    expect(messageOf(err2)).toContain('postgres://pinaudit@127.0.0.1:1/x');
    expect(messageOf(err2)).not.toContain(fleetPg.pg.password);
  });

  test('a schema newer than this pinaudit is refused', async () => {
    const url = fleetPg.pg.createDatabase('newer');
    const db = await connectFleet(fleetTarget(url, {}));
    await migrateFleet(db);
    await db.query("INSERT INTO schema_migrations VALUES (999, '999-future', 'x', 0)");
    await db.close();
    const err = await openFleetReader(url, {}).catch((e: unknown) => e);
    expect(errorCodeOf(err)).toBe('DB_NEWER');
  });
});

test('named parameters become positions outside string literals; folded aliases are noted', () => {
  const p = positional("SELECT x AS thirdParty, '@no' AS lit FROM t WHERE a = @a AND b = @b OR c = @a ESCAPE '\\'");
  expect(p.text).toBe("SELECT x AS thirdParty, '@no' AS lit FROM t WHERE a = $1 AND b = $2 OR c = $1 ESCAPE '\\'");
  expect(p.names).toEqual(['a', 'b']);
  expect([...p.rename]).toEqual([['thirdparty', 'thirdParty']]);
});
