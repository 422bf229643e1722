/**
 * The classification benchmark finds the shared fixtures from its own location and reports
 * sane figures (no timing assertion: only that it runs and the numbers are consistent).
 */
import { expect, test } from 'vitest';
import { benchClassify } from '../../bench/classify.js';

test('benchClassify reports throughput over the fixture mix', async () => {
  const result = await benchClassify({ durationMs: 50 });
  expect(result.perSecond).toBeGreaterThan(0);
  expect(result.microsPerCall).toBeGreaterThan(0);
  expect(Math.abs(result.perSecond * result.microsPerCall - 1e6) / 1e6).toBeLessThan(0.05);
});
