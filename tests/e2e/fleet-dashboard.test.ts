/**
 * The fleet dashboard in headless Chromium: the instance menu lists the instances and switches
 * every view to one of them, the banner says it is read-only, and the views that would change
 * something or need a proxy say why instead of showing an empty page.
 */
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPostgres, type TestPostgres } from '../../bench/postgres.js';
import { CHROMIUM_FLAGS } from '../../src/crawl/browser.js';
import type { Totals } from '../../src/store/index.js';
import { CHROMIUM, shouldSkipBrowserTests } from '../helpers/chromium.js';
import { api, twoInstanceFleet, type TwoInstanceFleet } from '../web/fleet-seed.js';

const skip = shouldSkipBrowserTests();
const SCREENSHOT = '/tmp/pinaudit-fleet-overview.png';

describe.skipIf(skip)('the fleet dashboard in Chromium', () => {
  let pg: TestPostgres;
  let f: TwoInstanceFleet;
  let browser: Browser;
  let page: Page;
  let origin: string;
  const problems: string[] = [];
  const requested: string[] = [];

  beforeAll(async () => {
    pg = await startPostgres();
    f = await twoInstanceFleet(pg, 'browser');
    await f.fleet.listen({ port: 0, host: '127.0.0.1' });
    origin = `http://127.0.0.1:${(f.fleet.server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS] });
    page = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('request', (r) => requested.push(r.url()));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await f?.close();
    pg?.close();
  });

  const lede = (t: Totals): string => `${t.attemptedSites} sites attempted to send Pinterest your page or identifiers in ${t.attemptedLeaks} requests; `
    + `${t.reachedLeaks} reached Pinterest and ${t.preventedLeaks} were prevented.`;

  test('all instances: the banner says read-only, the menu lists both, the overview shows the fleet\'s sums', async () => {
    await page.goto(`${origin}/#/overview`);
    await page.waitForSelector('body[data-fleet="true"][data-ready="overview"]', { timeout: 15_000 });
    const banner = await page.textContent('#fleet-banner');
    expect(banner).toMatch(/^Read-only: the fleet's database postgres:\/\/pinaudit@127\.0\.0\.1:\d+\/browser, 2 instances\./);
    expect(banner).not.toContain(pg.password);
    expect(await page.textContent('footer')).toMatch(/^This dashboard reads the fleet's database and changes nothing in it\./);
    expect(await page.$$eval('#instance option', (o) => o.map((x) => (x as HTMLOptionElement).value))).toEqual(['', 'lab-a', 'lab-b']);
    await page.selectOption('#range', 'all');
    await page.waitForFunction(() => document.body.dataset.ready === 'overview' && !document.querySelector('#view[aria-busy]'));
    const fleet = await api<{ totals: Totals }>(f.fleet, '/api/overview?range=all');
    await page.waitForFunction((text) => document.querySelector('#overview-lede')?.textContent === text, lede(fleet.totals), { timeout: 10_000 });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  test('choosing an instance shows that instance\'s numbers, in every view and the export link', async () => {
    await page.selectOption('#instance', 'lab-a');
    const own = await api<{ totals: Totals }>(f.a.app, '/api/overview?range=all');
    await page.waitForFunction((text) => document.querySelector('#overview-lede')?.textContent === text, lede(own.totals), { timeout: 10_000 })
      .catch(async (e: unknown) => { throw new Error(`${String(e)}: ${await page.textContent('#overview-lede')} vs ${lede(own.totals)}`); });
    await page.goto(`${origin}/#/site/shop.example`);
    await page.waitForSelector('h1.site-name', { timeout: 10_000 })
      .catch(async (e: unknown) => { throw new Error(`${String(e)}: ${await page.textContent('#view')} ${problems.join('; ')}`); });
    expect(await page.$('#exception-read-only')).not.toBeNull();
    expect(await page.$$eval('.page-head button', (b) => b.length)).toBe(0);
    const instances = await page.$$eval('table.pages tbody tr td:first-child', (cells) => cells.map((c) => c.textContent));
    expect(new Set(instances)).toEqual(new Set(['lab-a']));
    expect(requested.some((u) => u.includes('/api/sites/shop.example?') && u.includes('instance=lab-a'))).toBe(true);
  });

  test('settings, live, setup and crawls say why they are not here; nothing is asked of the write routes', async () => {
    for (const [view, why] of [['settings', /belong to each instance/], ['live', /live feed shows one proxy/], ['setup', /checks one proxy/], ['crawls', /kept by the machine/]] as const) {
      await page.goto(`${origin}/#/${view}`);
      await page.waitForSelector(`body[data-ready="${view}"] #not-in-fleet`, { timeout: 10_000 });
      expect(await page.textContent('#not-in-fleet')).toMatch(why);
      expect(await page.getAttribute(`nav a[href="#/${view}"]`, 'class')).toContain('unavailable');
    }
    expect(requested.filter((u) => /\/api\/(live|settings|setup|crawls|purge|exceptions)/.test(u))).toEqual([]);
    expect(problems).toEqual([]);
  });
});
