import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderReport, reportCommandAt, sinceTime, type Report } from '../../src/commands/report.js';
import { runIn } from '../helpers/command.js';
import { runCli } from '../helpers/cli.js';
import { HASH, noon, seed } from './seed.js';

// 11:00 today: the seed's days sit at noon, so '1d' holds yesterday's noon and never the day before's,
// whatever the time the tests run.
const NOW = noon(Date.now(), 0) - 3_600_000;
let dir: string;
let db: ReturnType<typeof seed>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-report-'));
  db = seed(join(dir, 'data'), NOW);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function report(args: string[], columns: number | null = null): Promise<{ code: number; out: string; err: string }> {
  const r = await runIn(reportCommandAt(() => NOW), [...args, '--data-dir', join(dir, 'data')], { columns });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe('pinaudit report', () => {
  test('--json: the numbers match the seeded data for the last 7 days', async () => {
    const { code, out } = await report(['--json']);
    expect(code).toBe(0);
    const r = JSON.parse(out) as Report;
    const pages = new Set([`https://shop.example/page/${db.d1 % 7}`, `https://shop.example/page/${(db.d1 + 1000) % 7}`, 'https://shop.example/products/42',
      `https://news.example/page/${db.d1 % 7}`, `https://news.example/page/${(db.d1 + 2000) % 7}`]);
    expect(r.schemaVersion).toBe(2);
    expect(r.range).toEqual({ since: '7d', from: new Date(NOW - 7 * 86_400_000).toISOString(), to: new Date(NOW).toISOString() });
    expect(r.totals).toEqual({
      requests: 6, thirdPartyRequests: 5, attemptedLeaks: 5, reachedLeaks: 3, preventedLeaks: 2, attemptedSites: 2, reachedSites: 1,
      attemptedPages: pages.size, reachedPages: 3, attemptedOriginOnly: 0, reachedOriginOnly: 0, attemptedIdentifiers: 3,
      reachedIdentifiers: 3, preventedIdentifiers: 2, preventedPages: 2, attemptedLoggedIn: 1, reachedLoggedIn: 1,
      attemptedHashedEmails: 1, reachedHashedEmails: 1, blocked: 1, stripped: 1,
    });
    expect(r.sitesVisited).toEqual({ visited: 3, attempted: 2, reached: 1, visitedAndAttempted: 2, visitedAndReached: 1 });
    expect(r.topSites.map((s) => [s.site, s.attemptedLeaks, s.reachedLeaks, s.requests, s.blocked, s.stripped])).toEqual([
      ['shop.example', 3, 3, 3, 0, 0],
      ['news.example', 2, 0, 2, 1, 1],
    ]);
    expect(new Set(r.topPages.map((p) => p.url))).toEqual(pages);
    expect(r.topPages.filter((p) => p.site === 'news.example').every((p) => p.reachedRequests === 0)).toBe(true);
    expect(r.topPages.every((p) => p.site === new URL(p.url).hostname)).toBe(true);
    expect(r.identifiers.map((i) => [i.name, i.kind, i.siteCount, i.requests, i.sites])).toEqual([
      ['_pinterest_ct_ua', 'tracking-id', 2, 4, ['news.example', 'shop.example']],
      ['_pinterest_sess', 'credential', 1, 1, ['shop.example']],
    ]);
    expect(r.identifiers[1]!.value).toMatch(/^[0-9a-f]{64}$/);
    expect(r.hashedEmails).toEqual([{ value: HASH, requests: 1, siteCount: 1, sites: ['shop.example'] }]);
    expect(r.blocking).toEqual({
      blocked: 1, stripped: 1, preventedLeaks: 2, preventedIdentifiers: 2, preventedPages: 2,
      byMode: [{ mode: 'off', blocked: 1, stripped: 1, attemptedLeaks: 2, reachedLeaks: 0, preventedLeaks: 2, preventedIdentifiers: 2, preventedPages: 2 }],
    });
  });

  test.each([
    ['all', 7, null],
    ['1d', 5, NOW - 86_400_000],
    ['30d', 7, NOW - 30 * 86_400_000],
  ])('--since %s covers %i requests', async (since, requests, from) => {
    const r = JSON.parse((await report(['--json', '--since', since])).out) as Report;
    expect(r.totals.requests).toBe(requests);
    expect(r.range.from).toBe(from === null ? null : new Date(from).toISOString());
  });

  test('--limit cuts every table', async () => {
    const r = JSON.parse((await report(['--json', '--limit', '1'])).out) as Report;
    expect([r.topSites.length, r.topPages.length, r.identifiers.length]).toEqual([1, 1, 1]);
  });

  test('tables: a headline, right-aligned numbers under their headers, every section', async () => {
    const { code, out } = await report([]);
    expect(code).toBe(0);
    expect(out).toContain('2 sites attempted to tell Pinterest about 5 pages;\n3 pages from 1 site reached Pinterest; 1 of the 3 sites you visited leaked.');
    const lines = out.split('\n');
    const header = lines.findIndex((l) => l.includes('SITE') && l.includes('ATTEMPTED'));
    const end = (line: string, word: string): number => line.indexOf(word) + word.length;
    const shop = lines[header + 1]!;
    expect(shop).toMatch(/^ {2}shop\.example +3 +3 +3 +3 +0 +0 +\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    expect(end(shop, '3')).toBe(end(lines[header]!, 'ATTEMPTED'));
    expect(out).toMatch(/leaks \(page or identifiers\) +5 +3 +2/);
    for (const title of ['Top leaking sites', 'Top leaked pages (full URLs)', 'Identifiers, by how many sites sent them', 'Hashed e-mail addresses',
      'What blocking prevented\n  1 blocked, 1 stripped; prevented: 2 leaks whole, 2 identifiers, 2 pages']) {
      expect(out).toContain(title);
    }
  });

  test('text output never carries control characters from recorded data, and fits the terminal', () => {
    const evil = 'https://evil.example/\u001b]0;pwned\u0007\u001b[31m' + 'x'.repeat(200);
    const r: Report = {
      schemaVersion: 2, generatedAt: '', range: { since: 'all', from: null, to: '' },
      totals: {
        requests: 1, thirdPartyRequests: 1, attemptedLeaks: 1, reachedLeaks: 1, preventedLeaks: 0, attemptedSites: 1, reachedSites: 1,
        attemptedPages: 1, reachedPages: 1, attemptedOriginOnly: 0, reachedOriginOnly: 0, attemptedIdentifiers: 0, reachedIdentifiers: 0,
        preventedIdentifiers: 0, preventedPages: 0, attemptedLoggedIn: 0, reachedLoggedIn: 0, attemptedHashedEmails: 0,
        reachedHashedEmails: 0, blocked: 0, stripped: 0,
      },
      sitesVisited: { visited: 0, attempted: 1, reached: 1, visitedAndAttempted: 0, visitedAndReached: 0 }, topSites: [], identifiers: [], hashedEmails: [],
      topPages: [{ url: evil, site: 'evil.example', attemptedRequests: 1, reachedRequests: 1 }],
      blocking: { blocked: 0, stripped: 0, preventedLeaks: 0, preventedIdentifiers: 0, preventedPages: 0, byMode: [] },
      advice: {
        switches: [{ field: 'personalize_from_offsite_browsing', label: 'Use sites you visit', state: 'off', since: '2026-01-05T12:00:00.000Z', sinceHow: 'change',
          reachedWhileOff: { requests: 3, sites: 2, topSites: ['evil\u001b[31m.example', 'x'.repeat(90)] } }],
        idChanges: [{ family: '_pinterest_ct_ua', site: null, at: '', linked: null, text: `new _pinterest_ct_ua; linked back by the hashed e-mail that ${evil} sent` }],
      },
    };
    const text = renderReport(r, 80);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(text).toContain('  (none)');
    expect(text).toContain('1 site attempted to tell Pinterest about 1 page;\n1 page from 1 site reached Pinterest.');
  });

  test.each([
    ['7 days', /--since must look like/],
    ['0x', /--since must look like/],
  ])('--since %s is a usage error', async (since, message) => {
    const r = await report(['--since', since]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  test('--since accepts dates and ISO times', () => {
    expect(sinceTime('2025-06-01', NOW)).toBe(new Date(2025, 5, 1).getTime());
    expect(sinceTime('2025-06-01T10:00:00Z', NOW)).toBe(Date.UTC(2025, 5, 1, 10));
    expect(sinceTime('90m', NOW)).toBe(NOW - 90 * 60_000);
  });

  test('the CLI: --json, help, usage and a missing database', async () => {
    const r = await runCli(['report', '--json', '--since', 'all', '--data-dir', join(dir, 'data')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect((JSON.parse(r.stdout) as Report).totals.requests).toBe(7);
    const help = await runCli(['report', '-h']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect((await runCli(['report', '--limit', '0'])).code).toBe(2);
    const none = await runCli(['report', '--data-dir', join(dir, 'nothing')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no pinaudit database/);
  });
});
