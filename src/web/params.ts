/**
 * Query-string parsing for the dashboard API: time ranges, request filters and small scalars.
 * Everything arrives as untrusted text; a bad value is a 400 that names the parameter.
 */
import { PinauditError } from '../errors.js';
import { parseWhen, type RequestFilter } from '../store/index.js';
import { CATEGORY_FILTERS, DECISION_FILTERS } from '../types.js';

/** A query string as fastify parses it. */
export type QueryBag = Record<string, string | string[] | undefined>;

/** The named ranges of the range picker. */
export const RANGES = ['hour', 'day', 'week', 'month', 'all'] as const;
export type RangeName = (typeof RANGES)[number] | 'custom';

/** A resolved time range; `from`/`to` are ms, `null` meaning open. */
export interface ResolvedRange {
  name: RangeName;
  from: number | null;
  to: number | null;
}

const SPAN: Record<Exclude<RangeName, 'all' | 'custom'>, number> = {
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
  month: 30 * 86_400_000,
};

/** A single string parameter (the last one when repeated), or `undefined`. */
export function one(q: QueryBag, name: string): string | undefined {
  const v = q[name];
  const s = Array.isArray(v) ? v[v.length - 1] : v;
  return s === undefined || s === '' ? undefined : s;
}

/**
 * A time as ms since the epoch, an ISO 8601 date-time, or a local date (`YYYY-MM-DD`; as an `end`
 * bound it includes that day), read as the CLI reads it.
 */
export function parseTime(text: string, name: string, end = false): number {
  const n = /^\d{1,16}$/.test(text) ? Number(text) : parseWhen(text, end);
  if (n === null || !Number.isFinite(n)) {
    throw new PinauditError('BAD_PARAM', `${name} must be a time in ms, an ISO 8601 time or a date (YYYY-MM-DD), not ${JSON.stringify(text)}`);
  }
  return n;
}

/**
 * `range=hour|day|week|month|all` (relative to `now`), or `from`/`to` for a custom range.
 * Default: `all`.
 */
export function parseRange(q: QueryBag, now: number): ResolvedRange {
  const fromText = one(q, 'from');
  const toText = one(q, 'to');
  const name = one(q, 'range');
  if (fromText !== undefined || toText !== undefined || name === 'custom') {
    const from = fromText === undefined ? null : parseTime(fromText, 'from');
    const to = toText === undefined ? null : parseTime(toText, 'to', true);
    if (from !== null && to !== null && to <= from) throw new PinauditError('BAD_PARAM', 'to must be after from');
    return { name: 'custom', from, to };
  }
  if (name === undefined || name === 'all') return { name: 'all', from: null, to: null };
  if (!(RANGES as readonly string[]).includes(name)) {
    throw new PinauditError('BAD_PARAM', `range must be one of ${RANGES.join(', ')}, or from/to`);
  }
  const span = SPAN[name as keyof typeof SPAN];
  return { name: name as RangeName, from: now - span, to: null };
}

/** A value from a fixed list, or `undefined` when absent. */
export function oneOf<T extends string>(q: QueryBag, name: string, allowed: readonly T[]): T | undefined {
  const v = one(q, name);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new PinauditError('BAD_PARAM', `${name} must be one of ${allowed.join(', ')}`);
  }
  return v as T;
}

/** A whole number within bounds, or `fallback` when absent. */
export function intParam(q: QueryBag, name: string, fallback: number, min: number, max: number): number {
  const v = one(q, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new PinauditError('BAD_PARAM', `${name} must be a whole number from ${min} to ${max}`);
  }
  return n;
}

/** A text parameter of bounded length (search boxes, site names). */
export function textParam(q: QueryBag, name: string, max = 300): string | undefined {
  const v = one(q, name);
  if (v !== undefined && v.length > max) throw new PinauditError('BAD_PARAM', `${name} is longer than ${max} characters`);
  return v;
}

/** The request-list / export filter: range plus site, category, decision, search and crawl. */
export function parseRequestFilter(q: QueryBag, now: number): RequestFilter {
  const range = parseRange(q, now);
  return {
    from: range.from,
    to: range.to,
    site: textParam(q, 'site', 253) ?? null,
    category: oneOf(q, 'category', CATEGORY_FILTERS) ?? null,
    decision: oneOf(q, 'decision', DECISION_FILTERS) ?? null,
    search: textParam(q, 'search') ?? null,
    crawl: one(q, 'crawl') === undefined ? null : intParam(q, 'crawl', 0, 1, Number.MAX_SAFE_INTEGER),
  };
}

/** A boolean flag: `1`, `true`, `yes` or `on`. */
export function flag(q: QueryBag, name: string): boolean {
  const v = one(q, name);
  return v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
}
