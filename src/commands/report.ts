/**
 * `pinaudit report [--since 7d] [--limit N] [--json]`: what leaked to Pinterest, from the terminal.
 * Everything comes from the read API the dashboard uses (src/store/queries.ts), so the numbers
 * match the dashboard's for the same range. Text output is aligned tables with every cell cleaned
 * of control characters (page URLs are written by websites); `--json` prints {@link Report}.
 * Exit codes: 0 printed, 1 no database, 2 usage.
 */
import { databasePath } from '../app.js';
import { PinauditError } from '../errors.js';
import type { Queries, RangeFilter, Totals } from '../store/queries.js';
import type { IdentifierKind } from '../types.js';
import type { Command } from './command.js';
import { parseWhen } from './export.js';
import { withQueries } from './database.js';

/** Version of the `--json` shape; fields are only added within a version. */
export const REPORT_SCHEMA_VERSION = 1;

/** The `--json` output (documented in the README). Times are ISO 8601 UTC. */
export interface Report {
  schemaVersion: number;
  generatedAt: string;
  range: { since: string; from: string | null; to: string };
  totals: Totals;
  sitesVisited: { visited: number; leaked: number; visitedAndLeaked: number };
  topSites: Array<{ site: string; requests: number; leaks: number; fullUrl: number; blocked: number; stripped: number; lastSeen: string }>;
  topPages: Array<{ url: string; site: string; requests: number }>;
  identifiers: Array<{ name: string; kind: IdentifierKind; value: string; requests: number; siteCount: number; sites: string[] }>;
  hashedEmails: Array<{ value: string; requests: number; siteCount: number; sites: string[] }>;
  blocking: {
    blocked: number;
    stripped: number;
    identifiersPrevented: number;
    pagesPrevented: number;
    byMode: Array<{ mode: string; blocked: number; stripped: number; identifiersPrevented: number; pagesPrevented: number }>;
  };
}

const options = {
  since: { type: 'string', value: 'WHEN', help: 'period to cover: 30m, 24h, 7d, 4w, a date (2025-06-01), an ISO time, or all (default 7d)' },
  limit: { type: 'string', value: 'N', help: 'rows per table (default 10)' },
  json: { type: 'boolean', help: 'print JSON instead of tables (shape: "pinaudit report --json" in the README)' },
} as const;

/** `pinaudit report`; `now` is the clock (tests fix it). */
export function reportCommandAt(now: () => number): Command<typeof options> {
  return {
    name: 'report',
    summary: 'print a summary of what leaked to Pinterest, or --json (pinaudit report --help)',
    usage: 'pinaudit report [--since 7d] [--limit N] [--json] [--data-dir DIR]',
    about: `Summarises what websites told Pinterest: top leaking sites and pages, identifiers and how many
sites sent each, leaks while logged in to Pinterest, hashed e-mail addresses, what blocking
prevented, and how many of the sites you visited leaked. Live traffic and imported HAR files alike.`,
    options,
    examples: ['pinaudit report', 'pinaudit report --since 24h --limit 5', 'pinaudit report --since all --json > report.json'],
    exitCodes: '0 printed, 1 no database, 2 usage error.',
    async run({ values, config, io }) {
      const at = now();
      const since = values.since ?? '7d';
      const limit = values.limit === undefined ? 10 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new PinauditError('USAGE', `--limit must be a whole number from 1 to 1000, not ${JSON.stringify(values.limit)}`);
      }
      const from = sinceTime(since, at);
      return await withQueries(databasePath(config), (queries) => {
        const report = buildReport(queries, { from }, since, limit, at);
        io.stdout(values.json === true ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report, io.columns ?? null));
        return 0;
      });
    },
  };
}

export const reportCommand = reportCommandAt(Date.now);

