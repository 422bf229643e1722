/**
 * `pinaudit crawl` refusing bad input before it starts anything: each bad line named, an empty or
 * unreadable list, bad flags, a browser that is not there. Nothing is crawled and no database is
 * created.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findBrowser } from '../../src/crawl/find-browser.js';
import { crawlCommand, parseDuration, parseModes, sitesAndLeaks } from '../../src/commands/crawl.js';
import { progressLine } from '../../src/import/index.js';
import { runCli } from '../helpers/cli.js';
import { runIn } from '../helpers/command.js';

/** The command in-process (no browser is reached: every case fails before). */
const crawlIn = (argv: string[]): ReturnType<typeof runIn> => runIn(crawlCommand, argv);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-crawl-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const data = (): string[] => ['--data-dir', join(dir, 'data')];

describe('pinaudit crawl: bad input', () => {
  test('every bad line of the list is named, exit 2, nothing crawled', async () => {
    const list = join(dir, 'bad.txt');
    writeFileSync(list, ['shop-a.test', 'ftp://files.test', '10.1.2.3', '', 'not a site', '# fine'].join('\n'));
    const r = await runCli(['crawl', list, ...data()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the site list has 3 bad line(s); nothing was crawled');
    expect(r.stderr).toContain('line 2: "ftp:" is not a web address');
    expect(r.stderr).toContain('line 3: 10.1.2.3 is an IP address');
    expect(r.stderr).toContain('line 5: "not a site" is not a URL or a domain');
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  test('an empty list, a missing file and no sites at all', async () => {
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '# only a comment\n\n');
    const a = await crawlIn([empty, ...data()]);
    expect([a.code, a.stderr]).toEqual([2, expect.stringContaining('the site list is empty')]);
    const b = await crawlIn([join(dir, 'missing.txt'), ...data()]);
    expect([b.code, b.stderr]).toEqual([1, expect.stringContaining(`cannot read the site list ${join(dir, 'missing.txt')}`)]);
    const c = await crawlIn([...data()]);
    expect([c.code, c.stderr]).toEqual([2, expect.stringContaining('name the sites to crawl')]);
  });

  test.each([
    [['--modes', 'off,sometimes'], '--modes: "sometimes" is not one of off, strip, trackers, all'],
    [['--pages', '99'], '--pages must be a whole number from 0 to 20'],
    [['--concurrency', '0'], '--concurrency must be a whole number from 1 to 16'],
    [['--timeout', 'soon'], '--timeout must be from 1s to 10m'],
    [['--browser', '/nowhere/chromium'], '--browser: "/nowhere/chromium" does not exist'],
  ])('%j is refused with a message naming the flag', async (flags, message) => {
    const r = await crawlIn(['shop-a.test', ...flags, ...data()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe('crawl option parsing', () => {
  test.each([
    ['30s', 30_000],
    ['1500ms', 1500],
    ['2m', 120_000],
    ['45', 45_000],
  ])('--timeout %s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  test('the progress bar counts sites and the leaks seen so far', () => {
    expect(progressLine(2, 6, 12, sitesAndLeaks(() => 5))).toBe('[####--------]  33%  site 2 of 6, 5 leaks so far');
    expect(progressLine(6, 6, 4, sitesAndLeaks(() => 1))).toBe('[####] 100%  site 6 of 6, 1 leak so far');
  });

  test('--modes keeps its order and refuses a mode named twice', () => {
    expect(parseModes('trackers,off')).toEqual(['trackers', 'off']);
    expect(() => parseModes('off,off')).toThrow('names a mode twice');
  });

  test('with no Chromium or Chrome found, the error names --browser', () => {
    expect(() => findBrowser(null, ['/nowhere/a', '/nowhere/b'])).toThrow(/no Chromium or Chrome found \(looked for \/nowhere\/a, \/nowhere\/b\); install one or name it with --browser PATH/);
    expect(findBrowser(null, ['/nowhere/a', process.execPath])).toBe(process.execPath);
  });
});

describe('pinaudit crawl with a shared queue: bad input', () => {
  test.each([
    [['--worker'], '--worker needs --queue postgres://'],
    [['shop-a.test', '--worker', '--queue', 'postgres://db.test/pinaudit'], '--worker takes no sites'],
    [['--worker', '--queue', 'postgres://db.test/pinaudit', '--pages', '2'], '--pages: a worker crawls with the options its queue was enqueued with'],
    [['shop-a.test', '--follow'], '--follow only go with --worker'],
    [['shop-a.test', '--queue', 'postgres://db.test/pinaudit', '--concurrency', '2'], '--concurrency: enqueueing crawls nothing'],
    [['--worker', '--queue', 'postgres://db.test/pinaudit', '--lease', 'forever'], '--lease must be from 1s to 10m'],
    [['--worker', '--queue', 'http://db.test/'], '--queue: expected a postgres:// URL, got http://…'],
    [['shop-a.test', '--queue', 'not a url'], '--queue: not a URL; expected postgres://'],
  ])('%j is refused in one line naming the flag, exit 2', async (flags, message) => {
    const r = await crawlIn([...flags, ...data()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  test.each([
    ['enqueue', ['shop-a.test']],
    ['worker', ['--worker']],
  ])('an unreachable queue database (%s): one line naming it without the password, exit 1', async (_what, args) => {
    const r = await runCli(['crawl', ...args, '--queue', 'postgres://crawler:s3cret-pw@127.0.0.1:1/fleet', ...data()]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^pinaudit crawl: postgres:\/\/crawler@127\.0\.0\.1:1\/fleet: .*ECONNREFUSED/);
    expect(r.stdout + r.stderr).not.toContain('s3cret-pw');
  });
});
