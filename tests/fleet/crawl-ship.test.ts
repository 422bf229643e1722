/**
 * Shipping crawl results (local migrations 007 and 010 → fleet migration 003) on a real PostgreSQL:
 * ended sites go once each with their request links, running ones wait, a lost marker or a second
 * instance with the same local ids duplicates nothing, and a crawl's change (finished) reaches the
 * fleet.
 */
import { describe, expect, test } from 'vitest';
import { connectFleet, fleetTarget, type FleetDb } from '../../src/fleet/pg.js';
import { startShipper, type Shipper } from '../../src/fleet/shipper.js';
import type { CrawlOptions, SiteDone } from '../../src/crawl/types.js';
import { openRawConnection } from '../../src/store/db.js';
import { openCrawlStore, type CrawlStore } from '../../src/store/index.js';
import { capturedLogger, localInstance, type LocalInstance, postgresPerFile } from './fleet-helpers.js';

const fleetPg = postgresPerFile();

const OPTIONS: CrawlOptions = { pages: 1, modes: ['off'], timeoutMs: 5000 };
const SITES = ['a.test', 'b.test', 'c.test'].map((site) => ({ input: site, url: `https://${site}/`, site }));

function instance(): { i: LocalInstance; crawls: CrawlStore } {
  const i = localInstance();
  const crawls = openCrawlStore(i.dbPath);
  fleetPg.cleanup(() => i.close(), () => crawls.close());
  return { i, crawls };
}

function shipper(i: LocalInstance, url: string, name: string): Shipper {
  const s = startShipper({ dbPath: i.dbPath, target: fleetTarget(url, {}), name, log: capturedLogger().log, intervalMs: 60_000 });
  fleetPg.cleanup(() => s.close());
  return s;
}

async function fleet(url: string): Promise<FleetDb> {
  const db = await connectFleet(fleetTarget(url, {}));
  fleetPg.cleanup(() => db.close());
  return db;
}

function done(site: string, flows: number): SiteDone {
  return {
    finalUrl: `https://${site}/`,
    finalSite: site,
    evidence: { pages: [], comparisons: [] },
    verdict: 'works',
    verdictReason: null,
    pixelDiff: null,
    flows: Array.from({ length: flows }, (_, n) => ({ flowId: `${site}-${n}`, mode: 'off', pageIndex: 0, crawlPage: `https://${site}/`, beforeInteraction: true })),
  };
}

/** Crawls the list: every site but the last ends (two done, in order), the last stays running. */
async function crawlAllButLast(crawls: CrawlStore): Promise<number> {
  const crawl = crawls.begin(SITES, OPTIONS, 'ship me');
  const queue = crawls.queue(crawl.id);
  const first = (await queue.claim())!;
  await queue.finish(first, done(first.site, 3));
  const second = (await queue.claim())!;
  await queue.fail(second, { kind: 'timeout', message: 'no answer', flows: done(second.site, 1).flows });
  await queue.claim(); // running
  return crawl.id;
}

const counts = async (db: FleetDb, instance: string): Promise<Record<string, number>> => {
  const [row] = await db.query(
    `SELECT (SELECT count(*) FROM crawls WHERE instance_id = $1) AS crawls,
       (SELECT count(*) FROM crawl_sites WHERE instance_id = $1) AS sites,
       (SELECT count(*) FROM crawl_requests WHERE instance_id = $1) AS requests`,
    [instance],
  );
  return Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k, Number(v)]));
};

describe('shipping crawl results', () => {
  test('ended sites go once with their request links; the running one waits; a lost marker duplicates nothing', async () => {
    const url = fleetPg.pg.createDatabase('crawl_ship');
    const { i, crawls } = instance();
    const crawlId = await crawlAllButLast(crawls);
    const s = shipper(i, url, 'crawler');
    await s.drain();
    const db = await fleet(url);
    expect(await counts(db, s.instanceId)).toEqual({ crawls: 1, sites: 2, requests: 4 });
    const sites = await db.query('SELECT site, state, ended, error_kind FROM crawl_sites WHERE instance_id = $1 ORDER BY ended', [s.instanceId]);
    expect(sites).toEqual([
      { site: 'a.test', state: 'done', ended: '1', error_kind: null },
      { site: 'b.test', state: 'failed', ended: '2', error_kind: 'timeout' },
    ]);

    // The last site ends and the crawl finishes; then the marker is lost and everything is sent again.
    const running = openRawConnection(i.dbPath);
    const last = running.prepare("SELECT id, url, site, attempts AS attempt FROM crawl_sites WHERE state = 'running'").get() as { id: number; url: string; site: string; attempt: number };
    running.close();
    await crawls.queue(crawlId).finish(last, done(last.site, 2));
    crawls.finish(crawlId);
    await s.drain();
    expect(await counts(db, s.instanceId)).toEqual({ crawls: 1, sites: 3, requests: 6 });
    expect((await db.query('SELECT finished_at FROM crawls WHERE instance_id = $1', [s.instanceId]))[0]?.finished_at).not.toBeNull();

    await s.close();
    const raw = openRawConnection(i.dbPath);
    raw.prepare('DELETE FROM ship_marks').run();
    raw.close();
    const again = shipper(i, url, 'crawler');
    await again.drain();
    expect(again.status().shipped.crawlSites).toBe(3);
    expect(await counts(db, s.instanceId)).toEqual({ crawls: 1, sites: 3, requests: 6 });
  });

  test('two instances with the same local crawl and site ids arrive side by side', async () => {
    const url = fleetPg.pg.createDatabase('crawl_two');
    const [a, b] = [instance(), instance()];
    await crawlAllButLast(a.crawls);
    await crawlAllButLast(b.crawls);
    const [sa, sb] = [shipper(a.i, url, 'a'), shipper(b.i, url, 'b')];
    await sa.drain();
    await sb.drain();
    const db = await fleet(url);
    expect(await counts(db, sa.instanceId)).toEqual({ crawls: 1, sites: 2, requests: 4 });
    expect(await counts(db, sb.instanceId)).toEqual({ crawls: 1, sites: 2, requests: 4 });
  });
});
