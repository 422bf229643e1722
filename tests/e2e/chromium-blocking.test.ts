/**
 * A real page in headless Chromium, from a local test site that includes the Pinterest tag script,
 * the Save-button script and a pin image, all served by a local fake Pinterest through the proxy.
 * In `trackers` and `all` modes the page still loads, no script error reaches the console, and the
 * fake Pinterest sees no tag requests.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { shouldSkipBrowserTests, type TestBrowser } from '../helpers/chromium.js';
import type { TestProxy } from '../helpers/proxy.js';
import { startScenario, type Scenario } from '../helpers/scenario.js';
import type { Upstream } from '../helpers/upstream.js';

const skip = shouldSkipBrowserTests();

// What a merchant page with the Pinterest tag and a Save button looks like (trimmed).
const PAGE = `<!doctype html><html><head><title>Shop</title>
<script>
  !function(e){if(!window.pintrk){window.pintrk=function(){window.pintrk.queue.push(Array.prototype.slice.call(arguments))};
  var n=window.pintrk;n.queue=[],n.version="3.0";var t=document.createElement("script");t.async=!0,t.src=e;
  var r=document.getElementsByTagName("script")[0];r.parentNode.insertBefore(t,r)}}("https://s.pinimg.com/ct/core.js");
  pintrk('load', '2612345678901'); pintrk('page');
</script>
<script async defer src="https://assets.pinterest.com/js/pinit.js"></script>
</head><body>
<h1 id="title">Blue mug</h1>
<img id="pin" src="https://i.pinimg.com/236x/ab/cd/ef.jpg" alt="pin">
<noscript><img src="https://ct.pinterest.com/v3/?tid=2612345678901&event=pagevisit&noscript=1"></noscript>
<img id="beacon" src="https://ct.pinterest.com/v3/?tid=2612345678901&event=pagevisit&noscript=1&ad=%7B%22loc%22%3A%22http%3A%2F%2Fshop.test%2F%22%7D" width="1" height="1">
<script>document.getElementById('title').dataset.ready = 'yes';</script>
</body></html>`;

// The fake Pinterest: a tag library that sends a beacon, a Save-button script, images.
const CORE_JS = `(function(){var q=(window.pintrk&&window.pintrk.queue)||[];
  new Image().src='https://ct.pinterest.com/v3/?tid=2612345678901&event=init&ad='+encodeURIComponent(JSON.stringify({loc:location.href}));
  window.__tagRan=true;})();`;
const PINIT_JS = `window.__pinitRan=true;new Image().src='https://log.pinterest.com/?type=pidget&via='+encodeURIComponent(location.href);`;
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

describe.skipIf(skip)('Chromium page with a blocked Pinterest', () => {
  let scenario: Scenario;
  let pinterest: Upstream;
  let proxy: TestProxy;
  let browser: TestBrowser;

  beforeAll(async () => {
    scenario = await startScenario({
      pinterest: (req, res) => {
        const url = req.url ?? '/';
        if (url.startsWith('/ct/core.js')) {
          res.writeHead(200, { 'content-type': 'application/javascript' });
          res.end(CORE_JS);
        } else if (url.startsWith('/js/pinit')) {
          res.writeHead(200, { 'content-type': 'application/javascript' });
          res.end(PINIT_JS);
        } else {
          res.writeHead(200, { 'content-type': 'image/gif' });
          res.end(GIF);
        }
      },
      site: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(PAGE);
      },
    });
    ({ pinterest, proxy, browser } = scenario);
  }, 60_000);

  afterAll(async () => {
    await scenario?.close();
  });

  async function load(): Promise<{ consoleErrors: string[]; pageErrors: string[]; ready: string | undefined; pinWidth: number }> {
    const page = await browser.context.newPage();
    const consoleErrors: string[] = [];
    const pageErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto('http://shop.test/', { waitUntil: 'load' });
    await page.waitForTimeout(300);
    const ready = await page.evaluate(() => document.getElementById('title')?.dataset.ready);
    const pinWidth = await page.evaluate(() => (document.getElementById('pin') as HTMLImageElement).naturalWidth);
    await page.close();
    return { consoleErrors, pageErrors, ready, pinWidth };
  }

  test('off: the fake Pinterest sees the tag library, its beacon and the Save-button log', async () => {
    proxy.app.store.settings.set({ blockMode: 'off', exceptions: [] });
    const before = pinterest.seen.length;
    const r = await load();
    expect(r.ready).toBe('yes');
    const urls = pinterest.seen.slice(before).map((s) => s.url);
    expect(urls).toContain('/ct/core.js');
    expect(urls.some((u) => u.startsWith('/v3/?tid=2612345678901&event=init'))).toBe(true);
    expect(urls.some((u) => u.startsWith('/?type=pidget'))).toBe(true);
  });

  test.each(['trackers', 'all'] as const)('%s: the page loads, no script error, no tag request reaches Pinterest', async (mode) => {
    proxy.app.store.settings.set({ blockMode: mode, exceptions: [] });
    const before = pinterest.seen.length;
    const r = await load();
    expect(r.ready).toBe('yes');
    expect(r.pageErrors).toEqual([]);
    expect(r.consoleErrors).toEqual([]);
    expect(r.pinWidth).toBe(1); // the pin image renders (stripped in trackers, a 1×1 GIF in all)
    const urls = pinterest.seen.slice(before).map((s) => s.url);
    expect(urls.filter((u) => u.startsWith('/v3/') || u.startsWith('/ct/') || u.startsWith('/?type=pidget') || u.startsWith('/user/'))).toEqual([]);
    if (mode === 'all') expect(urls).toEqual([]);
    else expect(urls).toEqual(expect.arrayContaining(['/js/pinit.js']));
  });
});
