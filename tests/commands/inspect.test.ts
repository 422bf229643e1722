/**
 * `pinaudit inspect`, called directly with captured output and a real temporary data dir.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { inspectCommand } from '../../src/commands/inspect.js';
import { runIn } from '../helpers/command.js';
import { createFingerprinter, loadOrCreateSecret } from '../../src/classify/index.js';
import type { Finding } from '../../src/types.js';

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pinaudit-inspect-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function inspect(argv: string[], dir = dataDir()): Promise<{ code: number; out: string; err: string }> {
  const r = await runIn(inspectCommand, [...argv, '--data-dir', dir]);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe('inspectCommand', () => {
  test('prints the Finding as pretty JSON and exits 0', async () => {
    const dir = dataDir();
    const r = await inspect([
      'https://ct.pinterest.com/v3/?tid=2612345678901&event=PageVisit',
      '--referer', 'https://shop.example.com/cart?item=1',
      '--cookie', '_pinterest_sess=SECRET-SESSION-VALUE; _pinterest_ct_ua=ua',
      '--header', 'Sec-GPC: 1',
      '--header', 'Cookie: csrftoken=CSRF-SECRET-VALUE',
    ], dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('\n  "pinterest": true');
    const finding = JSON.parse(r.out) as Finding;
    expect(finding).toMatchObject({
      host: 'ct.pinterest.com',
      category: 'tag',
      thirdParty: true,
      page: { site: 'example.com', attributedBy: 'referer' },
      leakLevel: 'full-url',
      tag: { id: '2612345678901', event: 'pagevisit' },
      loggedIn: true,
      signals: { gpc: true },
    });
    expect(r.out).not.toContain('SECRET-SESSION-VALUE');
    expect(r.out).not.toContain('CSRF-SECRET-VALUE');
    const fp = createFingerprinter(loadOrCreateSecret(dir));
    expect(finding.identifiers.find((i) => i.name === '_pinterest_sess')?.fingerprint).toBe(fp('_pinterest_sess', 'SECRET-SESSION-VALUE'));
    expect(finding.identifiers.find((i) => i.name === 'csrftoken')?.fingerprint).toBe(fp('csrftoken', 'CSRF-SECRET-VALUE'));
  });

  test('a body (inline or from a file) is a POST by default', async () => {
    const dir = dataDir();
    const file = join(dir, 'body.json');
    writeFileSync(file, JSON.stringify({ tid: '5', event: 'checkout', ad: { loc: 'https://s.example/thanks' } }));
    const r = await inspect(['https://ct.pinterest.com/v3/', '--body-file', file, '--header', 'content-type: application/json'], dir);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ tag: { id: '5', event: 'checkout' }, page: { url: 'https://s.example/thanks' } });
    const form = await inspect(['https://ct.pinterest.com/v3/', '--body', 'tid=6&event=lead', '--origin', 'https://o.example']);
    expect(JSON.parse(form.out)).toMatchObject({ tag: { id: '6', event: 'lead' }, page: { attributedBy: 'origin' } });
  });

  test('a non-Pinterest URL prints pinterest: false and exits 0', async () => {
    const r = await inspect(['https://example.com/']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ pinterest: false, host: 'example.com', category: null });
  });

  test.each([
    [[]],
    [['a', 'b']],
    [['not a url']],
    [['ftp://ct.pinterest.com/']],
    [['https://ct.pinterest.com/', '--bogus']],
    [['https://ct.pinterest.com/', '--body', 'a', '--body-file', 'f']],
    [['https://ct.pinterest.com/', '--header', 'no colon']],
    [['https://ct.pinterest.com/', '--method', 'GET /x']],
  ])('usage error %j → stderr and exit 2', async (argv) => {
    const r = await inspect(argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^pinaudit inspect: /);
  });

  test('an unreadable body file is a runtime failure (exit 1)', async () => {
    const r = await inspect(['https://ct.pinterest.com/v3/', '--body-file', '/nonexistent/pinaudit-body']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('/nonexistent/pinaudit-body');
  });

  test('a corrupt fingerprint key is reported with its path (exit 1)', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, 'fingerprint.key'), 'x');
    const r = await inspect(['https://ct.pinterest.com/v3/'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain(join(dir, 'fingerprint.key'));
  });

  test('--help prints usage and exits 0', async () => {
    const r = await inspect(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: pinaudit inspect <url>');
  });
});
