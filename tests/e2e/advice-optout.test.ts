/**
 * "Opt-out is not opt-out", end to end in Chromium: a stand-in www.pinterest.com serves the
 * privacy settings page and its JSON (gzip'ed, as Pinterest sends it); the person turns "Use sites
 * you visit" off there; a stand-in shop then sends the tag. The Overview card says the switch is
 * off since the person's change and counts the shop's requests that still reached Pinterest.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { shouldSkipBrowserTests } from '../helpers/chromium.js';
import { startScenario, type Scenario } from '../helpers/scenario.js';
import { resourceAnswer, SETTINGS_DATA } from '../advice/fixtures.js';

const skip = shouldSkipBrowserTests();
const HASHED_EMAIL = 'c0ffee'.repeat(10) + 'c0ff';

// Pinterest's settings page, reduced to the one switch: it reads the settings with
// UserSettingsResource/get and changes them with UserSettingsResource/update, as the web app does.
const SETTINGS_PAGE = `<!doctype html><html><head><title>Privacy and data</title></head><body>
<label><input type="checkbox" id="offsite"> Use sites you visit to improve which recommendations and ads you see</label>
<p id="status">loading</p>
<script>
  const form = (options) => new URLSearchParams({ source_url: '/settings/privacy/', data: JSON.stringify({ options, context: {} }) });
  async function call(name, options) {
    const res = await fetch('/resource/UserSettingsResource/' + name + '/', {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrftoken': 'abc123' }, body: form(options) });
    return (await res.json()).resource_response.data;
  }
  const box = document.getElementById('offsite');
  const status = document.getElementById('status');
  call('get', {}).then((d) => { box.checked = d.personalize_from_offsite_browsing; status.textContent = 'loaded'; });
  box.addEventListener('change', () => call('update', { personalize_from_offsite_browsing: box.checked }).then(() => { status.textContent = 'saved'; }));
</script></body></html>`;

const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/**
 * The shop: two tag beacons carrying the page and (unless `anon`) the person's hashed e-mail.
 * `site` is the page the tag names (`ad.loc`), so one test server can stand in for several shops.
 */
function shopPage(visit: number, anon: boolean, site: string): string {
  const beacon = (event: string) => `https://ct.pinterest.com/v3/?tid=2612345678901&event=${event}&noscript=1&cb=${visit}-${event}` +
    `${anon ? '' : `&pd%5Bem%5D=${HASHED_EMAIL}`}&ad=${encodeURIComponent(JSON.stringify({ loc: `http://${site}/products/${visit}` }))}`;
  return `<!doctype html><html><body><h1>Blue mug</h1>
<img src="${beacon('pagevisit')}" width="1" height="1"><img src="${beacon('addtocart')}" width="1" height="1">
</body></html>`;
}

