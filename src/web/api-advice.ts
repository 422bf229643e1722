/**
 * The JSON routes of "Does the advice work?": `/api/advice` (the person's privacy switches, since
 * when, and what still reached Pinterest while they were off) and `/api/identifiers/changes`
 * (tracking ids that changed, and what tied them back). Plain JSON; site names in it were written
 * by websites and the UI shows them as text only.
 */
import type { FastifyInstance } from 'fastify';
import { adviceSummary, durationWords, idChanges } from '../advice/summary.js';
import type { ReadAdvice } from '../store/index.js';
import { parseRange, type QueryBag } from './params.js';

export interface AdviceDeps {
  /** The advice reads a request's parameters pick (over the fleet: one instance, or all). */
  advice(query: QueryBag): ReadAdvice | Promise<ReadAdvice>;
  now: () => number;
}

/** Registers the advice routes. */
export function registerAdviceRoutes(app: FastifyInstance, deps: AdviceDeps): void {
  app.get('/api/advice', async (req) => ({ now: deps.now(), ...(await adviceSummary(await deps.advice(req.query as QueryBag), deps.now())) }));

  app.get('/api/identifiers/changes', async (req) => {
    const r = parseRange(req.query as QueryBag, deps.now());
    const changes = await idChanges(await deps.advice(req.query as QueryBag), { from: r.from, to: r.to });
    // The words for "how fast" are the report's, so the two say it the same way.
    return {
      range: { name: r.name, from: r.from, to: r.to },
      changes: changes.map((c) => ({ ...c, link: c.link && { ...c.link, after: durationWords(c.link.afterMs) } })),
    };
  });
}
