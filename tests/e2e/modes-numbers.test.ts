/**
 * The same pages browsed in headless Chromium in each block mode, and what every surface says:
 * the Overview (its API and the page itself), the site page, the CSV and `report --json`. What the
 * site *attempted* is the same in every mode; what *reached Pinterest* is all of it in `off` and
 * none of it in `all`; *prevented* is always attempted − reached. The data is purged between modes
 * so each mode's numbers stand alone ("all time" is that mode).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTestPki, type TestPki } from '../../bench/test-pki.js';
import type { Report } from '../../src/commands/report.js';
import { parseCsv } from '../helpers/csv.js';
import { launchThroughProxy, shouldSkipBrowserTests, type TestBrowser } from '../helpers/chromium.js';
import { runCli } from '../helpers/cli.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { startHttpsUpstream, startHttpUpstream, type Upstream } from '../helpers/upstream.js';

const skip = shouldSkipBrowserTests();
const MODES = ['off', 'strip', 'trackers', 'all'] as const;
type Mode = (typeof MODES)[number];
const HASH = 'a'.repeat(64);

/**
 * A merchant page that sends, from its own inline script (so a blocked tag library changes
 * nothing of what the page attempts): a tag beacon naming the page with a click id and identity
 * fields, a Save-button log naming the page, the tag library, and a pin image (whose Referer
 * carries only the origin under Chromium's default referrer policy).
 */
const page = (mode: Mode): string => `<!doctype html><html><head><title>Shop ${mode}</title>
<script async src="https://s.pinimg.com/ct/core.js?v=${mode}"></script></head><body>
<h1 id="title">Blue mug</h1>
<img id="pin" src="https://i.pinimg.com/236x/ab/cd/${mode}.jpg" alt="pin">
<script>
  var loc = location.href;
  new Image().src = 'https://ct.pinterest.com/v3/?tid=2612345678901&event=pagevisit&cb=${mode}&ad=' + encodeURIComponent(JSON.stringify({ loc: loc }))
    + '&pd=' + encodeURIComponent(JSON.stringify({ em: '${HASH}', pin_unauth: 'unauth-${mode}' }));
  new Image().src = 'https://log.pinterest.com/?type=pidget&cb=${mode}&via=' + encodeURIComponent(loc);
  document.getElementById('title').dataset.ready = 'yes';
</script></body></html>`;

const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

interface Numbers {
  attempted: number;
  reached: number;
  prevented: number;
}

