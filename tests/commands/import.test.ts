import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { importWithRss, writeHar } from '../../bench/har.js';
import { createProgressBar, progressLine } from '../../src/import/index.js';
import { openQueries } from '../../src/store/queries.js';
import { runCli } from '../helpers/cli.js';
import { harText, shopSession } from '../import/har-fixtures.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-import-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pinaudit import', () => {
  test('imports a file and says what it found; stderr stays empty off a terminal', async () => {
    const file = join(dir, 'shop.har');
    writeFileSync(file, harText(shopSession(Date.now() - 3_600_000)));
    const r = await runCli(['import', file, '--label', 'phone', '--data-dir', join(dir, 'a')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Imported 5 entries from');
    expect(r.stdout).toContain('as "phone"');
    expect(r.stdout).toContain('Pinterest requests  3 (3 new)');
    expect(r.stdout).toContain('other requests      2 to 1 site (counted as sites visited)');
  });

  test('a truncated file: exit 1, the entry named, the entries before it kept', async () => {
    const file = join(dir, 'cut.har');
    const text = harText(shopSession(Date.now() - 3_600_000));
    writeFileSync(file, text.slice(0, text.indexOf('cdn.shop.example/app.js') + 60));
    const data = join(dir, 'b');
    const r = await runCli(['import', file, '--data-dir', data]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^pinaudit import: .*cut\.har: log\.entries\[3\] \(https:\/\/cdn\.shop\.example\/app\.js\): the file ends before the HAR is complete \(truncated\?\) \(at byte \d+\); the 3 entries before it were imported\n/);
    expect(r.stderr).toContain('Pinterest requests  2 (2 new)');
    const q = openQueries(join(data, 'pinaudit.db'));
    expect(q.totals().requests).toBe(2);
    q.close();
  });

  test.each([
    [[], 2, /which HAR file/],
    [['a.har', 'b.har'], 2, /one file at a time/],
    [['a.har', '--label', ''], 2, /--label must be/],
    [['--frobnicate'], 2, /Unknown option '--frobnicate' \(see pinaudit import --help\)$/m],
    [['/nonexistent/x.har'], 1, /cannot read \/nonexistent\/x\.har/],
  ])('import %j exits %i', async (args, code, message) => {
    const r = await runCli(['import', ...args, '--data-dir', join(dir, 'c')]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  test('--help shows examples and exit codes; the main help lists the command', async () => {
    const r = await runCli(['import', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: pinaudit import FILE.har');
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('Exit codes: 0 imported');
    const main = await runCli(['--help']);
    expect(main.stdout).toMatch(/import +audit a HAR file/);
    expect(main.stdout).toMatch(/export +write recorded requests as CSV/);
    expect(main.stdout).toMatch(/report +print a summary/);
  });

  test('a 20 MB HAR is imported with bounded memory', async () => {
    const file = join(dir, 'big.har');
    const har = writeHar(file, 20 * 1024 * 1024);
    const data = join(dir, 'big');
    const run = await importWithRss(file, data);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Imported ${har.entries.toLocaleString('en-US')} entries`);
    expect(run.stdout).toContain(`Pinterest requests  ${har.pinterest.toLocaleString('en-US')} (${har.pinterest.toLocaleString('en-US')} new)`);
    expect(run.peakRssMb).toBeGreaterThan(0);
    expect(run.peakRssMb).toBeLessThan(200);
    const q = openQueries(join(data, 'pinaudit.db'));
    expect(q.totals().requests).toBe(har.pinterest);
    expect(q.sitesVisited({ from: 0 }).visited).toBe(har.sites);
    q.close();
  }, 60_000);
});

describe('progress bar', () => {
  test('the line shows the share and the megabytes read', () => {
    expect(progressLine(0, 4 * 1024 * 1024, 10)).toBe('[----------]   0%  0.0/4.0 MB');
    expect(progressLine(1024 * 1024, 4 * 1024 * 1024, 10)).toBe('[###-------]  25%  1.0/4.0 MB');
    expect(progressLine(5, 0, 4)).toBe('[####] 100%  0.0/0.0 MB');
  });

  test('redraws in place at most every interval, always at the end, and clears the line', () => {
    let t = 0;
    const out: string[] = [];
    const bar = createProgressBar((s) => out.push(s), { label: 'x.har', intervalMs: 100, now: () => t });
    bar.update(1, 10);
    t = 50;
    bar.update(2, 10);
    t = 150;
    bar.update(3, 10);
    bar.update(10, 10);
    bar.finish();
    expect(out).toHaveLength(4);
    expect(out.slice(0, 3).every((s) => s.startsWith('\rx.har ['))).toBe(true);
    expect(out[2]).toContain('100%');
    expect(out[3]).toBe('\r\u001b[2K');
  });
});
