/**
 * `pinaudit crawl` end to end: the real binary, its own in-process proxy and Debian's Chromium,
 * against loopback stand-in sites with distinct registrable domains (bench/stand-in-sites.ts)
 * reached through --host-resolver-rules and a test PKI trusted with --upstream-ca. One crawl in
 * modes off and trackers; then its report (text and JSON) and CSV export.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HASHED_EMAIL, startStandInSites, TAG_ID, type StandInSites } from '../../bench/stand-in-sites.js';
import { CRAWL_CSV_COLUMNS } from '../../src/crawl/csv.js';
import type { CrawlReport } from '../../src/crawl/report.js';
import { siteOf } from '../../src/pinterest/domains.js';
import { openRawConnection } from '../../src/store/db.js';
import { shouldSkipBrowserTests } from '../helpers/chromium.js';
import { runCli } from '../helpers/cli.js';
import { parseCsv } from '../helpers/csv.js';

const skip = shouldSkipBrowserTests();

describe.skipIf(skip)('pinaudit crawl against stand-in sites', () => {
  let sites: StandInSites;
  let dir: string;
  let crawl: { code: number | null; stdout: string; stderr: string };
  let report: CrawlReport;
  const data = (): string[] => ['--data-dir', join(dir, 'data')];

  beforeAll(async () => {
    sites = await startStandInSites();
    dir = mkdtempSync(join(tmpdir(), 'pinaudit-crawl-'));
    const list = join(dir, 'sites.txt');
    writeFileSync(list, ['# stand-ins', 'shop-a.test', 'https://blog-b.test/', 'broken-c.test', 'redirect-d.test', 'silent-f.test', 'nowhere-g.test', 'tls-h.test', 'www.shop-a.test'].join('\n'));
    crawl = await runCli([
      'crawl', list, '--pages', '2', '--concurrency', '2', '--timeout', '15s', '--label', 'stand-ins',
      '--upstream-ca', sites.caPath, '--host-resolver-rules', sites.rules, '--ca-dir', join(dir, 'ca'), ...data(),
    ]);
    const json = await runCli(['report', '--crawl', '1', '--json', ...data()]);
    expect(json.stderr).toBe('');
    report = JSON.parse(json.stdout) as CrawlReport;
  }, 240_000);

  afterAll(async () => {
    await sites?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const site = (name: string): CrawlReport['sites'][number] => {
    const s = report.sites.find((x) => x.site === name);
    if (!s) throw new Error(`${name} is not in the report`);
    return s;
  };

  test('finishes with exit 0, warns about the duplicate line, and prints the summary', () => {
    expect(crawl.code).toBe(0);
    expect(crawl.stderr).toContain('line 9: shop-a.test is already listed on line 2; skipped');
    expect(crawl.stdout).toMatch(/^pinaudit crawl 1 "stand-ins": 7 sites, 4 crawled, 3 failed/);
    expect(crawl.stdout).toContain('Blocking (trackers): 3 works, 0 changed, 1 broken.');
    expect(report.crawl).toMatchObject({ id: 1, label: 'stand-ins', sites: 7, done: 4, failed: 3, pending: 0 });
    expect(report.crawl.finishedAt).not.toBeNull();
  });

  test('the shop: tag id, events, hashed e-mail and full URLs, all before any interaction; blocking works', () => {
    const s = site('shop-a.test');
    expect(s).toMatchObject({ state: 'done', tagPresent: true, tagIds: [TAG_ID], hashedEmail: true, fullUrlLeaked: true, beforeInteraction: true, verdict: 'works' });
    expect(s.events).toEqual(['init', 'pagevisit']);
    expect(s.identifiers).toContain('hashed-email:pd.em');
    expect(s.leaks).toBeGreaterThan(0);
    expect(sites.pinterestSeen.some((p) => p.includes(encodeURIComponent(JSON.stringify({ em: HASHED_EMAIL }))))).toBe(true);
  });

  test('the blog has the Save button and pins but no tag, and works blocked', () => {
    expect(site('blog-b.test')).toMatchObject({ state: 'done', tagPresent: false, tagIds: [], beforeInteraction: false, verdict: 'works' });
    expect(site('blog-b.test').requests).toBeGreaterThan(0);
  });

  test('the site that calls pintrk unguarded is broken when the tag is blocked, with the error as evidence', () => {
    const s = site('broken-c.test');
    expect(s.verdict).toBe('broken');
    expect(s.verdictReason).toMatch(/home page in mode trackers: 1 new script error: .*pintrk is not defined/);
    expect(s.pageErrors).toEqual({ off: 0, trackers: 1 });
  });

  test('a redirect to another site is followed and recorded as such', () => {
    expect(site('redirect-d.test')).toMatchObject({ state: 'done', redirected: true, finalSite: 'shop-e.test', finalUrl: 'https://shop-e.test/', tagPresent: true });
  });

  test('a site that never answers, one that does not resolve and one with an untrusted certificate fail with their reasons; the crawl went on', () => {
    expect(site('silent-f.test')).toMatchObject({ state: 'failed', errorKind: 'timeout' });
    expect(site('nowhere-g.test')).toMatchObject({ state: 'failed', errorKind: 'dns' });
    expect(site('tls-h.test')).toMatchObject({ state: 'failed', errorKind: 'tls' });
    expect(site('tls-h.test').error).toMatch(/ERR_CERT_/);
    expect(report.summary.failures).toEqual({ timeout: 1, dns: 1, tls: 1 });
  });

  test('screenshots of both modes are kept as small JPEGs in the data dir', () => {
    const shots = site('broken-c.test').screenshots;
    expect(shots.map((x) => `${x.page}:${x.mode}`).sort()).toEqual(['0:off', '0:trackers']);
    for (const x of report.sites.flatMap((s) => s.screenshots)) {
      expect(x.path.startsWith(join(dir, 'data', 'crawls', '1'))).toBe(true);
      expect(existsSync(x.path)).toBe(true);
    }
  });

  test('every crawl request carries the crawl page it came from, on the site being crawled, in its visit mode', () => {
    const db = openRawConnection(join(dir, 'data', 'pinaudit.db'));
    try {
      const rows = db.prepare(`SELECT s.final_site AS site, cr.mode, cr.crawl_page AS page, cr.before_interaction AS before,
          r.block_mode AS blockMode, r.category, r.decision
        FROM crawl_requests cr JOIN crawl_sites s ON s.id = cr.crawl_site_id JOIN requests r ON r.flow_id = cr.flow_id`).all() as Array<Record<string, string | number>>;
      expect(rows.length).toBeGreaterThan(20);
      for (const r of rows) {
        expect(siteOf(String(r.page))).toBe(r.site);
        expect(r.blockMode).toBe(r.mode);
        expect(r.before).toBe(1);
      }
      const trackerTags = rows.filter((r) => r.mode === 'trackers' && (r.category === 'tag' || r.category === 'tag-script'));
      expect(trackerTags.length).toBeGreaterThan(0);
      expect(trackerTags.every((r) => r.decision === 'block')).toBe(true);
      expect(rows.some((r) => r.mode === 'off' && r.category === 'tag' && r.decision === 'allow')).toBe(true);
    } finally {
      db.close();
    }
  });

  test('attribution agreement is measured over every crawl request, with each disagreement listed', () => {
    const a = report.attribution;
    const db = openRawConnection(join(dir, 'data', 'pinaudit.db'));
    const recorded = db.prepare('SELECT count(*) AS n FROM crawl_requests cr JOIN requests r ON r.flow_id = cr.flow_id').get() as { n: number };
    db.close();
    expect(a.site.compared).toBe(recorded.n);
    expect(a.site.agreed + a.disagreements.filter((d) => d.measure === 'site').length).toBe(a.site.compared);
    expect(a.fullUrl.compared).toBeGreaterThan(0);
    expect(a.fullUrl.agreed + a.disagreements.filter((d) => d.measure === 'full-url').length).toBe(a.fullUrl.compared);
    expect(crawl.stdout).toMatch(/Attribution agreement, pinaudit vs the page the crawler had open: site \d+\.\d% of \d+ requests/);
  });

  test('the text report and the CSV export give one line per site', async () => {
    const text = await runCli(['report', '--crawl', '1', ...data()]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/broken-c\.test\s+done .* broken/);
    const csv = await runCli(['export', '--crawl', '1', '--format', 'csv', ...data()]);
    expect(csv.code).toBe(0);
    const [header, ...rows] = parseCsv(csv.stdout);
    expect(header).toEqual(CRAWL_CSV_COLUMNS.map((c) => c.name));
    expect(rows.map((r) => r[header!.indexOf('site')])).toEqual(['shop-a.test', 'blog-b.test', 'broken-c.test', 'redirect-d.test', 'silent-f.test', 'nowhere-g.test', 'tls-h.test']);
    expect(rows.map((r) => r[header!.indexOf('verdict')])).toEqual(['works', 'works', 'broken', 'works', '', '', '']);
  });

  test('an unknown crawl is a usage error', async () => {
    const r = await runCli(['report', '--crawl', '9', ...data()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('there is no crawl 9 in this database');
  });
});
