/**
 * `pinaudit crawl SITES…`: audits a list of websites with pinaudit's own proxy and a headless
 * Chromium, and checks whether blocking breaks them (src/crawl/). Killing it and running the same
 * command again continues where it stopped; Ctrl+C stops it cleanly (a second one exits at once).
 * The browser driver is loaded only when a crawl really starts.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { databasePath } from '../app.js';
import { loadConfig, type Config } from '../config.js';
import { findBrowser } from '../crawl/find-browser.js';
import { buildCrawlReport, renderCrawlReport, type CrawlReport } from '../crawl/report.js';
import { parseSiteList, type SiteEntry } from '../crawl/sites.js';
import { messageOf, PinauditError } from '../errors.js';
import { createProgressBar } from '../import/index.js';
import { createLogger, routeConsole, type Logger } from '../log.js';
import { preparePrivateDir } from '../data-dir.js';
import { instanceName } from '../fleet/instance.js';
import { openCrawlQueries } from '../store/index.js';
import { BLOCK_MODES, type BlockMode } from '../types.js';
import { DEFAULT_QUEUE } from '../fleet/crawl-queue.js';
import { fleetTarget, type FleetTarget } from '../fleet/target.js';
import type { Command, Io, Values } from './command.js';
import { plural } from '../plural.js';

const options = {
  pages: { type: 'string', value: 'N', help: 'same-site pages visited after the home page (default 3, at most 20)' },
  concurrency: { type: 'string', value: 'N', help: 'sites crawled at once (default 2)' },
  modes: { type: 'string', value: 'LIST', help: `block modes each site is visited in, the first being the audit (default off,trackers; of ${BLOCK_MODES.join(', ')})` },
  timeout: { type: 'string', value: 'T', help: 'longest wait for one page: 30s, 1500ms, 2m (default 30s)' },
  browser: { type: 'string', value: 'PATH', help: 'Chromium or Chrome to drive (default: the first one found on this machine)' },
  label: { type: 'string', value: 'NAME', help: 'a name for the crawl, shown in reports and the dashboard; with --queue, the queue (default "default")' },
  queue: { type: 'string', value: 'URL', help: 'a crawl queue shared by many machines, postgres://…: with SITES, enqueue them and exit; with --worker, crawl from it' },
  worker: { type: 'boolean', help: 'take sites from --queue one at a time until every site of it has ended (of the --label queue only, if given)' },
  follow: { type: 'boolean', help: 'with --worker: when the queue is empty, wait for new sites instead of exiting' },
  lease: { type: 'string', value: 'T', help: "with --worker: how long a site stays this worker's without renewal; a killed worker's site goes back after it (default 60s)" },
} as const;

type Taken = 'caDir' | 'upstreamCa' | 'hostResolverRules' | 'logLevel' | 'connectTimeoutMs' | 'idleTimeoutMs' | 'shipTo' | 'instanceName';

export const crawlCommand: Command<typeof options, Taken> = {
  name: 'crawl',
  summary: 'audit a list of websites in a headless Chromium, and check that blocking breaks nothing',
  usage: 'pinaudit crawl SITES... [options]',
  about: `Audits a list of websites: for each, a fresh headless Chromium context (no cookies, no consent
given, nothing clicked) opens the home page, waits for the network to settle, scrolls, and visits
up to --pages same-site links found there, all through pinaudit's own proxy (started in-process on
a free port; its CA is trusted by that browser only). Every Pinterest request is recorded with the
crawl page that caused it. With two or more --modes each site is visited once per mode and each
page compared: works, changed or broken (README, "Crawl a list of sites").

SITES is a file with one URL or domain a line (# starts a comment), or the sites themselves.
Running the same command again continues an unfinished crawl; nothing is counted twice.
--upstream-ca roots are also trusted by the crawl's browser, for sites that present them.

Many machines: \`pinaudit crawl SITES --queue postgres://…\` enqueues the sites (with --pages, --modes
and --timeout, which every worker then uses) and exits; \`pinaudit crawl --worker --queue postgres://…\`
on each machine takes one site at a time, keeps its results in its own --data-dir and ships them to
--ship-to (default: the queue's database). A worker exits once every site has ended (--follow
keeps it waiting). README, "Running a fleet".`,
  options,
  config: ['caDir', 'upstreamCa', 'hostResolverRules', 'logLevel', 'connectTimeoutMs', 'idleTimeoutMs', 'shipTo', 'instanceName'],
  positionals: {
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    missing: 'name the sites to crawl: a file with one URL or domain a line, or the sites themselves',
    tooMany: 'too many sites',
  },
  examples: [
    'pinaudit crawl shops.txt --label "garden shops, June"',
    'pinaudit crawl kohls.com wayfair.com --pages 2 --concurrency 1',
    'pinaudit report --crawl 1',
    'pinaudit export --crawl 1 --format csv --out crawl-1.csv',
    'pinaudit crawl shops.txt --queue postgres://pinaudit@db.lab/pinaudit --label shops',
    'PGPASSWORD=… pinaudit crawl --worker --queue postgres://pinaudit@db.lab/pinaudit',
  ],
  exitCodes: '0 crawled or enqueued (sites that failed are results), or a worker stopped by Ctrl+C or SIGTERM; 1 no browser, database failure or a local crawl stopped early; 2 usage or a bad site list.',
  async run({ values, positionals, config: picked, env, io }) {
    const mode = queueMode(values, positionals.length);
    // The crawl's proxy: loopback on a free port, nothing counted as the person's own visits.
    const config: Config = { ...loadConfig({}, {}), ...picked, proxyPort: 0, countTunnels: false };
    const target = values.queue === undefined ? null : fleetTarget(values.queue, env, 'queue');
    if (mode === 'worker') {
      const { runWorker } = await import('./crawl-worker.js');
      return await runWorker({
        config,
        queue: target!,
        only: values.label ?? null,
        follow: values.follow === true,
        leaseMs: values.lease === undefined ? 60_000 : parseDuration(values.lease, 'lease'),
        concurrency: whole(values.concurrency, 'concurrency', 2, 1, 16),
        browserPath: findBrowser(values.browser ?? null),
      }, io);
    }
    const list = parseSiteList(readSites(positionals));
    if (list.errors.length > 0) throw new PinauditError('USAGE', `the site list has ${list.errors.length} bad line(s); nothing was crawled:\n  ${list.errors.join('\n  ')}\n`);
    if (list.sites.length === 0) throw new PinauditError('USAGE', 'the site list is empty (only blank lines and comments)');
    const crawlOptions = {
      pages: whole(values.pages, 'pages', 3, 0, 20),
      modes: parseModes(values.modes ?? 'off,trackers'),
      timeoutMs: parseDuration(values.timeout ?? '30s'),
    };
    for (const d of list.duplicates) io.stderr(`pinaudit crawl: ${d}\n`);
    if (mode === 'enqueue') return await (await import('./crawl-worker.js')).enqueue(target!, values.label ?? DEFAULT_QUEUE, list.sites, crawlOptions, io);
    const concurrency = whole(values.concurrency, 'concurrency', 2, 1, 16);
    const browserPath = findBrowser(values.browser ?? null);
    return await crawl(config, list.sites, crawlOptions, { concurrency, browserPath, label: values.label ?? null }, io);
  },
};

async function crawl(
  config: Config,
  sites: SiteEntry[],
  options: { pages: number; modes: BlockMode[]; timeoutMs: number },
  how: { concurrency: number; browserPath: string; label: string | null },
  io: Io,
): Promise<number> {
  const { runCrawl } = await import('../crawl/run.js');
  const log = createLogger(config.logLevel);
  // http-mitm-proxy prints unconditionally; its lines go through the logger instead.
  const restoreConsole = routeConsole(log);
  const stop = stopOnSignals(io);
  const shipper = await startCrawlShipper(config, config.shipTo, log);
  let leaks = 0;
  const bar = io.stderrIsTTY
    ? createProgressBar((s) => io.stderr(s), { label: 'crawling', describe: sitesAndLeaks(() => leaks) })
    : null;
  let run;
  try {
    run = await runCrawl({
      config,
      sites,
      options,
      label: how.label,
      concurrency: how.concurrency,
      browserPath: how.browserPath,
      log,
      signal: stop.signal,
      onProgress: (p, seen, crawlId, resumed) => {
        leaks = seen;
        if (p.done + p.failed === 0 || (resumed && leaks === 0 && bar === null)) {
          io.stderr(`${resumed ? 'resuming' : 'starting'} crawl ${crawlId}: ${p.done + p.failed} of ${plural(p.total, 'site')} done\n`);
        }
        bar?.update(p.done + p.failed, p.total);
      },
    });
  } finally {
    bar?.finish();
    stop.dispose();
    await shipper?.finish(io);
    restoreConsole();
  }
  io.stdout(renderCrawlReport(readReport(databasePath(config), run.crawlId, config.dataDir), io.columns ?? null));
  if (run.stopped) {
    io.stderr(`pinaudit crawl: stopped with ${plural(run.progress.pending, 'site')} left; run the same command again to continue\n`);
    return 1;
  }
  return 0;
}

/** Ctrl+C (or SIGTERM) stops the crawl cleanly; a second one exits at once. */
export function stopOnSignals(io: Io): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = (): void => {
    if (controller.signal.aborted) process.exit(130);
    io.stderr('\nstopping: sites in progress will be crawled again next time\n');
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

/**
 * With --ship-to (or as a worker), the crawl's rows also go to the fleet database while it runs;
 * at the end what is ready is sent, and what waits (a request without its outcome yet) is said.
 */
export async function startCrawlShipper(config: Config, target: FleetTarget | null, log: Logger): Promise<{ finish(io: Io): Promise<void> } | null> {
  if (target === null) return null;
  preparePrivateDir(config.dataDir);
  const shipper = (await import('../fleet/shipper.js')).startShipper({ dbPath: databasePath(config), target, name: instanceName(config.instanceName), log });
  return {
    finish: async (io) => {
      await shipper.drain();
      const { waiting, lastError } = shipper.status();
      if (lastError !== null) io.stderr(`pinaudit crawl: results wait in ${config.dataDir}: cannot ship to ${target.label}: ${lastError}\n`);
      else if (waiting > 0) io.stderr(`pinaudit crawl: ${waiting} request(s) wait for their outcome and ship on the next run with --ship-to\n`);
      await shipper.close(2000);
    },
  };
}

/** What the progress bar says after its bar: sites ended of all, and leaks seen by this run. */
export function sitesAndLeaks(leaks: () => number): (done: number, total: number) => string {
  return (done, total) => `site ${done} of ${total}, ${plural(leaks(), 'leak')} so far`;
}

/** The report of one crawl, read from the database. */
export function readReport(dbPath: string, crawlId: number, dataDir: string): CrawlReport {
  const q = openCrawlQueries(dbPath);
  try {
    return buildCrawlReport(q, crawlId, dataDir);
  } finally {
    q.close();
  }
}

/** One file (one site a line) or the sites as arguments. */
function readSites(positionals: readonly string[]): string[] {
  const [first] = positionals;
  const looksLikeFile = (p: string): boolean => !/^[a-z][a-z0-9+.-]*:\/\//i.test(p) && (p.includes('/') || /\.(txt|csv|list|lst)$/i.test(p));
  if (positionals.length === 1 && first !== undefined && (existsSync(first) || looksLikeFile(first))) {
    try {
      if (statSync(first).isDirectory()) throw new Error('it is a directory');
      return readFileSync(first, 'utf8').split(/\r?\n/);
    } catch (err: unknown) {
      throw new PinauditError('FILE_UNREADABLE', `cannot read the site list ${first}: ${messageOf(err)}`);
    }
  }
  return [...positionals];
}

function whole(text: string | undefined, flag: string, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new PinauditError('USAGE', `--${flag} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`);
  return n;
}

export function parseModes(text: string): BlockMode[] {
  const modes = text.split(',').map((m) => m.trim());
  for (const m of modes) {
    if (!(BLOCK_MODES as readonly string[]).includes(m)) throw new PinauditError('USAGE', `--modes: ${JSON.stringify(m)} is not one of ${BLOCK_MODES.join(', ')}`);
  }
  if (new Set(modes).size !== modes.length) throw new PinauditError('USAGE', `--modes: ${JSON.stringify(text)} names a mode twice`);
  return modes as BlockMode[];
}

/** `30s`, `1500ms`, `2m`, or a number of seconds. */
export function parseDuration(text: string, flag = 'timeout'): number {
  const m = /^(\d{1,6})(ms|s|m)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000) : NaN;
  if (!(ms >= 1000 && ms <= 600_000)) throw new PinauditError('USAGE', `--${flag} must be from 1s to 10m, like 30s, 1500ms or 2m; not ${JSON.stringify(text)}`);
  return ms;
}

