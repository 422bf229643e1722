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
import { createLogger, routeConsole } from '../log.js';
import { openCrawlQueries } from '../store/index.js';
import { BLOCK_MODES, type BlockMode } from '../types.js';
import type { Command, Io } from './command.js';
import { plural } from '../plural.js';

const options = {
  pages: { type: 'string', value: 'N', help: 'same-site pages visited after the home page (default 3, at most 20)' },
  concurrency: { type: 'string', value: 'N', help: 'sites crawled at once (default 2)' },
  modes: { type: 'string', value: 'LIST', help: `block modes each site is visited in, the first being the audit (default off,trackers; of ${BLOCK_MODES.join(', ')})` },
  timeout: { type: 'string', value: 'T', help: 'longest wait for one page: 30s, 1500ms, 2m (default 30s)' },
  browser: { type: 'string', value: 'PATH', help: 'Chromium or Chrome to drive (default: the first one found on this machine)' },
  label: { type: 'string', value: 'NAME', help: 'a name for the crawl, shown in reports and the dashboard' },
} as const;

type Taken = 'caDir' | 'upstreamCa' | 'hostResolverRules' | 'logLevel' | 'connectTimeoutMs' | 'idleTimeoutMs';

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
--upstream-ca roots are also trusted by the crawl's browser, for sites that present them.`,
  options,
  config: ['caDir', 'upstreamCa', 'hostResolverRules', 'logLevel', 'connectTimeoutMs', 'idleTimeoutMs'],
  positionals: {
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    missing: 'name the sites to crawl: a file with one URL or domain a line, or the sites themselves',
    tooMany: 'too many sites',
  },
  examples: [
    'pinaudit crawl shops.txt --label "garden shops, June"',
    'pinaudit crawl kohls.com wayfair.com --pages 2 --concurrency 1',
    'pinaudit report --crawl 1',
    'pinaudit export --crawl 1 --format csv --out crawl-1.csv',
  ],
  exitCodes: '0 crawled (sites that failed are results), 1 no browser, database failure or stopped early, 2 usage or a bad site list.',
  async run({ values, positionals, config: picked, io }) {
    const list = parseSiteList(readSites(positionals));
    if (list.errors.length > 0) throw new PinauditError('USAGE', `the site list has ${list.errors.length} bad line(s); nothing was crawled:\n  ${list.errors.join('\n  ')}\n`);
    if (list.sites.length === 0) throw new PinauditError('USAGE', 'the site list is empty (only blank lines and comments)');
    const crawlOptions = {
      pages: whole(values.pages, 'pages', 3, 0, 20),
      modes: parseModes(values.modes ?? 'off,trackers'),
      timeoutMs: parseDuration(values.timeout ?? '30s'),
    };
    const concurrency = whole(values.concurrency, 'concurrency', 2, 1, 16);
    const browserPath = findBrowser(values.browser ?? null);
    for (const d of list.duplicates) io.stderr(`pinaudit crawl: ${d}\n`);
    // The crawl's proxy: loopback on a free port, nothing counted as the person's own visits.
    const config: Config = { ...loadConfig({}, {}), ...picked, proxyPort: 0, countTunnels: false };
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
  const controller = new AbortController();
  const stop = (): void => {
    if (controller.signal.aborted) process.exit(130);
    io.stderr('\nstopping: sites in progress will be crawled again next time\n');
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
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
      signal: controller.signal,
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
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    restoreConsole();
  }
  io.stdout(renderCrawlReport(readReport(databasePath(config), run.crawlId, config.dataDir), io.columns ?? null));
  if (run.stopped) {
    io.stderr(`pinaudit crawl: stopped with ${plural(run.progress.pending, 'site')} left; run the same command again to continue\n`);
    return 1;
  }
  return 0;
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
export function parseDuration(text: string): number {
  const m = /^(\d{1,6})(ms|s|m)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000) : NaN;
  if (!(ms >= 1000 && ms <= 600_000)) throw new PinauditError('USAGE', `--timeout must be from 1s to 10m, like 30s, 1500ms or 2m; not ${JSON.stringify(text)}`);
  return ms;
}
