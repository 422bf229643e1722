/**
 * `pinaudit crawl SITES…`: audits a list of websites with pinaudit's own proxy and a headless
 * Chromium, and checks whether blocking breaks them (src/crawl/). Killing it and running the same
 * command again continues where it stopped. Exit codes: 0 crawled (failed sites are results, not
 * errors), 1 no browser, unusable database or stopped before the end, 2 usage or a bad site list.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { databasePath } from '../app.js';
import { loadConfig } from '../config.js';
import { findBrowser } from '../crawl/browser.js';
import { buildCrawlReport, renderCrawlReport } from '../crawl/report.js';
import { runCrawl } from '../crawl/run.js';
import { parseSiteList, type SiteEntry } from '../crawl/sites.js';
import type { CrawlOptions } from '../crawl/types.js';
import { exitCodeOf, messageOf, PinauditError } from '../errors.js';
import { createProgressBar } from '../import/index.js';
import { createLogger, routeConsole } from '../log.js';
import { openCrawlQueries } from '../store/crawl-queries.js';
import { BLOCK_MODES, type BlockMode } from '../types.js';
import type { CommandIo } from './import.js';

export const CRAWL_HELP = `Usage: pinaudit crawl SITES... [options]

Audits a list of websites: for each, a fresh headless Chromium context (no cookies, no consent
given, nothing clicked) opens the home page, waits for the network to settle, scrolls, and visits
up to --pages same-site links found there, all through pinaudit's own proxy (started in-process on
a free port; its CA is trusted by that browser only). Every Pinterest request is classified and
recorded with the crawl page that caused it. With two or more --modes each site is visited once per
mode and each page compared: "works", "changed" or "broken" (see README, "Crawl a list of sites").

SITES is a file with one URL or domain a line (# starts a comment), or the sites themselves.
Running the same command again continues an unfinished crawl; nothing is counted twice.

Options:
  --pages N                same-site pages after the home page (default 3, at most 20)
  --concurrency N          sites crawled at once (default 2)
  --modes LIST             block modes to visit each site in, the first being the audit
                           (default off,trackers; one of ${BLOCK_MODES.join(', ')})
  --timeout T              longest wait for one page: 30s, 500ms, 2m (default 30s)
  --browser PATH           Chromium or Chrome to drive (default: the first one found)
  --label NAME             a name for the crawl, shown in reports and the dashboard
  --data-dir DIR           where the database and screenshots live (default ./data)
  --ca-dir DIR             where pinaudit's CA lives (default ./ca)
  --upstream-ca FILE       extra PEM roots for upstream TLS, also trusted by the crawl's browser
  --host-resolver-rules R  "MAP <pattern> <host[:port]>, ..." for upstream connections
  --log-level LEVEL        fatal, error, warn, info, debug, trace or silent (default warn)
  --help, -h               show this help

Examples:
  pinaudit crawl shops.txt --label "garden shops, June"
  pinaudit crawl kohls.com wayfair.com --pages 2 --concurrency 1
  pinaudit report --crawl 1
  pinaudit export --crawl 1 --format csv --out crawl-1.csv

Exit codes: 0 crawled, 1 no browser, database failure or stopped early, 2 usage or a bad site list.
`;

interface CrawlArgs {
  sites: SiteEntry[];
  warnings: string[];
  options: CrawlOptions;
  concurrency: number;
  browser: string | null;
  label: string | null;
  shared: Record<string, string>;
}

/** Runs `pinaudit crawl`; returns the exit code. Never throws. */
export async function crawlCommand(
  argv: string[],
  io: CommandIo,
  env: Readonly<Record<string, string | undefined>>,
  options: { progress?: boolean; columns?: number | null; signal?: AbortSignal } = {},
): Promise<number> {
  let bar: ReturnType<typeof createProgressBar> | null = null;
  try {
    const args = parse(argv);
    if (args === 'help') {
      io.stdout(CRAWL_HELP);
      return 0;
    }
    for (const w of args.warnings) io.stderr(`pinaudit crawl: ${w}\n`);
    const config = loadConfig({ 'log-level': 'warn', ...args.shared, 'proxy-port': '0' }, env);
    const browserPath = findBrowser(args.browser);
    const log = createLogger(config.logLevel);
    // http-mitm-proxy prints unconditionally; its lines go through the logger instead.
    const restoreConsole = routeConsole(log);
    let leaks = 0;
    bar = options.progress
      ? createProgressBar((s) => io.stderr(s), { label: 'crawling', describe: (done, total) => `site ${done} of ${total}, ${leaks} leaks so far` })
      : null;
    let run;
    try {
      run = await runCrawl({
        config,
        sites: args.sites,
        options: args.options,
        label: args.label,
        concurrency: args.concurrency,
        browserPath,
        log,
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (p, seen, crawlId, resumed) => {
          leaks = seen;
          if (p.done + p.failed === 0 || (resumed && !bar)) {
            io.stderr(`${resumed ? 'resuming' : 'starting'} crawl ${crawlId}: ${p.done + p.failed} of ${p.total} sites done\n`);
          }
          bar?.update(p.done + p.failed, p.total);
        },
      });
    } finally {
      bar?.finish();
      restoreConsole();
    }
    const report = withReport(databasePath(config), run.crawlId, config.dataDir);
    io.stdout(renderCrawlReport(report, options.columns ?? null));
    if (run.stopped) {
      io.stderr(`pinaudit crawl: stopped with ${run.progress.pending} sites left; run the same command again to continue\n`);
      return 1;
    }
    return 0;
  } catch (err: unknown) {
    bar?.finish();
    io.stderr(`pinaudit crawl: ${messageOf(err)}\n`);
    if (err instanceof PinauditError && err.code === 'USAGE') io.stderr('See pinaudit crawl --help.\n');
    return exitCodeOf(err);
  }
}

