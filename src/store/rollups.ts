/**
 * Every roll-up, defined once: its table, its key, its counters. The writer folds each batch into
 * these tables (write-batch.ts), the read side answers partial days from raw rows with the same
 * counters (query-sql.ts), and retention knows which tables to keep or purge, all from this list.
 * Adding a counter means adding it here and in a migration.
 *
 * The words (DESIGN.md): a third-party request *attempted* a leak when it carried the page or an
 * identifier; the leak *reached Pinterest* unless the policy prevented all of it (a block
 * prevents everything). `leakFacts` is the one place that decides; the counters read its result,
 * stored on each request row so raw rows and roll-ups agree by construction.
 */
import type { Action } from '../types.js';
import type { Dialect } from './plan.js';
import type { RequestColumns } from './rows.js';

/** What one request attempted and what of it reached Pinterest (columns of `requests`). */
export interface LeakFacts {
  /** Identifiers the request carried (transmissions, credentials included). */
  ids_attempted: number;
  /** Of those, how many the policy prevented. */
  ids_prevented: number;
  /** 1 when the request carried a page and the policy withheld it. */
  page_prevented: number;
  /** 1 for a third-party request carrying the page or an identifier. */
  attempted: number;
  /** 1 when the page or an identifier of an attempted leak reached Pinterest. */
  reached: number;
  /** 1 when the page of a third-party request reached Pinterest. */
  page_reached: number;
  /** 1 when Pinterest's login cookie reached Pinterest with a leak. */
  logged_in_reached: number;
  /** 1 when a hashed e-mail of a third-party request reached Pinterest. */
  hashed_email_reached: number;
}

/** What `leakFacts` reads: the request as classified, and what the policy prevented. */
export interface LeakInput {
  thirdParty: boolean;
  /** The page carried (`full-url` / `origin`), or `none`. */
  carriesPage: boolean;
  decision: Action | null;
  pagePrevented: boolean;
  identifiers: ReadonlyArray<{ name: string; kind: string; prevented: boolean }>;
  /** The login cookie went along. */
  loggedIn: boolean;
}

/** Name of Pinterest's login cookie (DESIGN.md: logged in = `_pinterest_sess` went along). */
const LOGIN_COOKIE = '_pinterest_sess';

/** The leak predicate. A block reaches nothing whatever `prevented` says. */
export function leakFacts(x: LeakInput): LeakFacts {
  const blocked = x.decision === 'block';
  const idsPrevented = blocked ? x.identifiers.length : x.identifiers.filter((i) => i.prevented).length;
  const pagePrevented = x.carriesPage && (blocked || x.pagePrevented);
  const reachedIds = blocked ? [] : x.identifiers.filter((i) => !i.prevented);
  const pageReached = x.thirdParty && x.carriesPage && !pagePrevented;
  const attempted = x.thirdParty && (x.carriesPage || x.identifiers.length > 0);
  const reached = attempted && (pageReached || reachedIds.length > 0);
  const b = (v: boolean): number => (v ? 1 : 0);
  return {
    ids_attempted: x.identifiers.length,
    ids_prevented: idsPrevented,
    page_prevented: b(pagePrevented),
    attempted: b(attempted),
    reached: b(reached),
    page_reached: b(pageReached),
    // Logged in: the login cookie went along; it reached Pinterest unless the policy withheld it.
    logged_in_reached: b(reached && x.loggedIn && !x.identifiers.some((i) => i.name === LOGIN_COOKIE && (blocked || i.prevented))),
    hashed_email_reached: b(x.thirdParty && reachedIds.some((i) => i.kind === 'hashed-email')),
  };
}

/**
 * A count column: its value for one request (the writer) and the same over a raw row `r` (reads;
 * CASE, not a boolean as a number, so that PostgreSQL reads it too).
 */
interface Counter {
  of(c: RequestColumns): number;
  sql: string;
}

const is = (v: boolean): number => (v ? 1 : 0);

