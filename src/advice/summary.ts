/**
 * "Does the advice work?" in one object, for the Overview card, the Identifiers timeline, the
 * report and `report --json`: each switch with its state and since when, what still reached
 * Pinterest while it was off, and every tracking-id change with what tied it back.
 */
import type { ReachedDuring, ReadAdvice } from '../store/index.js';
import { findIdChanges, LINKING_KINDS, TRACKED_NAMES, type IdChange } from './id-changes.js';
import { OFFSITE_SWITCH } from '../pinterest/account-settings.js';
import { offPeriods, stateLookup, switchStatuses, type OffPeriod, type SwitchStatus, type SwitchState } from './switch-periods.js';

/** One switch on the card. */
export interface SwitchCard extends SwitchStatus {
  /** The stretches it was off (oldest first; the last may be open). */
  offPeriods: OffPeriod[];
  /**
   * While it was off (up to now for an open period): what reached Pinterest with the person's
   * identifiers; `null` for a switch that is not about tracking.
   */
  reachedWhileOff: ReachedDuring | null;
}

export interface AdviceSummary {
  switches: SwitchCard[];
  /** Distinct accounts whose settings were seen (by credential fingerprint). */
  accounts: number;
}

/** The switches card. `now` closes an open off period. */
export async function adviceSummary(q: ReadAdvice, now: number): Promise<AdviceSummary> {
  const history = await q.switchHistory();
  const switches = await Promise.all(switchStatuses(history).map(async (status) => {
    const periods = offPeriods(history, status.field);
    const reachedWhileOff = status.aboutTracking ? await q.reachedDuring(periods.map((p) => ({ from: p.from, to: p.to ?? now + 1 }))) : null;
    return { ...status, offPeriods: periods, reachedWhileOff };
  }));
  return { switches, accounts: new Set(history.map((h) => h.account)).size };
}

/** The state of "Use sites you visit" at any moment, for the CSV column (history read once). */
export async function offsiteStateAt(q: ReadAdvice): Promise<(time: number) => SwitchState> {
  return stateLookup(await q.switchHistory(), OFFSITE_SWITCH);
}

/** Tracking-id changes in a range, newest first. */
export async function idChanges(q: ReadAdvice, range: { from: number | null; to: number | null }): Promise<IdChange[]> {
  return findIdChanges(await q.idSightings(range, TRACKED_NAMES, LINKING_KINDS)).reverse();
}

const KIND_WORDS: Record<string, string> = {
  'hashed-email': 'the hashed e-mail',
  credential: 'the login session',
  'click-id': 'the click id',
};

/** "new _pinterest_ct_ua at 14:02; linked back at 14:06 (4 min later) by the hashed e-mail that shop-a.test sent". */
export function describeIdChange(c: IdChange, time: (ms: number) => string): string {
  const head = `new ${c.family} at ${time(c.at)}${c.site ? ` on ${c.site}` : ''}`;
  if (c.link === null) return `${head}; not linked back to the old id by anything pinaudit saw`;
  const what = KIND_WORDS[c.link.kind] ?? c.link.name;
  const who = c.link.site ? `that ${c.link.site} sent` : 'sent with no known page';
  return `${head}; linked back at ${time(c.link.at)} (${durationWords(c.link.afterMs)}) by ${what} ${who}`;
}

/** "at once", "within a second", "40 s later", "4 min later", "3 h later", "2 days later". */
export function durationWords(ms: number): string {
  if (ms <= 0) return 'at once';
  if (ms < 1000) return 'within a second';
  const s = Math.round(ms / 1000);
  if (s < 90) return `${s} s later`;
  const min = Math.round(s / 60);
  if (min < 90) return `${min} min later`;
  const h = Math.round(min / 60);
  return h < 48 ? `${h} h later` : `${Math.round(h / 24)} days later`;
}
