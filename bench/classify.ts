/**
 * Classifications per second over the shared fixture mix (real captures and edge cases), for
 * `npm run bench`. The figure is per call on one core, including fingerprinting credentials.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildObservation, classify, createFingerprinter, type ClassifyContext } from '../src/classify/index.js';
import type { Observation } from '../src/types.js';

export interface ClassifyBenchResult {
  perSecond: number;
  microsPerCall: number;
}

export interface ClassifyBenchOptions {
  /** Project root (the folder with package.json); found from this file's location by default. */
  projectRoot?: string;
  /** Roughly how long to measure, in milliseconds (default 1000). */
  durationMs?: number;
}

/** Classifies the fixture mix repeatedly and reports throughput. */
export async function benchClassify(options: ClassifyBenchOptions = {}): Promise<ClassifyBenchResult> {
  const root = options.projectRoot ?? findProjectRoot(dirname(fileURLToPath(import.meta.url)));
  const observations = loadObservations(join(root, 'tests', 'fixtures', 'pinterest-requests.jsonl'));
  const context: ClassifyContext = { fingerprint: createFingerprinter(Buffer.alloc(32, 1)), recentPage: null };
  const durationMs = options.durationMs ?? 1000;

  // Warm up so the JIT has compiled the hot paths before timing starts.
  for (let i = 0; i < 2000; i++) classify(observations[i % observations.length] as Observation, context);

  let calls = 0;
  let sink = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(durationMs) * 1_000_000n;
  let now = started;
  while (now < deadline) {
    // Batches keep the clock reads out of the measured cost.
    for (let i = 0; i < 500; i++) {
      sink += classify(observations[calls % observations.length] as Observation, context).reasons.length;
      calls++;
    }
    now = process.hrtime.bigint();
  }
  const seconds = Number(now - started) / 1e9;
  if (sink < 0) throw new Error('unreachable'); // keeps the results observable to the optimiser
  return { perSecond: Math.round(calls / seconds), microsPerCall: Number(((seconds * 1e6) / calls).toFixed(2)) };
}

/** Walks up from `start` to the folder holding package.json (works from bench/ and dist/bench/). */
function findProjectRoot(start: string): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
}

function loadObservations(file: string): Observation[] {
  const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '');
  return lines.map((line, i) => {
    const fixture = JSON.parse(line) as { url: string; method: string; headers?: Record<string, string>; body?: string };
    return buildObservation({
      url: fixture.url,
      method: fixture.method,
      headers: fixture.headers ?? {},
      body: fixture.body ?? null,
      id: `bench-${i}`,
      time: 1_700_000_000_000,
    });
  });
}
