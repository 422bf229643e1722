/**
 * `pinaudit export --crawl ID --format csv`: one row per site of a crawl. Cells go through the
 * audit export's csvCell (formula neutralisation, RFC 4180 quoting). The columns are documented in
 * the README ("Crawl a list of sites"), generated from this table; the first column carries
 * {@link CRAWL_CSV_SCHEMA_VERSION}. Columns are only added at the end within a version.
 */
import { csvLine, type CsvColumn } from '../export/csv.js';
import type { CrawlReport, CrawlReportSite } from './report.js';

export const CRAWL_CSV_SCHEMA_VERSION = 1;

type Cell = string | number | boolean | null;
interface Column extends CsvColumn {
  get(site: CrawlReportSite, crawlId: number): Cell;
}

const COLUMNS: readonly Column[] = [
  { name: 'schema_version', description: `always ${CRAWL_CSV_SCHEMA_VERSION}`, get: () => CRAWL_CSV_SCHEMA_VERSION },
  { name: 'crawl_id', description: 'the crawl (pinaudit report --crawl ID)', get: (_s, id) => id },
  { name: 'site', description: 'registrable domain as listed', get: (s) => s.site },
  { name: 'input', description: 'the line of the site list', get: (s) => s.input },
  { name: 'url', description: 'home page opened', get: (s) => s.url },
  { name: 'final_url', description: 'home page after redirects', get: (s) => s.finalUrl },
  { name: 'redirected', description: 'true when the home page ended on another site', get: (s) => s.redirected },
  { name: 'state', description: 'done, failed, or pending/running for an unfinished crawl', get: (s) => s.state },
  { name: 'error_kind', description: 'why a failed site failed: dns, tls, timeout, refused, unreachable, crash, error', get: (s) => s.errorKind },
  { name: 'error', description: "the browser's message for a failed site", get: (s) => s.error },
  { name: 'requests', description: 'Pinterest requests the audit visit attempted', get: (s) => s.requests },
  { name: 'leaks', description: 'of those, third-party requests carrying the page or identifiers (attempted)', get: (s) => s.leaks },
  { name: 'tag_present', description: 'the Pinterest tag (script or beacon) was requested', get: (s) => s.tagPresent },
  { name: 'tag_ids', description: 'tag ids seen, space separated', get: (s) => s.tagIds.join(' ') },
  { name: 'events', description: 'tag events seen, space separated', get: (s) => s.events.join(' ') },
  { name: 'full_url_leaked', description: 'a request carried a full page URL (path or query)', get: (s) => s.fullUrlLeaked },
  { name: 'hashed_email', description: 'a request carried a hashed e-mail address', get: (s) => s.hashedEmail },
  { name: 'identifiers', description: 'identifiers sent, as kind:name, space separated', get: (s) => s.identifiers.join(' ') },
  { name: 'tag_before_interaction', description: 'a tag beacon fired with nothing clicked (before any consent)', get: (s) => s.beforeInteraction },
  { name: 'verdict', description: 'blocking check: works, changed or broken; empty with one mode or a failed site', get: (s) => s.verdict },
  { name: 'pixel_diff', description: 'largest share (0-1) of screenshot pixels changed on one page between modes', get: (s) => s.pixelDiff },
  { name: 'verdict_reason', description: 'what made the verdict', get: (s) => s.verdictReason },
  { name: 'screenshots', description: 'screenshot files (page:mode=path), space separated', get: (s) => s.screenshots.map((x) => `${x.page}:${x.mode}=${x.path}`).join(' ') },
];

/** The documented columns, for the README. */
export const CRAWL_CSV_COLUMNS: readonly CsvColumn[] = COLUMNS.map(({ name, description }) => ({ name, description }));

export function crawlCsv(report: CrawlReport): string {
  return [csvLine(COLUMNS.map((c) => c.name)), ...report.sites.map((s) => csvLine(COLUMNS.map((c) => c.get(s, report.crawl.id))))].join('');
}
