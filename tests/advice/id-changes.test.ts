/** Cookie clearing: a changed tracking id, and whether something sent with both tied it back. */
import { describe, expect, test } from 'vitest';
import { findIdChanges, type Sighting } from '../../src/advice/id-changes.js';

const T0 = Date.UTC(2026, 0, 5, 14, 0);
const MIN = 60_000;
const A = 'dGVzdC1pZC1B';
const B = 'dGVzdC1pZC1C';
const H = 'a'.repeat(64);
const ua = (value: string, reached = true) => ({ name: '_pinterest_ct_ua', kind: 'tracking-id', value, reached });
const em = (value: string, reached = true) => ({ name: 'pd.em', kind: 'hashed-email', value, reached });

function at(min: number, site: string | null, ids: Sighting['ids'], extra: Partial<Sighting> = {}): Sighting {
  return { time: T0 + min * MIN, client: '127.0.0.1', site, ids, ...extra };
}

describe('finding id changes', () => {
  test('id A with hashed e-mail H, then B (cleared), later H from another site: B is linked to A through H by that site', () => {
    const changes = findIdChanges([
      at(0, 'shop-b.test', [ua(A), em(H)]),
      at(1, 'shop-b.test', [ua(A)]),
      at(2, 'blog.test', [ua(B)]),
      at(4, 'blog.test', [ua(B)]),
      at(6, 'shop-a.test', [ua(B), em(H)]),
      at(9, 'shop-c.test', [ua(B), em(H)]),
    ]);
    expect(changes).toEqual([{
      family: '_pinterest_ct_ua', client: '127.0.0.1', site: null, oldValue: A, newValue: B, at: T0 + 2 * MIN,
      link: { at: T0 + 6 * MIN, afterMs: 4 * MIN, kind: 'hashed-email', name: 'pd.em', value: H, site: 'shop-a.test' },
    }]);
  });

  test('never tied back: the change is reported with no link', () => {
    const changes = findIdChanges([at(0, 's.test', [ua(A), em(H)]), at(2, 's.test', [ua(B)]), at(3, 'x.test', [ua(B), em('b'.repeat(64))])]);
    expect(changes).toHaveLength(1);
    expect(changes[0]?.link).toBeNull();
  });

  test('a blocked request, or one stripped of the hashed e-mail, does not tie anything back', () => {
    const blocked = findIdChanges([at(0, 's.test', [ua(A), em(H)]), at(2, 's.test', [ua(B)]), at(3, 'x.test', [ua(B, false), em(H, false)])]);
    expect(blocked[0]?.link).toBeNull();
    const stripped = findIdChanges([at(0, 's.test', [ua(A), em(H)]), at(2, 's.test', [ua(B)]), at(3, 'x.test', [ua(B), em(H, false)])]);
    expect(stripped[0]?.link).toBeNull();
    // …and an old pairing that never reached Pinterest is no link either.
    const none = findIdChanges([at(0, 's.test', [ua(A, false), em(H, false)]), at(2, 's.test', [ua(B)]), at(3, 'x.test', [ua(B), em(H)])]);
    expect(none[0]?.link).toBeNull();
    // A change is seen even from a blocked request.
    expect(none).toHaveLength(1);
  });

  test('the same login session and a click id tie ids back too; the first link wins', () => {
    const sess = { name: '_pinterest_sess', kind: 'credential', value: 'f'.repeat(64), reached: true };
    const changes = findIdChanges([at(0, 's.test', [ua(A), sess]), at(1, 's.test', [ua(B), sess]), at(5, 'x.test', [ua(B), em(H)])]);
    expect(changes[0]?.link).toMatchObject({ kind: 'credential', name: '_pinterest_sess', afterMs: 0, site: 's.test' });
    const epik = { name: 'epik', kind: 'click-id', value: 'dj0yJnU9Y2xpY2s', reached: true };
    const byClick = findIdChanges([at(0, 'ad.test', [ua(A), epik]), at(3, 'ad.test', [ua(B)]), at(7, 'ad.test', [ua(B), epik])]);
    expect(byClick[0]?.link).toMatchObject({ kind: 'click-id', afterMs: 4 * MIN });
  });

  test('first-party ids are per site: another site’s _pin_unauth is no change, a new one on the same site is', () => {
    const pu = (value: string) => ({ name: 'pin_unauth', kind: 'tracking-id', value, reached: true });
    const changes = findIdChanges([
      at(0, 'shop-a.test', [pu('dWlkPUFB'), em(H)]),
      at(1, 'shop-b.test', [pu('dWlkPUJC')]),
      at(2, 'shop-a.test', [{ name: '_pin_unauth', kind: 'tracking-id', value: 'dWlkPUND', reached: true }]),
      at(3, 'shop-a.test', [pu('dWlkPUND'), em(H)]),
    ]);
    expect(changes).toEqual([expect.objectContaining({
      family: '_pin_unauth', site: 'shop-a.test', oldValue: 'dWlkPUFB', newValue: 'dWlkPUND', link: expect.objectContaining({ afterMs: MIN, site: 'shop-a.test' }),
    })]);
  });

  test('two clients are two browsers, and switching back to an old id is no new change', () => {
    const changes = findIdChanges([
      at(0, 's.test', [ua(A)]),
      at(1, 's.test', [ua(B)], { client: '10.0.0.2' }),
      at(2, 's.test', [ua(B)]),
      at(3, 's.test', [ua(A)]),
    ]);
    expect(changes.map((c) => [c.client, c.oldValue, c.newValue])).toEqual([['127.0.0.1', A, B]]);
  });
});
