import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PinauditError } from '../../src/errors.js';
import { connectFleet, fleetTarget } from '../../src/fleet/pg.js';
import { startPostgres, type TestPostgres } from '../../bench/postgres.js';

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(() => pg?.close());

async function failure(p: Promise<unknown>): Promise<PinauditError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(PinauditError);
  return err as PinauditError;
}

describe('fleet URLs and credentials', () => {
  test('the label names server and database without the password', () => {
    const t = fleetTarget('postgres://audit:s3cr%40t@db.lab:6543/fleet', {});
    expect(t.label).toBe('postgres://audit@db.lab:6543/fleet');
    expect(t.config).toMatchObject({ host: 'db.lab', port: 6543, user: 'audit', password: 's3cr@t', database: 'fleet' });
  });

  test('what the URL leaves out comes from the PG* variables; the URL wins', () => {
    const env = { PGHOST: 'env-host', PGPORT: '7000', PGUSER: 'envuser', PGPASSWORD: 'envpw', PGDATABASE: 'envdb' };
    expect(fleetTarget('postgres://', env).config).toMatchObject({ host: 'env-host', port: 7000, user: 'envuser', password: 'envpw', database: 'envdb' });
    expect(fleetTarget('postgresql://u@h/d', env).config).toMatchObject({ host: 'h', port: 7000, user: 'u', password: 'envpw', database: 'd' });
  });

  test('anything but a postgres URL is a configuration error naming the option, never echoing it', () => {
    for (const bad of ['mysql://u:hunter2@h/d', 'not a url hunter2', 'postgres://u:hunter2@h:99999/d']) {
      let caught: unknown;
      try {
        fleetTarget(bad, {}, 'source');
      } catch (err) {
        caught = err;
      }
      expect((caught as PinauditError).code).toBe('CONFIG');
      expect((caught as PinauditError).message).toMatch(/^--source: /);
      expect((caught as PinauditError).message).not.toContain('hunter2');
    }
  });

  test('connects with the password from the URL, or from PGPASSWORD', async () => {
    const db = await connectFleet(fleetTarget(pg.url, {}));
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await db.close();
    const bare = `postgres://pinaudit@127.0.0.1:${pg.port}/postgres`;
    const viaEnv = await connectFleet(fleetTarget(bare, { PGPASSWORD: pg.password }));
    expect(await viaEnv.query('SELECT current_user AS u')).toEqual([{ u: 'pinaudit' }]);
    await viaEnv.close();
  });

  test('a wrong password or a server that is not there fails with a message free of the password', async () => {
    const wrong = await failure(connectFleet(fleetTarget(`postgres://pinaudit:not-the-${pg.password}@127.0.0.1:${pg.port}/postgres`, {})));
    expect(wrong.code).toBe('FLEET_UNREACHABLE');
    expect(wrong.message).toContain(`postgres://pinaudit@127.0.0.1:${pg.port}/postgres`);
    expect(wrong.message).toMatch(/password authentication failed/);
    expect(wrong.message).not.toContain(pg.password);
    const down = await failure(connectFleet(fleetTarget(`postgres://pinaudit:${pg.password}@127.0.0.1:1/postgres`, {})));
    expect(down.code).toBe('FLEET_UNREACHABLE');
    expect(down.message).not.toContain(pg.password);
  });

  test('a failing statement is FLEET_QUERY and leaves the connection usable', async () => {
    const db = await connectFleet(fleetTarget(pg.url, {}));
    try {
      const err = await failure(db.query('SELECT * FROM no_such_table'));
      expect(err.code).toBe('FLEET_QUERY');
      expect(db.broken).toBe(false);
      await expect(db.transaction(async () => db.query('SELECT nope'))).rejects.toThrow(/nope/);
      expect(await db.query('SELECT 2 AS two')).toEqual([{ two: 2 }]);
    } finally {
      await db.close();
    }
  });
});
