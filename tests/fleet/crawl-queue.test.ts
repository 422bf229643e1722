/**
 * The shared crawl queue end to end: the real `pinaudit crawl` binary enqueues a list into a real
 * PostgreSQL, and real workers (`crawl --worker`, each with its own data directory, proxy and
 * Debian Chromium) crawl loopback stand-in sites from it and ship their results. Two workers on one
 * list: each site crawled once, every site's rows in PostgreSQL once. A worker SIGKILLed mid-site:
 * after its lease, another worker crawls that site, once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPostgres, type TestPostgres } from '../../bench/postgres.js';
import { startStandInSites, type StandInSites } from '../../bench/stand-in-sites.js';
import { connectFleet, fleetTarget, type FleetDb } from '../../src/fleet/pg.js';
import { openRawConnection } from '../../src/store/db.js';
import { shouldSkipBrowserTests } from '../helpers/chromium.js';
import { runCli, spawnCli, type Spawned } from '../helpers/cli.js';

const skip = shouldSkipBrowserTests();

describe.skipIf(skip)('crawl workers sharing one queue in PostgreSQL', () => {
  let pg: TestPostgres;
  let sites: StandInSites;
  let dir: string;
  let db: FleetDb;
  let url: string;
  const spawned: Spawned[] = [];

  beforeAll(async () => {
    pg = await startPostgres();
    url = pg.createDatabase('crawlq');
    sites = await startStandInSites({ extraSites: 6 });
    dir = mkdtempSync(join(tmpdir(), 'pinaudit-crawl-queue-'));
  }, 60_000);

  afterAll(async () => {
    for (const s of spawned) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    await db?.close();
    await sites?.close();
    pg?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const fleet = async (): Promise<FleetDb> => (db ??= await connectFleet(fleetTarget(url, {})));
  const standIns = (): string[] => ['--upstream-ca', sites.caPath, '--host-resolver-rules', sites.rules];
  const worker = (name: string, extra: string[] = []): Spawned => {
    const s = spawnCli(['crawl', '--worker', '--queue', url, '--instance-name', name, '--concurrency', '1', ...standIns(),
      '--ca-dir', join(dir, `ca-${name}`), '--data-dir', join(dir, `data-${name}`), ...extra]);
    spawned.push(s);
    return s;
  };
  const enqueue = async (list: string[], label: string): Promise<string> => {
    const file = join(dir, `${label}.txt`);
    writeFileSync(file, list.join('\n'));
    const r = await runCli(['crawl', file, '--queue', url, '--label', label, '--pages', '1', '--modes', 'off,trackers', '--timeout', '30s', '--data-dir', join(dir, 'enqueuer')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r.stdout;
  };
  /** Per worker name: the sites it ended, from the fleet's copy of its local crawl. */
  const shippedSites = async (queue: string): Promise<Array<{ name: string; site: string; state: string; requests: number }>> =>
    (await (await fleet()).query<{ name: string; site: string; state: string; requests: string }>(
      `SELECT i.name, s.site, s.state, (SELECT count(*) FROM crawl_requests r WHERE r.instance_id = s.instance_id AND r.crawl_site_id = s.id) AS requests
       FROM crawl_sites s JOIN crawls c ON c.instance_id = s.instance_id AND c.id = s.crawl_id JOIN instance i ON i.id = s.instance_id
       WHERE c.queue = $1 ORDER BY s.site`,
      [queue],
    )).map((r) => ({ ...r, requests: Number(r.requests) }));

  test('two workers crawl one enqueued list: each site once, every site\'s rows in PostgreSQL once', async () => {
    const list = ['site-1.test', 'site-2.test', 'site-3.test', 'site-4.test', 'broken-c.test'];
    const out = await enqueue(list, 'pair');
    expect(out).toContain(`enqueued 5 sites in queue "pair" at ${fleetTarget(url, {}).label}`);
    expect(out).toContain('crawled with --pages 1 --modes off,trackers --timeout 30s');
    expect(out).not.toContain(pg.password);
    expect(await enqueue(list, 'pair')).toContain('enqueued 0 sites in queue "pair" at postgres://');

    const [a, b] = [worker('pair-a', ['--label', 'pair']), worker('pair-b', ['--label', 'pair'])];
    const [ea, eb] = await Promise.all([a.exited, b.exited]);
    expect([ea.code, eb.code], a.stderr() + b.stderr()).toEqual([0, 0]);
    for (const w of [a, b]) {
      expect(w.stderr()).toMatch(/^worker pair-[ab] takes sites from postgres:\/\/\S+ \(queue "pair"\); results ship to postgres:\/\//);
      expect(w.stdout()).toMatch(/queue "pair": this worker crawled \d+ sites?, \d+ failed; the queue has 5 done, 0 failed, 0 left/);
      expect(w.stdout() + w.stderr()).not.toContain(pg.password);
    }

    const status = await runCli(['fleet', 'status', url]);
    expect(status.stdout).toMatch(/crawl queues:\n {2}queue "pair": 5 sites, 0 pending, 0 running, 5 done, 0 failed\n/);
    expect(status.stdout).toMatch(/ {2}pair-a {2}\S+ {2}\d+ requests stored/);
    const queue = await (await fleet()).query('SELECT site, state, attempt, worker_name FROM crawl_queue WHERE queue = $1 ORDER BY site', ['pair']);
    expect(queue.map((r) => [r.site, r.state, r.attempt])).toEqual(list.slice().sort().map((s) => [s, 'done', 1]));
    const shipped = await shippedSites('pair');
    // Each site once, by the worker the queue gave it to; both workers took part.
    expect(shipped.map((s) => s.site)).toEqual(list.slice().sort());
    expect(shipped.map((s) => s.name)).toEqual(queue.map((r) => r.worker_name));
    expect(new Set(shipped.map((s) => s.name))).toEqual(new Set(['pair-a', 'pair-b']));
    expect(shipped.every((s) => s.state === 'done' && s.requests > 0)).toBe(true);

    // What each worker's local database holds arrived once: sites, request links, and the requests.
    for (const name of ['pair-a', 'pair-b']) {
      const local = openRawConnection(join(dir, `data-${name}`, 'pinaudit.db'));
      const here = local.prepare(
        `SELECT (SELECT count(*) FROM crawl_sites WHERE state = 'done') AS sites, (SELECT count(*) FROM crawl_requests) AS links,
           (SELECT count(*) FROM requests WHERE flow_id IN (SELECT flow_id FROM crawl_requests)) AS requests`,
      ).get() as Record<string, number>;
      local.close();
      const [there] = await (await fleet()).query(
        `SELECT (SELECT count(*) FROM crawl_sites s WHERE s.instance_id = i.id) AS sites,
           (SELECT count(*) FROM crawl_requests c WHERE c.instance_id = i.id) AS links,
           (SELECT count(*) FROM requests r WHERE r.instance_id = i.id AND r.flow_id IN (SELECT flow_id FROM crawl_requests c WHERE c.instance_id = i.id)) AS requests
         FROM instance i WHERE i.name = $1`,
        [name],
      );
      expect(Object.fromEntries(Object.entries(there ?? {}).map(([k, v]) => [k, Number(v)])), name).toEqual(here);
      expect(here.sites).toBeGreaterThan(0);
      expect(here.requests).toBe(here.links);
    }
  }, 300_000);

  test('a worker SIGKILLed mid-site: after its lease another worker crawls that site, once', async () => {
    const list = ['site-5.test', 'site-6.test', 'shop-a.test'];
    await enqueue(list, 'killed');
    const lease = ['--label', 'killed', '--lease', '4s'];
    const doomed = worker('doomed', lease);
    const db = await fleet();
    let held: string | undefined;
    for (const until = Date.now() + 120_000; held === undefined; ) {
      if (Date.now() > until || doomed.child.exitCode !== null) throw new Error(`the worker did not claim a site: ${doomed.stderr()}`);
      const rows = await db.query<{ site: string }>("SELECT site FROM crawl_queue WHERE queue = 'killed' AND state = 'running' AND worker_name = 'doomed'");
      held = rows[0]?.site;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1500)); // in the middle of the visit
    doomed.child.kill('SIGKILL');
    const killedAt = Date.now();
    await doomed.exited;

    const rescuer = worker('rescuer', lease);
    const { code } = await rescuer.exited;
    expect(code, rescuer.stderr()).toBe(0);
    const rows = await db.query<{ site: string; state: string; attempt: number; worker_name: string; started_at: string }>(
      "SELECT site, state, attempt, worker_name, started_at FROM crawl_queue WHERE queue = 'killed' ORDER BY site",
    );
    expect(rows.every((r) => r.state === 'done' && r.worker_name === 'rescuer')).toBe(true);
    const retaken = rows.find((r) => r.site === held)!;
    expect(retaken.attempt).toBe(2);
    // Not before the dead worker's lease ran out (4 s after its last renewal, at most ~1.4 s before the kill).
    expect(Number(retaken.started_at)).toBeGreaterThan(killedAt + 4000 - 1500);
    // Every site once in the fleet, all by the rescuer: the killed worker ended nothing.
    const shipped = await shippedSites('killed');
    expect(shipped.map((s) => [s.site, s.name, s.state])).toEqual(list.slice().sort().map((s) => [s, 'rescuer', 'done']));
  }, 300_000);

  test('a plain crawl with --ship-to ships its sites too (no queue); a wrong password: one line, exit 1, not echoed', async () => {
    const r = await runCli(['crawl', 'blog-b.test', '--ship-to', url, '--instance-name', 'solo', '--pages', '0', '--modes', 'off', '--concurrency', '1',
      ...standIns(), '--ca-dir', join(dir, 'ca-solo'), '--data-dir', join(dir, 'data-solo')]);
    expect(r.code, r.stderr).toBe(0);
    const rows = await (await fleet()).query(
      `SELECT s.site, s.state, c.queue FROM crawl_sites s JOIN crawls c ON c.instance_id = s.instance_id AND c.id = s.crawl_id
       JOIN instance i ON i.id = s.instance_id WHERE i.name = 'solo'`,
    );
    expect(rows).toEqual([{ site: 'blog-b.test', state: 'done', queue: null }]);

    const wrong = new URL(url);
    wrong.password = 'Wr0ng-pw-314';
    const bad = await runCli(['crawl', '--worker', '--queue', wrong.href, '--data-dir', join(dir, 'data-wrong')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^pinaudit crawl: postgres:\/\/pinaudit@127\.0\.0\.1:\d+\/crawlq: password authentication failed/);
    expect(bad.stdout + bad.stderr).not.toContain('Wr0ng-pw-314');
  }, 180_000);

  test('with --follow a worker waits on an empty queue, crawls what is enqueued later, and SIGTERM ends it with 0', async () => {
    const follower = worker('follower', ['--label', 'later', '--follow']);
    await new Promise((r) => setTimeout(r, 4000));
    expect(follower.child.exitCode, follower.stderr()).toBeNull();
    await enqueue(['site-1.test'], 'later');
    const db = await fleet();
    for (const until = Date.now() + 120_000; ; ) {
      const rows = await db.query("SELECT state FROM crawl_queue WHERE queue = 'later'");
      if (rows[0]?.state === 'done') break;
      if (Date.now() > until || follower.child.exitCode !== null) throw new Error(`the follower did not crawl the site: ${follower.stderr()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 1000));
    expect(follower.child.exitCode).toBeNull();
    follower.child.kill('SIGTERM');
    expect((await follower.exited).code, follower.stderr()).toBe(0);
    expect(follower.stderr()).toContain('queue "later": site-1.test crawled');
    expect(await shippedSites('later')).toEqual([{ name: 'follower', site: 'site-1.test', state: 'done', requests: expect.any(Number) }]);
  }, 180_000);
});
