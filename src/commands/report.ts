/**
 * `pinaudit report [--since 7d] [--limit N] [--json]`: what leaked to Pinterest, from the terminal.
 * Everything comes from the read API the dashboard uses (src/store/queries.ts), so the numbers
 * match the dashboard's for the same range. Text output is aligned tables with every cell cleaned
 * of control characters (page URLs are written by websites); `--json` prints {@link Report}.
 * Exit codes: 0 printed, 1 no database, 2 usage.
 */
import { buildAdviceReport, renderAdviceReport, type AdviceReport } from '../advice/report-section.js';
import { databasePath } from '../app.js';
import { PinauditError } from '../errors.js';
import type { BlockingImpact, RangeFilter, ReadQueries, SiteSummary, SitesVisited, Totals } from '../store/index.js';
import type { IdentifierKind } from '../types.js';
import type { Command } from './command.js';
import { parseWhen } from './export.js';
import { SOURCE_OPTIONS, withReadQueries } from './database.js';
import { CRAWL_OPTION, printCrawlReport, refuseCrawlOverFleet } from './crawl-output.js';
import { plural } from '../plural.js';

/** Version of the `--json` shape; fields are only added within a version. */
export const REPORT_SCHEMA_VERSION = 2;

/** The `--json` output (documented in the README). Times are ISO 8601 UTC. */
export interface Report {
  schemaVersion: number;
  generatedAt: string;
  range: { since: string; from: string | null; to: string };
  totals: Totals;
  sitesVisited: Omit<SitesVisited, 'sites'>;
  topSites: Array<Omit<SiteSummary, 'lastSeen'> & { lastSeen: string }>;
  /** Full page URLs only (an origin-only leak names no page). */
  topPages: Array<{ url: string; site: string; attemptedRequests: number; reachedRequests: number }>;
  identifiers: Array<{ name: string; kind: IdentifierKind; value: string; requests: number; siteCount: number; sites: string[] }>;
  hashedEmails: Array<{ value: string; requests: number; siteCount: number; sites: string[] }>;
  blocking: {
    blocked: number;
    stripped: number;
    preventedLeaks: number;
    preventedIdentifiers: number;
    preventedPages: number;
    byMode: BlockingImpact['byMode'];
  };
  /** Does the advice work? The person's Pinterest switches and cookie clearing. */
  advice: AdviceReport;
}

const options = {
  since: { type: 'string', value: 'WHEN', help: 'period to cover: 30m, 24h, 7d, 4w, a date (2025-06-01), an ISO time, or all (default 7d)' },
  limit: { type: 'string', value: 'N', help: 'rows per table (default 10)' },
  json: { type: 'boolean', help: 'print JSON instead of tables (shape: "pinaudit report --json" in the README)' },
  crawl: CRAWL_OPTION,
  ...SOURCE_OPTIONS,
} as const;

/** `pinaudit report`; `now` is the clock (tests fix it). */
export function reportCommandAt(now: () => number): Command<typeof options> {
  return {
    name: 'report',
    summary: 'print a summary of what leaked to Pinterest, or --json (pinaudit report --help)',
    usage: 'pinaudit report [--since 7d] [--limit N] [--json] [--data-dir DIR | --source postgres://… [--instance NAME]]',
    about: `Summarises what websites told Pinterest: top leaking sites and pages, identifiers and how many
sites sent each, leaks while logged in to Pinterest, hashed e-mail addresses, what blocking
prevented, and how many of the sites you visited leaked. Live traffic and imported HAR files alike.
With --source, the same report over the fleet's PostgreSQL: every instance shipping to it, or one.`,
    options,
    examples: [
      'pinaudit report',
      'pinaudit report --since 24h --limit 5',
      'pinaudit report --since all --json > report.json',
      'PGPASSWORD=… pinaudit report --source postgres://pinaudit@db.lab/pinaudit --instance lab-a',
    ],
    exitCodes: '0 printed, 1 no database (or the fleet\'s cannot be read), 2 usage error.',
    async run({ values, config, env, io }) {
      if (values.crawl !== undefined) {
        refuseCrawlOverFleet(values.source);
        return await printCrawlReport(config, values.crawl, values.json === true, io);
      }
      const at = now();
      const since = values.since ?? '7d';
      const limit = values.limit === undefined ? 10 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new PinauditError('USAGE', `--limit must be a whole number from 1 to 1000, not ${JSON.stringify(values.limit)}`);
      }
      const from = sinceTime(since, at);
      return await withReadQueries(databasePath(config), values, env, async (queries) => {
        const report = await buildReport(queries, { from }, since, limit, at);
        io.stdout(values.json === true ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report, io.columns ?? null));
        return 0;
      });
    },
  };
}