describe.skipIf(skip)('attempted, reached Pinterest and prevented, per block mode, on every surface', () => {
  let pki: TestPki;
  let pinterest: Upstream;
  let site: Upstream;
  let proxy: TestProxy;
  let browser: TestBrowser;
  const seen = new Map<Mode, { overview: Numbers; site: Numbers; csv: Numbers; report: Numbers; ui: string }>();

  beforeAll(async () => {
    pki = makeTestPki();
    pinterest = await startHttpsUpstream(pki.server(['*.pinterest.com', 's.pinimg.com', 'i.pinimg.com']), (req, res) => {
      const url = req.url ?? '/';
      res.writeHead(200, { 'content-type': url.startsWith('/ct/') ? 'application/javascript' : 'image/gif', 'cache-control': 'no-store' });
      res.end(url.startsWith('/ct/') ? '/* tag library */' : GIF);
    });
    site = await startHttpUpstream((req, res) => {
      const mode = /^shop-(\w+)\.test/.exec(req.headers.host ?? '')?.[1] as Mode | undefined;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(page(mode ?? 'off'));
    });
    proxy = await startTestProxy({
      'upstream-ca': pki.caPath,
      'host-resolver-rules': `MAP *.pinterest.com 127.0.0.1:${pinterest.port}, MAP *.pinimg.com 127.0.0.1:${pinterest.port}, MAP *.test 127.0.0.1:${site.port}`,
    });
    browser = await launchThroughProxy(proxy.port, proxy.caPem);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await Promise.all([pinterest?.close(), site?.close()]);
    pki?.cleanup();
  });

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${proxy.app.dashboardUrl}${path}`);
    expect(res.status).toBe(200);
    return (path.startsWith('/export.csv') ? await res.text() : await res.json()) as T;
  };

  async function browse(mode: Mode): Promise<void> {
    proxy.app.store.purge({ all: true });
    proxy.app.store.settings.set({ blockMode: mode, exceptions: [] });
    const before = proxy.sink.completions.length;
    const tab = await browser.context.newPage();
    await tab.goto(`http://shop-${mode}.test/products/42?epik=click-${mode}&color=blue`, { waitUntil: 'load' });
    await tab.waitForFunction(() => document.getElementById('title')?.dataset.ready === 'yes');
    await tab.close();
    // Four Pinterest requests: the tag library, the pin image, the beacon and the Save-button log.
    await proxy.sink.waitForCompletions(before + 4, 10_000);
    proxy.app.store.flush();
  }

  test.each(MODES)('%s', async (mode) => {
    await browse(mode);
    const host = `shop-${mode}.test`;
    const overview = await api<{ totals: { attemptedLeaks: number; reachedLeaks: number; preventedLeaks: number; requests: number } }>('/api/overview?range=all');
    expect(overview.totals.requests).toBe(4);
    const detail = await api<{ attemptedLeaks: number; reachedLeaks: number; preventedLeaks: number; pages: Array<{ url: string }> }>(`/api/sites/${host}?range=all`);
    // Pages are full URLs only: the pin image's origin-only Referer is never a page.
    expect(detail.pages.map((p) => p.url)).toEqual([`http://${host}/products/42?epik=click-${mode}&color=blue`]);
    // Sites visited: the shop only, not the browser's own background hosts nor the page's subresources.
    const visited = await api<{ sites: Array<{ site: string }> }>('/api/sites-visited?range=all');
    expect(visited.sites.map((v) => v.site)).toEqual([host]);
    const csv = parseCsv(await api<string>('/export.csv?range=all'));
    const header = csv[0]!;
    const col = header.indexOf('reached_pinterest');
    const rows = csv.slice(1);
    const csvReached = rows.filter((r) => r[col] === 'true').length;
    const csvAttempted = csvReached + rows.filter((r) => r[col] === 'false').length;
    const cli = await runCli(['report', '--json', '--since', 'all', '--data-dir', proxy.dataDir]);
    expect(cli.code).toBe(0);
    const report = JSON.parse(cli.stdout) as Report;

    // The Overview page itself, in the browser.
    const dash = await browser.context.newPage();
    await dash.goto(`${proxy.app.dashboardUrl}/#/overview`);
    await dash.evaluate(() => localStorage.setItem('pinaudit.range', JSON.stringify({ name: 'all' })));
    await dash.reload();
    await dash.waitForSelector('body[data-charts="4"]', { timeout: 10_000 });
    const ui = (await dash.textContent('#overview-lede')) ?? '';
    await dash.waitForTimeout(300);
    await dash.screenshot({ path: `/tmp/pinaudit-overview-${mode}.png`, fullPage: true });
    await dash.close();

    const t = overview.totals;
    seen.set(mode, {
      overview: { attempted: t.attemptedLeaks, reached: t.reachedLeaks, prevented: t.preventedLeaks },
      site: { attempted: detail.attemptedLeaks, reached: detail.reachedLeaks, prevented: detail.preventedLeaks },
      csv: { attempted: csvAttempted, reached: csvReached, prevented: csvAttempted - csvReached },
      report: { attempted: report.totals.attemptedLeaks, reached: report.totals.reachedLeaks, prevented: report.totals.preventedLeaks },
      ui,
    });
    const n = seen.get(mode)!;
    // Every surface says the same.
    expect(n.site).toEqual(n.overview);
    expect(n.csv).toEqual(n.overview);
    expect(n.report).toEqual(n.overview);
    expect(n.overview.prevented).toBe(n.overview.attempted - n.overview.reached);
    expect(ui).toContain(`in ${n.overview.attempted} requests; ${n.overview.reached} reached Pinterest and ${n.overview.prevented} were prevented.`);
    // One shop per mode: one site, said in the singular.
    expect(ui).toMatch(/^1 site attempted to send Pinterest/);
  }, 60_000);

  test('attempted is the same in every mode; all of it reaches Pinterest in off, none in all', () => {
    expect([...seen.keys()]).toEqual([...MODES]);
    const off = seen.get('off')!.overview;
    // The beacon (page + identifiers), the Save-button log (page), the tag library and the pin image (origin).
    expect(off.attempted).toBe(4);
    for (const mode of MODES) expect(seen.get(mode)!.overview.attempted).toBe(off.attempted);
    expect(off.reached).toBe(off.attempted);
    expect(seen.get('all')!.overview.reached).toBe(0);
    expect(seen.get('all')!.overview.prevented).toBe(off.attempted);
    // Stripping removes the page and every identifier from these requests.
    expect(seen.get('strip')!.overview.reached).toBe(0);
    expect(seen.get('trackers')!.overview.reached).toBe(0);
  });
});
