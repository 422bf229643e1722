/**
 * Kill and resume: the real binary is killed with SIGKILL while it crawls (sites done, one in
 * progress), and the same command run again continues the same crawl, visits the interrupted
 * site again from the start, and counts nothing twice: identical stand-in sites end with identical
 * request counts, each site once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startStandInSites, type StandInSites } from '../../bench/stand-in-sites.js';
import type { CrawlReport } from '../../src/crawl/report.js';
import { openRawConnection } from '../../src/store/db.js';
import { shouldSkipBrowserTests } from '../helpers/chromium.js';
import { runCli, spawnCli } from '../helpers/cli.js';

const skip = shouldSkipBrowserTests();
const COPIES = 5;

describe.skipIf(skip)('a killed crawl resumes', () => {
  let sites: StandInSites;
  let dir: string;

  beforeAll(async () => {
    sites = await startStandInSites({ extraSites: COPIES });
    dir = mkdtempSync(join(tmpdir(), 'pinaudit-crawl-resume-'));
  });

  afterAll(async () => {
    await sites?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function doneCount(): { done: number; running: number } {
    try {
      const db = openRawConnection(join(dir, 'data', 'pinaudit.db'));
      try {
        // Ended sites: done, or failed (a page load can time out on a loaded machine).
        return db.prepare("SELECT count(*) FILTER (WHERE state IN ('done', 'failed')) AS done, count(*) FILTER (WHERE state = 'running') AS running FROM crawl_sites").get() as { done: number; running: number };
      } finally {
        db.close();
      }
    } catch {
      return { done: 0, running: 0 }; // not created yet
    }
  }

  test('SIGKILL mid-crawl, then the same command: same crawl, every site once, nothing counted twice', async () => {
    const list = join(dir, 'sites.txt');
    writeFileSync(list, Array.from({ length: COPIES }, (_, i) => `site-${i + 1}.test`).join('\n'));
    const args = [
      'crawl', list, '--pages', '1', '--modes', 'off', '--concurrency', '1', '--timeout', '60s',
      '--upstream-ca', sites.caPath, '--host-resolver-rules', sites.rules, '--ca-dir', join(dir, 'ca'), '--data-dir', join(dir, 'data'),
    ];
    const first = spawnCli(args);
    const until = Date.now() + 120_000;
    let state = doneCount();
    // Two sites finished and the third under way: kill it in the middle of a visit.
    while (!(state.done >= 2 && state.running === 1)) {
      if (Date.now() > until || first.child.exitCode !== null) throw new Error(`the crawl did not get going: ${first.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
      state = doneCount();
    }
    await new Promise((r) => setTimeout(r, 700));
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = doneCount();
    expect(killedAt.done).toBeLessThan(COPIES);

    const second = await runCli(args);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(`resuming crawl 1: ${killedAt.done} of ${COPIES} sites done`);

    const json = await runCli(['report', '--crawl', '1', '--json', '--data-dir', join(dir, 'data')]);
    const report = JSON.parse(json.stdout) as CrawlReport;
    expect(report.crawl).toMatchObject({ id: 1, sites: COPIES, done: COPIES, failed: 0, pending: 0 });
    const counts = report.sites.map((s) => s.requests);
    // Identical sites, identical visits: the interrupted one is not counted with its lost attempt.
    expect(new Set(counts).size).toBe(1);
    expect(counts[0]).toBeGreaterThan(0);

    const db = openRawConnection(join(dir, 'data', 'pinaudit.db'));
    try {
      expect(db.prepare('SELECT count(*) AS n FROM crawls').get()).toEqual({ n: 1 });
      const attempts = db.prepare('SELECT site, attempts FROM crawl_sites ORDER BY position').all() as Array<{ site: string; attempts: number }>;
      expect(attempts.filter((a) => a.attempts === 2)).toHaveLength(1);
      expect(attempts.filter((a) => a.attempts === 1)).toHaveLength(COPIES - 1);
    } finally {
      db.close();
    }
  }, 300_000);
});
