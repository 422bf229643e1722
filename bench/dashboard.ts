/**
 * Dashboard benchmark on the database `benchStore` seeded (`million.db`): each API route's time
 * through `inject()` (median of 5 after a warm-up), and, when Debian's Chromium is installed, the
 * time from navigation to the overview's four charts drawn.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createStore } from '../src/store/writer.js';
import { openQueries } from '../src/store/queries.js';
import { buildDashboard, LiveFeed } from '../src/web/index.js';

const ROUTES = [
  '/api/overview?range=all',
  '/api/overview?range=week',
  '/api/overview?range=day',
  '/api/sites?range=all',
  '/api/sites?range=all&search=site1&sort=lastSeen',
  '/api/sites/site0.example?range=all',
  '/api/identifiers?range=all',
  '/api/requests?range=all&limit=50',
  '/api/requests?range=all&search=checkout&limit=50',
  '/api/blocking?range=all',
  '/api/sites-visited?range=all',
  '/api/advice',
  '/api/identifiers/changes?range=all',
  '/api/identifiers/changes?range=week',
  '/api/settings',
  '/api/setup',
];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchDashboard(tmpDir: string): Promise<Record<string, number>> {
  const path = join(tmpDir, 'million.db');
  const store = createStore({ path, retentionDays: null });
  const queries = openQueries(path);
  const live = new LiveFeed();
  const app = buildDashboard({
    queries,
    settings: store.settings,
    purge: (o) => store.purge(o),
    live,
    proxy: { host: '127.0.0.1', port: 8080 },
    ca: { certPem: '', fingerprint: 'AA', certPath: '/dev/null', notAfter: new Date() },
  });
  const figures: Record<string, number> = {};
  try {
    for (const url of ROUTES) {
      const hit = async (): Promise<number> => {
        const t = performance.now();
        const res = await app.inject({ method: 'GET', url, headers: { host: '127.0.0.1:8081' } });
        if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode}`);
        return performance.now() - t;
      };
      await hit();
      const times: number[] = [];
      for (let i = 0; i < 5; i++) times.push(await hit());
      figures[`GET ${url} ms`] = Math.round(median(times) * 10) / 10;
    }
    if (existsSync('/usr/bin/chromium')) {
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      const browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      try {
        const chartsIn = async (page: import('playwright-core').Page, go: () => Promise<unknown>): Promise<number> => {
          const t = performance.now();
          await go();
          await page.waitForSelector('body[data-charts="4"]', { timeout: 30_000 });
          return performance.now() - t;
        };
        const url = `${address}/#/overview`;
        const first = await browser.newPage();
        figures['charts drawn: first page of a new browser ms'] = Math.round(await chartsIn(first, () => first.goto(url)));
        const tabs: number[] = [];
        const reloads: number[] = [];
        for (let i = 0; i < 3; i++) {
          const tab = await browser.newPage();
          tabs.push(await chartsIn(tab, () => tab.goto(url)));
          reloads.push(await chartsIn(tab, () => tab.reload()));
          await tab.close();
        }
        figures['charts drawn: new tab ms'] = Math.round(median(tabs));
        figures['charts drawn: reload ms'] = Math.round(median(reloads));
      } finally {
        await browser.close();
      }
    }
  } finally {
    live.close();
    await app.close();
    queries.close();
    store.close();
  }
  return figures;
}
