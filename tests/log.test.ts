/**
 * The log never carries a cookie, an authorization header or a credential's value in a URL, at
 * any depth of any logged object, and the real output of a running proxy at `trace` shows none.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ProxyAgent, request } from 'undici';
import { makeTestPki, type TestPki } from '../bench/test-pki.js';
import { startApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger, routeConsole } from '../src/log.js';
import type { Stage } from '../src/pipeline.js';
import { startHttpsUpstream, type Upstream } from './helpers/upstream.js';

const SECRETS = ['SESSIONSECRET1', 'AUTHSECRET2', 'CSRFSECRET3', 'QUERYAUTH4', 'PROXYAUTH5', 'SETCOOKIE6'];

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('redaction', () => {
  test('secrets are censored at any depth, in arrays, in URLs and in the message', async () => {
    const out = capture();
    const log = createLogger('trace', out.stream);
    log.info(
      {
        flow: { req: { headers: { cookie: '_pinterest_sess=SESSIONSECRET1', Authorization: 'Bearer AUTHSECRET2' } } },
        list: [{ deeper: { still: { 'set-cookie': ['a=SETCOOKIE6'] } } }],
        url: 'https://ct.pinterest.com/v3/?tid=2612345678901&csrftoken=CSRFSECRET3',
        err: new Error('failed for https://x.test/?_auth=QUERYAUTH4'),
      },
      'request to https://ct.pinterest.com/?_pinterest_sess=QUERYAUTH4&tid=1 failed',
    );
    log.debug({ headers: { 'proxy-authorization': 'Basic PROXYAUTH5' } }, 'plain');
    await new Promise((r) => setImmediate(r));
    const text = out.text();
    for (const s of SECRETS) expect(text).not.toContain(s);
    expect(text).toContain('tid=2612345678901');
    expect(text).toContain('[redacted]');
  });
});

describe('the running proxy at trace', () => {
  let root: string;
  let pki: TestPki;
  let upstream: Upstream;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'pinaudit-log-'));
    pki = makeTestPki();
    upstream = await startHttpsUpstream(pki.server(['*.pinterest.com']));
  });
  afterAll(async () => {
    await upstream?.close();
    pki?.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  test('logs none of the cookie, authorization or credential query values it carried', async () => {
    const out = capture();
    const log = createLogger('trace', out.stream);
    const restore = routeConsole(log);
    // A stage that fails on every request, so the error paths log too.
    const failing: Stage = {
      name: 'failing',
      request: (flow) => {
        throw new Error(`cannot handle ${flow.observation.url} ${JSON.stringify(flow.observation.headers)}`);
      },
    };
    const config = loadConfig(
      {
        'proxy-port': '0',
        'dashboard-port': '0',
        'ca-dir': join(root, 'ca'),
        'data-dir': join(root, 'data'),
        'upstream-ca': pki.caPath,
        'host-resolver-rules': `MAP gone.pinterest.com ~NOTFOUND, MAP *.pinterest.com 127.0.0.1:${upstream.port}`,
        'log-level': 'trace',
      },
      {},
    );
    const app = await startApp(config, log, { extraStages: [failing] });
    const agent = new ProxyAgent({ uri: `http://127.0.0.1:${app.proxy.port}`, token: 'Basic PROXYAUTH5', requestTls: { ca: app.ca.certPem } });
    const headers = {
      cookie: '_pinterest_sess=SESSIONSECRET1; csrftoken=CSRFSECRET3',
      authorization: 'Bearer AUTHSECRET2',
    };
    try {
      for (const url of [
        'https://ct.pinterest.com/v3/?tid=2612345678901&_pinterest_sess=QUERYAUTH4',
        'https://gone.pinterest.com/?csrftoken=QUERYAUTH4',
        'http://ct.pinterest.com/v3/?_auth=QUERYAUTH4',
      ]) {
        const res = await request(url, { dispatcher: agent, headers });
        await res.body.dump();
      }
    } finally {
      await agent.close();
      await app.close();
      restore();
    }
    await new Promise((r) => setTimeout(r, 50));
    const text = out.text();
    expect(text).toMatch(/pipeline stage failed/);
    for (const s of SECRETS) expect(text).not.toContain(s);
  });
});
