/**
 * A real browser through the real proxy: Chromium trusts the name-constrained pinaudit CA for
 * Pinterest's hosts, loads a third-party page whose Pinterest resources are intercepted, and
 * reaches every other site through a blind tunnel with that site's own certificate.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTestPki, type TestPki } from '../../bench/test-pki.js';
import { launchThroughProxy, shouldSkipBrowserTests, type TestBrowser } from '../helpers/chromium.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { startHttpsUpstream, startHttpUpstream, type Upstream } from '../helpers/upstream.js';

const skip = shouldSkipBrowserTests();

describe.skipIf(skip)('Chromium through pinaudit', () => {
  let pki: TestPki;
  let pinterest: Upstream;
  let site: Upstream;
  let secureSite: Upstream;
  let proxy: TestProxy;
  let browser: TestBrowser;

  const PAGE = `<!doctype html><title>shop</title>
<script src="https://s.pinimg.com/ct/core.js"></script>
<img id="px" src="https://ct.pinterest.com/v3/?tid=2612345678901&event=pagevisit&noscript=1" width="1" height="1">
<p id="done">loaded</p>`;

  beforeAll(async () => {
    pki = makeTestPki();
    pinterest = await startHttpsUpstream(pki.server(['ct.pinterest.com', 's.pinimg.com']), (req, res) => {
      if (req.url?.startsWith('/ct/')) {
        res.writeHead(200, { 'content-type': 'application/javascript' });
        res.end('window.pintrkLoaded = true;');
      } else {
        res.writeHead(200, { 'content-type': 'image/gif' });
        res.end(Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64'));
      }
    });
    site = await startHttpUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(PAGE);
    });
    secureSite = await startHttpsUpstream(pki.server(['secure.test']), (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>secure</title><p>secure page</p>');
    });
    proxy = await startTestProxy({
      'upstream-ca': pki.caPath,
      'host-resolver-rules': `MAP *.pinterest.com 127.0.0.1:${pinterest.port}, MAP *.pinimg.com 127.0.0.1:${pinterest.port}, MAP shop.test 127.0.0.1:${site.port}, MAP secure.test 127.0.0.1:${secureSite.port}`,
    });
    // Chromium trusts the pinaudit CA (as a user would) and the test root of secure.test.
    browser = await launchThroughProxy(proxy.port, `${proxy.caPem}`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await Promise.all([pinterest?.close(), site?.close(), secureSite?.close()]);
    pki?.cleanup();
  });

  test('the Pinterest tag on a third-party page is intercepted, with the page as Referer', async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('http://shop.test/products/42?color=red', { waitUntil: 'load' });
    expect(await page.textContent('#done')).toBe('loaded');
    expect(await page.evaluate(() => (window as unknown as { pintrkLoaded?: boolean }).pintrkLoaded)).toBe(true);
    expect(await page.evaluate(() => (document.getElementById('px') as HTMLImageElement).naturalWidth)).toBe(1);
    expect(errors).toEqual([]);
    await page.close();

    const urls = proxy.sink.requests.map((f) => f.observation.url);
    expect(urls).toContain('https://s.pinimg.com/ct/core.js');
    expect(urls).toContain('https://ct.pinterest.com/v3/?tid=2612345678901&event=pagevisit&noscript=1');
    const beacon = proxy.sink.requests.find((f) => f.observation.url.startsWith('https://ct.pinterest.com/v3/'))!;
    expect(beacon.observation.headers.referer).toMatch(/^http:\/\/shop\.test\//);
    expect(beacon.observation.headers['user-agent']).toMatch(/Chrome/);
    expect(pinterest.seen.map((s) => s.url)).toContain('/ct/core.js');
  });

  test('a non-Pinterest HTTPS site is tunnelled blind: the pinaudit CA cannot vouch for it', async () => {
    const page = await browser.context.newPage();
    const error = await page.goto('https://secure.test/', { waitUntil: 'load' }).then(() => null, (e: Error) => e.message);
    // Chromium does not trust the test root of secure.test, and pinaudit did not (could not)
    // substitute its own certificate: the browser sees the real one and refuses it.
    expect(error).toMatch(/ERR_CERT_AUTHORITY_INVALID/);
    expect(proxy.sink.requests.some((f) => f.observation.url.includes('secure.test'))).toBe(false);
    expect(proxy.sink.tunnels.some((t) => t.host === 'secure.test')).toBe(true);
    await page.close();
  });
});
