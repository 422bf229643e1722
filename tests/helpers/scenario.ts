/**
 * The browser scenario most end-to-end tests share: a test PKI, a loopback fake Pinterest (every
 * *.pinterest.com and *.pinimg.com name), a plain-HTTP merchant site at `shop.test`, the real app
 * routed to both by --host-resolver-rules, and headless Chromium through the proxy trusting the
 * pinaudit CA.
 */
import { makeTestPki, type TestPki } from '../../bench/test-pki.js';
import { launchThroughProxy, type LaunchOptions, type TestBrowser } from './chromium.js';
import { startTestProxy, type TestProxy } from './proxy.js';
import { startHttpsUpstream, startHttpUpstream, type Handler, type Upstream } from './upstream.js';

export interface Scenario {
  pki: TestPki;
  pinterest: Upstream;
  site: Upstream;
  proxy: TestProxy;
  browser: TestBrowser;
  close(): Promise<void>;
}

export async function startScenario(handlers: { pinterest: Handler; site: Handler }, launch: LaunchOptions = {}): Promise<Scenario> {
  const pki = makeTestPki();
  const pinterest = await startHttpsUpstream(pki.server(['*.pinterest.com', 's.pinimg.com', 'i.pinimg.com']), handlers.pinterest);
  const site = await startHttpUpstream(handlers.site);
  const proxy = await startTestProxy({
    'upstream-ca': pki.caPath,
    'host-resolver-rules': `MAP *.pinterest.com 127.0.0.1:${pinterest.port}, MAP *.pinimg.com 127.0.0.1:${pinterest.port}, MAP shop.test 127.0.0.1:${site.port}`,
  });
  const browser = await launchThroughProxy(proxy.port, proxy.caPem, launch);
  return {
    pki,
    pinterest,
    site,
    proxy,
    browser,
    close: async () => {
      await browser.close();
      await proxy.close();
      await Promise.all([pinterest.close(), site.close()]);
      pki.cleanup();
    },
  };
}