export const reportCommand = reportCommandAt(Date.now);

/** Gathers the report from the read API. */
export async function buildReport(q: ReadQueries, range: RangeFilter, since: string, limit: number, now: number): Promise<Report> {
  const r: RangeFilter = { from: range.from ?? null, to: now + 1 };
  const iso = (ms: number): string => new Date(ms).toISOString();
  const topSites = await q.topSites(r, limit);
  const pages = [];
  for (const s of topSites) {
    for (const p of (await q.siteDetail(s.site, r, { limit })).pages) {
      pages.push({ url: p.url, site: s.site, attemptedRequests: p.requests, reachedRequests: p.reached });
    }
  }
  pages.sort((a, b) => b.attemptedRequests - a.attemptedRequests || a.url.localeCompare(b.url));
  const ids = await q.identifiers(r, { limit: 500, maxSites: 20 });
  const impact = await q.blockingImpact(r);
  const totals = await q.totals(r);
  const { sites: _, ...visited } = await q.sitesVisited(r, { limit: 0 });
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt: iso(now),
    range: { since, from: r.from == null ? null : iso(r.from), to: iso(now) },
    totals,
    sitesVisited: visited,
    topSites: topSites.map((s) => ({ ...s, lastSeen: iso(s.lastSeen) })),
    topPages: pages.slice(0, limit),
    identifiers: ids.filter((i) => i.kind !== 'hashed-email').slice(0, limit)
      .map((i) => ({ name: i.name, kind: i.kind, value: i.value, requests: i.requests, siteCount: i.siteCount, sites: i.sites })),
    hashedEmails: ids.filter((i) => i.kind === 'hashed-email').slice(0, limit)
      .map((i) => ({ value: i.value, requests: i.requests, siteCount: i.siteCount, sites: i.sites })),
    blocking: {
      blocked: totals.blocked,
      stripped: totals.stripped,
      preventedLeaks: totals.preventedLeaks,
      preventedIdentifiers: totals.preventedIdentifiers,
      preventedPages: totals.preventedPages,
      byMode: impact.byMode,
    },
    advice: await buildAdviceReport(q.advice, { from: r.from ?? null, to: r.to ?? null }, now),
  };
}

