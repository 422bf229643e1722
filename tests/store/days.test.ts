/**
 * Calendar days in the machine's time zone, with TZ set to one that changes to and from daylight
 * saving time: a day is midnight to midnight (23 or 25 hours across a change), never 86,400,000 ms.
 * `YYYY-MM-DD` has one reading everywhere (CLI, API, dashboard): local midnight of a real date.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dayKey, dayStart, nextDay, parseDay, parseWhen, startOfDay } from '../../src/store/days.js';
import { parseRange } from '../../src/web/params.js';

const HOUR = 3_600_000;
let saved: string | undefined;
beforeAll(() => {
  saved = process.env.TZ;
  // Node re-reads TZ when it is assigned: Berlin moves its clocks on 30 March and 26 October 2025.
  process.env.TZ = 'Europe/Berlin';
});
afterAll(() => {
  if (saved === undefined) delete process.env.TZ;
  else process.env.TZ = saved;
});

describe('YYYY-MM-DD', () => {
  test('the zone really is Berlin', () => {
    expect(new Date(Date.UTC(2025, 0, 1)).getTimezoneOffset()).toBe(-60);
    expect(new Date(Date.UTC(2025, 6, 1)).getTimezoneOffset()).toBe(-120);
  });

  test('is local midnight of a real date', () => {
    expect(parseDay('2025-06-01')).toBe(Date.UTC(2025, 4, 31, 22));
    expect(parseDay('2024-02-29')).toBe(Date.UTC(2024, 1, 28, 23));
    expect(parseDay('0025-01-01')).toBe(new Date('0025-01-01T00:00:00').getTime());
    expect(dayKey(parseDay('2025-06-01')!)).toBe('2025-06-01');
    expect(dayStart('2025-06-01')).toBe(parseDay('2025-06-01'));
  });

  test.each(['2025-13-45', '2025-02-29', '2025-02-30', '2025-00-10', '2025-6-1', '2025-06-01x', ' 2025-06-01', ''])('%j is not a date', (text) => {
    expect(parseDay(text)).toBeNull();
    expect(parseWhen(text)).toBeNull();
  });

  test.each([
    ['2025-03-30', 23],
    ['2025-10-26', 25],
    ['2025-06-01', 24],
  ])('%s lasts %i hours, as a closing date too', (day, hours) => {
    const start = parseDay(day)!;
    expect(nextDay(start) - start).toBe(hours * HOUR);
    expect(nextDay(start + 5 * HOUR) - start).toBe(hours * HOUR);
    expect(startOfDay(start + (hours - 1) * HOUR)).toBe(start);
    expect(parseWhen(day, true)! - parseWhen(day)!).toBe(hours * HOUR);
  });

  test('the dashboard API reads from/to dates as the CLI does: local days, the "to" day included', () => {
    const r = parseRange({ from: '2025-03-30', to: '2025-03-30' }, Date.now());
    expect(r).toEqual({ name: 'custom', from: parseDay('2025-03-30'), to: parseDay('2025-03-31') });
    expect(r.to! - r.from!).toBe(23 * HOUR);
    const autumn = parseRange({ from: '2025-10-26', to: '2025-10-27' }, Date.now());
    expect(autumn.to! - autumn.from!).toBe(49 * HOUR);
    expect(parseRange({ from: '2025-06-01T12:00:00Z' }, 0).from).toBe(Date.UTC(2025, 5, 1, 12));
    expect(() => parseRange({ from: '2025-13-45' }, 0)).toThrow(/from must be/);
  });
});

describe('dayKey', () => {
  /** The day of a time read from its local fields, with nothing remembered between calls. */
  const fields = (t: number): string => {
    const d = new Date(t);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };

  test('names the local day of every time around both clock changes, forwards, backwards and jumping', () => {
    const times: number[] = [];
    for (const [from, to] of [[Date.UTC(2025, 2, 29), Date.UTC(2025, 3, 1)], [Date.UTC(2025, 9, 25), Date.UTC(2025, 9, 28)]] as const) {
      for (let t = from; t < to; t += 7 * 60_000) times.push(t);
    }
    // Each instant a millisecond either side of a local midnight, too.
    for (const day of ['2025-03-30', '2025-03-31', '2025-10-26', '2025-10-27']) times.push(parseDay(day)! - 1, parseDay(day)!);
    for (const order of [times, [...times].reverse(), times.map((_, i) => times[(i * 7919) % times.length]!)]) {
      for (const t of order) expect(dayKey(t), new Date(t).toISOString()).toBe(fields(t));
    }
  });
});