/** What the flags ask for: crawl a list here, enqueue it in a shared queue, or work on a shared queue. */
function queueMode(values: Values<typeof options>, sites: number): 'local' | 'enqueue' | 'worker' {
  const given = (flags: ReadonlyArray<keyof typeof options>): string[] => flags.filter((f) => values[f] !== undefined).map((f) => `--${f}`);
  if (values.worker === true) {
    if (values.queue === undefined) throw new PinauditError('USAGE', '--worker needs --queue postgres://… (the shared queue to take sites from)');
    if (sites > 0) throw new PinauditError('USAGE', '--worker takes no sites: enqueue them with pinaudit crawl SITES --queue postgres://…');
    const own = given(['pages', 'modes', 'timeout']);
    if (own.length > 0) throw new PinauditError('USAGE', `${own.join(', ')}: a worker crawls with the options its queue was enqueued with`);
    return 'worker';
  }
  const workerOnly = given(['follow', 'lease']);
  if (workerOnly.length > 0) throw new PinauditError('USAGE', `${workerOnly.join(', ')} only go with --worker`);
  if (sites === 0) throw new PinauditError('USAGE', 'name the sites to crawl: a file with one URL or domain a line, or the sites themselves (or --worker --queue URL)');
  if (values.queue === undefined) return 'local';
  const crawling = given(['concurrency', 'browser']);
  if (crawling.length > 0) throw new PinauditError('USAGE', `${crawling.join(', ')}: enqueueing crawls nothing; give them to the workers`);
  return 'enqueue';
}