/** The text form: a headline and aligned tables, each cut to `columns` when given. */
export function renderReport(report: Report, columns: number | null): string {
  const t = report.totals;
  const n = (v: number): string => v.toLocaleString('en-US');
  const v = report.sitesVisited;
  const period = report.range.from === null ? 'all recorded time' : `since ${report.range.from.slice(0, 16).replace('T', ' ')} UTC (${report.range.since})`;
  const out: string[] = [
    `pinaudit report: ${period}`,
    '',
    `${plural(t.attemptedSites, 'site')} attempted to tell Pinterest about ${plural(t.attemptedPages, 'page')};`,
    `${plural(t.reachedPages, 'page')} from ${plural(t.reachedSites, 'site')} reached Pinterest` +
      (v.visited > 0 ? `; ${n(v.visitedAndReached)} of the ${plural(v.visited, 'site')} you visited leaked.` : '.'),
    ...table(
      ['', 'ATTEMPTED', 'REACHED PINTEREST', 'PREVENTED'],
      [
        ['Pinterest requests', n(t.requests), '', ''],
        ['from other sites', n(t.thirdPartyRequests), '', ''],
        ['leaks (page or identifiers)', n(t.attemptedLeaks), n(t.reachedLeaks), n(t.preventedLeaks)],
        ['pages (full URLs)', n(t.attemptedPages), n(t.reachedPages), ''],
        ['origin only', n(t.attemptedOriginOnly), n(t.reachedOriginOnly), ''],
        ['while logged in to Pinterest', n(t.attemptedLoggedIn), n(t.reachedLoggedIn), ''],
        ['carrying a hashed e-mail', n(t.attemptedHashedEmails), n(t.reachedHashedEmails), ''],
        ['distinct identifiers', n(t.attemptedIdentifiers), n(t.reachedIdentifiers), ''],
      ],
      [false, true, true, true],
      columns,
    ),
  ];
  const section = (title: string, headers: string[], rows: string[][], right: boolean[]): void => {
    out.push('', title);
    out.push(...(rows.length === 0 ? ['  (none)'] : table(headers, rows, right, columns)));
  };
  section('Top leaking sites', ['SITE', 'ATTEMPTED', 'REACHED', 'REQUESTS', 'FULL URL', 'BLOCKED', 'STRIPPED', 'LAST SEEN (UTC)'],
    report.topSites.map((s) => [s.site, n(s.attemptedLeaks), n(s.reachedLeaks), n(s.requests), n(s.attemptedFullUrl), n(s.blocked), n(s.stripped),
      s.lastSeen.slice(0, 16).replace('T', ' ')]),
    [false, true, true, true, true, true, true, false]);
  section('Top leaked pages (full URLs)', ['ATTEMPTED', 'REACHED', 'SITE', 'PAGE'],
    report.topPages.map((p) => [n(p.attemptedRequests), n(p.reachedRequests), p.site, p.url]), [true, true, false, false]);
  section('Identifiers, by how many sites sent them', ['SITES', 'REQUESTS', 'KIND', 'NAME', 'VALUE', 'SENT BY'],
    report.identifiers.map((i) => [n(i.siteCount), n(i.requests), i.kind, i.name, short(i.value), few(i.sites, i.siteCount)]),
    [true, true, false, false, false, false]);
  section('Hashed e-mail addresses', ['SITES', 'REQUESTS', 'HASH', 'SENT BY'],
    report.hashedEmails.map((h) => [n(h.siteCount), n(h.requests), short(h.value), few(h.sites, h.siteCount)]), [true, true, false, false]);
  const b = report.blocking;
  out.push('', 'What blocking prevented',
    `  ${n(b.blocked)} blocked, ${n(b.stripped)} stripped; prevented: ${plural(b.preventedLeaks, 'leak')} whole, ` +
    `${plural(b.preventedIdentifiers, 'identifier')}, ${plural(b.preventedPages, 'page')}`);
  if (b.byMode.length > 0) {
    out.push(...table(['MODE', 'BLOCKED', 'STRIPPED', 'LEAKS PREVENTED', 'IDS PREVENTED', 'PAGES PREVENTED'],
      b.byMode.map((m) => [m.mode || '(none)', n(m.blocked), n(m.stripped), n(m.preventedLeaks), n(m.preventedIdentifiers), n(m.preventedPages)]),
      [false, true, true, true, true, true], columns));
  }
  out.push(...renderAdviceReport(report.advice, n, columns).map(clean));
  out.push('');
  return `${out.join('\n')}\n`;
}

/** Aligned rows (header first), two spaces of indent; the last column is cut to fit `columns`. */
export function table(headers: string[], rows: string[][], right: boolean[], columns: number | null): string[] {
  const all = [headers, ...rows].map((r) => r.map(clean));
  const widths = headers.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const last = headers.length - 1;
  if (columns !== null) {
    const used = 2 + widths.slice(0, last).reduce((a, w) => a + w + 2, 0);
    widths[last] = Math.max(10, Math.min(widths[last] ?? 0, columns - used - 1));
  }
  return all.map((r) =>
    `  ${r.map((cell, c) => {
      const w = widths[c] ?? 0;
      const fit = cell.length > w ? `${cell.slice(0, Math.max(0, w - 1))}…` : cell;
      return c === last && !right[c] ? fit : right[c] ? fit.padStart(w) : fit.padEnd(w);
    }).join('  ')}`.trimEnd(),
  );
}

function clean(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
}

/** The first few site names, and how many more. */
function few(sites: string[], count: number): string {
  const shown = sites.slice(0, 4).join(', ');
  return count > 4 ? `${shown} and ${count - 4} more` : shown;
}

function short(value: string): string {
  return value.length > 20 ? `${value.slice(0, 19)}…` : value;
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `7d` → now minus seven days; `all` → null; dates and ISO times as in export. */
export function sinceTime(text: string, now: number): number | null {
  if (text === 'all') return null;
  const m = /^(\d{1,6})([mhdw])$/.exec(text);
  if (m) return now - Number(m[1]) * (UNITS[m[2]!] ?? 0);
  try {
    return parseWhen(text, 'since', false);
  } catch {
    throw new PinauditError('USAGE', `--since must look like 30m, 24h, 7d, 4w, a date (2025-06-01), an ISO time, or all; not ${JSON.stringify(text)}`);
  }
}