/** Gathers the report from the read API. */
export function buildReport(q: Queries, range: RangeFilter, since: string, limit: number, now: number): Report {
  const r: RangeFilter = { from: range.from ?? null, to: now + 1 };
  const iso = (ms: number): string => new Date(ms).toISOString();
  const topSites = q.topSites(r, limit);
  const pages = topSites.flatMap((s) => q.siteDetail(s.site, r).pages.slice(0, limit).map((p) => ({ url: p.url, site: s.site, requests: p.requests })));
  pages.sort((a, b) => b.requests - a.requests || a.url.localeCompare(b.url));
  const ids = q.identifiers(r, { limit: 500, maxSites: 20 });
  const impact = q.blockingImpact(r);
  const sum = (k: 'identifiersPrevented' | 'pagesPrevented'): number => impact.byMode.reduce((n, m) => n + m[k], 0);
  const totals = q.totals(r);
  const visited = q.sitesVisited(r, { limit: 1 });
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt: iso(now),
    range: { since, from: r.from == null ? null : iso(r.from), to: iso(now) },
    totals,
    sitesVisited: { visited: visited.visited, leaked: visited.leaked, visitedAndLeaked: visited.visitedAndLeaked },
    topSites: topSites.map((s) => ({ ...s, lastSeen: iso(s.lastSeen) })),
    topPages: pages.slice(0, limit),
    identifiers: ids.filter((i) => i.kind !== 'hashed-email').slice(0, limit)
      .map((i) => ({ name: i.name, kind: i.kind, value: i.value, requests: i.requests, siteCount: i.siteCount, sites: i.sites })),
    hashedEmails: ids.filter((i) => i.kind === 'hashed-email').slice(0, limit)
      .map((i) => ({ value: i.value, requests: i.requests, siteCount: i.siteCount, sites: i.sites })),
    blocking: {
      blocked: totals.blocked,
      stripped: totals.stripped,
      identifiersPrevented: sum('identifiersPrevented'),
      pagesPrevented: sum('pagesPrevented'),
      byMode: impact.byMode,
    },
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
    `${n(t.sitesLeaked)} site${t.sitesLeaked === 1 ? '' : 's'} told Pinterest about ${n(t.pagesLeaked)} page${t.pagesLeaked === 1 ? '' : 's'}` +
      (v.visited > 0 ? `; ${n(v.visitedAndLeaked)} of the ${n(v.visited)} sites you visited leaked.` : '.'),
    ...table(
      ['', ''],
      [
        ['Pinterest requests', n(t.requests)],
        ['from other sites', n(t.thirdPartyRequests)],
        ['leaking the page', n(t.leaks)],
        ['while logged in to Pinterest', n(t.loggedInLeaks)],
        ['carrying a hashed e-mail', n(t.hashedEmails)],
        ['distinct identifiers', n(t.identifiers)],
      ],
      [false, true],
      columns,
    ).slice(1),
  ];
  const section = (title: string, headers: string[], rows: string[][], right: boolean[]): void => {
    out.push('', title);
    out.push(...(rows.length === 0 ? ['  (none)'] : table(headers, rows, right, columns)));
  };
  section('Top leaking sites', ['SITE', 'LEAKS', 'REQUESTS', 'FULL URL', 'BLOCKED', 'STRIPPED', 'LAST SEEN (UTC)'],
    report.topSites.map((s) => [s.site, n(s.leaks), n(s.requests), n(s.fullUrl), n(s.blocked), n(s.stripped), s.lastSeen.slice(0, 16).replace('T', ' ')]),
    [false, true, true, true, true, true, false]);
  section('Top leaked pages', ['REQUESTS', 'SITE', 'PAGE'], report.topPages.map((p) => [n(p.requests), p.site, p.url]), [true, false, false]);
  section('Identifiers, by how many sites sent them', ['SITES', 'REQUESTS', 'KIND', 'NAME', 'VALUE', 'SENT BY'],
    report.identifiers.map((i) => [n(i.siteCount), n(i.requests), i.kind, i.name, short(i.value), few(i.sites, i.siteCount)]),
    [true, true, false, false, false, false]);
  section('Hashed e-mail addresses', ['SITES', 'REQUESTS', 'HASH', 'SENT BY'],
    report.hashedEmails.map((h) => [n(h.siteCount), n(h.requests), short(h.value), few(h.sites, h.siteCount)]), [true, true, false, false]);
  const b = report.blocking;
  out.push('', 'What blocking prevented', `  ${n(b.blocked)} blocked, ${n(b.stripped)} stripped; ${n(b.identifiersPrevented)} identifiers and ${n(b.pagesPrevented)} page URLs withheld`);
  if (b.byMode.length > 0) {
    out.push(...table(['MODE', 'BLOCKED', 'STRIPPED', 'IDS WITHHELD', 'PAGES WITHHELD'],
      b.byMode.map((m) => [m.mode || '(none)', n(m.blocked), n(m.stripped), n(m.identifiersPrevented), n(m.pagesPrevented)]),
      [false, true, true, true, true], columns));
  }
  out.push('');
  return `${out.join('\n')}\n`;
}

/** Aligned rows (header first), two spaces of indent; the last column is cut to fit `columns`. */
function table(headers: string[], rows: string[][], right: boolean[], columns: number | null): string[] {
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
