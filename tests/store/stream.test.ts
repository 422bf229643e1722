import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openQueries, type Queries } from '../../src/store/queries.js';
import { createStore } from '../../src/store/writer.js';
import { flowFor } from '../helpers/findings.js';

const N = 2500;
const base = new Date(2025, 5, 10, 0, 0).getTime();
let dir: string;
let q: Queries & { close(): void };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-stream-'));
  const store = createStore({ path: join(dir, 's.db'), retentionDays: null });
  // Several rows share a millisecond, so the stream's (time, id) key is exercised.
  for (let i = 0; i < N; i++) store.record(flowFor(i % 2 ? 'a.example' : 'b.example', base + Math.floor(i / 3) * 1000));
  store.close();
  q = openQueries(join(dir, 's.db'));
});
afterAll(() => {
  q.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the export stream yields every row once, in order, and the connection serves other queries meanwhile', () => {
  const seen = new Set<number>();
  let previous = -1;
  let interleaved = 0;
  for (const row of q.iterate({})) {
    expect(seen.has(row.id)).toBe(false);
    seen.add(row.id);
    expect(row.time).toBeGreaterThanOrEqual(previous);
    previous = row.time;
    if (seen.size % 700 === 0) interleaved += q.totals({}).requests;
  }
  expect(seen.size).toBe(N);
  expect(interleaved).toBe(3 * N);
  expect([...q.iterate({ site: 'a.example' })]).toHaveLength(N / 2);
});

test('the page total counts every match below the cap', () => {
  const page = q.requests({}, { limit: 10 });
  expect(page).toMatchObject({ total: N, totalCapped: false });
  expect(page.rows).toHaveLength(10);
});
