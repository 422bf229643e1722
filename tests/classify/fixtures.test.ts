/**
 * Every line of the shared capture file, every expectation it states. An expectation key this
 * table does not know fails the test, so new fixture keys cannot be silently ignored.
 */
import { describe, expect, test } from 'vitest';
import { classify } from '../../src/classify/index.js';
import { CREDENTIAL_NAMES } from '../../src/pinterest/cookies.js';
import type { Finding } from '../../src/types.js';
import { context, fromFixture, loadFixtures, type FixtureLine } from './helpers.js';

type Check = (finding: Finding, expected: unknown, line: FixtureLine) => void;

const CHECKS: Record<string, Check> = {
  pinterest: (f, e) => expect(f.pinterest).toBe(e),
  category: (f, e) => expect(f.category).toBe(e),
  thirdParty: (f, e) => expect(f.thirdParty).toBe(e),
  tagId: (f, e) => expect(f.tag?.id).toBe(e),
  event: (f, e) => expect(f.tag?.event).toBe(e),
  hashedEmail: (f, e) => expect(f.tag?.hashedEmail?.value).toBe(e),
  hashedEmailAlgo: (f, e) => expect(f.tag?.hashedEmail?.algo).toBe(e),
  pageSite: (f, e) => expect(f.page.site).toBe(e),
  pageUrl: (f, e) => expect(f.page.url).toBe(e),
  attributedBy: (f, e) => expect(f.page.attributedBy).toBe(e),
  leakLevel: (f, e) => expect(f.leakLevel).toBe(e),
  clientHints: (f, e) => expect(f.signals.clientHints).toBe(e),
  optOutSignal: (f, e) => expect(f.signals.gpc || f.signals.dnt).toBe(e),
  orderValue: (f, e) => expect(f.tag?.value).toBe(e),
  currency: (f, e) => expect(f.tag?.currency).toBe(e),
  loggedIn: (f, e) => expect(f.loggedIn).toBe(e),
  malformed: (f, e) => expect(f.malformed.length > 0).toBe(e),
  identifiers: (f, e) => {
    const names = f.identifiers.map((i) => i.name);
    for (const name of e as string[]) expect(names).toContain(name);
  },
  credentialsStoredInClear: (f, e, line) => {
    const json = JSON.stringify(f);
    const values = credentialValues(line.headers?.['cookie'] ?? '');
    const inClear = values.some((v) => json.includes(v)) ||
      f.identifiers.some((i) => i.kind === 'credential' && i.value !== undefined);
    expect(inClear).toBe(e);
  },
};

/** Credential cookie values long enough to search for (`_auth=1` is too short to be telling). */
function credentialValues(cookie: string): string[] {
  return cookie
    .split(';')
    .map((pair) => pair.trim().split('='))
    .filter(([name, value]) => CREDENTIAL_NAMES.has(name ?? '') && (value ?? '').length >= 4)
    .map(([, value]) => value as string);
}

describe('shared fixtures', () => {
  const lines = loadFixtures();

  test('the fixture file has lines', () => {
    expect(lines.length).toBeGreaterThanOrEqual(20);
  });

  test.each(lines.map((line) => [line.id, line] as const))('%s', (_id, line) => {
    const finding = classify(fromFixture(line), context());
    for (const [key, expected] of Object.entries(line.expect)) {
      const check = CHECKS[key];
      expect(check, `no check for expect key "${key}"`).toBeDefined();
      try {
        check?.(finding, expected, line);
      } catch (err) {
        throw new Error(`${line.id}: expect.${key}: ${(err as Error).message}\n${JSON.stringify(finding, null, 2)}`);
      }
    }
    // Every Finding explains itself.
    expect(finding.reasons.length).toBeGreaterThan(0);
  });
});
