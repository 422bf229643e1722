/**
 * The Crawls view in headless Chromium over a recorded crawl: the list links to the crawl, the
 * crawl shows each site's findings, verdict and failure, both screenshots load, a site's requests
 * open with their crawl page, and the label's markup is shown as text.
 */
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CHROMIUM, shouldSkipBrowserTests } from '../helpers/chromium.js';
import { CRAWL_LABEL, crawlDashboard, type CrawlDashboard } from '../web/crawl-seed.js';

const skip = shouldSkipBrowserTests();

describe.skipIf(skip)('Crawls view in Chromium', () => {
  let d: CrawlDashboard;
  let origin: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    d = await crawlDashboard();
    await d.app.listen({ port: 0, host: '127.0.0.1' });
    origin = `http://127.0.0.1:${(d.app.server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
    page = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await d?.close();
  });

  test('the nav leads to the list, and the list to the crawl', async () => {
    await page.goto(`${origin}/#/overview`);
    await page.click('nav a[href="#/crawls"]');
    await page.waitForSelector('body[data-ready="crawls"] .crawls-table');
    const row = page.locator('.crawls-table tbody tr');
    await expect(row.count()).resolves.toBe(1);
    await expect(row.locator('td').nth(0).textContent()).resolves.toBe(`#1 ${CRAWL_LABEL}`);
    await row.locator('a').click();
    await page.waitForSelector('.crawl-sites');
    expect(await page.locator('h1').textContent()).toBe(`Crawl #1: ${CRAWL_LABEL}`);
    expect(await page.locator('h1 b').count()).toBe(0);
  });

  test('each site shows its findings, its verdict or failure, and both screenshots load', async () => {
    await page.goto(`${origin}/#/crawls/1`);
    await page.waitForSelector('.crawl-sites');
    const rows = page.locator('.crawl-sites tbody > tr');
    await expect(rows.count()).resolves.toBe(2);
    const shop = await rows.nth(0).textContent();
    expect(shop).toContain('shop-a.test');
    expect(shop).toContain('works');
    expect(await rows.nth(1).textContent()).toContain('failed: timeout');
    const images = rows.nth(0).locator('img');
    await expect(images.count()).resolves.toBe(2);
    await page.waitForFunction(() => Array.from(document.images).every((i) => i.complete));
    const widths = await images.evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
    expect(widths).toEqual([64, 64]);
  });

  test("a site's requests open with the crawler's page next to pinaudit's", async () => {
    await page.locator('.crawl-requests summary').first().click();
    await page.waitForSelector('.crawl-requests table');
    const text = await page.locator('.crawl-requests table').textContent();
    expect(text).toContain('https://shop-a.test/');
    expect(problems).toEqual([]);
  });

  test("the crawl links to the Requests view filtered to its requests; the chip removes the filter", async () => {
    await page.goto(`${origin}/#/crawls/1`);
    await page.locator('a', { hasText: 'This crawl’s requests' }).click();
    await page.waitForSelector('#crawl-chip');
    expect(page.url()).toContain('#/requests?crawl=1');
    const rows = page.locator('#requests-table tbody tr:not(.detail)');
    await expect(rows.count()).resolves.toBe(1);
    expect(await rows.first().textContent()).toContain('shop-a.test');
    expect(await page.getAttribute('#export-link', 'href')).toContain('crawl=1');
    await page.click('#crawl-chip button');
    await page.waitForSelector('#crawl-chip', { state: 'detached' });
    await page.selectOption('#range', 'all');
    await page.waitForFunction(() => document.querySelectorAll('#requests-table tbody tr:not(.detail)').length === 2);
    expect(await page.textContent('#requests-table')).toContain('blog-b.test');
    expect(problems).toEqual([]);
  });
});
