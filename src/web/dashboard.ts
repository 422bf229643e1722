/**
 * The dashboard server: `buildDashboard(deps)` returns a fastify instance that never listens by
 * itself (the app binds it to loopback; tests use `inject()`). It is the only module tree that
 * imports fastify. Guards (security.ts) run first on every request; then the static UI, the JSON
 * API, the live feed, the CSV export, the PAC file and the CA certificate.
 */
import type { FastifyInstance } from 'fastify';
import { trustInstructions } from '../ca/trust-help.js';
import { CHECK_HOST, PINTEREST_DOMAINS } from '../pinterest/domains.js';
import type { PruneReport, PurgeOptions, Queries, SettingsHandle } from '../store/index.js';
import { registerAdviceRoutes } from './api-advice.js';
import { registerReadRoutes } from './api-read.js';
import { registerWriteRoutes } from './api-write.js';
import type { CaRejectionSummary } from '../proxy/ca-rejections.js';
import { createBase, finishBase, registerExportRoute, type DashboardLogger } from './base.js';
import type { LiveFeed } from './live.js';
import { registerLiveRoute } from './live-route.js';
import { registerCrawlRoutes, type CrawlRouteDeps } from './crawl-routes.js';
import { pacFile, proxyAddress } from './pac.js';

export type { DashboardLogger } from './base.js';

/** Everything the dashboard needs from the rest of the app. */
export interface DashboardDeps {
  /** Read API over the database (a read-only connection of its own is best). */
  queries: Queries;
  /** The store's live settings (block mode, exceptions, retention) shared with the proxy. */
  settings: SettingsHandle;
  /** Forgets recorded data at the user's request (runs on the writer's connection). */
  purge(options: PurgeOptions): PruneReport;
  /** Completed flows, published by `liveStage`. */
  live: LiveFeed;
  /** Where the proxy listens (for the setup page and the PAC file). */
  proxy: { host: string; port: number };
  ca: { certPem: string; fingerprint: string; certPath: string; notAfter: Date };
  /** Clients that refused pinaudit's certificate (the proxy's count); none when absent. */
  caRejections?: { summary(): CaRejectionSummary; countOf(host: string): number };
  /**
   * Host names accepted besides the loopback names, for an explicit LAN bind (the address the
   * dashboard was bound to). Empty by default: only `localhost`, `127.x.x.x` and `[::1]`.
   */
  allowedHosts?: readonly string[];
  logger?: DashboardLogger;
  /** Clock for relative ranges (tests). Default `Date.now`. */
  now?: () => number;
  /** The static UI folder. Default: the project's `dashboard/`. */
  dashboardDir?: string;
  /** Crawls (pinaudit crawl) and the data directory holding their screenshots; no Crawls routes without. */
  crawls?: CrawlRouteDeps;
}

/** Builds the dashboard app (not listening). */
export function buildDashboard(deps: DashboardDeps): FastifyInstance {
  const app = createBase(deps);
  const now = deps.now ?? Date.now;

  app.get('/api/setup', async () => ({
    proxy: { host: deps.proxy.host, port: deps.proxy.port, address: proxyAddress(deps.proxy) },
    pacPath: '/proxy.pac',
    checkUrl: `https://${CHECK_HOST}/`,
    pinterestDomains: PINTEREST_DOMAINS,
    ca: {
      downloadPath: '/ca.pem',
      fingerprint: deps.ca.fingerprint,
      certPath: deps.ca.certPath,
      notAfter: deps.ca.notAfter.toISOString(),
      instructions: trustInstructions(deps.ca),
    },
    // `checkHost`: refusals of the setup check's own host, which only the check fetches.
    caRejections: {
      ...(deps.caRejections?.summary() ?? { total: 0, lastAt: null, hosts: [], moreHosts: 0, untracked: 0 }),
      checkHost: deps.caRejections?.countOf(CHECK_HOST) ?? 0,
    },
  }));

  registerReadRoutes(app, { queries: () => deps.queries, settings: deps.settings, now });
  registerWriteRoutes(app, { settings: deps.settings, purge: deps.purge });
  registerAdviceRoutes(app, { advice: () => deps.queries.advice, now });
  registerLiveRoute(app, deps.live);
  if (deps.crawls) registerCrawlRoutes(app, deps.crawls);
  registerExportRoute(app, () => deps.queries, now);

  app.get('/proxy.pac', async (_req, reply) =>
    reply.type('application/x-ns-proxy-autoconfig').header('cache-control', 'no-cache').send(pacFile(deps.proxy)),
  );

  app.get('/ca.pem', async (_req, reply) =>
    reply
      .type('application/x-pem-file')
      .header('content-disposition', 'attachment; filename="pinaudit-ca.pem"')
      .send(deps.ca.certPem),
  );

  finishBase(app, deps);
  return app;
}
