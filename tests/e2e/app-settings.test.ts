/**
 * The whole app as `pinaudit start` composes it (proxy, store, policy and dashboard sharing one
 * settings object): switching the block mode on the dashboard's Settings page in Chromium makes the
 * very next request through the proxy blocked.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTestPki, type TestPki } from '../../bench/test-pki.js';
import { launchThroughProxy, shouldSkipBrowserTests, type TestBrowser } from '../helpers/chromium.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { startHttpsUpstream, startHttpUpstream, type Upstream } from '../helpers/upstream.js';

const skip = shouldSkipBrowserTests();
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

describe.skipIf(skip)('settings on the dashboard drive the proxy', () => {
  let pki: TestPki;
  let pinterest: Upstream;
  let site: Upstream;
  let app: TestProxy;
  let browser: TestBrowser;

  beforeAll(async () => {
    pki = makeTestPki();
    pinterest = await startHttpsUpstream(pki.server(['ct.pinterest.com']), (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/gif' });
      res.end(GIF);
    });
    site = await startHttpUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><img id="px" src="https://ct.pinterest.com/v3/?tid=2612345678901&event=pagevisit&noscript=1"><p id="done">ok</p>');
    });
    app = await startTestProxy({
      'upstream-ca': pki.caPath,
      'host-resolver-rules': `MAP *.pinterest.com 127.0.0.1:${pinterest.port}, MAP shop.test 127.0.0.1:${site.port}`,
    });
    browser = await launchThroughProxy(app.port, app.caPem);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await Promise.all([pinterest?.close(), site?.close()]);
    pki?.cleanup();
  });

  async function visitShop(): Promise<void> {
    const page = await browser.context.newPage();
    await page.goto('http://shop.test/', { waitUntil: 'load' });
    await page.close();
  }

  test('choosing "Block all" in Settings blocks the next tag request', async () => {
    await visitShop();
    expect(pinterest.seen.filter((s) => s.url.startsWith('/v3/'))).toHaveLength(1);

    const dash = await browser.context.newPage();
    await dash.goto(`${app.app.dashboardUrl}/#/settings`);
    await dash.locator('label.mode', { hasText: 'Block all' }).click();
    await expect.poll(() => app.app.store.settings.get().blockMode).toBe('all');

    await visitShop();
    expect(pinterest.seen.filter((s) => s.url.startsWith('/v3/'))).toHaveLength(1);
    const last = app.sink.completions.at(-1)!;
    expect(last.flow.decision?.action).toBe('block');
    expect(last.outcome.kind).toBe('blocked');
    await dash.close();
  });
});
