/**
 * Calendar days. Roll-ups are kept per local day (`YYYY-MM-DD`, the machine's time zone); a time
 * range in ms is answered exactly by splitting it into whole days (read from the roll-ups) and at
 * most two partial days at its ends (read from raw rows).
 */

/** Latest time a range may reach (end of year 9999), so day arithmetic stays valid. */
export const MAX_TIME = 253_402_300_799_999;

/** The last day asked for, `[from, to)`: the writer asks once per request, nearly always for today. */
let lastDay = { from: 0, to: 0, key: '' };

/** The local calendar day of a time, `YYYY-MM-DD`. */
export function dayKey(time: number): string {
  if (time >= lastDay.from && time < lastDay.to) return lastDay.key;
  const d = new Date(time);
  const y = String(d.getFullYear()).padStart(4, '0');
  const m = String(d.getMonth() + 1).padStart(2, '0');
  const day = String(d.getDate()).padStart(2, '0');
  const key = `${y}-${m}-${day}`;
  if (Number.isFinite(time)) lastDay = { from: startOfDay(time), to: nextDay(time), key };
  return key;
}

/** Local midnight at or before `time`. */
export function startOfDay(time: number): number {
  const d = new Date(time);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** Local midnight after `time`'s day (DST-safe: not `+ 86_400_000`). */
export function nextDay(time: number): number {
  const d = new Date(time);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
}

/** Local midnight of a calendar date (month 1-12; out-of-range days and months roll over). */
function localMidnight(y: number, month: number, d: number): Date {
  // setFullYear, because `new Date(25, 0, 1)` means 1925.
  const date = new Date(0);
  date.setFullYear(y, month - 1, d);
  date.setHours(0, 0, 0, 0);
  return date;
}

/** Local midnight of a `YYYY-MM-DD` day (a key made by {@link dayKey}). */
export function dayStart(day: string): number {
  const [y, m, d] = day.split('-').map(Number);
  return localMidnight(y ?? 1970, m ?? 1, d ?? 1).getTime();
}

/**
 * The one reading of a `YYYY-MM-DD` text people type (CLI flags, the purge API): local midnight of
 * that day, or null when it is not a real calendar date (`2025-02-30`, `2025-13-45`).
 */
export function parseDay(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = localMidnight(y, mo, d);
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d) return null;
  return date.getTime();
}

/**
 * A time people write (CLI flags, the dashboard's range, API parameters): a local date
 * `YYYY-MM-DD`, meaning its midnight or, as an `end` bound, the next midnight so the day is
 * included; or an ISO 8601 date-time. Null when it is neither.
 */
export function parseWhen(text: string, end = false): number | null {
  const day = parseDay(text);
  if (day !== null) return end ? nextDay(day) : day;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(text)) {
    const t = Date.parse(text);
    if (Number.isFinite(t)) return t;
  }
  return null;
}

/** A half-open time range `[from, to)` in ms. */
export interface TimeRange {
  from: number;
  to: number;
}

/** A range split into whole days and partial-day edges. */
export interface SplitRange {
  /** First and last whole day (inclusive), or an empty pair (`'~'`, `''`) when there is none. */
  firstDay: string;
  lastDay: string;
  /** Up to two raw parts; absent parts are empty ranges (`[0, 0)`). */
  head: TimeRange;
  tail: TimeRange;
  /** The day of each raw part (meaningful only when the part is not empty). */
  headDay: string;
  tailDay: string;
}

const EMPTY: TimeRange = { from: 0, to: 0 };

/** Normalises optional bounds to a finite range. */
export function normaliseRange(from?: number | null, to?: number | null): TimeRange {
  const f = Math.max(0, Math.floor(from ?? 0));
  const t = Math.min(MAX_TIME, Math.floor(to ?? MAX_TIME));
  return { from: f, to: Math.max(f, t) };
}

/** Splits `[from, to)` into whole local days and raw edges. */
export function splitRange(range: TimeRange): SplitRange {
  const { from, to } = range;
  const none = { firstDay: '~', lastDay: '', head: EMPTY, tail: EMPTY, headDay: '', tailDay: '' };
  if (to <= from) return none;
  const firstMidnight = from === startOfDay(from) ? from : nextDay(from);
  const lastMidnight = startOfDay(to);
  if (firstMidnight >= lastMidnight) {
    // Within one day, or spanning a single midnight with no whole day between.
    if (firstMidnight >= to) return { ...none, head: { from, to }, headDay: dayKey(from) };
    return {
      ...none,
      head: { from, to: firstMidnight },
      headDay: dayKey(from),
      tail: { from: firstMidnight, to },
      tailDay: dayKey(firstMidnight),
    };
  }
  return {
    firstDay: dayKey(firstMidnight),
    lastDay: dayKey(startOfDay(lastMidnight - 1)),
    head: firstMidnight > from ? { from, to: firstMidnight } : EMPTY,
    headDay: dayKey(from),
    tail: lastMidnight < to ? { from: lastMidnight, to } : EMPTY,
    tailDay: dayKey(lastMidnight),
  };
}
