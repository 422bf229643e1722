/**
 * The report of one crawl, for `pinaudit report --crawl ID [--json]`, the dashboard and the CSV:
 * per site what its audit visit (the first mode, normally `off`) sent to Pinterest before any
 * consent, the blocking verdict with its evidence, and how well pinaudit's attribution matched the
 * crawler's ground truth. Every count says what it counts: sites, or requests attempted.
 */
import { join } from 'node:path';
import { table } from '../commands/report.js';
import { PinauditError } from '../errors.js';
import type { CrawlListItem, CrawlQueries, CrawlSiteRow } from '../store/index.js';
import type { BlockMode } from '../types.js';
import { measureAttribution, type AttributionReport } from './attribution.js';
import { screenshotDir } from './paths.js';
import type { Verdict } from './types.js';
import { plural } from '../plural.js';

/** Version of the `--json` shape; fields are only added within a version. */
export const CRAWL_REPORT_SCHEMA_VERSION = 1;

export interface CrawlReportSite extends Omit<CrawlSiteRow, 'evidence' | 'position'> {
  /** Screenshots kept as evidence: absolute paths, per page and mode. */
  screenshots: Array<{ page: number; mode: BlockMode; url: string; path: string }>;
  /** Uncaught script errors of each mode's pages, for the breakage verdict. */
  pageErrors: Partial<Record<BlockMode, number>>;
}

export interface CrawlReport {
  schemaVersion: number;
  crawl: Omit<CrawlListItem, 'createdAt' | 'finishedAt'> & { createdAt: string; finishedAt: string | null; pending: number };
  /** Counts of sites (of those crawled, state done). */
  summary: {
    crawled: number;
    leaking: number;
    tagPresent: number;
    fullUrlLeaked: number;
    hashedEmail: number;
    tagBeforeInteraction: number;
    redirected: number;
    verdicts: Record<Verdict, number>;
    failures: Record<string, number>;
  };
  attribution: AttributionReport;
  sites: CrawlReportSite[];
}

export function buildCrawlReport(q: CrawlQueries, crawlId: number, dataDir: string): CrawlReport {
  const crawl = q.get(crawlId);
  if (crawl === null) throw new PinauditError('USAGE', `there is no crawl ${crawlId} in this database (the dashboard's Crawls view lists them)`);
  const rows = q.sites(crawlId);
  const shots = screenshotDir(dataDir, crawlId);
  const sites = rows.map(({ evidence, position: _p, ...row }): CrawlReportSite => {
    const screenshots: CrawlReportSite['screenshots'] = [];
    const pageErrors: CrawlReportSite['pageErrors'] = {};
    evidence.pages?.forEach((byMode, page) => {
      for (const [mode, ev] of Object.entries(byMode) as Array<[BlockMode, NonNullable<(typeof byMode)[BlockMode]>]>) {
        if (ev.screenshot) screenshots.push({ page, mode, url: ev.url, path: join(shots, ev.screenshot) });
        pageErrors[mode] = (pageErrors[mode] ?? 0) + ev.pageErrors.length;
      }
    });
    return { ...row, screenshots, pageErrors };
  });
  const done = sites.filter((s) => s.state === 'done');
  const count = (f: (s: CrawlReportSite) => boolean): number => done.filter(f).length;
  const failures: Record<string, number> = {};
  for (const s of sites) if (s.state === 'failed') failures[s.errorKind ?? 'error'] = (failures[s.errorKind ?? 'error'] ?? 0) + 1;
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  return {
    schemaVersion: CRAWL_REPORT_SCHEMA_VERSION,
    crawl: { ...crawl, createdAt: iso(crawl.createdAt) ?? '', finishedAt: iso(crawl.finishedAt), pending: crawl.sites - crawl.done - crawl.failed },
    summary: {
      crawled: done.length,
      leaking: count((s) => s.leaks > 0),
      tagPresent: count((s) => s.tagPresent),
      fullUrlLeaked: count((s) => s.fullUrlLeaked),
      hashedEmail: count((s) => s.hashedEmail),
      tagBeforeInteraction: count((s) => s.beforeInteraction),
      redirected: count((s) => s.redirected),
      verdicts: { works: count((s) => s.verdict === 'works'), changed: count((s) => s.verdict === 'changed'), broken: count((s) => s.verdict === 'broken') },
      failures,
    },
    attribution: measureAttribution(q.requests(crawlId)),
    sites,
  };
}

