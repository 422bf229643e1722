/**
 * Factories for policy tests: real captured requests from the shared fixture file, classified by
 * the real classifier, and request parts in the shape `stripRequest` takes.
 */
import { buildObservation, classify, createFingerprinter } from '../../src/classify/index.js';
import type { Finding, Observation } from '../../src/types.js';
import { loadFixtures as fixtureList, type FixtureLine } from '../classify/helpers.js';

export type { FixtureLine };

/** The capture file's lines by id (the one copy in tests/fixtures, read by the classify helpers). */
export function loadFixtures(): Map<string, FixtureLine> {
  return new Map(fixtureList().map((line) => [line.id, line]));
}

/** One fixture line by id; throws when the file no longer has it. */
export function fixture(id: string): FixtureLine {
  const line = loadFixtures().get(id);
  if (line === undefined) throw new Error(`fixture ${id} missing`);
  return line;
}

const fingerprint = createFingerprinter(Buffer.alloc(32, 7));

export function observe(input: { url: string; method?: string; headers?: Record<string, string>; body?: string | Buffer | null }): Observation {
  return buildObservation({ id: 'policy-test', time: 1_700_000_000_000, ...input });
}

export function observeFixture(line: FixtureLine): Observation {
  return observe({ url: line.url, method: line.method, headers: line.headers ?? {}, body: line.body ?? null });
}

/** The real classifier's Finding for an observation. */
export function classifyObservation(observation: Observation): Finding {
  return classify(observation, { fingerprint, recentPage: null });
}

/** Decoded query parameters of a URL, in order. */
export function queryOf(url: string): [string, string][] {
  return [...new URL(url).searchParams.entries()];
}

/** A JSON parameter of a URL, parsed. */
export function jsonParam(url: string, name: string): Record<string, unknown> | null {
  const raw = new URL(url).searchParams.get(name);
  return raw === null ? null : (JSON.parse(raw) as Record<string, unknown>);
}
