/**
 * tests/fixtures/ holds a copy of the shared capture file so that a checkout runs on its own. Where
 * the shared original sits beside the checkout (as in CI), the copy must match it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

const copy = new URL('./fixtures/pinterest-requests.jsonl', import.meta.url);
const original = new URL('../../shared/fixtures/pinterest-requests.jsonl', import.meta.url);

test('the fixture copy matches the shared original when it is present', () => {
  const lines = readFileSync(copy, 'utf8').trim().split('\n');
  expect(lines.length).toBeGreaterThan(10);
  for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  if (existsSync(original)) expect(readFileSync(copy, 'utf8')).toBe(readFileSync(original, 'utf8'));
});
