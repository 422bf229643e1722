/**
 * The dashboard over the fleet's PostgreSQL (`pinaudit dashboard --source postgres://…`): the same
 * read routes and UI as one machine's dashboard, answered by the same queries (src/fleet/reader.ts),
 * for every instance or the one `?instance=` names. It only reads: settings, exceptions, purge and
 * mode changes belong to each instance and answer READ_ONLY (405); the live feed, one proxy's setup
 * and crawls are not in the fleet's database and answer NOT_IN_FLEET (409). /api/session tells the
 * UI, which hides those controls and says why.
 */
import type { FastifyInstance } from 'fastify';
import { PinauditError } from '../errors.js';
import type { FleetInstance } from '../fleet/reader.js';
import type { ReadQueries } from '../store/index.js';
import { registerAdviceRoutes } from './api-advice.js';
import { registerReadRoutes } from './api-read.js';
import { createBase, finishBase, registerExportRoute, type DashboardLogger } from './base.js';
import { one, type QueryBag } from './params.js';

/** What the fleet dashboard reads through (a FleetReader fits). */
export interface FleetSource {
  /** `postgres://user@host:port/database`, without the password. */
  readonly label: string;
  queries(instance: string | null): ReadQueries;
  instances(): Promise<FleetInstance[]>;
}

export interface FleetDashboardDeps {
  fleet: FleetSource;
  allowedHosts?: readonly string[];
  logger?: DashboardLogger;
  now?: () => number;
  dashboardDir?: string;
}

/** Why each thing the fleet dashboard does not do is not done, as the UI shows it. */
export const FLEET_LIMITS = {
  readOnly: 'This dashboard reads the fleet\'s database: settings, exceptions, purge and the block mode belong to each instance. Change them on that instance\'s own dashboard.',
  live: 'The live feed shows one proxy\'s requests as they pass; the fleet\'s database receives them in batches. Open an instance\'s own dashboard for its live feed.',
  setup: 'Setup checks one proxy from this browser; open the dashboard of the proxy you browse through.',
  crawls: 'Crawls are kept by the machine that ran them; open its own dashboard (or pinaudit report --crawl there).',
} as const;

/** Builds the fleet dashboard app (not listening). */
export function buildFleetDashboard(deps: FleetDashboardDeps): FastifyInstance {
  const now = deps.now ?? Date.now;
  const app = createBase({
    ...deps,
    session: async () => ({ fleet: { label: deps.fleet.label, instances: await deps.fleet.instances(), limits: FLEET_LIMITS } }),
  });

  /** The read side for `?instance=` (a name or id; empty for all), refused when no instance has it. */
  const queries = async (query: QueryBag): Promise<ReadQueries> => {
    if (one(query, 'crawl') !== undefined) throw new PinauditError('NOT_IN_FLEET', FLEET_LIMITS.crawls);
    const instance = one(query, 'instance') ?? null;
    if (instance !== null) {
      const all = await deps.fleet.instances();
      if (!all.some((i) => i.name === instance || i.id === instance)) {
        throw new PinauditError('NOT_FOUND', `no instance named ${JSON.stringify(instance)} ships to this fleet database`);
      }
    }
    return deps.fleet.queries(instance);
  };

  app.get('/api/instances', async () => ({ label: deps.fleet.label, instances: await deps.fleet.instances() }));
  registerReadRoutes(app, { queries, settings: null, now });
  registerAdviceRoutes(app, { advice: async (query) => (await queries(query)).advice, now });
  registerExportRoute(app, queries, now);

  const readOnly = async (): Promise<never> => {
    throw new PinauditError('READ_ONLY', FLEET_LIMITS.readOnly);
  };
  app.get('/api/settings', async () => {
    throw new PinauditError('NOT_IN_FLEET', FLEET_LIMITS.readOnly);
  });
  app.put('/api/settings', readOnly);
  app.post('/api/exceptions', readOnly);
  app.delete('/api/exceptions/:site', readOnly);
  app.post('/api/purge', readOnly);
  for (const [path, why] of [['/api/live', FLEET_LIMITS.live], ['/api/setup', FLEET_LIMITS.setup], ['/api/crawls', FLEET_LIMITS.crawls],
    ['/api/crawls/*', FLEET_LIMITS.crawls], ['/proxy.pac', FLEET_LIMITS.setup], ['/ca.pem', FLEET_LIMITS.setup]] as const) {
    app.get(path, async () => {
      throw new PinauditError('NOT_IN_FLEET', why);
    });
  }

  finishBase(app, deps);
  return app;
}
