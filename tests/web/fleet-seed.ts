/**
 * Two real instances for the fleet's read side: each a local store filled by the real writer
 * (the dashboard seed, at different times, plus a site only the second one saw), shipped by the
 * real shipper into a real PostgreSQL; each with its own local dashboard, and the fleet dashboard
 * over that PostgreSQL.
 */
import type { FastifyInstance } from 'fastify';
import { openFleetReader, type FleetReader } from '../../src/fleet/reader.js';
import { startShipper } from '../../src/fleet/shipper.js';
import { fleetTarget } from '../../src/fleet/pg.js';
import { openQueries, type Queries } from '../../src/store/index.js';
import { buildDashboard } from '../../src/web/dashboard.js';
import { buildFleetDashboard } from '../../src/web/fleet-dashboard.js';
import { LiveFeed } from '../../src/web/live.js';
import type { TestPostgres } from '../../bench/postgres.js';
import { makeFlow } from '../helpers/findings.js';
import { capturedLogger, localInstance, type LocalInstance } from '../fleet/fleet-helpers.js';
import { CA, seed } from './seed.js';

export interface Member {
  name: string;
  instance: LocalInstance;
  queries: Queries & { close(): void };
  /** This instance's own dashboard. */
  app: FastifyInstance;
}

export interface TwoInstanceFleet {
  url: string;
  now: number;
  a: Member;
  b: Member;
  reader: FleetReader;
  /** The dashboard over the fleet's PostgreSQL. */
  fleet: FastifyInstance;
  close(): Promise<void>;
}

const HOUR = 3_600_000;

export async function twoInstanceFleet(pg: TestPostgres, database: string): Promise<TwoInstanceFleet> {
  const url = pg.createDatabase(database);
  const now = Date.now();
  const closers: Array<() => unknown> = [];
  const member = async (name: string, fill: (i: LocalInstance) => void): Promise<Member> => {
    const instance = localInstance();
    closers.push(() => instance.close());
    fill(instance);
    const shipper = startShipper({ dbPath: instance.dbPath, target: fleetTarget(url, {}), name, log: capturedLogger().log, intervalMs: 60_000 });
    closers.push(() => shipper.close());
    await shipper.drain();
    const queries = openQueries(instance.dbPath);
    closers.push(() => queries.close());
    const app = buildDashboard({
      queries, settings: instance.store.settings, purge: (o) => instance.store.purge(o), live: new LiveFeed(),
      proxy: { host: '127.0.0.1', port: 8080 }, ca: CA, now: () => now,
    });
    closers.push(() => app.close());
    return { name, instance, queries, app };
  };
  const a = await member('lab-a', (i) => seed(i.store, now));
  const b = await member('lab-b', (i) => {
    seed(i.store, now - 5 * HOUR);
    const url = 'https://blog.example/posts/pins';
    const flow = makeFlow({
      observation: { time: now - 40 * 60_000 },
      finding: { page: { site: 'blog.example', url, attributedBy: 'referer', confidence: 'high' },
        identifiers: [{ name: '_epik', kind: 'click-id', source: 'query', value: 'epik-b' }] },
    });
    i.store.record(flow);
    i.store.complete(flow, { kind: 'response', status: 200, bytes: 43 });
    i.store.flush();
  });
  const reader = await openFleetReader(url, {});
  closers.push(() => reader.close());
  const fleet = buildFleetDashboard({ fleet: reader, now: () => now });
  closers.push(() => fleet.close());
  return {
    url, now, a, b, reader, fleet,
    close: async () => {
      for (const c of closers.reverse()) await c();
    },
  };
}

/** GET `path` from a dashboard as the page would, parsed. */
export async function api<T = Record<string, unknown>>(app: FastifyInstance, path: string): Promise<T> {
  const res = await app.inject({ url: path, headers: { host: '127.0.0.1:8081' } });
  if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${res.body}`);
  return res.json<T>();
}