describe.skipIf(skip)('opt-out is not opt-out, in Chromium', () => {
  let scenario: Scenario;
  let offsite = true;
  let browserIds = 0;
  const newBrowserId = (): string => `_pinterest_ct_ua=TWc9PSZ${++browserIds}dWE; Domain=.pinterest.com; Path=/; Secure; SameSite=None; Max-Age=31536000`;

  beforeAll(async () => {
    scenario = await startScenario({
      pinterest: (req, res, body) => {
        const url = req.url ?? '/';
        const json = (text: string): void => {
          const zipped = gzipSync(text);
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': zipped.length });
          res.end(zipped);
        };
        if (url.startsWith('/settings/privacy/')) {
          res.writeHead(200, {
            'content-type': 'text/html; charset=utf-8',
            'set-cookie': ['_pinterest_sess=TWc9PSZlZTJlMmUyZTJl; Path=/; Secure; HttpOnly; SameSite=Lax', newBrowserId()],
          });
          res.end(SETTINGS_PAGE);
        } else if (url.startsWith('/resource/UserSettingsResource/get/')) {
          json(resourceAnswer({ ...SETTINGS_DATA, personalize_from_offsite_browsing: offsite }));
        } else if (url.startsWith('/resource/UserSettingsResource/update/')) {
          const options = JSON.parse(new URLSearchParams(body).get('data') ?? '{}').options ?? {};
          if (typeof options.personalize_from_offsite_browsing === 'boolean') offsite = options.personalize_from_offsite_browsing;
          json(resourceAnswer({ ...SETTINGS_DATA, personalize_from_offsite_browsing: offsite }));
        } else {
          // ct.pinterest.com gives a browser without one a new _pinterest_ct_ua (third-party cookie).
          const hasId = /(^|;\s*)_pinterest_ct_ua=/.test(String(req.headers.cookie ?? ''));
          res.writeHead(200, {
            'content-type': 'image/gif', 'cache-control': 'no-store',
            ...(hasId ? {} : { 'set-cookie': newBrowserId() }),
          });
          res.end(GIF);
        }
      },
      site: (req, res) => {
        const url = new URL(req.url ?? '/', 'http://shop.test');
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(shopPage(Number(/\d+/.exec(url.pathname)?.[0] ?? 0), url.searchParams.has('anon'), url.searchParams.get('as') ?? 'shop.test'));
      },
    }, { thirdPartyCookies: true });
  }, 60_000);

  afterAll(async () => {
    await scenario?.close();
  });

  async function shopVisit(n: number, query = ''): Promise<void> {
    const before = scenario.proxy.sink.completions.length;
    const page = await scenario.browser.context.newPage();
    await page.goto(`http://shop.test/products/${n}${query}`, { waitUntil: 'load' });
    await scenario.proxy.sink.waitForCompletions(before + 2);
    await page.close();
  }

  test('the switch turned off on Pinterest; the shop’s requests still reached Pinterest, and the card counts them', { timeout: 90_000 }, async () => {
    const { browser, proxy } = scenario;
    const settings = await browser.context.newPage();
    await settings.goto('https://www.pinterest.com/settings/privacy/');
    await settings.waitForSelector('#status:text("loaded")');
    expect(await settings.isChecked('#offsite')).toBe(true);

    await shopVisit(1); // while the switch is on: not counted on the card
    await settings.click('#offsite');
    await settings.waitForSelector('#status:text("saved")');
    expect(offsite).toBe(false);
    await shopVisit(2);
    await shopVisit(3);
    proxy.app.store.flush();

    const dash = await browser.context.newPage();
    await dash.goto(`${proxy.app.dashboardUrl}/#/overview`);
    const row = dash.locator('#advice-card tr[data-field="personalize_from_offsite_browsing"]');
    await row.waitFor({ timeout: 8000 });
    expect(await row.getAttribute('data-state')).toBe('off');
    expect(await row.textContent()).toContain('turned off by you');
    const reached = row.locator('.reached-while-off');
    expect(await reached.getAttribute('data-requests')).toBe('4');
    expect(await reached.getAttribute('data-sites')).toBe('1');
    expect(await reached.textContent()).toContain('shop.test');
    // The partners switch was read (off) and never changed.
    const partners = dash.locator('#advice-card tr[data-field="ads_customize_from_conversion"]');
    expect(await partners.getAttribute('data-state')).toBe('off');
    expect(await partners.textContent()).toContain('first seen off');
    expect(await dash.locator('#advice-card .lede').textContent()).toContain('4 requests from 1 site still reached Pinterest');
  });

  test('a range that holds nothing still shows the card (it covers all recorded time)', { timeout: 60_000 }, async () => {
    const dash = await scenario.browser.context.newPage();
    await dash.goto(`${scenario.proxy.app.dashboardUrl}/#/overview`);
    await dash.locator('#advice-card').waitFor({ timeout: 8000 });
    await dash.selectOption('#range', 'custom');
    await dash.fill('#from', '2020-01-01');
    await dash.fill('#to', '2020-01-02');
    await dash.locator('.empty:has-text("Nothing in this time range")').waitFor({ timeout: 8000 });
    const row = dash.locator('#advice-card tr[data-field="personalize_from_offsite_browsing"]');
    expect(await row.getAttribute('data-state')).toBe('off');
    expect(await row.locator('.reached-while-off').getAttribute('data-requests')).toBe('4');
    await dash.close();
  });

  test('cookies cleared: the new _pinterest_ct_ua is linked back to the old one by the hashed e-mail another shop sent', { timeout: 90_000 }, async () => {
    const { browser, proxy } = scenario;
    const idsBefore = browserIds;
    expect(idsBefore).toBe(1); // the settings page gave the first id; every shop visit carried it
    await browser.context.clearCookies();
    await shopVisit(4, '?anon'); // Pinterest hands out a new id…
    expect(browserIds).toBeGreaterThan(idsBefore);
    await shopVisit(5, '?anon'); // …which is sent without the e-mail
    await shopVisit(6, '?as=shop-a.test'); // the e-mail again, from another shop, with the new id
    proxy.app.store.flush();

    const dash = await browser.context.newPage();
    await dash.goto(`${proxy.app.dashboardUrl}/#/identifiers`);
    await dash.selectOption('#range', 'all');
    const linked = dash.locator('#id-timeline li[data-linked="yes"]');
    await linked.first().waitFor({ timeout: 8000 });
    expect(await linked.count()).toBe(1);
    expect(await linked.getAttribute('data-site')).toBe('shop-a.test');
    const text = await linked.textContent();
    expect(text).toContain('New _pinterest_ct_ua');
    expect(text).toContain('by the hashed e-mail that shop-a.test sent');
    // The new id went to Pinterest alone first; the e-mail tied it back with a later request.
    const api = await dash.evaluate(async () => (await fetch('/api/identifiers/changes?range=all')).json());
    expect(api.changes).toHaveLength(1);
    expect(api.changes[0].link.afterMs).toBeGreaterThan(0);
    expect(api.changes[0].link.site).toBe('shop-a.test');
  });
});
