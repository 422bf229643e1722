/**
 * The Crawls view's routes: the list of crawls, one crawl's report (screenshots as URLs of this
 * dashboard instead of file paths), a site's crawl requests with their ground-truth crawl page,
 * and the screenshot files themselves. A screenshot name is checked against the one shape the
 * crawler writes before anything touches the disk.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { screenshotDir } from '../crawl/paths.js';
import { buildCrawlReport } from '../crawl/report.js';
import type { CrawlQueries } from '../store/index.js';
import { PinauditError } from '../errors.js';

export interface CrawlRouteDeps {
  crawls: CrawlQueries;
  /** The data directory, where the screenshots are. */
  dataDir: string;
}

/** Shape of a screenshot file: `<site id>-<mode>-<page>.jpg`. */
const SHOT = /^(\d{1,9})-(off|strip|trackers|all)-(\d{1,2})\.jpg$/;
/** Disagreeing requests sent to the browser at most (the CLI's --json has them all). */
const MAX_DISAGREEMENTS = 500;

function idParam(text: string, what: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new PinauditError('BAD_PARAM', `${what} must be a number`);
  return Number(text);
}

export function shotUrl(crawlId: number, file: string): string {
  return `/crawl-shots/${crawlId}/${file}`;
}

export function registerCrawlRoutes(app: FastifyInstance, deps: CrawlRouteDeps): void {
  const { crawls } = deps;

  app.get('/api/crawls', async () => ({ crawls: crawls.list() }));

  app.get('/api/crawls/:id', async (req) => {
    const id = idParam((req.params as { id: string }).id, 'the crawl');
    if (crawls.get(id) === null) throw new PinauditError('NOT_FOUND', `there is no crawl ${id}`);
    const report = buildCrawlReport(crawls, id, deps.dataDir);
    const { disagreements } = report.attribution;
    return {
      ...report,
      attribution: { ...report.attribution, disagreements: disagreements.slice(0, MAX_DISAGREEMENTS), disagreementsTotal: disagreements.length },
      sites: report.sites.map((s) => ({
        ...s,
        screenshots: s.screenshots.map(({ path, ...x }) => ({ ...x, src: shotUrl(id, path.slice(path.lastIndexOf('/') + 1)) })),
      })),
    };
  });

  app.get('/api/crawls/:id/sites/:site/requests', async (req) => {
    const params = req.params as { id: string; site: string };
    const id = idParam(params.id, 'the crawl');
    const siteId = idParam(params.site, 'the site');
    return { requests: crawls.requests(id).filter((r) => r.siteId === siteId) };
  });

  app.get('/crawl-shots/:id/:file', async (req, reply) => {
    const params = req.params as { id: string; file: string };
    const id = idParam(params.id, 'the crawl');
    if (!SHOT.test(params.file)) throw new PinauditError('NOT_FOUND', 'no such screenshot');
    let body: Buffer;
    try {
      body = await readFile(join(screenshotDir(deps.dataDir, id), params.file));
    } catch {
      throw new PinauditError('NOT_FOUND', 'no such screenshot');
    }
    return reply.type('image/jpeg').header('cache-control', 'max-age=3600').send(body);
  });
}
