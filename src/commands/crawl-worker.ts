/**
 * `pinaudit crawl SITES --queue URL` (enqueue and exit) and `pinaudit crawl --worker --queue URL`
 * (take sites until every site has ended). A worker runs the same crawl loop as a local crawl
 * (src/crawl/run.ts) once per queue it serves, with the shared queue in place of the local one; its
 * results stay in its own data directory and ship to --ship-to, by default the queue's database.
 */
import { databasePath } from '../app.js';
import type { Config } from '../config.js';
import type { SiteEntry } from '../crawl/sites.js';
import type { CrawlOptions } from '../crawl/types.js';
import { preparePrivateDir } from '../data-dir.js';
import { PinauditError } from '../errors.js';
import { describeOptions, nextQueue, queueLine, queueOptions, registerQueue, SharedSiteQueue } from '../fleet/crawl-queue.js';
import { instanceId, instanceName } from '../fleet/instance.js';
import { migrateFleet } from '../fleet/migrate.js';
import { connectFleet, type FleetDb, type FleetTarget } from '../fleet/pg.js';
import { FleetQueue } from '../fleet/queue.js';
import { createLogger, routeConsole } from '../log.js';
import { openDatabase } from '../store/index.js';
import { plural } from '../plural.js';
import type { Io } from './command.js';
import { startCrawlShipper, stopOnSignals } from './crawl.js';

/** Connects and brings the fleet schema up to date (the first command to use a new database creates it). */
async function openQueueDb(target: FleetTarget, role: string): Promise<FleetDb> {
  const db = await connectFleet(target, `pinaudit crawl ${role}`);
  try {
    await migrateFleet(db);
    return db;
  } catch (err: unknown) {
    await db.close();
    throw err;
  }
}

export async function enqueue(target: FleetTarget, name: string, sites: readonly SiteEntry[], options: CrawlOptions, io: Io): Promise<number> {
  const db = await openQueueDb(target, 'enqueue');
  try {
    await registerQueue(db, name, options);
    const queue = new FleetQueue(db, { queue: name, worker: { id: '', name: '' } });
    const added = await queue.enqueue(sites.map((s) => ({ url: s.url, site: s.site })));
    const p = await queue.progress();
    io.stdout(
      `enqueued ${plural(added, 'site')} in queue "${name}" at ${target.label}` +
        `${added < sites.length ? ` (${sites.length - added} already there)` : ''}\n` +
        `${queueLine(name, p)}; crawled with ${describeOptions((await queueOptions(db, name))!)}\n` +
        `workers: pinaudit crawl --worker --queue ${target.label}\n`,
    );
    return 0;
  } finally {
    await db.close();
  }
}

export interface WorkerRequest {
  config: Config;
  queue: FleetTarget;
  /** Serve only this queue (--label), or every queue. */
  only: string | null;
  follow: boolean;
  leaseMs: number;
  concurrency: number;
  browserPath: string;
}

export async function runWorker(req: WorkerRequest, io: Io): Promise<number> {
  const { config } = req;
  const { runCrawl } = await import('../crawl/run.js');
  const log = createLogger(config.logLevel);
  const db = await openQueueDb(req.queue, 'worker');
  const restoreConsole = routeConsole(log);
  const stop = stopOnSignals(io);
  const ended = new Map<string, { crawled: number; failed: number }>();
  let shipper: Awaited<ReturnType<typeof startCrawlShipper>> = null;
  try {
    preparePrivateDir(config.dataDir);
    const worker = { id: localInstanceId(config), name: instanceName(config.instanceName) };
    const shipTo = config.shipTo ?? req.queue;
    shipper = await startCrawlShipper(config, shipTo, log);
    io.stderr(`worker ${worker.name} takes sites from ${req.queue.label}${req.only === null ? '' : ` (queue "${req.only}")`}; results ship to ${shipTo.label}\n`);
    // Sites other workers hold are waited for: if such a worker dies, its site comes back here.
    const pollMs = Math.min(2000, Math.max(200, Math.floor(req.leaseMs / 3)));
    for (;;) {
      if (stop.signal.aborted) break;
      const next = await nextQueue(db, req.only);
      if (next.kind === 'empty' && !req.follow) break;
      if (next.kind !== 'crawl') {
        await sleep(pollMs, stop.signal);
        continue;
      }
      const name = next.name;
      const options = await queueOptions(db, name);
      if (options === null) throw new PinauditError('FLEET_QUERY', `${req.queue.label}: queue "${name}" has no options (crawl_queues)`);
      const count = ended.get(name) ?? { crawled: 0, failed: 0 };
      ended.set(name, count);
      const onEnded = (site: string, failed: boolean): void => {
        count[failed ? 'failed' : 'crawled'] += 1;
        io.stderr(`queue "${name}": ${site} ${failed ? 'failed' : 'crawled'}\n`);
      };
      const fleetQueue = new FleetQueue(db, { queue: name, worker, leaseMs: req.leaseMs });
      await runCrawl({
        config,
        sites: [],
        shared: { name, open: (crawls, crawlId) => new SharedSiteQueue(fleetQueue, crawls, crawls.queue(crawlId), crawlId, onEnded) },
        options,
        label: name,
        concurrency: req.concurrency,
        browserPath: req.browserPath,
        log,
        signal: stop.signal,
      });
    }
    for (const [name, n] of ended) {
      const p = await new FleetQueue(db, { queue: name, worker }).progress();
      io.stdout(`queue "${name}": this worker crawled ${plural(n.crawled, 'site')}, ${n.failed} failed; the queue has ${p.done} done, ${p.failed} failed, ${p.pending + p.running} left\n`);
    }
    if (ended.size === 0) io.stdout(`no sites to crawl in ${req.queue.label}${req.only === null ? '' : ` queue "${req.only}"`}\n`);
    // Stopping is how a --follow worker ends (docker compose stop): not a failure; its sites in
    // progress go back to the queue after their lease.
    return 0;
  } finally {
    stop.dispose();
    await shipper?.finish(io);
    await db.close();
    restoreConsole();
  }
}

/** The instance id kept in the local database (the shipper's too), naming this worker in the queue. */
function localInstanceId(config: Config): string {
  const { db } = openDatabase(databasePath(config));
  try {
    return instanceId(db);
  } finally {
    db.close();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
