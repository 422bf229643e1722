/**
 * The whole app as `pinaudit start` composes it (proxy, store, policy and dashboard sharing one
 * settings object): switching the block mode on the dashboard's Settings page in Chromium makes the
 * very next request through the proxy blocked.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { shouldSkipBrowserTests, type TestBrowser } from '../helpers/chromium.js';
import type { TestProxy } from '../helpers/proxy.js';
import { startScenario, type Scenario } from '../helpers/scenario.js';
import type { Upstream } from '../helpers/upstream.js';

const skip = shouldSkipBrowserTests();
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

describe.skipIf(skip)('settings on the dashboard drive the proxy', () => {
  let scenario: Scenario;
  let pinterest: Upstream;
  let app: TestProxy;
  let browser: TestBrowser;

  beforeAll(async () => {
    scenario = await startScenario({
      pinterest: (_req, res) => {
        res.writeHead(200, { 'content-type': 'image/gif' });
        res.end(GIF);
      },
      site: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><img id="px" src="https://ct.pinterest.com/v3/?tid=2612345678901&event=pagevisit&noscript=1"><p id="done">ok</p>');
      },
    });
    ({ pinterest, proxy: app, browser } = scenario);
  }, 60_000);

  afterAll(async () => {
    await scenario?.close();
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
