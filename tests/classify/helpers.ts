/**
 * Test factories: fixture lines from the shared capture file, observations, and a real
 * fingerprinter keyed with a fixed test secret.
 */
import { readFileSync } from 'node:fs';
import { buildObservation, createFingerprinter, type ClassifyContext, type ObservationInput } from '../../src/classify/index.js';
import type { Observation, RecentPage } from '../../src/types.js';

/** One line of `tests/fixtures/pinterest-requests.jsonl` (a copy of the shared capture file). */
export interface FixtureLine {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  expect: Record<string, unknown>;
}

export const FIXTURE_FILE = new URL('../fixtures/pinterest-requests.jsonl', import.meta.url);

export function loadFixtures(): FixtureLine[] {
  return readFileSync(FIXTURE_FILE, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as FixtureLine);
}

export const TEST_SECRET = Buffer.alloc(32, 7);
export const fingerprint = createFingerprinter(TEST_SECRET);

export function context(recentPage: RecentPage | null = null): ClassifyContext {
  return { fingerprint, recentPage };
}

export function makeObservation(input: Partial<ObservationInput> & { url?: string } = {}): Observation {
  return buildObservation({ url: 'https://ct.pinterest.com/v3/', time: 1_700_000_000_000, id: 'test', ...input });
}

export function fromFixture(line: FixtureLine): Observation {
  return makeObservation({ url: line.url, method: line.method, headers: line.headers ?? {}, body: line.body ?? null });
}
