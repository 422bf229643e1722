/**
 * `pinaudit crawl` end to end: pinaudit's own CA, store, pipeline and proxy in-process (the
 * composition of app.ts, with the crawl's policy and ground-truth stages), one browser through it,
 * and `concurrency` workers taking sites from the queue. Each site is visited once per mode; the
 * first mode's visit finds the same-site links, the others revisit them so pages compare like for
 * like. A site that fails is recorded with its reason and the crawl goes on. Stopping (abort signal)
 * closes the browser at once: sites in progress stay unfinished and are visited again on resume.
 */
import { mkdirSync } from 'node:fs';
import { databasePath, listenProxy, loggedPipeline, openAuthority, openDataDir, warnIfRenewed } from '../app.js';
import { classifyStage } from '../classify/index.js';
import { lockDataDir, preparePrivateDir } from '../data-dir.js';
import type { Config } from '../config.js';
import { messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import { CHECK_HOST, hostOf, siteOf } from '../pinterest/domains.js';
import { openCrawlStore, recordStage, type CrawlStore } from '../store/index.js';
import { compareSite } from './breakage.js';
import { firstLine, launchCrawlBrowser, pemCertificates, type CrawlBrowser } from './browser.js';
import { CrawlPages } from './ground-truth.js';
import { screenshotDir } from './paths.js';
import type { SiteEntry } from './sites.js';
import type { CrawlFlow, CrawlOptions, CrawlProgress, PageEvidence, SiteEvidence, SiteQueue, SiteTask } from './types.js';
import { failureKindOf, visitSite, VisitFailure } from './visit.js';

export interface CrawlRequest {
  /** The shared options: --ca-dir, --data-dir, --upstream-ca, --host-resolver-rules, timeouts. */
  config: Config;
  sites: readonly SiteEntry[];
  /**
   * Sites from a shared queue instead of `sites`: its name (the local crawl that holds this
   * instance's part of it) and the queue to claim from, given the local crawl store and crawl id.
   */
  shared?: { name: string; open(crawls: CrawlStore, crawlId: number): SiteQueue };
  options: CrawlOptions;
  label: string | null;
  concurrency: number;
  browserPath: string;
  log: Logger;
  /** Called when the crawl starts (or resumes) and after each site. */
  onProgress?(progress: CrawlProgress, leaks: number, crawlId: number, resumed: boolean): void;
  /** Aborting stops the crawl; sites in progress are left for the next run. */
  signal?: AbortSignal;
}

export interface CrawlRun {
  crawlId: number;
  resumed: boolean;
  progress: CrawlProgress;
  /** True when the crawl was stopped before every site was done. */
  stopped: boolean;
}

export async function runCrawl(req: CrawlRequest): Promise<CrawlRun> {
  const { config, options, log } = req;
  const closers: Array<() => unknown> = [];
  try {
    const authority = await openAuthority(config);
    warnIfRenewed(authority, log);
    // The data directory is held by one pinaudit at a time (data-dir.ts), a crawl included.
    preparePrivateDir(config.dataDir);
    const lock = lockDataDir(config.dataDir);
    closers.push(() => lock.release());
    const visits = new CrawlPages();
    const audit = options.modes[0] ?? 'off';
    const { store, fingerprint } = openDataDir(config, log, { blockMode: (flow) => visits.modeOf(flow.observation.proxyUser) ?? audit });
    closers.push(() => store.close());
    const crawls = openCrawlStore(databasePath(config));
    closers.push(() => crawls.close());
    const crawl = req.shared ? crawls.beginShared(req.shared.name, options) : crawls.begin(req.sites, options, req.label);
    const shots = screenshotDir(config.dataDir, crawl.id);
    mkdirSync(shots, { recursive: true });

    const stages = [classifyStage({ fingerprint }), visits.policyStage(options.modes, audit), recordStage(store), visits.stage()];
    const tunnelFailures = new Map<string, string>();
    const proxy = await listenProxy(config, loggedPipeline(stages, log), authority, log, {
      port: 0,
      requireProxyUser: true,
      onTunnelFailure: (host, reason) => {
        if (tunnelFailures.size > 1000) tunnelFailures.clear();
        tunnelFailures.set(host, reason);
      },
    });
    closers.push(() => proxy.close());
    // Every leaf pinaudit issues carries the same key: trusting its hash covers them all.
    const leaf = await authority.leaf(CHECK_HOST);
    const trusted = [authority.summary.certPem, leaf.certPem, ...pemCertificates(config.upstreamCa?.pem ?? '')];
    const browsers = new BrowserHolder(() => launchCrawlBrowser({ executablePath: req.browserPath, proxyPort: proxy.port, trusted }));
    closers.push(() => browsers.close());

    const queue = req.shared ? req.shared.open(crawls, crawl.id) : crawls.queue(crawl.id);
    let stopping = req.signal?.aborted ?? false;
    const onAbort = (): void => {
      stopping = true;
      void browsers.close();
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    closers.push(() => req.signal?.removeEventListener('abort', onAbort));
    const report = async (): Promise<void> => req.onProgress?.(await queue.progress(), visits.leaks, crawl.id, crawl.resumed);
    await report();

    const site = new SiteCrawler(visits, options, shots, (url) => tunnelFailures.get(hostOf(url) ?? '') ?? null);
    const worker = async (): Promise<void> => {
      for (;;) {
        if (stopping) return;
        const task = await queue.claim();
        if (task === null) return;
        let browser: CrawlBrowser;
        try {
          browser = await browsers.get();
        } catch (err) {
          if (!stopping) await queue.fail(task, { kind: 'crash', message: firstLine(err), flows: [] });
          throw err;
        }
        await site.crawl(browser, task, queue, () => stopping);
        await report();
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, req.concurrency) }, worker));
    const progress = await queue.progress();
    if (progress.pending === 0) crawls.finish(crawl.id);
    // A shared queue's sites still pending belong to other workers; only an abort stops this one early.
    return { crawlId: crawl.id, resumed: crawl.resumed, progress, stopped: req.shared ? stopping : progress.pending > 0 };
  } finally {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        log.warn({ err: messageOf(err) }, 'closing a crawl resource failed');
      }
    }
  }
}

