/**
 * Classification is on the proxy's request path and reads attacker-controlled data: thousands
 * of generated and mutated inputs must never throw, must yield a JSON-serialisable Finding, and
 * the work must stay bounded by the caps in LIMITS (asserted on the caps, not on timing).
 */
import { describe, expect, test } from 'vitest';
import { classify, LIMITS } from '../../src/classify/index.js';
import { parseParams } from '../../src/classify/decode.js';
import { parseJson } from '../../src/classify/json-safe.js';
import { nestingDepth } from '../../src/json.js';
import { BODY_LIMIT, type Finding, type Observation } from '../../src/types.js';
import { context, fromFixture, loadFixtures, makeObservation } from './helpers.js';

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY = ['%', '%E', '%ZZ', '%C3%28', '%FF%FE', '%00', '[', ']', '[[', '{', '"', '\\', '&&', '==', '+', '\u0000', '\uD800', '\r\n', '#', '?', '__proto__', 'constructor', '[__proto__]'];

/** `wellTyped`: the input honoured the Observation type, so the internal-failure path must not run. */
function assertFinding(f: Finding, wellTyped = true): void {
  if (wellTyped) expect(f.malformed, f.reasons.join(' ')).not.toContain('internal');
  expect(typeof f.pinterest).toBe('boolean');
  expect(Array.isArray(f.reasons)).toBe(true);
  expect(f.reasons.length).toBeGreaterThan(0);
  expect(f.identifiers.length).toBeLessThanOrEqual(LIMITS.identifiers);
  expect(() => JSON.stringify(f)).not.toThrow();
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
}

describe('fuzz', () => {
  const fixtures = loadFixtures();
  const random = rng(0x5eed);
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));

  function mutate(text: string): string {
    let out = text;
    const steps = 1 + int(4);
    for (let i = 0; i < steps; i++) {
      const at = int(out.length + 1);
      switch (int(5)) {
        case 0:
          out = out.slice(0, at); // truncate
          break;
        case 1:
          out = out.slice(0, at) + pick(NASTY) + out.slice(at);
          break;
        case 2:
          out = out.slice(0, at) + bytes(1 + int(8)).toString('latin1') + out.slice(at);
          break;
        case 3:
          out = out.slice(0, at) + out.slice(at + 1 + int(20));
          break;
        default:
          out = out.slice(0, at) + out.slice(int(out.length), int(out.length) + 40) + out.slice(at);
      }
    }
    return out;
  }

  test('5000 mutated fixture requests never throw', () => {
    for (let i = 0; i < 5000; i++) {
      const line = pick(fixtures);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(line.headers ?? {})) headers[k] = random() < 0.3 ? mutate(v) : v;
      if (random() < 0.3) headers[pick(['referer', 'origin', 'cookie', 'sec-fetch-site', 'content-type', 'sec-gpc'])] = bytes(int(64)).toString('latin1');
      const body = line.body === undefined ? (random() < 0.2 ? bytes(int(512)) : null) : random() < 0.5 ? mutate(line.body) : bytes(int(256));
      const observation = makeObservation({
        url: random() < 0.9 ? mutate(line.url) : bytes(int(200)).toString('latin1'),
        method: line.method,
        headers,
        body,
        time: 1_700_000_000_000 + i,
      });
      assertFinding(classify(observation, context({ site: 'x.example', url: null, time: observation.time - int(10_000) })));
    }
  });

  test('generated tag payloads with hostile structure never throw', () => {
    for (let i = 0; i < 2000; i++) {
      const depth = int(40);
      const nested = '{"a":'.repeat(depth) + '1' + '}'.repeat(int(depth + 1));
      const pd = random() < 0.5 ? nested : `{"em":${JSON.stringify(bytes(int(80)).toString('latin1'))},"pin_unauth":[${'1,'.repeat(int(50))}1]}`;
      const keys = Array.from({ length: int(20) }, () => `${pick(['ed', 'pd', 'ad', 'x'])}${'['.concat(pick(NASTY), ']').repeat(int(12))}=${pick(NASTY)}`);
      const url = `https://ct.pinterest.com/v3/?tid=${int(1e13)}&pd=${encodeURIComponent(pd)}&${keys.join('&')}`;
      assertFinding(classify(makeObservation({ url }), context()));
    }
  });

  test('type-violating observations still yield a Finding', () => {
    const broken = [
      { ...makeObservation(), headers: null },
      { ...makeObservation(), url: 42 },
      { ...makeObservation(), host: undefined },
      { ...makeObservation(), body: 'not a buffer' },
      {},
    ] as unknown as Observation[];
    for (const observation of broken) assertFinding(classify(observation, context()), false);
  });
});