const pct = (p: number | null): string => (p === null ? 'n/a' : `${p.toFixed(1)}%`);
const yes = (b: boolean): string => (b ? 'yes' : '-');

/** The text form: a headline, one line per site, and the disagreeing requests. */
export function renderCrawlReport(r: CrawlReport, columns: number | null, limit = 20): string {
  const c = r.crawl;
  const s = r.summary;
  const name = c.label ? ` "${c.label}"` : '';
  const state = c.finishedAt ? `finished ${c.finishedAt.slice(0, 16).replace('T', ' ')} UTC` : `unfinished (${plural(c.pending, 'site')} left; run the same command again to continue)`;
  const [audit, ...others] = c.options.modes;
  const failed = Object.entries(s.failures).map(([k, n]) => `${n} ${k}`).join(', ');
  const out = [
    `pinaudit crawl ${c.id}${name}: ${plural(c.sites, 'site')}, ${c.done} crawled, ${c.failed} failed${failed ? ` (${failed})` : ''}; ${state}`,
    `  up to ${plural(c.options.pages, 'same-site page')} per site; modes ${c.options.modes.join(', ')}`,
    '',
    `${s.leaking} of ${plural(s.crawled, 'crawled site')} told Pinterest about their visitors (audit visit, mode ${audit ?? 'off'}, nothing clicked):`,
    `  ${s.tagPresent} load the Pinterest tag, ${s.tagBeforeInteraction} fired it before any consent could be given,`,
    `  ${s.fullUrlLeaked} leaked full page URLs, ${s.hashedEmail} sent a hashed e-mail; ${s.redirected} redirected to another site.`,
  ];
  if (others.length > 0) out.push(`Blocking (${others.join(', ')}): ${s.verdicts.works} works, ${s.verdicts.changed} changed, ${s.verdicts.broken} broken.`);
  const a = r.attribution;
  out.push(
    `Attribution agreement, pinaudit vs the page the crawler had open: site ${pct(a.site.percent)} of ${plural(a.site.compared, 'request')};` +
      ` full URL ${pct(a.fullUrl.percent)} of ${plural(a.fullUrl.compared, 'request')} where pinaudit claims the full URL.`,
    '',
  );
  out.push(
    ...table(
      ['SITE', 'STATE', 'REQS', 'LEAKS', 'TAG', 'EVENTS', 'FULL URL', 'HASHED E-MAIL', 'BEFORE CONSENT', 'VERDICT', 'NOTE'],
      r.sites.map((x) => [
        x.site,
        x.state === 'failed' ? `failed: ${x.errorKind ?? 'error'}` : x.state,
        String(x.requests),
        String(x.leaks),
        x.tagIds.length > 0 ? x.tagIds.join(' ') : yes(x.tagPresent),
        x.events.join(' ') || '-',
        yes(x.fullUrlLeaked),
        yes(x.hashedEmail),
        yes(x.beforeInteraction),
        x.verdict === 'changed' && x.pixelDiff !== null ? `changed ${(x.pixelDiff * 100).toFixed(1)}%` : (x.verdict ?? '-'),
        x.state === 'failed' ? (x.error ?? '') : [x.redirected ? `redirected to ${x.finalSite}` : '', x.verdictReason ?? ''].filter(Boolean).join('; '),
      ]),
      [false, false, true, true, false, false, false, false, false, false, false],
      columns,
    ),
  );
  if (a.disagreements.length > 0) {
    out.push('', `Requests where pinaudit's attribution disagrees with the crawler (${Math.min(limit, a.disagreements.length)} of ${a.disagreements.length}; all in --json):`);
    out.push(
      ...table(
        ['MEASURE', 'HOST', 'PATH', 'BY', 'PINAUDIT', 'CRAWL PAGE'],
        a.disagreements.slice(0, limit).map((d) => [d.measure, d.host, d.path, d.attributedBy ?? '-', d.pinaudit ?? '(none)', d.crawl]),
        [false, false, false, false, false, false],
        columns,
      ),
    );
  }
  out.push('');
  return `${out.join('\n')}\n`;
}
