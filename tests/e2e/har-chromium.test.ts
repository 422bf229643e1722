/**
 * One page load, seen twice: headless Chromium records a HAR (playwright-core's recordHar) while
 * it loads a local shop page through the real proxy, and the page embeds the tag, the Save button
 * and a pin image from a local fake Pinterest. Imported into a fresh data directory with the real
 * CLI, the HAR yields the same findings the proxy recorded for that very load.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openQueries, type RequestRow } from '../../src/store/queries.js';
import { shouldSkipBrowserTests, type TestBrowser } from '../helpers/chromium.js';
import { runCli } from '../helpers/cli.js';
import type { TestProxy } from '../helpers/proxy.js';
import { startScenario, type Scenario } from '../helpers/scenario.js';

const skip = shouldSkipBrowserTests();

const EMAIL_HASH = 'b'.repeat(64);
const PAGE = `<!doctype html><html><head><title>Shop</title>
<script>
  !function(e){if(!window.pintrk){window.pintrk=function(){window.pintrk.queue.push(Array.prototype.slice.call(arguments))};
  var n=window.pintrk;n.queue=[],n.version="3.0";var t=document.createElement("script");t.async=!0,t.src=e;
  var r=document.getElementsByTagName("script")[0];r.parentNode.insertBefore(t,r)}}("https://s.pinimg.com/ct/core.js");
</script>
<script async defer src="https://assets.pinterest.com/js/pinit.js"></script>
</head><body>
<h1>Blue mug</h1>
<img src="https://i.pinimg.com/236x/ab/cd/ef.jpg" alt="pin">
<img src="https://ct.pinterest.com/v3/?tid=2612345678901&event=pagevisit&noscript=1&epik=dj0yJnU9dGVzdA" width="1" height="1">
</body></html>`;
const CORE_JS = `(function(){
  var pd=encodeURIComponent(JSON.stringify({em:'${EMAIL_HASH}'}));
  new Image().src='https://ct.pinterest.com/v3/?tid=2612345678901&event=checkout&pd='+pd+'&ad='+encodeURIComponent(JSON.stringify({loc:location.href}));
  var x=new XMLHttpRequest();x.open('POST','https://ct.pinterest.com/user/?tid=2612345678901');
  x.setRequestHeader('content-type','application/x-www-form-urlencoded');x.send('event=lead&ed='+encodeURIComponent('{"value":12,"order_id":"A-1"}'));
})();`;
const PINIT_JS = `new Image().src='https://log.pinterest.com/?type=pidget&via='+encodeURIComponent(location.href);`;
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
/** Requests the page makes to Pinterest: core.js, pinit.js, pin image, 3 tag calls, the pidget log. */
const PINTEREST_REQUESTS = 7;

/** What must agree between the two views (no ids, times or client). */
function finding(r: RequestRow): Record<string, unknown> {
  return {
    method: r.method, host: r.host, path: r.path, category: r.category, thirdParty: r.thirdParty, pageSite: r.pageSite,
    pageUrl: r.pageUrl, attributedBy: r.attributedBy, confidence: r.confidence, leakLevel: r.leakLevel, tagId: r.tagId,
    tagEvent: r.tagEvent, tagValue: r.tagValue, tagOrderId: r.tagOrderId, hashedEmail: r.hashedEmail, loggedIn: r.loggedIn,
    identifiers: r.identifiers.map((i) => `${i.kind}:${i.name}:${i.source}`).sort(),
  };
}
const order = (a: Record<string, unknown>, b: Record<string, unknown>): number => JSON.stringify(a).localeCompare(JSON.stringify(b));

function rowsOf(dataDir: string): RequestRow[] {
  const q = openQueries(join(dataDir, 'pinaudit.db'));
  try {
    return [...q.iterate()];
  } finally {
    q.close();
  }
}

describe.skipIf(skip)('a HAR recorded by Chromium through the proxy', () => {
  let scenario: Scenario;
  let proxy: TestProxy;
  let browser: TestBrowser;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pinaudit-har-e2e-'));
    scenario = await startScenario({
      pinterest: (req, res) => {
        const url = req.url ?? '/';
        const cookie = '_pinterest_ct_ua=TWc9PSZ0ZXN0; Path=/; Domain=pinterest.com; Secure; SameSite=None';
        if (url.startsWith('/ct/core.js')) res.writeHead(200, { 'content-type': 'application/javascript', 'access-control-allow-origin': '*' }).end(CORE_JS);
        else if (url.startsWith('/js/pinit')) res.writeHead(200, { 'content-type': 'application/javascript' }).end(PINIT_JS);
        else if (url.startsWith('/user/')) res.writeHead(200, { 'content-type': 'text/plain', 'access-control-allow-origin': 'http://shop.test', 'set-cookie': cookie }).end('ok');
        else res.writeHead(200, { 'content-type': 'image/gif', 'set-cookie': cookie }).end(GIF);
      },
      site: (_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE),
    });
    ({ proxy, browser } = scenario);
  }, 60_000);

  afterAll(async () => {
    await scenario?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('imported, the HAR gives the findings the proxy recorded for the same page load', async () => {
    const harPath = join(work, 'shop.har');
    const context = await browser.browser.newContext({ recordHar: { path: harPath, content: 'omit' } });
    const page = await context.newPage();
    await page.goto('http://shop.test/', { waitUntil: 'load' });
    await proxy.sink.waitForCompletions(PINTEREST_REQUESTS, 10_000);
    await page.waitForTimeout(300);
    await context.close(); // writes the HAR
    proxy.app.store.flush();

    const dataDir = join(work, 'imported');
    const run = await runCli(['import', harPath, '--data-dir', dataDir, '--label', 'chromium']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Pinterest requests  ${PINTEREST_REQUESTS} (${PINTEREST_REQUESTS} new)`);

    const live = rowsOf(proxy.dataDir);
    const imported = rowsOf(dataDir);
    expect(live).toHaveLength(PINTEREST_REQUESTS);
    expect(imported.map(finding).sort(order)).toEqual(live.map(finding).sort(order));
    expect(imported.every((r) => r.source === 'har' && r.client === 'chromium')).toBe(true);
    expect(live.every((r) => r.source === 'proxy')).toBe(true);

    // The load really exercised the classifier: page URLs, tag events, identifiers of each kind.
    const tags = imported.filter((r) => r.category === 'tag');
    expect(tags.map((r) => r.tagEvent).sort()).toEqual(['checkout', 'lead', 'pagevisit']);
    expect(tags.every((r) => r.pageSite === 'shop.test' && r.leakLevel !== 'none')).toBe(true);
    const kinds = new Set(imported.flatMap((r) => r.identifiers.map((i) => i.kind)));
    expect([...kinds]).toEqual(expect.arrayContaining(['click-id', 'hashed-email']));

    // Re-importing the same HAR adds nothing.
    const again = await runCli(['import', harPath, '--data-dir', dataDir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`(0 new, ${PINTEREST_REQUESTS} already imported)`);
    expect(rowsOf(dataDir)).toHaveLength(PINTEREST_REQUESTS);
  }, 60_000);
});