describe('bounded work', () => {
  test('a 1 MB query string parses at most LIMITS.params parameters', () => {
    const query = 'k=v&'.repeat(256 * 1024);
    expect(query.length).toBe(1024 * 1024);
    const parsed = parseParams(query);
    expect(parsed.params.length).toBe(LIMITS.params);
    expect(parsed.capped).toBe(true);
  });

  test('a query longer than LIMITS.queryChars is cut before parsing', () => {
    const parsed = parseParams(`a=${'x'.repeat(LIMITS.queryChars * 4)}`);
    expect(parsed.capped).toBe(true);
    expect(parsed.params[0]?.value.length).toBeLessThanOrEqual(LIMITS.valueChars);
  });

  test('a 1 MB URL classifies, says it was cut, and finishes quickly', () => {
    const url = `https://ct.pinterest.com/v3/?tid=1&event=x&${'%ZZ&pd[em]=1&'.repeat(80_000)}`;
    expect(url.length).toBeGreaterThan(1_000_000);
    const started = performance.now();
    const f = classify(makeObservation({ url }), context());
    // Generous bound: the caps make this a few milliseconds; only a quadratic blow-up gets near it.
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(f.tag?.id).toBe('1');
    expect(f.malformed).toContain('query');
    expect(f.reasons.some((r) => r.includes('very long'))).toBe(true);
  });

  test('deeply nested JSON is rejected by a linear scan, not parsed', () => {
    const deep = '['.repeat(500_000);
    expect(nestingDepth(deep, LIMITS.jsonDepth)).toBe(LIMITS.jsonDepth + 1);
    expect(parseJson(deep.slice(0, LIMITS.jsonChars))).toMatchObject({ ok: false, why: 'too-deep' });
    const f = classify(makeObservation({ url: `https://ct.pinterest.com/v3/?pd=${'%7B%22a%22%3A'.repeat(5000)}` }), context());
    expect(f.malformed).toContain('pd');
    const g = classify(makeObservation({ method: 'POST', body: '{"a":'.repeat(10_000), headers: { 'content-type': 'application/json' } }), context());
    expect(g.malformed).toContain('body');
  });

  test('a body over BODY_LIMIT is cut by the observation and flagged', () => {
    const o = makeObservation({ method: 'POST', body: `tid=1&x=${'y'.repeat(BODY_LIMIT * 2)}` });
    expect(o.body?.length).toBe(BODY_LIMIT);
    expect(o.bodyTruncated).toBe(true);
    expect(classify(o, context()).tag?.id).toBe('1');
  });

  test('many cookies and many identifiers are capped', () => {
    const cookie = Array.from({ length: 5000 }, (_, i) => `_pinterest_ct_ua=v${i}`).join('; ');
    const f = classify(makeObservation({ headers: { cookie } }), context());
    expect(f.identifiers.length).toBe(LIMITS.identifiers);
  });

  test('non-UTF-8 bodies are reported, not thrown', () => {
    const f = classify(makeObservation({ method: 'POST', body: Buffer.from([0x74, 0x69, 0x64, 0x3d, 0xff, 0xfe, 0x80]) }), context());
    expect(f.malformed).toContain('body');
  });

  test('fixture mix stays fast on average', () => {
    const observations = loadFixtures().map(fromFixture);
    const started = performance.now();
    for (let i = 0; i < 2000; i++) classify(observations[i % observations.length] as Observation, context());
    // ~20 µs per call in practice; 5 ms per call would mean something is badly wrong.
    expect((performance.now() - started) / 2000).toBeLessThan(5);
  });
});
