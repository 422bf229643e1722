/**
 * The dashboard server: `buildDashboard(deps)` returns a fastify instance that never listens by
 * itself (the app binds it to loopback; tests use `inject()`). It is the only module tree that
 * imports fastify. Guards (security.ts) run first on every request; then the static UI, the JSON
 * API, the live feed, the CSV export, the PAC file and the CA certificate.
 */
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { offsiteStateAt } from '../advice/summary.js';
import { trustInstructions } from '../ca/trust-help.js';
import { csvChunks, CSV_SCHEMA_VERSION } from '../export/csv.js';
import { CHECK_HOST, PINTEREST_DOMAINS } from '../pinterest/domains.js';
import { PinauditError } from '../errors.js';
import { CATEGORY_FILTERS, DECISION_FILTERS } from '../types.js';
import type { PruneReport, PurgeOptions, Queries, SettingsHandle } from '../store/index.js';
import { registerAdviceRoutes } from './api-advice.js';
import { registerReadRoutes } from './api-read.js';
import { registerWriteRoutes } from './api-write.js';
import type { CaRejectionSummary } from '../proxy/ca-rejections.js';
import type { LiveFeed } from './live.js';
import { registerLiveRoute } from './live-route.js';
import { registerCrawlRoutes, type CrawlRouteDeps } from './crawl-routes.js';
import { pacFile, proxyAddress } from './pac.js';
import { flag, parseRequestFilter, type QueryBag } from './params.js';
import { hostAllowed, originProblem, SECURITY_HEADERS, TOKEN_HEADER, tokenMatches } from './security.js';
import { chartLibraryPath, findDashboardDir, StaticRoot } from './static.js';

/** The small logging surface the dashboard uses (a pino logger fits). */
export interface DashboardLogger {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

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
  caRejections?: { summary(): CaRejectionSummary };
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

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Builds the dashboard app (not listening). */
export function buildDashboard(deps: DashboardDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, forceCloseConnections: true, return503OnClosing: true });
  const token = randomBytes(32).toString('base64url');
  const now = deps.now ?? Date.now;
  const root = new StaticRoot(deps.dashboardDir ?? findDashboardDir());
  const chart = new StaticRoot(dirname(chartLibraryPath()));

  app.addHook('onRequest', async (req, reply) => {
    reply.headers(SECURITY_HEADERS);
    if (!hostAllowed(req.headers.host, deps.allowedHosts)) {
      throw new PinauditError('HOST_REFUSED', 'this dashboard answers only on a loopback address (localhost, 127.0.0.1)');
    }
    const mutating = !SAFE_METHODS.has(req.method);
    const problem = originProblem(req.headers.origin, req.headers.host, mutating);
    if (problem) throw new PinauditError('ORIGIN_REFUSED', problem);
    if (mutating && !tokenMatches(req.headers[TOKEN_HEADER], token)) {
      throw new PinauditError('TOKEN_REQUIRED', `state changes need the session token in ${TOKEN_HEADER}`);
    }
    if (req.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    const { status, code, message } = describeError(err);
    if (status >= 500) deps.logger?.error({ err: message, url: req.routeOptions.url ?? null }, 'dashboard request failed');
    void reply.code(status).send({ error: { code, message } });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no such route: ${req.method} ${req.url.split('?')[0]}` } });
  });

  app.get('/api/session', async () => ({
    token,
    tokenHeader: TOKEN_HEADER,
    csvSchemaVersion: CSV_SCHEMA_VERSION,
    filters: { category: CATEGORY_FILTERS, decision: DECISION_FILTERS },
  }));

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
    caRejections: deps.caRejections?.summary() ?? { total: 0, lastAt: null, hosts: [], moreHosts: 0, untracked: 0 },
  }));

  registerReadRoutes(app, { queries: deps.queries, settings: deps.settings, now });
  registerWriteRoutes(app, { settings: deps.settings, purge: deps.purge });
  registerAdviceRoutes(app, { advice: deps.queries.advice, now });
  registerLiveRoute(app, deps.live);
  if (deps.crawls) registerCrawlRoutes(app, deps.crawls);

  app.get('/export.csv', async (req, reply) => {
    const query = req.query as QueryBag;
    const filter = parseRequestFilter(query, now());
    const redact = flag(query, 'redact');
    const day = new Date(now()).toISOString().slice(0, 10);
    reply
      .type('text/csv; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="pinaudit-requests-v${CSV_SCHEMA_VERSION}-${day}${redact ? '-redacted' : ''}.csv"`);
    // Readable.from pulls the generator only as fast as the client reads: never the whole file in memory.
    const switchState = offsiteStateAt(deps.queries.advice);
    return reply.send(Readable.from(csvChunks(deps.queries.iterate(filter), { redact, switchState })));
  });

  app.get('/proxy.pac', async (_req, reply) =>
    reply.type('application/x-ns-proxy-autoconfig').header('cache-control', 'no-cache').send(pacFile(deps.proxy)),
  );

  app.get('/ca.pem', async (_req, reply) =>
    reply
      .type('application/x-pem-file')
      .header('content-disposition', 'attachment; filename="pinaudit-ca.pem"')
      .send(deps.ca.certPem),
  );

  app.get('/vendor/chart.umd.min.js', async (_req, reply) => {
    const file = await chart.read('/chart.umd.min.js');
    if (!file) throw new PinauditError('CHART_MISSING', 'chart.js is not installed (npm install)');
    return reply.type(file.type).header('cache-control', 'max-age=3600').send(file.body);
  });

  app.get('/*', async (req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    const file = await root.read(path === '/' ? '/index.html' : path);
    if (!file) throw new PinauditError('NOT_FOUND', 'no such file');
    return reply.type(file.type).header('cache-control', 'no-cache').send(file.body);
  });

  return app;
}

/** Maps anything thrown to a status, a stable code and a message fit to show. */
function describeError(err: unknown): { status: number; code: string; message: string } {
  if (err instanceof PinauditError) return { status: err.status, code: err.code, message: err.message };
  // Fastify's own errors (bad JSON, body too large, unsupported media type) carry a 4xx statusCode.
  if (typeof err === 'object' && err !== null && 'statusCode' in err) {
    const status = Number((err as { statusCode: unknown }).statusCode);
    if (status >= 400 && status < 500) {
      const code = 'code' in err ? String((err as { code: unknown }).code) : 'BAD_REQUEST';
      return { status, code, message: err instanceof Error ? err.message : 'bad request' };
    }
  }
  return { status: 500, code: 'INTERNAL', message: err instanceof Error ? err.message : 'internal error' };
}
