/**
 * The shared crawl queue as `pinaudit crawl` uses it. `pinaudit crawl SITES --queue …` registers a
 * queue (its name and the options every worker visits with) and enqueues the sites; a worker
 * (`--worker`) picks the queue of the oldest site that can be claimed and crawls it through the
 * same crawl loop as a local list (src/crawl/run.ts), with {@link SharedSiteQueue} in place of the
 * local queue. Each claimed site is also a row of the worker's local crawl, so its results are kept
 * locally first (the crash-safe buffer the shipper sends from) and then ended in the shared queue.
 */
import type { CrawlOptions, CrawlProgress, SiteDone, SiteFailure, SiteQueue, SiteTask } from '../crawl/types.js';
import { PinauditError } from '../errors.js';
import { plural } from '../plural.js';
import type { CrawlStore } from '../store/index.js';
import type { FleetDb } from './pg.js';
import type { FleetQueue, Lease, QueueProgress } from './queue.js';

/** The queue's name when the enqueuing command gave no --label. */
export const DEFAULT_QUEUE = 'default';

const NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

/**
 * Creates the queue with these options, or checks that an existing one has them: all workers of one
 * crawl must visit alike, so other options need another queue name.
 */
export async function registerQueue(db: FleetDb, name: string, options: CrawlOptions): Promise<void> {
  const json = JSON.stringify({ pages: options.pages, modes: options.modes, timeoutMs: options.timeoutMs });
  await db.query('INSERT INTO crawl_queues (name, options, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [name, json, Date.now()]);
  const existing = await queueOptions(db, name);
  if (existing !== null && JSON.stringify(existing) !== json) {
    throw new PinauditError(
      'USAGE',
      `queue "${name}" crawls with ${describeOptions(existing)}; give the same options, or another --label for a new queue`,
    );
  }
}

export async function queueOptions(db: FleetDb, name: string): Promise<CrawlOptions | null> {
  const rows = await db.query<{ options: string }>('SELECT options FROM crawl_queues WHERE name = $1', [name]);
  return rows[0] === undefined ? null : (JSON.parse(rows[0].options) as CrawlOptions);
}

/** What a worker should do next: crawl a queue, wait for sites other workers hold, or stop. */
export type NextQueue = { kind: 'crawl'; name: string } | { kind: 'wait' } | { kind: 'empty' };

/**
 * The queue of the oldest site that can be claimed now (pending, or its lease ran out); else
 * `wait` while sites are running (their workers may die and give them back), else `empty`.
 */
export async function nextQueue(db: FleetDb, only: string | null): Promise<NextQueue> {
  const rows = await db.query<{ queue: string; claimable: boolean }>(
    `SELECT queue, (state = 'pending' OR lease_until < ${NOW_MS}) AS claimable FROM crawl_queue
     WHERE state IN ('pending', 'running') AND ($1::text IS NULL OR queue = $1)
     ORDER BY (state = 'pending' OR lease_until < ${NOW_MS}) DESC, id LIMIT 1`,
    [only],
  );
  const row = rows[0];
  if (row === undefined) return { kind: 'empty' };
  return row.claimable ? { kind: 'crawl', name: row.queue } : { kind: 'wait' };
}

/** Every queue with its sites by state, oldest queue first. */
export async function queueSummaries(db: FleetDb): Promise<Array<{ name: string; progress: QueueProgress }>> {
  const rows = await db.query<{ queue: string; state: keyof QueueProgress; n: string }>(
    'SELECT queue, state, count(*) AS n, min(id) AS first FROM crawl_queue GROUP BY queue, state ORDER BY min(min(id)) OVER (PARTITION BY queue), queue',
  );
  const out = new Map<string, QueueProgress>();
  for (const r of rows) {
    const p = out.get(r.queue) ?? { total: 0, pending: 0, running: 0, done: 0, failed: 0 };
    p[r.state] = Number(r.n);
    p.total += Number(r.n);
    out.set(r.queue, p);
  }
  return [...out].map(([name, progress]) => ({ name, progress }));
}

/** `queue "shops": 500 sites, 10 pending, 2 running, 480 done, 8 failed` */
export function queueLine(name: string, p: QueueProgress): string {
  return `queue "${name}": ${plural(p.total, 'site')}, ${p.pending} pending, ${p.running} running, ${p.done} done, ${p.failed} failed`;
}

/** "--pages 3 --modes off,trackers --timeout 30s" */
export function describeOptions(options: CrawlOptions): string {
  return `--pages ${options.pages} --modes ${options.modes.join(',')} --timeout ${Math.round(options.timeoutMs / 1000)}s`;
}

/**
 * A {@link SiteQueue} over the shared queue, for one crawl loop. A site ends locally first (its
 * evidence and requests in one SQLite transaction) and then in the shared queue; a site whose lease
 * was lost (this worker stalled past it and another took the site) is dropped locally instead, so
 * the site's results come from one worker.
 */
export class SharedSiteQueue implements SiteQueue {
  readonly #leases = new Map<number, Lease>();

  constructor(
    private readonly fleet: FleetQueue,
    private readonly crawls: CrawlStore,
    private readonly local: SiteQueue,
    private readonly crawlId: number,
    /** Called with each site this worker ended (done or failed). */
    private readonly onEnded?: (site: string, failed: boolean) => void,
  ) {}

  async claim(): Promise<SiteTask | null> {
    const lease = await this.fleet.claim();
    if (lease === null) return null;
    const id = this.crawls.claimShared(this.crawlId, lease.site);
    this.#leases.set(id, lease);
    return { id, url: lease.site.url, site: lease.site.site, attempt: lease.site.attempt };
  }

  async finish(task: SiteTask, done: SiteDone): Promise<void> {
    await this.end(task, () => this.local.finish(task, done), (lease) => lease.finish(), false);
  }

  async fail(task: SiteTask, failure: SiteFailure): Promise<void> {
    await this.end(task, () => this.local.fail(task, failure), (lease) => lease.fail(`${failure.kind}: ${failure.message}`), true);
  }

  async progress(): Promise<CrawlProgress> {
    const p = await this.fleet.progress();
    return { total: p.total, done: p.done, failed: p.failed, pending: p.pending + p.running };
  }

  private async end(task: SiteTask, keep: () => Promise<void>, close: (lease: Lease) => Promise<boolean>, failed: boolean): Promise<void> {
    const lease = this.#leases.get(task.id);
    if (lease === undefined) throw new Error(`site ${task.site} was not claimed from the shared queue`);
    this.#leases.delete(task.id);
    if (!(await lease.confirm().catch(() => false))) {
      lease.release();
      this.crawls.forget(task.id);
      return;
    }
    await keep();
    // A crash between the two leaves the site done here and leased there: after the lease another
    // worker visits it again (at most once more), and both results reach the fleet.
    await close(lease);
    this.onEnded?.(task.site, failed);
  }
}
