/**
 * The shared crawl queue on a real PostgreSQL: concurrent workers never share a site, a worker
 * killed with SIGKILL mid-site gives it back after its lease, and a worker that lost its lease
 * cannot end the site another worker now holds.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { migrateFleet } from '../../src/fleet/migrate.js';
import { connectFleet, fleetTarget, type FleetDb } from '../../src/fleet/pg.js';
import { FleetQueue, type Lease } from '../../src/fleet/queue.js';
import { requireBuild } from '../helpers/cli.js';
import { startPostgres, type TestPostgres } from '../../bench/postgres.js';

let pg: TestPostgres;
let url: string;
const open: FleetDb[] = [];
beforeAll(async () => {
  pg = await startPostgres();
  url = pg.createDatabase('queue');
  const db = await connect();
  await migrateFleet(db);
});
afterAll(async () => {
  for (const db of open) await db.close();
  pg?.close();
});

async function connect(): Promise<FleetDb> {
  const db = await connectFleet(fleetTarget(url, {}));
  open.push(db);
  return db;
}

async function worker(queue: string, name: string, leaseMs = 60_000): Promise<FleetQueue> {
  return new FleetQueue(await connect(), { queue, worker: { id: `id-${name}`, name }, leaseMs, maxAttempts: 3 });
}

const sites = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ url: `https://${tag}${i}.example/`, site: `${tag}${i}.example` }));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('the shared crawl queue', () => {
  test('enqueueing twice adds each site once', async () => {
    const q = await worker('twice', 'w');
    expect(await q.enqueue(sites(300, 'a'))).toBe(300);
    expect(await q.enqueue(sites(310, 'a'))).toBe(10);
    expect(await q.progress()).toEqual({ total: 310, pending: 310, running: 0, done: 0, failed: 0 });
  });

  test('six workers racing through 400 sites: each site is claimed once, by one worker', async () => {
    const first = await worker('race', 'w0');
    await first.enqueue(sites(400, 'r'));
    const workers = [first, ...(await Promise.all([1, 2, 3, 4, 5].map((n) => worker('race', `w${n}`))))];
    const claimed: string[] = [];
    await Promise.all(
      workers.map(async (w) => {
        for (let lease = await w.claim(); lease !== null; lease = await w.claim()) {
          claimed.push(lease.site.url);
          expect(await lease.finish()).toBe(true);
        }
      }),
    );
    expect(claimed).toHaveLength(400);
    expect(new Set(claimed).size).toBe(400);
    expect(await first.progress()).toMatchObject({ total: 400, done: 400, pending: 0, running: 0 });
  });

  test('a worker SIGKILLed mid-site: nobody else gets that site during its lease, then another worker crawls it once', async () => {
    const b = await worker('killed', 'b', 60_000);
    await b.enqueue(sites(3, 'k'));
    requireBuild();
    const child = spawnWorker('killed', 1500);
    const claimedLine = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      child.once('exit', (code) => reject(new Error(`worker exited ${code}: ${out}`)));
    });
    const killedUrl = claimedLine.replace(/^claimed /, '');
    child.kill('SIGKILL');
    // The two other sites go to B; the killed worker's site is still leased.
    const others: Lease[] = [];
    for (let lease = await b.claim(); lease !== null; lease = await b.claim()) others.push(lease);
    expect(others.map((l) => l.site.url).sort()).toEqual(sites(3, 'k').map((s) => s.url).filter((u) => u !== killedUrl).sort());
    for (const l of others) await l.finish();
    await sleep(1700);
    const retaken = await b.claim();
    expect(retaken?.site).toMatchObject({ url: killedUrl, attempt: 2 });
    expect(await retaken!.finish()).toBe(true);
    expect(await b.claim()).toBeNull();
    const db = await connect();
    const rows = await db.query("SELECT url, state, attempt, worker_name FROM crawl_queue WHERE queue = 'killed' ORDER BY url");
    expect(rows.every((r) => r.state === 'done' && r.worker_name === 'b')).toBe(true);
    expect(rows.find((r) => r.url === killedUrl)?.attempt).toBe(2);
  });

  test('a lease is renewed while the worker works, and a worker that lost its lease cannot end the site', async () => {
    const a = await worker('fence', 'a', 2000);
    const b = await worker('fence', 'b', 2000);
    await a.enqueue(sites(1, 'f'));
    const held = await a.claim();
    await sleep(4500); // past two leases: renewed every third of one meanwhile
    expect(await b.claim()).toBeNull();
    expect(held!.lost).toBe(false);
    held!.release(); // A stalls: no more renewals
    await sleep(2500);
    const taken = await b.claim();
    expect(taken?.site.attempt).toBe(2);
    expect(await held!.finish()).toBe(false);
    expect(held!.lost).toBe(true);
    expect(await taken!.fail('the page crashed the browser')).toBe(true);
    expect(await a.progress()).toMatchObject({ failed: 1 });
  });

  test('a site whose workers keep dying is failed after the last attempt, not handed out for ever', async () => {
    const w = await worker('dying', 'w', 200);
    await w.enqueue(sites(1, 'd'));
    for (let i = 1; i <= 3; i++) {
      const lease = await w.claim();
      expect(lease?.site.attempt).toBe(i);
      lease!.release();
      await sleep(350);
    }
    expect(await w.claim()).toBeNull();
    const db = await connect();
    expect(await db.query("SELECT state, error FROM crawl_queue WHERE queue = 'dying'")).toEqual([
      { state: 'failed', error: 'its worker stopped answering 3 times' },
    ]);
  });
});

/** A separate worker process (the compiled modules) that claims one site and then hangs. */
function spawnWorker(queue: string, leaseMs: number) {
  const dist = (p: string): string => fileURLToPath(new URL(`../../dist/src/fleet/${p}`, import.meta.url));
  const script = `
    const { connectFleet, fleetTarget } = await import(${JSON.stringify(dist('pg.js'))});
    const { FleetQueue } = await import(${JSON.stringify(dist('queue.js'))});
    const db = await connectFleet(fleetTarget(process.env.FLEET_URL, {}));
    const q = new FleetQueue(db, { queue: ${JSON.stringify(queue)}, worker: { id: 'id-doomed', name: 'doomed' }, leaseMs: ${leaseMs} });
    const lease = await q.claim();
    process.stdout.write('claimed ' + lease.site.url + '\\n');
    setInterval(() => {}, 1000);`;
  return spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, FLEET_URL: url }, stdio: ['ignore', 'pipe', 'inherit'] });
}
