/**
 * From the history of switch readings to what the card says: each switch's state and since when,
 * the periods it was off, and its state at any moment (for the CSV). Pure.
 *
 * What a state means: the latest reading at or before a moment, whichever account it came from
 * (the person's own accounts; the card says how many there were). Before the first reading a switch
 * is `unknown` ("not seen yet"); pinaudit does not see changes made outside it (another browser,
 * the app), so a state holds until the next reading says otherwise, and the README says so.
 */
import { SWITCHES } from '../pinterest/account-settings.js';

export type SwitchState = 'on' | 'off' | 'unknown';

/** One reading, oldest first (the store's `SwitchHistoryRow`). */
export interface SwitchReadingAt {
  time: number;
  account: string;
  field: string;
  state: boolean;
  how: 'read' | 'change';
}

/** A switch as the card shows it. */
export interface SwitchStatus {
  field: string;
  label: string;
  short: string;
  /** The usual advice says to turn this one off. */
  advised: boolean;
  /** "Off" means less tracking (see SwitchInfo). */
  aboutTracking: boolean;
  state: SwitchState;
  /**
   * Since when the current state holds: the person's change, or the first reading of this state
   * after a reading of the other one (or after none). `null` while unknown.
   */
  since: number | null;
  /** Whether `since` is the moment of a change the person made, or only the first time it was seen. */
  sinceHow: 'change' | 'read' | null;
  /** The latest reading. */
  lastSeen: number | null;
  /** Distinct accounts that showed this switch. */
  accounts: number;
}

/** A stretch of time a switch was off: from the reading that showed it off to the one that showed it on. */
export interface OffPeriod {
  from: number;
  /** `null`: still off. */
  to: number | null;
  /** Whether `from` was the person's change or the first time it was seen off. */
  fromHow: 'change' | 'read';
}

/** The status of every known switch, in display order. */
export function switchStatuses(history: readonly SwitchReadingAt[]): SwitchStatus[] {
  return SWITCHES.map((info) => {
    const readings = history.filter((r) => r.field === info.field);
    const runs = runsOf(readings);
    const last = runs[runs.length - 1];
    return {
      field: info.field,
      label: info.label,
      short: info.short,
      advised: info.advised,
      aboutTracking: info.aboutTracking,
      state: last === undefined ? 'unknown' : last.state ? 'on' : 'off',
      since: last?.from ?? null,
      sinceHow: last?.fromHow ?? null,
      lastSeen: readings.length === 0 ? null : Math.max(...readings.map((r) => r.time)),
      accounts: new Set(readings.map((r) => r.account)).size,
    };
  });
}

/** The periods `field` was off, oldest first. */
export function offPeriods(history: readonly SwitchReadingAt[], field: string): OffPeriod[] {
  const runs = runsOf(history.filter((r) => r.field === field));
  return runs.flatMap((run, i) => (run.state ? [] : [{ from: run.from, to: runs[i + 1]?.from ?? null, fromHow: run.fromHow }]));
}

/** A lookup of `field`'s state at any moment (binary search over its readings). */
export function stateLookup(history: readonly SwitchReadingAt[], field: string): (time: number) => SwitchState {
  const readings = history.filter((r) => r.field === field);
  return (time) => {
    let lo = 0;
    let hi = readings.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((readings[mid]?.time ?? Infinity) <= time) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const r = readings[found];
    return r === undefined ? 'unknown' : r.state ? 'on' : 'off';
  };
}

interface Run {
  state: boolean;
  from: number;
  fromHow: 'change' | 'read';
}

/** Consecutive readings of the same state, merged; readings must be oldest first. */
function runsOf(readings: readonly SwitchReadingAt[]): Run[] {
  const runs: Run[] = [];
  for (const r of readings) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.state === r.state) continue;
    runs.push({ state: r.state, from: r.time, fromHow: r.how });
  }
  return runs;
}
