/** Switch states from the history of readings: since when, off periods, the state at a moment. */
import { describe, expect, test } from 'vitest';
import { offPeriods, stateLookup, switchStatuses, type SwitchReadingAt } from '../../src/advice/switch-periods.js';

const F = 'personalize_from_offsite_browsing';
const r = (time: number, state: boolean, how: 'read' | 'change' = 'read', field = F): SwitchReadingAt => ({ time, account: 'acc1', field, state, how });

describe('switch periods', () => {
  const history = [r(100, true), r(200, false, 'change'), r(300, false), r(400, true, 'change'), r(500, false)];

  test('nothing seen: every switch is unknown', () => {
    const s = switchStatuses([]);
    expect(s.map((x) => x.field)).toEqual(['personalize_from_offsite_browsing', 'ads_customize_from_conversion', 'third_party_marketing_tracking_enabled', 'exclude_from_search']);
    expect(s.every((x) => x.state === 'unknown' && x.since === null && x.accounts === 0)).toBe(true);
  });

  test('state and since when: a change, or the first reading of a state', () => {
    const [offsite] = switchStatuses(history.slice(0, 3));
    expect(offsite).toMatchObject({ state: 'off', since: 200, sinceHow: 'change', lastSeen: 300, accounts: 1 });
    const latest = switchStatuses(history)[0];
    expect(latest).toMatchObject({ state: 'off', since: 500, sinceHow: 'read' });
    expect(switchStatuses(history)[1]?.state).toBe('unknown');
  });

  test('off periods run from the reading that showed it off to the one that showed it on', () => {
    expect(offPeriods(history, F)).toEqual([
      { from: 200, to: 400, fromHow: 'change' },
      { from: 500, to: null, fromHow: 'read' },
    ]);
    expect(offPeriods(history, 'ads_customize_from_conversion')).toEqual([]);
  });

  test('the state at a moment is the latest reading at or before it', () => {
    const at = stateLookup(history, F);
    expect([50, 100, 199, 200, 350, 400, 499, 500, 9999].map(at)).toEqual(['unknown', 'on', 'on', 'off', 'off', 'on', 'on', 'off', 'off']);
  });
});
