/**
 * The per-install fingerprint secret and the keyed fingerprints, on a real temporary directory.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createFingerprinter, loadOrCreateSecret } from '../../src/classify/index.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pinaudit-fp-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('loadOrCreateSecret', () => {
  test('creates 32 random bytes with mode 0600, then reuses them', () => {
    const dir = tempDir();
    const first = loadOrCreateSecret(dir);
    expect(first.length).toBe(32);
    const file = join(dir, 'fingerprint.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file).equals(first)).toBe(true);
    expect(loadOrCreateSecret(dir).equals(first)).toBe(true);
    // No temporary files are left behind.
    expect(readdirSync(dir)).toEqual(['fingerprint.key']);
  });

  test('creates a missing data dir', () => {
    const dir = join(tempDir(), 'nested', 'data');
    expect(loadOrCreateSecret(dir).length).toBe(32);
  });

  test('two installs get different secrets', () => {
    expect(loadOrCreateSecret(tempDir()).equals(loadOrCreateSecret(tempDir()))).toBe(false);
  });

  test('a wrong-size file is an error naming the file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'fingerprint.key'), 'short');
    expect(() => loadOrCreateSecret(dir)).toThrow(join(dir, 'fingerprint.key'));
  });

  test('an existing key with loose permissions is tightened', () => {
    const dir = tempDir();
    const file = join(dir, 'fingerprint.key');
    writeFileSync(file, Buffer.alloc(32, 1), { mode: 0o644 });
    expect(loadOrCreateSecret(dir).equals(Buffer.alloc(32, 1))).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('createFingerprinter', () => {
  test('is HMAC-SHA-256 over name NUL value, keyed with the secret', () => {
    const secret = Buffer.alloc(32, 9);
    const fp = createFingerprinter(secret);
    const expected = createHmac('sha256', secret).update('_pinterest_sess\0abc').digest('hex');
    expect(fp('_pinterest_sess', 'abc')).toBe(expected);
    expect(fp('_pinterest_sess', 'abc')).toMatch(/^[0-9a-f]{64}$/);
  });

  test('name and value are separated, and the key matters', () => {
    const fp = createFingerprinter(Buffer.alloc(32, 1));
    expect(fp('ab', 'c')).not.toBe(fp('a', 'bc'));
    expect(createFingerprinter(Buffer.alloc(32, 2))('a', 'b')).not.toBe(fp('a', 'b'));
  });

  test('later changes to the caller\'s buffer do not change fingerprints', () => {
    const secret = Buffer.alloc(32, 3);
    const fp = createFingerprinter(secret);
    const before = fp('a', 'b');
    secret.fill(0);
    expect(fp('a', 'b')).toBe(before);
  });

  test('the cache never changes an answer, and stays within its bound in use order', () => {
    const secret = Buffer.alloc(32, 4);
    const hmac = (name: string, value: string): string => createHmac('sha256', secret).update(`${name}\0${value}`).digest('hex');
    const fp = createFingerprinter(secret, 3);
    for (const v of ['a', 'b', 'c', 'a', 'd', 'e', 'a', 'b']) expect(fp('csrftoken', v)).toBe(hmac('csrftoken', v));
    expect(fp.cached()).toBeLessThanOrEqual(3);
    const held = fp.cached();
    // Values longer than 4096 characters are answered but not kept.
    const long = 'x'.repeat(5000);
    expect(fp('_auth', long)).toBe(hmac('_auth', long));
    expect(fp.cached()).toBe(held);
    expect(createFingerprinter(secret).cached()).toBe(0);
  });

  test('the default cache holds at most 1024 fingerprints', () => {
    const fp = createFingerprinter(Buffer.alloc(32, 5));
    for (let i = 0; i < 5000; i++) fp('_pinterest_sess', `session-${i}`);
    expect(fp.cached()).toBeLessThanOrEqual(1024);
    expect(fp.cached()).toBeGreaterThanOrEqual(512);
  });
});
