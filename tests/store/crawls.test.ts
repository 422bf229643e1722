/**
 * Crawl state in SQLite (migration 007): the same list and options resume the unfinished crawl,
 * sites a killed run left running are visited again, each site ends once (a late second end is
 * ignored, so nothing is counted twice), and its requests are written with its end. Migration 010:
 * sites numbered in the order they end, and a shared queue's part kept as one local crawl.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { parseSiteList } from '../../src/crawl/sites.js';
import type { CrawlOptions, SiteDone } from '../../src/crawl/types.js';
import { openCrawlQueries } from '../../src/store/crawl-queries.js';
import { openCrawlStore, type CrawlStore } from '../../src/store/crawls.js';
import { openRawConnection } from '../../src/store/db.js';

const OPTIONS: CrawlOptions = { pages: 2, modes: ['off', 'trackers'], timeoutMs: 5000 };
const SITES = parseSiteList(['shop-a.test', 'blog-b.test', 'broken-c.test']).sites;

let dir: string;
let path: string;
let store: CrawlStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-crawls-'));
  path = join(dir, 'pinaudit.db');
  store = openCrawlStore(path);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function done(flowIds: string[]): SiteDone {
  return {
    finalUrl: 'https://shop-a.test/',
    finalSite: 'shop-a.test',
    evidence: { pages: [], comparisons: [] },
    verdict: 'works',
    verdictReason: null,
    pixelDiff: 0,
    flows: flowIds.map((flowId) => ({ flowId, mode: 'off', pageIndex: 0, crawlPage: 'https://shop-a.test/', beforeInteraction: true })),
  };
}

/** crawl_requests rows per flow, read over a second connection. */
function flows(): string[] {
  const db = openRawConnection(path);
  try {
    return (db.prepare('SELECT flow_id FROM crawl_requests ORDER BY flow_id').all() as Array<{ flow_id: string }>).map((r) => r.flow_id);
  } finally {
    db.close();
  }
}

describe('crawl store', () => {
  test('sites are claimed in list order, one worker each, until none is left', async () => {
    const crawl = store.begin(SITES, OPTIONS, 'shops');
    expect(crawl).toEqual({ id: 1, label: 'shops', resumed: false });
    const q = store.queue(crawl.id);
    const claimed = [await q.claim(), await q.claim(), await q.claim(), await q.claim()];
    expect(claimed.map((t) => t?.site ?? null)).toEqual(['shop-a.test', 'blog-b.test', 'broken-c.test', null]);
    expect(await q.progress()).toEqual({ total: 3, done: 0, failed: 0, pending: 3 });
  });

  test('the same sites and options resume the unfinished crawl; sites left running start again', async () => {
    const first = store.begin(SITES, OPTIONS, null);
    const q = store.queue(first.id);
    const a = (await q.claim())!;
    await q.finish(a, done(['f1', 'f2']));
    await q.claim(); // blog-b.test: the process "dies" here
    store.close();

    store = openCrawlStore(path);
    const again = store.begin(SITES, OPTIONS, null);
    expect(again).toEqual({ id: first.id, label: null, resumed: true });
    const q2 = store.queue(again.id);
    expect(await q2.progress()).toEqual({ total: 3, done: 1, failed: 0, pending: 2 });
    const next = (await q2.claim())!;
    expect(next.site).toBe('blog-b.test');
    expect(next.attempt).toBe(2);
    expect(flows()).toEqual(['f1', 'f2']);
  });

  test('other options or another list start a new crawl; a finished crawl is not resumed', async () => {
    const a = store.begin(SITES, OPTIONS, null);
    expect(store.begin(SITES, { ...OPTIONS, pages: 3 }, null).id).not.toBe(a.id);
    expect(store.begin(SITES.slice(1), OPTIONS, null).id).not.toBe(a.id);
    store.finish(a.id);
    const b = store.begin(SITES, OPTIONS, null);
    expect(b.resumed).toBe(false);
    expect(b.id).not.toBe(a.id);
  });

  test('a site ends once: a second finish or fail of the same claim changes nothing and adds no requests', async () => {
    const crawl = store.begin(SITES, OPTIONS, null);
    const q = store.queue(crawl.id);
    const task = (await q.claim())!;
    await q.finish(task, done(['f1', 'f2']));
    await q.finish(task, done(['f3']));
    await q.fail(task, { kind: 'timeout', message: 'late', flows: [{ flowId: 'f4', mode: 'off', pageIndex: 0, crawlPage: 'x', beforeInteraction: true }] });
    const failed = (await q.claim())!;
    await q.fail(failed, { kind: 'dns', message: 'ERR_NAME_NOT_RESOLVED', flows: [] });
    expect(await q.progress()).toEqual({ total: 3, done: 1, failed: 1, pending: 1 });
    expect(flows()).toEqual(['f1', 'f2']);

    const reader = openCrawlQueries(path);
    try {
      const sites = reader.sites(crawl.id);
      expect(sites.map((s) => [s.site, s.state, s.errorKind])).toEqual([
        ['shop-a.test', 'done', null],
        ['blog-b.test', 'failed', 'dns'],
        ['broken-c.test', 'pending', null],
      ]);
      expect(reader.get(crawl.id)).toMatchObject({ sites: 3, done: 1, failed: 1 });
    } finally {
      reader.close();
    }
  });
});

