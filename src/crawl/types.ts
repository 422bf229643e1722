/**
 * The crawl's own vocabulary: what one visit of one page in one block mode left as evidence, how a
 * site visit ended, and the queue of sites (behind an interface, so a shared queue can replace the
 * local one).
 */
import type { BlockMode } from '../types.js';

/** The options that shape a crawl's results (a rerun with the same ones resumes). */
export interface CrawlOptions {
  /** Same-site links visited after the home page. */
  pages: number;
  /** Block modes each site is visited in, in order; the first is the audit visit. */
  modes: BlockMode[];
  /** Longest wait for one page to load, in milliseconds. */
  timeoutMs: number;
}

/** One page as the browser showed it in one mode. */
export interface PageEvidence {
  /** The URL opened (for the home page: the URL listed). */
  requested: string;
  /** Where the browser ended up, after redirects. */
  url: string;
  /** HTTP status of the document, `null` when the navigation failed. */
  status: number | null;
  /** Uncaught errors of the page's scripts (messages, first 200 characters each). */
  pageErrors: string[];
  /** Same-site requests that failed or answered 4xx/5xx. */
  failedSameSite: string[];
  /** Length of the page's visible text. */
  textLength: number;
  /** JPEG screenshot, relative to the crawl's screenshot folder; `null` when none was taken. */
  screenshot: string | null;
  /** Why the page could not be loaded, when it could not. */
  error: string | null;
}

/** The comparison of one page between the first mode and another. */
export interface PageComparison {
  index: number;
  mode: BlockMode;
  verdict: Verdict;
  /** Share of pixels that differ (0–1), `null` when a screenshot is missing. */
  pixelDiff: number | null;
  reasons: string[];
}

export type Verdict = 'works' | 'changed' | 'broken';

/** Every page visited on a site: `pages[i][mode]`. */
export interface SiteEvidence {
  pages: Array<Partial<Record<BlockMode, PageEvidence>>>;
  comparisons: PageComparison[];
}

/** A request the crawl saw, tied to the page the crawler had open. */
export interface CrawlFlow {
  flowId: string;
  mode: BlockMode;
  pageIndex: number;
  crawlPage: string;
  /** No banner was clicked and nothing was typed: always true, since the crawler never interacts. */
  beforeInteraction: boolean;
}

/** Why a site could not be crawled. */
export type FailureKind = 'dns' | 'tls' | 'timeout' | 'refused' | 'unreachable' | 'http' | 'crash' | 'error';

export interface SiteDone {
  finalUrl: string;
  finalSite: string | null;
  evidence: SiteEvidence;
  verdict: Verdict | null;
  verdictReason: string | null;
  pixelDiff: number | null;
  flows: CrawlFlow[];
}

export interface SiteFailure {
  kind: FailureKind;
  message: string;
  /** Requests seen before it failed (recorded all the same). */
  flows: CrawlFlow[];
}

/** One site claimed from the queue. */
export interface SiteTask {
  id: number;
  url: string;
  site: string;
  attempt: number;
}

/** Counts of a crawl's sites by state. */
export interface CrawlProgress {
  total: number;
  done: number;
  failed: number;
  pending: number;
}

/**
 * The queue of sites a crawl works through. The local one lives in SQLite; a shared one can take
 * its place. `claim` hands each pending site to one worker; `finish` and `fail` end it, with its
 * evidence and requests, in one step.
 */
export interface SiteQueue {
  claim(): Promise<SiteTask | null>;
  finish(task: SiteTask, done: SiteDone): Promise<void>;
  fail(task: SiteTask, failure: SiteFailure): Promise<void>;
  progress(): Promise<CrawlProgress>;
}
