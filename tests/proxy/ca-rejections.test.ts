/**
 * Clients that use the proxy but do not trust pinaudit's CA: curl (an `unknown_ca` alert) and
 * undici (a hang-up after the certificate, no alert) through the real proxy are counted per host,
 * logged once per host at info level, and shown by /api/setup; trusting clients and hang-ups
 * before the certificate are not counted; the per-host table is capped.
 */
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ProxyAgent, request } from 'undici';
import { createLogger } from '../../src/log.js';
import { CaRejections, isCertificateAlert } from '../../src/proxy/ca-rejections.js';
import type { CaRejectionSummary } from '../../src/proxy/ca-rejections.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';

const run = promisify(execFile);
const MESSAGE = "a client rejected pinaudit's CA for ct.pinterest.com";

describe('CaRejections', () => {
  test('counts per host, calls onFirst once per host, and caps the table (later hosts only in the total)', () => {
    const first: string[] = [];
    const r = new CaRejections({ maxHosts: 2, onFirst: (h) => first.push(h), now: () => 1000 });
    for (const host of ['a.pinterest.com', 'b.pinterest.com', 'a.pinterest.com', 'c.pinterest.com', 'd.pinterest.com', 'c.pinterest.com']) r.record(host);
    expect(first).toEqual(['a.pinterest.com', 'b.pinterest.com']);
    expect(r.summary()).toEqual({
      total: 6,
      lastAt: 1000,
      hosts: [{ host: 'a.pinterest.com', count: 2, lastAt: 1000 }, { host: 'b.pinterest.com', count: 1, lastAt: 1000 }],
      moreHosts: 0,
      untracked: 3,
    });
    expect(r.summary(1).moreHosts).toBe(1);
    expect([r.countOf('a.pinterest.com'), r.countOf('c.pinterest.com')]).toEqual([2, 0]);
  });

  test('a pinned host is tracked beyond the cap (a flood of names cannot hide the setup check)', () => {
    const r = new CaRejections({ maxHosts: 1, pinned: ['check.pinaudit.invalid'] });
    r.record('a.pinterest.com');
    r.record('b.pinterest.com');
    r.record('check.pinaudit.invalid');
    expect(r.countOf('check.pinaudit.invalid')).toBe(1);
    expect(r.summary().untracked).toBe(1);
  });

  test('certificate alerts are told from other handshake errors', () => {
    for (const code of ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN', 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE']) {
      expect(isCertificateAlert({ code }), code).toBe(true);
    }
    for (const code of ['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'ECONNRESET', 'ERR_SSL_WRONG_VERSION_NUMBER', undefined]) {
      expect(isCertificateAlert({ code }), String(code)).toBe(false);
    }
    expect(isCertificateAlert(null)).toBe(false);
  });
});

describe('through the real proxy, the CA not trusted', () => {
  let proxy: TestProxy;
  const lines: Array<{ level: number; msg: string; host?: string }> = [];

  beforeAll(async () => {
    const out = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        cb();
      },
    });
    // No upstream is needed: a client that refuses the certificate never sends a request.
    proxy = await startTestProxy({}, {}, createLogger('info', out));
  });

  afterAll(async () => {
    await proxy?.close();
  });

  const refusals = (): CaRejectionSummary => proxy.app.proxy.caRejections.summary();

  /** Waits for the proxy to have read the client's alert or hang-up. */
  async function totalReaches(n: number): Promise<void> {
    const until = Date.now() + 5000;
    while (refusals().total < n && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(refusals().total).toBe(n);
  }

  test('curl without --cacert sends unknown_ca: counted for the host', async () => {
    const err = await run('curl', ['-sS', '-x', proxy.url, 'https://ct.pinterest.com/v3/']).catch((e: { code: number }) => e);
    expect((err as { code: number }).code).toBe(60);
    await totalReaches(1);
    expect(refusals().hosts).toEqual([expect.objectContaining({ host: 'ct.pinterest.com', count: 1 })]);
  });

  test('undici without the CA hangs up after the certificate: counted too', async () => {
    const agent = new ProxyAgent({ uri: proxy.url });
    const err = await request('https://ct.pinterest.com/v3/', { dispatcher: agent }).catch((e: Error & { code?: string }) => e);
    await agent.close();
    expect((err as { code?: string }).code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    await totalReaches(2);
    expect(refusals().hosts[0]).toMatchObject({ host: 'ct.pinterest.com', count: 2 });
  });

  test('logged once per host, at info level, in these exact words', async () => {
    await run('curl', ['-sS', '-x', proxy.url, 'https://ct.pinterest.com/again']).catch(() => null);
    await totalReaches(3);
    await new Promise((r) => setTimeout(r, 100)); // the logger writes asynchronously
    const logged = lines.filter((l) => l.msg.startsWith('a client rejected'));
    expect(logged).toEqual([expect.objectContaining({ level: 30, msg: MESSAGE, host: 'ct.pinterest.com' })]);
  });

  test('a client that trusts the CA, and one that hangs up before the certificate, are not counted', async () => {
    const before = refusals().total;
    const { stdout } = await run('curl', ['-sS', '-x', proxy.url, '--cacert', join(proxy.caDir, 'pinaudit-ca.pem'), 'https://check.pinaudit.invalid/']);
    expect(JSON.parse(stdout)).toEqual({ pinaudit: true, tls: true });
    await new Promise<void>((resolve, reject) => {
      const s = connect(proxy.port, '127.0.0.1', () => s.write('CONNECT ct.pinterest.com:443 HTTP/1.1\r\nhost: ct.pinterest.com:443\r\n\r\n'));
      s.once('data', () => s.end()); // the 200, then gone without a handshake
      s.once('close', () => resolve());
      s.once('error', reject);
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(refusals().total).toBe(before);
  });

  test('/api/setup shows the count per host', async () => {
    const res = await fetch(`${proxy.app.dashboardUrl}/api/setup`);
    const body = (await res.json()) as { caRejections: CaRejectionSummary };
    expect(body.caRejections).toMatchObject({ total: 3, hosts: [{ host: 'ct.pinterest.com', count: 3 }], moreHosts: 0, untracked: 0, checkHost: 0 });
    expect(body.caRejections.lastAt).toBeGreaterThan(Date.now() - 60_000);
  });

  test('a refusal of the setup-check host is counted apart: the Setup check compares only that', async () => {
    await run('curl', ['-sS', '-x', proxy.url, 'https://check.pinaudit.invalid/']).catch(() => null);
    await totalReaches(4);
    const body = (await (await fetch(`${proxy.app.dashboardUrl}/api/setup`)).json()) as { caRejections: { checkHost: number } };
    expect(body.caRejections.checkHost).toBe(1);
  });
});