describe('a shared queue\'s part in the local store (migration 010)', () => {
  const ended = (): Array<{ site: string; state: string; ended: number | null; attempts: number }> => {
    const db = openRawConnection(path);
    try {
      return db.prepare('SELECT site, state, ended, attempts FROM crawl_sites ORDER BY id').all() as Array<{ site: string; state: string; ended: number | null; attempts: number }>;
    } finally {
      db.close();
    }
  };

  test('sites are numbered in the order they end, across crawls; pending and running ones are not', async () => {
    const a = store.begin(SITES, OPTIONS, null);
    const q = store.queue(a.id);
    const first = (await q.claim())!;
    const second = (await q.claim())!;
    await q.fail(second, { kind: 'dns', message: 'no such host', flows: [] });
    await q.finish(first, done(['f1']));
    const shared = store.beginShared('fleet-list', OPTIONS);
    const id = store.claimShared(shared.id, { url: 'https://other.test/', site: 'other.test', attempt: 1 });
    await store.queue(shared.id).finish({ id, url: 'https://other.test/', site: 'other.test', attempt: 1 }, done(['f2']));
    expect(ended().map((s) => [s.site, s.state, s.ended])).toEqual([
      ['shop-a.test', 'done', 2],
      ['blog-b.test', 'failed', 1],
      ['broken-c.test', 'pending', null],
      ['other.test', 'done', 3],
    ]);
  });

  test('one local crawl per queue: a restart drops the sites a killed worker left running; a lost lease drops the site', async () => {
    const first = store.beginShared('shops', OPTIONS);
    expect(first).toMatchObject({ label: 'shops', resumed: false });
    const kept = store.claimShared(first.id, { url: 'https://a.test/', site: 'a.test', attempt: 1 });
    await store.queue(first.id).finish({ id: kept, url: 'https://a.test/', site: 'a.test', attempt: 1 }, done([]));
    store.claimShared(first.id, { url: 'https://b.test/', site: 'b.test', attempt: 1 }); // the worker dies here
    const again = store.beginShared('shops', OPTIONS);
    expect(again).toMatchObject({ id: first.id, resumed: true });
    expect(ended().map((s) => s.site)).toEqual(['a.test']);
    // The queue hands b.test to this worker again (attempt 2), then the lease is lost.
    const b = store.claimShared(first.id, { url: 'https://b.test/', site: 'b.test', attempt: 2 });
    expect(ended().at(-1)).toMatchObject({ site: 'b.test', state: 'running', attempts: 2 });
    store.forget(b);
    store.forget(kept); // only running sites are dropped
    expect(ended().map((s) => [s.site, s.state])).toEqual([['a.test', 'done']]);
    expect(store.beginShared('other', OPTIONS).id).not.toBe(first.id);
  });
});
