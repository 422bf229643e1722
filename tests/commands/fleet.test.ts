/**
 * `pinaudit fleet migrate|status|prune` against a real PostgreSQL, and `pinaudit start --ship-to`
 * as a real process: the banner names the fleet database without its password, and no output or
 * log line ever holds it, also when the server refuses the password.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fleetCommand } from '../../src/commands/fleet.js';
import { connectFleet, fleetTarget } from '../../src/fleet/pg.js';
import { startShipper } from '../../src/fleet/shipper.js';
import { flowFor } from '../helpers/findings.js';
import { spawnCli } from '../helpers/cli.js';
import { runIn } from '../helpers/command.js';
import { startPostgres, type TestPostgres } from '../../bench/postgres.js';
import { capturedLogger, localInstance } from '../fleet/fleet-helpers.js';

let pg: TestPostgres;
let root: string;
beforeAll(async () => {
  pg = await startPostgres();
  root = mkdtempSync(join(tmpdir(), 'pinaudit-fleet-cli-'));
});
afterAll(() => {
  pg?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

const DAY = 86_400_000;

describe('pinaudit fleet', () => {
  test('migrate creates the schema once, then says it is up to date; the password is never printed', async () => {
    const url = pg.createDatabase('cli_migrate');
    const first = await runIn(fleetCommand, ['migrate', url]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/applied 001-fleet\.sql, 002-crawl-queue\.sql, 003-crawls\.sql/);
    const again = await runIn(fleetCommand, ['migrate', url]);
    expect(again.stdout).toMatch(/is up to date \(3 migrations\)/);
    for (const out of [first, again]) expect(out.stdout + out.stderr).not.toContain(pg.password);
    // The URL may leave the password to PGPASSWORD, and come from PINAUDIT_SHIP_TO.
    const viaEnv = await runIn(fleetCommand, ['status'], { env: { PINAUDIT_SHIP_TO: url.replace(`:${encodeURIComponent(pg.password)}@`, '@'), PGPASSWORD: pg.password } });
    expect(viaEnv).toMatchObject({ code: 0, stdout: `postgres://pinaudit@127.0.0.1:${pg.port}/cli_migrate: 0 instances\n` });
  });

  test('usage errors and an unreachable server: one line, exit 2 or 1, no password', async () => {
    expect(await runIn(fleetCommand, [])).toMatchObject({ code: 2 });
    expect((await runIn(fleetCommand, ['dance', pg.url])).stderr).toMatch(/unknown action "dance"/);
    expect((await runIn(fleetCommand, ['status'])).stderr).toMatch(/give the fleet database/);
    const bad = await runIn(fleetCommand, ['status', 'mysql://u:hunter2@h/d']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).not.toContain('hunter2');
    const down = await runIn(fleetCommand, ['migrate', `postgres://pinaudit:${pg.password}@127.0.0.1:1/x`]);
    expect(down.code).toBe(1);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    expect(down.stderr).not.toContain(pg.password);
    const unmigrated = await runIn(fleetCommand, ['status', pg.createDatabase('cli_empty')]);
    expect(unmigrated).toMatchObject({ code: 1 });
    expect(unmigrated.stderr).toMatch(/run "pinaudit fleet migrate"/);
  });

  test('status lists the instances; prune removes old raw rows of every instance and keeps the counts', async () => {
    const url = pg.createDatabase('cli_prune');
    const now = Date.now();
    const instances = [localInstance(), localInstance()];
    try {
      for (const [n, i] of instances.entries()) {
        for (const t of [now - 40 * DAY, now - 40 * DAY + 1, now - 1000]) {
          const flow = flowFor(`site${n}.example`, t);
          i.store.record(flow);
          i.store.complete(flow, { kind: 'response', status: 200, bytes: 1 });
        }
        i.store.flush();
        const s = startShipper({ dbPath: i.dbPath, target: fleetTarget(url, {}), name: `lab-${n}`, log: capturedLogger().log, intervalMs: 60_000 });
        await s.drain();
        await s.close();
      }
      const status = await runIn(fleetCommand, ['status', url]);
      expect(status.stdout).toMatch(/2 instances\n {2}lab-0 {2}\S+ {2}3 requests stored/);
      const before = new Date(now - 30 * DAY).toISOString().slice(0, 10);
      const dry = await runIn(fleetCommand, ['prune', url, '--before', before]);
      expect(dry).toMatchObject({ code: 2 });
      expect(dry.stderr).toContain('This would remove 4 raw requests');
      const done = await runIn(fleetCommand, ['prune', url, '--before', before, '--yes']);
      expect(done).toMatchObject({ code: 0 });
      expect(done.stdout).toMatch(/4 requests/);
      const db = await connectFleet(fleetTarget(url, {}));
      try {
        expect(await db.query('SELECT instance_id, count(*)::int AS n FROM requests GROUP BY 1')).toHaveLength(2);
        expect(await db.query('SELECT sum(requests)::int AS n FROM daily_totals')).toEqual([{ n: 6 }]);
        expect(await db.query('SELECT count(*)::int AS n FROM request_identifiers ri WHERE NOT EXISTS (SELECT 1 FROM requests r WHERE r.instance_id = ri.instance_id AND r.id = ri.request_id)')).toEqual([{ n: 0 }]);
      } finally {
        await db.close();
      }
      expect((await runIn(fleetCommand, ['prune', url, '--before', '2025-13-45', '--yes'])).code).toBe(2);
    } finally {
      for (const i of instances) i.close();
    }
  });
});

describe('pinaudit start --ship-to', () => {
  test('names the fleet database without its password; a refused password is logged without it and the proxy keeps running', async () => {
    const wrong = `postgres://pinaudit:wrong-${pg.password}@127.0.0.1:${pg.port}/postgres`;
    const p = spawnCli([
      'start', '--proxy-port', '0', '--dashboard-port', '0', '--log-level', 'debug',
      '--ca-dir', join(root, 'ca'), '--data-dir', join(root, 'data'), '--ship-to', wrong, '--instance-name', 'lab-7',
    ]);
    try {
      const out = await p.waitFor(/Press Ctrl\+C/);
      expect(out).toMatch(new RegExp(`fleet\\s+postgres://pinaudit@127\\.0\\.0\\.1:${pg.port}/postgres, instance lab-7 \\([0-9a-f-]{36}\\)`));
      await p.waitFor(/cannot ship to the fleet database/, 15_000);
      expect(p.stdout()).toMatch(/password authentication failed/);
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
    }
    expect(p.stdout() + p.stderr()).not.toContain(pg.password);
  });
});
