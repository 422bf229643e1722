/**
 * One visit of one site in one block mode, Blacklight's way: a fresh context (no cookies, no
 * consent: nothing is clicked), the home page until the network settles, a scroll to the bottom
 * and back, then up to `pages` same-site links found on it. Each page leaves evidence for the
 * breakage check: uncaught script errors, same-site requests that failed, the length of the visible
 * text and a small JPEG of the viewport.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { siteOf } from '../pinterest/domains.js';
import type { BlockMode } from '../types.js';
import { firstLine, type CrawlBrowser } from './browser.js';
import type { VisitLog } from './ground-truth.js';
import type { FailureKind, PageEvidence } from './types.js';

/** Longest wait for the network to settle after `load`, and after scrolling. */
const SETTLE_MS = 3000;
const SCROLL_PAUSE_MS = 300;
/** Links that lead to files, not pages. */
const NOT_A_PAGE = /\.(pdf|zip|gz|jpe?g|png|gif|webp|svg|mp4|mp3|dmg|exe|xml|json|txt|csv)$/i;

/** Run in the page (as source text: the project is compiled without the DOM's types). */
const IN_PAGE = {
  scrollDown: 'window.scrollTo(0, document.body ? document.body.scrollHeight : 0)',
  scrollUp: 'window.scrollTo(0, 0)',
  textLength: "document.body ? document.body.innerText.trim().length : 0",
  links: "Array.from(document.querySelectorAll('a[href]'), (a) => a.href)",
};

export interface VisitPlan {
  url: string;
  mode: BlockMode;
  /** Same-site links to visit after the home page; `null`: find up to `pages` on the home page. */
  links: string[] | null;
  pages: number;
  timeoutMs: number;
  /** Folder and file-name prefix of the screenshots (`<dir>/<prefix>-<page>.jpg`). */
  screenshotDir: string;
  screenshotPrefix: string;
}

export interface VisitResult {
  pages: PageEvidence[];
  /** The same-site links visited after the home page. */
  links: string[];
  finalUrl: string;
}

/** A visit that could not even load its home page. */
export class VisitFailure extends Error {
  readonly kind: FailureKind;
  constructor(kind: FailureKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

/** Maps a navigation error to a failure kind; `tunnelReason` is what the proxy saw for the host. */
export function failureKindOf(message: string, tunnelReason: string | null): FailureKind {
  if (/ERR_NAME_NOT_RESOLVED/.test(message)) return 'dns';
  if (/ERR_CERT_|ERR_SSL_|ERR_BAD_SSL/.test(message)) return 'tls';
  if (/Timeout|ERR_TIMED_OUT/i.test(message)) return 'timeout';
  if (/ERR_CONNECTION_REFUSED/.test(message)) return 'refused';
  if (/ERR_TUNNEL_CONNECTION_FAILED|ERR_PROXY_CONNECTION_FAILED|ERR_EMPTY_RESPONSE|ERR_CONNECTION_(RESET|CLOSED)/.test(message)) {
    if (tunnelReason === 'ENOTFOUND' || tunnelReason === 'EAI_AGAIN') return 'dns';
    if (tunnelReason === 'ECONNREFUSED') return 'refused';
    if (tunnelReason === 'timeout' || tunnelReason === 'ETIMEDOUT') return 'timeout';
    return 'unreachable';
  }
  if (/crash|closed|disconnected/i.test(message)) return 'crash';
  return 'error';
}

export async function visitSite(
  browser: CrawlBrowser,
  log: VisitLog,
  plan: VisitPlan,
  tunnelReason: (url: string) => string | null,
): Promise<VisitResult> {
  const context = await browser.newContext(log.label);
  try {
    const page = await context.newPage();
    const watch = watchPage(page, log);
    const home = await openPage(page, log, watch, 0, plan.url, plan);
    if (home.error !== null) throw new VisitFailure(failureKindOf(home.error, tunnelReason(plan.url)), home.error);
    const site = siteOf(home.url);
    const links = plan.links ?? (await sameSiteLinks(page, site, home.url, plan.pages));
    const pages = [home];
    for (const [i, link] of links.entries()) pages.push(await openPage(page, log, watch, i + 1, link, plan));
    return { pages, links, finalUrl: home.url };
  } finally {
    await context.close().catch(() => undefined);
  }
}

interface PageWatch {
  errors: string[];
  failed: string[];
}

function watchPage(page: Page, log: VisitLog): PageWatch {
  const watch: PageWatch = { errors: [], failed: [] };
  page.on('pageerror', (err) => watch.errors.push(firstLine(err).slice(0, 200)));
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) log.navigated(frame.url());
  });
  const pageSite = (): string | null => siteOf(page.url());
  page.on('requestfailed', (req) => {
    if (siteOf(req.url()) === pageSite()) watch.failed.push(`${req.url()} (${req.failure()?.errorText ?? 'failed'})`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && siteOf(res.url()) === pageSite()) watch.failed.push(`${res.url()} (${res.status()})`);
  });
  return watch;
}

async function openPage(page: Page, log: VisitLog, watch: PageWatch, index: number, url: string, plan: VisitPlan): Promise<PageEvidence> {
  watch.errors.length = 0;
  watch.failed.length = 0;
  log.openPage(index, url);
  const evidence: PageEvidence = { requested: url, url, status: null, pageErrors: [], failedSameSite: [], textLength: 0, screenshot: null, error: null };
  try {
    const response = await page.goto(url, { waitUntil: 'load', timeout: plan.timeoutMs });
    evidence.status = response?.status() ?? null;
    evidence.url = page.url();
    await settle(page);
    await page.evaluate(IN_PAGE.scrollDown);
    await page.waitForTimeout(SCROLL_PAUSE_MS);
    await settle(page);
    await page.evaluate(IN_PAGE.scrollUp);
    evidence.textLength = Number(await page.evaluate(IN_PAGE.textLength)) || 0;
    const file = `${plan.screenshotPrefix}-${index}.jpg`;
    writeFileSync(join(plan.screenshotDir, file), await page.screenshot({ type: 'jpeg', quality: 50, timeout: plan.timeoutMs }));
    evidence.screenshot = file;
  } catch (err) {
    evidence.error = firstLine(err);
  }
  evidence.url = page.url() === 'about:blank' ? url : page.url();
  evidence.pageErrors = [...watch.errors];
  evidence.failedSameSite = [...watch.failed];
  return evidence;
}

async function settle(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle', { timeout: SETTLE_MS }).catch(() => undefined);
}

/** Up to `n` distinct same-site page links, in document order (reproducible; both modes visit the same). */
async function sameSiteLinks(page: Page, site: string | null, current: string, n: number): Promise<string[]> {
  if (n <= 0 || site === null) return [];
  const found: unknown = await page.evaluate(IN_PAGE.links).catch(() => []);
  const hrefs = Array.isArray(found) ? found.filter((h): h is string => typeof h === 'string') : [];
  const seen = new Set([current.replace(/#.*$/, '')]);
  const out: string[] = [];
  for (const href of hrefs) {
    if (out.length >= n) break;
    let u: URL;
    try {
      u = new URL(href);
    } catch {
      continue;
    }
    if (!/^https?:$/.test(u.protocol) || siteOf(u.hostname) !== site || NOT_A_PAGE.test(u.pathname)) continue;
    u.hash = '';
    if (seen.has(u.href)) continue;
    seen.add(u.href);
    out.push(u.href);
  }
  return out;
}
