/** One table of coded errors: every coded error is a PinauditError whose exit code and status come from it. */
import { describe, expect, test } from 'vitest';
import { ERROR_CODES, errorCodeOf, exitCodeOf, PinauditError, type ErrorCode } from '../src/errors.js';
import { HarImportError } from '../src/import/index.js';
import { StoreError } from '../src/store/errors.js';

describe('ERROR_CODES', () => {
  test.each(Object.entries(ERROR_CODES))('%s: exit 1 or 2, an HTTP error status', (_code, { exit, status }) => {
    expect([1, 2]).toContain(exit);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(600);
  });

  test.each([
    [new PinauditError('USAGE', 'x'), 'USAGE', 2, 400],
    [new StoreError('DB_NEWER', 'x'), 'DB_NEWER', 1, 500],
    [new StoreError('BAD_SETTING', 'x'), 'BAD_SETTING', 2, 400],
    [new HarImportError('x', 3, { entries: 0 } as never, null), 'HAR_MALFORMED', 1, 400],
    [new PinauditError('HOST_REFUSED', 'x'), 'HOST_REFUSED', 1, 403],
  ] as const)('%s maps through the table', (err, code, exit, status) => {
    expect(err).toBeInstanceOf(PinauditError);
    expect(errorCodeOf(err)).toBe(code satisfies ErrorCode);
    expect(exitCodeOf(err)).toBe(exit);
    expect(err.status).toBe(status);
  });

  test('anything else is a runtime failure without a code', () => {
    for (const err of [new Error('x'), Object.assign(new Error('x'), { code: 'USAGE' }), 'text', null]) {
      expect(errorCodeOf(err)).toBeNull();
      expect(exitCodeOf(err)).toBe(1);
    }
  });
});
