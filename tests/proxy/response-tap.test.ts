/**
 * The response tap in the running proxy: only flows a stage asked about are copied, the copy is
 * bounded and made of the bytes as sent, the client still gets the whole answer, and the person's
 * settings answer (gzip'ed) ends up as switch readings in the database.
 */
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ProxyAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTestPki, type TestPki } from '../../bench/test-pki.js';
import { RESPONSE_LIMIT, type Flow, type ResponseBody, type ResponseHead, type Stage } from '../../src/pipeline.js';
import { openDatabase } from '../../src/store/db.js';
import { readSwitchHistory } from '../../src/store/switches.js';
import { GET_URL, ownHeaders, resourceAnswer, resourceForm, SETTINGS_DATA } from '../advice/fixtures.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { startHttpsUpstream, type Upstream } from '../helpers/upstream.js';

const BIG = Buffer.alloc(RESPONSE_LIMIT * 3, 'x');

let pki: TestPki;
let pinterest: Upstream;
let proxy: TestProxy;
let agent: ProxyAgent;
const taps: Array<{ flow: Flow; head: ResponseHead; body: ResponseBody }> = [];

// A stage that asks for the answer of /big and /small only.
const asking: Stage = {
  name: 'asking',
  request(flow) {
    if (/\/(big|small)$/.test(new URL(flow.observation.url).pathname)) flow.wantsResponse = true;
  },
  response(flow, head, body) {
    taps.push({ flow, head, body });
  },
};

beforeAll(async () => {
  pki = makeTestPki();
  pinterest = await startHttpsUpstream(pki.server(['*.pinterest.com']), (req, res) => {
    const path = req.url ?? '/';
    if (path.startsWith('/resource/UserSettingsResource/get/')) {
      const zipped = gzipSync(resourceAnswer(SETTINGS_DATA));
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': zipped.length });
      res.end(zipped);
    } else if (path === '/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(BIG);
    } else {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': 'yes' });
      res.end('small answer');
    }
  });
  proxy = await startTestProxy(
    { 'upstream-ca': join(pki.dir, 'root.pem'), 'host-resolver-rules': `MAP *.pinterest.com:443 127.0.0.1:${pinterest.port}` },
    { extraStages: [asking] },
  );
  agent = new ProxyAgent({ uri: proxy.url, requestTls: { ca: proxy.caPem } });
});

afterAll(async () => {
  await agent?.close();
  await proxy?.close();
  await pinterest?.close();
  pki?.cleanup();
});

async function fetchVia(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Buffer> {
  const start = proxy.sink.completions.length;
  const res = await request(url, { dispatcher: agent, method: (init.method ?? 'GET') as 'GET', headers: init.headers ?? {}, body: init.body ?? null });
  const body = Buffer.from(await res.body.arrayBuffer());
  await proxy.sink.waitForCompletions(start + 1);
  return body;
}

describe('response tap', () => {
  test('an answer nobody asked for is not copied', async () => {
    const before = taps.length;
    expect((await fetchVia('https://www.pinterest.com/other')).toString()).toBe('small answer');
    expect(taps.length).toBe(before);
  });

  test('an asked-for answer reaches the hook with its head and body', async () => {
    await fetchVia('https://www.pinterest.com/small');
    await expect.poll(() => taps.length).toBeGreaterThan(0);
    const tap = taps[taps.length - 1]!;
    expect(tap.head.status).toBe(200);
    expect(tap.head.headers['x-upstream']).toBe('yes');
    expect(tap.body).toEqual({ bytes: Buffer.from('small answer'), truncated: false });
  });

  test('a long answer is copied up to the bound, and the client still gets all of it', async () => {
    const before = taps.length;
    const body = await fetchVia('https://www.pinterest.com/big');
    expect(body.equals(BIG)).toBe(true);
    await expect.poll(() => taps.length).toBe(before + 1);
    const tap = taps[before]!;
    expect(tap.body.truncated).toBe(true);
    expect(tap.body.bytes.length).toBe(RESPONSE_LIMIT);
  });

  test('the person’s settings answer (gzip) becomes switch readings; the client gets it untouched', async () => {
    const body = await fetchVia(GET_URL, { method: 'POST', headers: { ...ownHeaders(), 'content-type': 'application/x-www-form-urlencoded' }, body: resourceForm({}) });
    expect(JSON.parse(gunzipSync(body).toString())).toEqual(JSON.parse(resourceAnswer(SETTINGS_DATA)));
    proxy.app.store.flush();
    const { db } = openDatabase(join(proxy.dataDir, 'pinaudit.db'), { readonly: true });
    try {
      const rows = readSwitchHistory(db);
      expect(rows.map((r) => [r.field, r.state, r.how])).toEqual([
        ['personalize_from_offsite_browsing', true, 'read'],
        ['ads_customize_from_conversion', false, 'read'],
        ['third_party_marketing_tracking_enabled', true, 'read'],
        ['exclude_from_search', false, 'read'],
      ]);
      expect(rows[0]?.account).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      db.close();
    }
  });
});
