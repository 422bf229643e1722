/**
 * A failing stage in the running proxy: a stage that throws in every hook sits in the pipeline,
 * and requests through the real proxy are still answered, classified, decided and recorded
 * exactly once, and tunnels still pass. The proxy keeps serving afterwards.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ProxyAgent, request } from 'undici';
import { makeTestPki, type TestPki } from '../../bench/test-pki.js';
import { databasePath } from '../../src/app.js';
import type { Stage } from '../../src/pipeline.js';
import { openRawConnection } from '../../src/store/db.js';
import { connectVia, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { startHttpsUpstream, type Upstream } from '../helpers/upstream.js';

const thrown: string[] = [];
const broken: Stage = {
  name: 'broken',
  request: () => {
    thrown.push('request');
    throw new Error('request hook failed');
  },
  complete: () => {
    thrown.push('complete');
    throw new Error('complete hook failed');
  },
  tunnel: () => {
    thrown.push('tunnel');
    throw new Error('tunnel hook failed');
  },
};

let pki: TestPki;
let pinterest: Upstream;
let proxy: TestProxy;
let agent: ProxyAgent;

beforeAll(async () => {
  pki = makeTestPki();
  pinterest = await startHttpsUpstream(pki.server(['*.pinterest.com']));
  proxy = await startTestProxy(
    {
      'upstream-ca': join(pki.dir, 'root.pem'),
      'host-resolver-rules': `MAP *.pinterest.com:443 127.0.0.1:${pinterest.port}`,
    },
    { extraStages: [broken] },
  );
  agent = new ProxyAgent({ uri: proxy.url, requestTls: { ca: proxy.caPem } });
});

afterAll(async () => {
  await agent?.close();
  await proxy?.close();
  await pinterest?.close();
  pki?.cleanup();
});

describe('a stage that throws in every hook', () => {
  test('requests are still answered, classified, decided and recorded once each', async () => {
    const urls = [0, 1, 2].map((i) => `https://ct.pinterest.com/v3/?tid=2612345678901&event=checkout&n=${i}`);
    for (const url of urls) {
      const res = await request(url, { dispatcher: agent, headers: { referer: 'https://shop.example/cart' } });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    }
    await proxy.sink.waitForCompletions(3);
    expect(thrown.filter((t) => t === 'request')).toHaveLength(3);
    expect(thrown.filter((t) => t === 'complete')).toHaveLength(3);
    // The sink runs after the broken stage and sees the classification and the decision.
    for (const { flow, outcome } of proxy.sink.completions) {
      expect(flow.finding).toMatchObject({ category: 'tag', page: { site: 'shop.example' } });
      expect(flow.decision?.action).toBe('allow');
      expect(outcome.kind).toBe('response');
    }
    proxy.app.store.flush();
    const db = openRawConnection(databasePath({ dataDir: proxy.dataDir }));
    try {
      const ids = proxy.sink.completions.map((c) => c.flow.observation.id);
      const rows = db.prepare(`SELECT count(*) FROM requests WHERE flow_id IN (${ids.map(() => '?').join(',')})`).pluck().get(...ids);
      expect(rows).toBe(3);
    } finally {
      db.close();
    }
  });

  test('a tunnel still passes, and the proxy keeps serving', async () => {
    const { status, socket } = await connectVia(proxy.port, `127.0.0.1:${pinterest.port}`);
    socket.destroy();
    expect(status).toBe(200);
    expect(thrown).toContain('tunnel');
    const res = await request('https://ct.pinterest.com/v3/?tid=1', { dispatcher: agent });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  });
});
