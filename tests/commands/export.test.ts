import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exportCommand } from '../../src/commands/export.js';
import { CSV_COLUMNS } from '../../src/export/csv.js';
import { dayKey } from '../../src/store/days.js';
import { runCli } from '../helpers/cli.js';
import { parseCsv } from '../helpers/csv.js';
import { runIn } from '../helpers/command.js';
import { HASH, seed } from './seed.js';

const NOW = Date.now();
let dir: string;
let db: ReturnType<typeof seed>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-export-'));
  db = seed(join(dir, 'data'), NOW);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function exportCsv(args: string[], out: Writable = new PassThrough()): Promise<{ code: number; csv: string; stderr: string; records: Array<Record<string, string>> }> {
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const r = await runIn(exportCommand, [...args, '--data-dir', join(dir, 'data')], { stream: out });
  text += r.stdout;
  const { code, stderr } = r;
  const [header, ...rows] = parseCsv(text);
  const records = rows.map((r) => Object.fromEntries((header ?? []).map((h, i) => [h, r[i] ?? ''])));
  return { code, csv: text, stderr, records };
}

describe('pinaudit export', () => {
  test('every request, oldest first, with the dashboard export columns', async () => {
    const { code, csv, records } = await exportCsv(['--format', 'csv']);
    expect(code).toBe(0);
    expect(parseCsv(csv)[0]).toEqual(CSV_COLUMNS.map((c) => c.name));
    expect(records).toHaveLength(7);
    const times = records.map((r) => Date.parse(r.time!));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(records.map((r) => r.page_site)).toEqual(['old.example', 'shop.example', 'shop.example', 'news.example', 'pinterest.com', 'shop.example', 'news.example']);
    const checkout = records.find((r) => r.tag_event === 'checkout')!;
    expect(checkout).toMatchObject({ hashed_email: 'true', identifiers: `hashed-email:pd.em=${HASH}`, tag_order_id: `'=HYPERLINK("x")` });
    const loggedIn = records.find((r) => r.logged_in === 'true')!;
    expect(loggedIn.identifiers).toMatch(/^tracking-id:_pinterest_ct_ua=TWc9PSZ1a3ZqTk; credential:_pinterest_sess=[0-9a-f]{64}$/);
    expect(csv).not.toContain('s3cret');
  });

  test.each([
    [['--site', 'shop.example'], 3],
    [['--site', 'SHOP.example', '--category', 'tag'], 3],
    [['--decision', 'block'], 1],
    [['--decision', 'strip', '--category', 'widget'], 1],
    [['--category', 'first-party'], 1],
    [['--decision', 'none'], 0],
  ])('filters %j → %i rows', async (args, n) => {
    const { code, records } = await exportCsv(args);
    expect(code).toBe(0);
    expect(records).toHaveLength(n);
  });

  test('dates: a bare --to includes that day; ISO times are exact', async () => {
    const day2 = dayKey(db.d2);
    expect((await exportCsv(['--from', day2, '--to', day2])).records.map((r) => r.logged_in)).toEqual(['true']);
    expect((await exportCsv(['--from', new Date(db.d1).toISOString()])).records).toHaveLength(5);
    expect((await exportCsv(['--from', new Date(db.d1 + 1).toISOString()])).records).toHaveLength(2);
    expect((await exportCsv(['--to', dayKey(db.d20)])).records.map((r) => r.page_site)).toEqual(['old.example']);
  });

  test('--redact replaces identifier values and order ids with per-export placeholders', async () => {
    const { records, csv } = await exportCsv(['--redact']);
    expect(csv).not.toContain(HASH);
    expect(csv).not.toContain('TWc9PSZ1a3ZqTk');
    const checkout = records.find((r) => r.tag_event === 'checkout')!;
    expect(checkout.identifiers).toMatch(/^hashed-email:pd\.em=redacted:[0-9a-f]{12}$/);
    expect(checkout.tag_order_id).toMatch(/^redacted:[0-9a-f]{12}$/);
  });

  test('waits for a slow reader (backpressure) and still writes everything', async () => {
    let drains = 0;
    let text = '';
    const slow = new Writable({
      highWaterMark: 64,
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString();
        setTimeout(done, 2);
      },
    });
    slow.on('drain', () => (drains += 1));
    const { code } = await runIn(exportCommand, ['--data-dir', join(dir, 'data')], { stream: slow });
    expect(code).toBe(0);
    await new Promise<void>((r) => slow.end(r));
    expect(drains).toBeGreaterThan(0);
    expect(parseCsv(text)).toHaveLength(8);
  });

  test('--out writes the file and leaves no partial file; an unwritable --out fails with exit 1', async () => {
    const out = join(dir, 'audit.csv');
    expect((await exportCsv(['--out', out, '--site', 'news.example'])).code).toBe(0);
    expect(parseCsv(readFileSync(out, 'utf8'))).toHaveLength(3);
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
    const bad = await exportCsv(['--out', join(dir, 'missing', 'x.csv')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/cannot write .*x\.csv/);
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });

  test.each([
    [['--format', 'json'], /--format must be csv/],
    [['--from', '2025-13-01'], /--from must be a date/],
    [['--from', '2025-06-02', '--to', '2025-06-01'], /--to must be after --from/],
    [['--category', 'ads'], /--category must be one of/],
    [['--decision', 'deny'], /--decision must be one of/],
    [['--site', 'a b'], /--site must be a site name/],
    [['--nope'], /Unknown option '--nope' \(see pinaudit export --help\)$/m],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const r = await exportCsv(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  test('the CLI: stdout by default, help, and a missing database', async () => {
    const r = await runCli(['export', '--format', 'csv', '--site', 'shop.example', '--data-dir', join(dir, 'data')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(parseCsv(r.stdout)).toHaveLength(4);
    const help = await runCli(['export', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('Exit codes: 0');
    const none = await runCli(['export', '--data-dir', join(dir, 'empty')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no pinaudit database at .*empty.*nothing recorded yet/);
  });
});