/** Every counter a roll-up may have. */
export const COUNTERS = {
  requests: { of: () => 1, sql: '1' },
  third_party: { of: (c) => is(c.third_party === 1), sql: 'coalesce(r.third_party, 0)' },
  attempted: { of: (c) => c.attempted, sql: 'r.attempted' },
  reached: { of: (c) => c.reached, sql: 'r.reached' },
  full_url: { of: (c) => is(c.third_party === 1 && c.leak_level === 'full-url'), sql: "CASE WHEN r.third_party = 1 AND r.leak_level = 'full-url' THEN 1 ELSE 0 END" },
  full_url_reached: { of: (c) => is(c.page_reached === 1 && c.leak_level === 'full-url'), sql: "CASE WHEN r.page_reached = 1 AND r.leak_level = 'full-url' THEN 1 ELSE 0 END" },
  origin_only: { of: (c) => is(c.third_party === 1 && c.leak_level === 'origin'), sql: "CASE WHEN r.third_party = 1 AND r.leak_level = 'origin' THEN 1 ELSE 0 END" },
  origin_reached: { of: (c) => is(c.page_reached === 1 && c.leak_level === 'origin'), sql: "CASE WHEN r.page_reached = 1 AND r.leak_level = 'origin' THEN 1 ELSE 0 END" },
  logged_in: { of: (c) => is(c.attempted === 1 && c.logged_in === 1), sql: 'CASE WHEN r.attempted = 1 AND r.logged_in = 1 THEN 1 ELSE 0 END' },
  logged_in_reached: { of: (c) => c.logged_in_reached, sql: 'r.logged_in_reached' },
  hashed_emails: { of: (c) => is(c.third_party === 1 && c.hashed_email === 1), sql: 'CASE WHEN r.third_party = 1 AND r.hashed_email = 1 THEN 1 ELSE 0 END' },
  hashed_emails_reached: { of: (c) => c.hashed_email_reached, sql: 'r.hashed_email_reached' },
  ids_attempted: { of: (c) => c.ids_attempted, sql: 'r.ids_attempted' },
  ids_prevented: { of: (c) => c.ids_prevented, sql: 'r.ids_prevented' },
  pages_prevented: { of: (c) => c.page_prevented, sql: 'r.page_prevented' },
  blocked: { of: (c) => is(c.decision === 'block'), sql: "CASE WHEN r.decision = 'block' THEN 1 ELSE 0 END" },
  stripped: { of: (c) => is(c.decision === 'strip'), sql: "CASE WHEN r.decision = 'strip' THEN 1 ELSE 0 END" },
} satisfies Record<string, Counter>;

export type CounterName = keyof typeof COUNTERS;

/** A key column: its value for one request and the same over a raw row `r` (`@$Day`: the edge's day). */
interface KeyColumn {
  name: string;
  of(c: RequestColumns, day: string): string | number;
  sql: string;
}

const HOUR = 3_600_000;
/**
 * A text column of the request ('' for null). `read` names the column once more as code: a read
 * by a computed name is the slowest property access there is, and the writer does it per request.
 */
const text = (name: string, col: keyof RequestColumns, read: (c: RequestColumns) => string | null): KeyColumn => ({
  name,
  of: (c) => read(c) ?? '',
  sql: `coalesce(r.${col}, '')`,
});
const DAY: KeyColumn = { name: 'day', of: (_c, day) => day, sql: '@$Day' };
const SITE = text('site', 'page_site', (c) => c.page_site);
const PAGE_SITE = text('page_site', 'page_site', (c) => c.page_site);
const CATEGORY = text('category', 'category', (c) => c.category);
const DECISION = text('decision', 'decision', (c) => c.decision);

/** One roll-up table. */
export interface Rollup {
  table: string;
  key: readonly KeyColumn[];
  counters: readonly CounterName[];
  /** Time columns kept with `min`/`max`. */
  times: ReadonlyArray<{ name: 'first_time' | 'last_time'; fn: 'min' | 'max' }>;
  /** Only requests with a page site are counted (per-site tables). */
  siteOnly: boolean;
  /** The column retention compares with the cutoff: a day key, or an hour in ms. */
  cutoffColumn: 'day' | 'hour';
}

const DAILY_COUNTERS: readonly CounterName[] = [
  'requests', 'third_party', 'attempted', 'reached', 'full_url', 'full_url_reached', 'origin_only', 'origin_reached',
  'logged_in', 'logged_in_reached', 'hashed_emails', 'hashed_emails_reached', 'ids_attempted', 'ids_prevented',
  'pages_prevented',
];
const FIRST_LAST = [{ name: 'first_time', fn: 'min' }, { name: 'last_time', fn: 'max' }] as const;

