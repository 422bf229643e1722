/**
 * Two real proxies (`--ship-to`, `--instance-name`) record real requests through the proxy into
 * their own SQLite and ship them to one PostgreSQL: each instance's rows arrive whole, and the
 * fleet's numbers are the sums of the two local stores'.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ProxyAgent, request } from 'undici';
import { makeTestPki, type TestPki } from '../../bench/test-pki.js';
import { databasePath } from '../../src/app.js';
import { connectFleet, fleetTarget } from '../../src/fleet/pg.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { startPostgres, type TestPostgres } from '../../bench/postgres.js';
import { startHttpsUpstream, type Upstream } from '../helpers/upstream.js';
import { fleetTotals, localTotals, sum } from './fleet-helpers.js';

let pg: TestPostgres;
let pki: TestPki;
let pinterest: Upstream;
const proxies: TestProxy[] = [];
beforeAll(async () => {
  pg = await startPostgres();
  pki = makeTestPki();
  pinterest = await startHttpsUpstream(pki.server(['*.pinterest.com']));
});
afterAll(async () => {
  for (const p of proxies) await p.close();
  await pinterest?.close();
  pki?.cleanup();
  pg?.close();
});

describe('proxies shipping to one fleet database', () => {
  test('requests through two proxies arrive once each, under their instance; the fleet is the sum', async () => {
    const url = pg.createDatabase('proxies');
    for (const name of ['office-1', 'office-2']) {
      proxies.push(
        await startTestProxy({
          'upstream-ca': join(pki.dir, 'root.pem'),
          'host-resolver-rules': `MAP *.pinterest.com:443 127.0.0.1:${pinterest.port}`,
          'ship-to': url,
          'instance-name': name,
        }),
      );
    }
    for (const [n, proxy] of proxies.entries()) {
      const agent = new ProxyAgent({ uri: proxy.url, requestTls: { ca: proxy.caPem } });
      try {
        for (let i = 0; i < 5 + n * 3; i++) {
          const res = await request(`https://ct.pinterest.com/v3/?tid=261234567890${n}&event=pagevisit`, {
            dispatcher: agent,
            headers: { referer: `https://shop${i % 2}.example/item/${i}`, cookie: '_pinterest_ct_ua=abc' },
          });
          await res.body.dump();
        }
        await proxy.sink.waitForCompletions(5 + n * 3);
      } finally {
        await agent.close();
      }
    }
    for (const proxy of proxies) {
      proxy.app.store.flush();
      await proxy.app.shipper!.drain();
      expect(proxy.app.shipper!.status()).toMatchObject({ waiting: 0, lastError: null });
    }
    const [a, b] = proxies.map((p) => localTotals(databasePath({ dataDir: p.dataDir })));
    expect(a!.requests).toBe(5);
    expect(b!.requests).toBe(8);
    const db = await connectFleet(fleetTarget(url, {}));
    try {
      expect(await db.query('SELECT name FROM instance ORDER BY name')).toEqual([{ name: 'office-1' }, { name: 'office-2' }]);
      expect(await fleetTotals(db, proxies[0]!.app.shipper!.instanceId)).toEqual(a);
      expect(await fleetTotals(db, proxies[1]!.app.shipper!.instanceId)).toEqual(b);
      expect(await fleetTotals(db, null)).toEqual(sum(a!, b!));
    } finally {
      await db.close();
    }
  });
});