/** One browser for the crawl, started again if it crashed. */
class BrowserHolder {
  #current: Promise<CrawlBrowser> | null = null;
  #closed = false;
  readonly #launch: () => Promise<CrawlBrowser>;

  constructor(launch: () => Promise<CrawlBrowser>) {
    this.#launch = launch;
  }

  async get(): Promise<CrawlBrowser> {
    if (this.#closed) throw new Error('the crawl is stopping');
    if (this.#current !== null) {
      const browser = await this.#current.catch(() => null);
      if (browser?.connected()) return browser;
      if (browser) void browser.close();
    }
    this.#current = this.#launch();
    return this.#current;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const current = this.#current;
    this.#current = null;
    if (current) await (await current.catch(() => null))?.close();
  }
}

/** Visits one site in every mode and ends it in the queue (done or failed). */
class SiteCrawler {
  constructor(
    private readonly visits: CrawlPages,
    private readonly options: CrawlOptions,
    private readonly shots: string,
    private readonly tunnelReason: (url: string) => string | null,
  ) {}

  async crawl(browser: CrawlBrowser, task: SiteTask, queue: SiteQueue, stopping: () => boolean): Promise<void> {
    const evidence: SiteEvidence = { pages: [], comparisons: [] };
    const flows: CrawlFlow[] = [];
    let links: string[] | null = null;
    let finalUrl = task.url;
    try {
      for (const [i, mode] of this.options.modes.entries()) {
        const label = `c${task.id}-a${task.attempt}-${mode}`;
        const log = this.visits.begin(label, mode);
        try {
          const result = await visitSite(
            browser,
            log,
            { url: task.url, mode, links, pages: this.options.pages, timeoutMs: this.options.timeoutMs, screenshotDir: this.shots, screenshotPrefix: `${task.id}-${mode}` },
            this.tunnelReason,
          );
          if (i === 0) {
            links = result.links;
            finalUrl = result.finalUrl;
          }
          result.pages.forEach((p, index) => ((evidence.pages[index] ??= {})[mode] = p));
        } catch (err) {
          // The audit visit decides whether the site could be crawled; a later mode's failure is evidence.
          if (i === 0 || !(err instanceof VisitFailure)) throw err;
          (evidence.pages[0] ??= {})[mode] = failedPage(task.url, err.message);
        } finally {
          flows.push(...log.flows);
          this.visits.end(label);
        }
      }
      const cmp = compareSite(evidence.pages, this.options.modes, this.shots);
      evidence.comparisons = cmp.comparisons;
      await queue.finish(task, {
        finalUrl,
        finalSite: siteOf(finalUrl),
        evidence,
        verdict: cmp.verdict,
        verdictReason: cmp.reason,
        pixelDiff: cmp.pixelDiff,
        flows,
      });
    } catch (err) {
      if (stopping()) return; // left running: the next run visits it again from the start
      const message = firstLine(err);
      const kind = err instanceof VisitFailure ? err.kind : failureKindOf(message, null);
      await queue.fail(task, { kind, message, flows });
    }
  }
}

function failedPage(url: string, error: string): PageEvidence {
  return { requested: url, url, status: null, pageErrors: [], failedSameSite: [], textLength: 0, screenshot: null, error };
}