/** Daily counts per day, site, category, decision and mode: kept when raw rows are pruned. */
export const DAILY_ROLLUP: Rollup = {
  table: 'daily_rollup',
  key: [DAY, PAGE_SITE, CATEGORY, DECISION, text('mode', 'block_mode', (c) => c.block_mode)],
  counters: DAILY_COUNTERS, times: FIRST_LAST, siteOnly: false, cutoffColumn: 'day',
};

/** The daily roll-up without sites: overview numbers for long ranges. */
export const DAILY_TOTALS: Rollup = {
  ...DAILY_ROLLUP, table: 'daily_totals', key: DAILY_ROLLUP.key.filter((k) => k.name !== 'page_site'),
};

/** Per day and site: the sites table and "sites that leaked". */
export const SITE_DAYS: Rollup = {
  table: 'site_days', key: [DAY, SITE],
  counters: ['requests', 'third_party', 'attempted', 'reached', 'full_url', 'full_url_reached', 'blocked', 'stripped'],
  times: [{ name: 'last_time', fn: 'max' }], siteOnly: true, cutoffColumn: 'day',
};

/** Per epoch-aligned hour: the timeline of short ranges. */
export const HOURLY_TOTALS: Rollup = {
  table: 'hourly_totals',
  key: [{ name: 'hour', of: (c) => Math.floor(c.time / HOUR) * HOUR, sql: `(r.time / ${HOUR}) * ${HOUR}` }],
  counters: ['requests', 'third_party', 'attempted', 'reached', 'blocked', 'stripped'],
  times: [], siteOnly: false, cutoffColumn: 'hour',
};

/** Per site and day by tag, event, attribution and decision: a busy site's detail page. */
export const SITE_DETAIL_DAYS: Rollup = {
  table: 'site_detail_days',
  key: [
    SITE, DAY, text('tag_id', 'tag_id', (c) => c.tag_id), text('tag_event', 'tag_event', (c) => c.tag_event),
    text('attributed_by', 'attributed_by', (c) => c.attributed_by), DECISION,
  ],
  counters: ['requests', 'attempted', 'reached'], times: [], siteOnly: true, cutoffColumn: 'day',
};

/** Every roll-up, in the order the writer updates them. */
export const ROLLUPS: readonly Rollup[] = [DAILY_ROLLUP, DAILY_TOTALS, SITE_DAYS, HOURLY_TOTALS, SITE_DETAIL_DAYS];

/** The upsert of one roll-up row: key, counters, times as positional parameters. */
export function upsertSql(r: Rollup): string {
  const cols = [...r.key.map((k) => k.name), ...r.counters, ...r.times.map((t) => t.name)];
  const sets = [...r.counters.map((c) => `${c} = ${c} + excluded.${c}`), ...r.times.map((t) => `${t.name} = ${t.fn}(${t.name}, excluded.${t.name})`)];
  return `INSERT INTO ${r.table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})
    ON CONFLICT DO UPDATE SET ${sets.join(', ')}`;
}

/**
 * The roll-up's rows as a SELECT with its own column names: the table's rows where `tableWhere`
 * holds, then (for `edge` = head or tail of a range, see query-sql.ts `edges`) raw requests counted
 * the same way. `$` in the edge part stands for head/tail.
 */
export function rollupSelect(d: Dialect, r: Rollup, tableWhere: string, edgeWhere: string): { table: string; edge: string } {
  const names = [...r.key.map((k) => k.name), ...r.counters, ...r.times.filter((t) => t.name === 'last_time').map((t) => t.name)];
  const exprs = [
    ...r.key.map((k) => `${k.sql} AS ${k.name}`),
    ...r.counters.map((c) => `${COUNTERS[c].sql} AS ${c}`),
    ...r.times.filter((t) => t.name === 'last_time').map(() => 'r.time AS last_time'),
  ];
  const site = r.siteOnly ? ' AND r.page_site IS NOT NULL' : '';
  return {
    table: `SELECT ${names.join(', ')} FROM ${d.from(r.table)} WHERE ${tableWhere}`,
    edge: `SELECT ${exprs.join(', ')} FROM ${d.from('requests', 'r')} WHERE ${edgeWhere}${site}`,
  };
}
