/**
 * A dashboard with one recorded crawl: shop-a.test crawled in modes off and trackers (one
 * Pinterest request filed with its crawl page, both screenshots as real JPEGs) and silent-f.test
 * failed on a timeout. The label carries markup, which must be shown as text. One request of
 * blog-b.test was browsed by hand, outside the crawl.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import jpeg from 'jpeg-js';
import type { FastifyInstance } from 'fastify';
import { screenshotDir } from '../../src/crawl/paths.js';
import { parseSiteList } from '../../src/crawl/sites.js';
import { openCrawlQueries, type CrawlQueries } from '../../src/store/crawl-queries.js';
import { openCrawlStore } from '../../src/store/crawls.js';
import { buildDashboard } from '../../src/web/dashboard.js';
import { makeFlow } from '../helpers/findings.js';
import { seededDashboard, type TestDashboard } from './seed.js';

export const CRAWL_LABEL = '<b>label</b>';

/** A 64×48 JPEG of one grey level. */
export function plainJpeg(level: number): Buffer {
  return jpeg.encode({ data: Buffer.alloc(64 * 48 * 4, level), width: 64, height: 48 }, 80).data;
}

export interface CrawlDashboard {
  app: FastifyInstance;
  dataDir: string;
  shopId: number;
  shots: { off: Buffer; trackers: Buffer };
  close(): Promise<void>;
}

export async function crawlDashboard(): Promise<CrawlDashboard> {
  const base: TestDashboard = await seededDashboard({ empty: true });
  const dataDir = dirname(base.dbPath);
  const flow = makeFlow({
    observation: { id: 'crawl-flow-1', proxyUser: 's1-a1-off' },
    finding: { page: { site: 'shop-a.test', url: 'https://shop-a.test/', attributedBy: 'tag-payload', confidence: 'high' } },
  });
  base.store.record(flow);
  base.store.complete(flow, { kind: 'response', status: 200, bytes: 43 });
  const own = makeFlow({
    observation: { id: 'own-flow-1' },
    finding: { page: { site: 'blog-b.test', url: 'https://blog-b.test/post', attributedBy: 'referer', confidence: 'high' } },
  });
  base.store.record(own);
  base.store.complete(own, { kind: 'response', status: 200, bytes: 43 });
  base.store.flush();
  const store = openCrawlStore(base.dbPath);
  const crawl = store.begin(parseSiteList(['shop-a.test', 'silent-f.test']).sites, { pages: 1, modes: ['off', 'trackers'], timeoutMs: 5000 }, CRAWL_LABEL);
  const q = store.queue(crawl.id);
  const shop = (await q.claim())!;
  const page = (mode: string) => ({ requested: 'https://shop-a.test/', url: 'https://shop-a.test/', status: 200, pageErrors: [], failedSameSite: [], textLength: 10, screenshot: `${shop.id}-${mode}-0.jpg`, error: null });
  await q.finish(shop, {
    finalUrl: 'https://shop-a.test/', finalSite: 'shop-a.test', verdict: 'works', verdictReason: null, pixelDiff: 0,
    evidence: { pages: [{ off: page('off'), trackers: page('trackers') }], comparisons: [] },
    flows: [{ flowId: 'crawl-flow-1', mode: 'off', pageIndex: 0, crawlPage: 'https://shop-a.test/', beforeInteraction: true }],
  });
  await q.fail((await q.claim())!, { kind: 'timeout', message: 'page.goto: Timeout 5000ms exceeded.', flows: [] });
  store.finish(crawl.id);
  store.close();
  const shots = { off: plainJpeg(250), trackers: plainJpeg(240) };
  mkdirSync(screenshotDir(dataDir, crawl.id), { recursive: true });
  writeFileSync(join(screenshotDir(dataDir, crawl.id), `${shop.id}-off-0.jpg`), shots.off);
  writeFileSync(join(screenshotDir(dataDir, crawl.id), `${shop.id}-trackers-0.jpg`), shots.trackers);
  const crawls: CrawlQueries = openCrawlQueries(base.dbPath);
  const app = buildDashboard({ ...base.deps, crawls: { crawls, dataDir } });
  return {
    app,
    dataDir,
    shopId: shop.id,
    shots,
    close: async () => {
      await app.close();
      crawls.close();
      await base.close();
    },
  };
}
