import { describe, expect, test } from 'vitest';
import { ROLLUPS } from '../../src/store/rollups.js';
import { toPending } from '../../src/store/rows.js';
import { makeFlow } from '../helpers/findings.js';

describe('roll-up keys', () => {
  test('each key reads, per request, the column its SQL reads from raw rows', () => {
    const { columns, day } = toPending(makeFlow({ decision: { action: 'strip' } }), 'strip');
    // Every text column a key may read gets a value of its own, so a key reading the wrong one shows.
    const row: Record<string, unknown> = { ...columns };
    for (const name of Object.keys(row)) if (typeof row[name] === 'string' || row[name] === null) row[name] = `value of ${name}`;
    let checked = 0;
    for (const r of ROLLUPS) {
      for (const k of r.key) {
        const col = /^coalesce\(r\.(\w+), ''\)$/.exec(k.sql)?.[1];
        if (col === undefined) continue;
        expect(k.of(row as typeof columns, day), `${r.table}.${k.name}`).toBe(`value of ${col}`);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });
});
