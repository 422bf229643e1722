/**
 * `report` and `export` with --source read the fleet's PostgreSQL: over two shipped instances they
 * give the sums of the two local answers, with --instance exactly that instance's own; a fleet
 * database that cannot be read is one line and exit 1, never the password.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPostgres, type TestPostgres } from '../../bench/postgres.js';
import { dashboardCommand } from '../../src/commands/dashboard.js';
import { exportCommand } from '../../src/commands/export.js';
import { reportCommandAt, type Report } from '../../src/commands/report.js';
import { parseCsv } from '../helpers/csv.js';
import { runIn } from '../helpers/command.js';
import { twoInstanceFleet, type Member, type TwoInstanceFleet } from '../web/fleet-seed.js';

let pg: TestPostgres;
let f: TwoInstanceFleet;
beforeAll(async () => {
  pg = await startPostgres();
  f = await twoInstanceFleet(pg, 'cli');
});
afterAll(async () => {
  await f?.close();
  pg?.close();
});

async function report(args: string[]): Promise<Report> {
  const run = await runIn(reportCommandAt(() => f.now), ['--json', '--since', 'all', '--limit', '100', ...args]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as Report;
}
const local = (m: Member): string[] => ['--data-dir', m.instance.dir];
const source = (): string[] => ['--source', f.url];

describe('report --source', () => {
  test('--json over the fleet: counts are the sums of the two instances\' reports', async () => {
    const [a, b, fleet] = [await report(local(f.a)), await report(local(f.b)), await report(source())];
    const sites = (r: Report, reached: boolean): string[] => r.topSites.filter((s) => (reached ? s.reachedLeaks : s.attemptedLeaks) > 0).map((s) => s.site);
    for (const key of Object.keys(a.totals) as Array<keyof Report['totals']>) {
      const union = key === 'attemptedSites' || key === 'reachedSites' ? new Set([...sites(a, key === 'reachedSites'), ...sites(b, key === 'reachedSites')]).size : null;
      expect(fleet.totals[key], key).toBe(union ?? a.totals[key] + b.totals[key]);
    }
    for (const s of fleet.topSites) {
      const [x, y] = [a.topSites.find((v) => v.site === s.site), b.topSites.find((v) => v.site === s.site)];
      expect(s.attemptedLeaks, s.site).toBe((x?.attemptedLeaks ?? 0) + (y?.attemptedLeaks ?? 0));
      expect(s.reachedLeaks, s.site).toBe((x?.reachedLeaks ?? 0) + (y?.reachedLeaks ?? 0));
    }
    const pages = (r: Report): string[] => r.topPages.map((p) => `${p.url} ${p.attemptedRequests} ${p.reachedRequests}`).sort();
    expect(pages(fleet)).toEqual([...pages(a), ...pages(b)].sort());
    for (const key of ['blocked', 'stripped', 'preventedLeaks', 'preventedIdentifiers', 'preventedPages'] as const) {
      expect(fleet.blocking[key], key).toBe(a.blocking[key] + b.blocking[key]);
    }
    expect(fleet.identifiers.length).toBe(a.identifiers.length + b.identifiers.length);
  });

  test('--instance gives that instance\'s own report', async () => {
    expect(await report([...source(), '--instance', 'lab-b'])).toEqual(await report(local(f.b)));
  });

  test('the text report over the fleet says the same numbers', async () => {
    const run = await runIn(reportCommandAt(() => f.now), ['--since', 'all', ...source()]);
    expect(run.code).toBe(0);
    const fleet = await report(source());
    expect(run.stdout).toMatch(new RegExp(`leaks \\(page or identifiers\\)\\s+${fleet.totals.attemptedLeaks}\\s+${fleet.totals.reachedLeaks}\\s+${fleet.totals.preventedLeaks}`));
  });
});

describe('export --source', () => {
  test('the CSV over the fleet holds both instances\' rows; --instance is that instance\'s export', async () => {
    const csv = async (args: string[]): Promise<string[][]> => {
      const run = await runIn(exportCommand, args);
      expect(run.code, run.stderr).toBe(0);
      return parseCsv(run.stdout);
    };
    const [a, b, fleet] = [await csv(local(f.a)), await csv(local(f.b)), await csv(source())];
    expect(fleet[0]).toEqual(a[0]);
    expect(fleet.length - 1).toBe(a.length - 1 + b.length - 1);
    const flow = a[0]!.indexOf('flow_id');
    expect(fleet.slice(1).map((r) => r[flow]).sort()).toEqual([...a.slice(1), ...b.slice(1)].map((r) => r[flow]).sort());
    expect(await csv([...source(), '--instance', 'lab-a'])).toEqual(a);
  });
});

describe('a fleet database that cannot be read', () => {
  test('unreachable, no schema, unknown instance: one line, exit 1, no password', async () => {
    const down = `postgres://pinaudit:${pg.password}@127.0.0.1:1/fleet`;
    const empty = pg.createDatabase('empty');
    const cases: Array<[typeof exportCommand | ReturnType<typeof reportCommandAt>, string[], RegExp]> = [
      [reportCommandAt(Date.now), ['--source', down], /^pinaudit report: postgres:\/\/pinaudit@127\.0\.0\.1:1\/fleet: .*ECONNREFUSED/],
      [exportCommand, ['--source', down], /^pinaudit export: postgres:\/\/pinaudit@127\.0\.0\.1:1\/fleet: /],
      [reportCommandAt(Date.now), ['--source', empty], /lacks migrations 001-fleet.*run "pinaudit fleet migrate"/],
      [reportCommandAt(Date.now), ['--source', f.url, '--instance', 'lab-z'], /no instance named "lab-z" ships to postgres:\/\/pinaudit@/],
    ];
    for (const [command, args, message] of cases) {
      const run = await runIn(command, args);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toContain(pg.password);
    }
    const dash = await runIn(dashboardCommand, ['--source', down]);
    expect(dash.code).toBe(1);
    expect(dash.stderr).toMatch(/^pinaudit dashboard: postgres:\/\/pinaudit@127\.0\.0\.1:1\/fleet: /);
    expect(dash.stderr).not.toContain(pg.password);
  });

  test('--instance without --source, and dashboard without --source, are usage errors', async () => {
    expect((await runIn(reportCommandAt(Date.now), ['--instance', 'lab-a'])).code).toBe(2);
    const dash = await runIn(dashboardCommand, []);
    expect(dash.code).toBe(2);
    expect(dash.stderr).toMatch(/--source postgres:\/\//);
  });

  test('--crawl with --source is a usage error naming both, for report and export', async () => {
    for (const command of [reportCommandAt(Date.now), exportCommand]) {
      const run = await runIn(command, ['--crawl', '1', '--source', 'postgres://pinaudit@127.0.0.1:1/fleet']);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/--crawl reads the crawls of this machine; it cannot be combined with --source/);
    }
  });
});