function withReport(dbPath: string, crawlId: number, dataDir: string): ReturnType<typeof buildCrawlReport> {
  const q = openCrawlQueries(dbPath);
  try {
    return buildCrawlReport(q, crawlId, dataDir);
  } finally {
    q.close();
  }
}

const SHARED = ['data-dir', 'ca-dir', 'upstream-ca', 'host-resolver-rules', 'log-level'] as const;

function parse(argv: string[]): CrawlArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        pages: { type: 'string' },
        concurrency: { type: 'string' },
        modes: { type: 'string' },
        timeout: { type: 'string' },
        browser: { type: 'string' },
        label: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(SHARED.map((f) => [f, { type: 'string' as const }])),
      },
    });
  } catch (err: unknown) {
    throw new PinauditError('USAGE', messageOf(err).replace(/\. To specify.*$/s, ''));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length === 0) throw new PinauditError('USAGE', 'name the sites to crawl: a file with one URL or domain a line, or the sites themselves');
  const list = parseSiteList(readSites(positionals));
  if (list.errors.length > 0) throw new PinauditError('USAGE', `the site list has ${list.errors.length} bad line(s); nothing was crawled:\n  ${list.errors.join('\n  ')}`);
  if (list.sites.length === 0) throw new PinauditError('USAGE', 'the site list is empty (only blank lines and comments)');
  const shared: Record<string, string> = {};
  const given = values as Record<string, string | boolean | undefined>;
  for (const f of SHARED) {
    const v = given[f];
    if (typeof v === 'string') shared[f] = v;
  }
  return {
    sites: list.sites,
    warnings: list.duplicates,
    options: {
      pages: whole(values.pages, 'pages', 3, 0, 20),
      modes: parseModes(values.modes ?? 'off,trackers'),
      timeoutMs: parseDuration(values.timeout ?? '30s'),
    },
    concurrency: whole(values.concurrency, 'concurrency', 2, 1, 16),
    browser: values.browser ?? null,
    label: values.label ?? null,
    shared,
  };
}

/** One file (one site a line) or the sites as arguments. */
function readSites(positionals: string[]): string[] {
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
  return positionals;
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

/** `30s`, `500ms`, `2m`, or a number of seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d{1,6})(ms|s|m)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000) : NaN;
  if (!(ms >= 1000 && ms <= 600_000)) throw new PinauditError('USAGE', `--timeout must be from 1s to 10m, like 30s, 1500ms or 2m; not ${JSON.stringify(text)}`);
  return ms;
}
