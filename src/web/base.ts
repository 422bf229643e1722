/**
 * What every dashboard shares, over one machine's store or over the fleet: the guards (security.ts)
 * on every request, the error and not-found answers, the session, the CSV export, the chart
 * library and the static UI. The caller adds its routes between `createBase` and `finishBase`.
 */
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { offsiteStateAt } from '../advice/summary.js';
import { csvChunksOf, CSV_SCHEMA_VERSION } from '../export/csv.js';
import { PinauditError } from '../errors.js';
import type { ReadQueries } from '../store/index.js';
import { CATEGORY_FILTERS, DECISION_FILTERS } from '../types.js';
import { flag, parseRequestFilter, type QueryBag } from './params.js';
import { hostAllowed, originProblem, SECURITY_HEADERS, TOKEN_HEADER, tokenMatches } from './security.js';
import { chartLibraryPath, findDashboardDir, StaticRoot } from './static.js';

/** The small logging surface the dashboard uses (a pino logger fits). */
export interface DashboardLogger {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface BaseOptions {
  /** Host names accepted besides the loopback names (an explicit LAN bind). */
  allowedHosts?: readonly string[] | undefined;
  logger?: DashboardLogger | undefined;
  /** The static UI folder. Default: the project's `dashboard/`. */
  dashboardDir?: string | undefined;
  /** Added to /api/session (the fleet dashboard says so there). */
  session?: () => Promise<Record<string, unknown>> | Record<string, unknown>;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A fastify app with the guards, error handling and session route (not listening). */
export function createBase(options: BaseOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, forceCloseConnections: true, return503OnClosing: true });
  const token = randomBytes(32).toString('base64url');

  app.addHook('onRequest', async (req, reply) => {
    reply.headers(SECURITY_HEADERS);
    if (!hostAllowed(req.headers.host, options.allowedHosts)) {
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
    if (status >= 500) options.logger?.error({ err: message, url: req.routeOptions.url ?? null }, 'dashboard request failed');
    if (code === 'READ_ONLY') void reply.header('allow', 'GET, HEAD');
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
    fleet: null,
    ...(options.session ? await options.session() : {}),
  }));
  return app;
}

/** The CSV export of the requests a filter selects, streamed as fast as the client reads. */
export function registerExportRoute(app: FastifyInstance, queries: (q: QueryBag) => ReadQueries | Promise<ReadQueries>, now: () => number): void {
  app.get('/export.csv', async (req, reply) => {
    const query = req.query as QueryBag;
    const filter = parseRequestFilter(query, now());
    const redact = flag(query, 'redact');
    const q = await queries(query);
    const switchState = await offsiteStateAt(q.advice);
    const day = new Date(now()).toISOString().slice(0, 10);
    reply
      .type('text/csv; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="pinaudit-requests-v${CSV_SCHEMA_VERSION}-${day}${redact ? '-redacted' : ''}.csv"`);
    // Readable.from pulls the generator only as fast as the client reads: never the whole file in memory.
    return reply.send(Readable.from(csvChunksOf(q.iterate(filter), { redact, switchState })));
  });
}

/** The chart library and the static UI: registered last, as `/*` matches everything else. */
export function finishBase(app: FastifyInstance, options: BaseOptions): void {
  const root = new StaticRoot(options.dashboardDir ?? findDashboardDir());
  const chart = new StaticRoot(dirname(chartLibraryPath()));
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
