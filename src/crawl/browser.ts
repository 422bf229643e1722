/**
 * The browser the crawler drives (playwright-core: the only module that imports it, with
 * visit.ts). It trusts pinaudit's CA and the `--upstream-ca` roots and nothing else extra, and only
 * for itself: their public-key hashes go to Chromium's `--ignore-certificate-errors-spki-list`, so
 * no system trust store is touched. Each site visit gets a fresh context (no cookies, no consent)
 * whose proxy credentials label its traffic. Third-party cookies are allowed as desktop Chrome
 * ships: a context of a normal profile inherits its cookie setting, so the browser is started on a
 * throwaway profile whose preferences allow them (contexts of Playwright's default profile are
 * incognito-like and would block them).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { PinauditError } from '../errors.js';

/** base64 SHA-256 of a certificate's SubjectPublicKeyInfo: Chromium's SPKI hash. */
export function spkiHash(certPem: string): string {
  const der = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

/** Every certificate in a PEM bundle. */
export function pemCertificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** Flags of every Chromium pinaudit starts (the crawl's and the tests'): quiet, no updates, no QUIC. */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface CrawlBrowser {
  /** A fresh context whose traffic the proxy sees labelled `proxyUser`. */
  newContext(proxyUser: string): Promise<BrowserContext>;
  /** True until the browser process went away. */
  connected(): boolean;
  close(): Promise<void>;
}

export interface LaunchOptions {
  executablePath: string;
  proxyPort: number;
  /** PEM certificates whose public keys the browser accepts (pinaudit's CA and leaf, upstream CAs). */
  trusted: readonly string[];
}

export async function launchCrawlBrowser(opts: LaunchOptions): Promise<CrawlBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'pinaudit-crawl-browser-'));
  const cleanup = (): void => rmSync(profile, { recursive: true, force: true });
  mkdirSync(join(profile, 'Default'));
  // cookie_controls_mode 0: third-party cookies allowed, as in desktop Chrome's default profile.
  writeFileSync(join(profile, 'Default', 'Preferences'), JSON.stringify({ profile: { cookie_controls_mode: 0, block_third_party_cookies: false } }));
  const server = `http://127.0.0.1:${opts.proxyPort}`;
  const hashes = [...new Set(opts.trusted.map(spkiHash))];
  let browser: Browser;
  let base: BrowserContext;
  try {
    base = await chromium.launchPersistentContext(profile, {
      executablePath: opts.executablePath,
      args: [...CHROMIUM_FLAGS, `--ignore-certificate-errors-spki-list=${hashes.join(',')}`],
      proxy: { server, username: 'browser', password: 'pinaudit' },
    });
    const b = base.browser();
    if (b === null) throw new Error('the browser offers no contexts besides its profile');
    browser = b;
  } catch (err) {
    cleanup();
    throw new PinauditError('BROWSER_MISSING', `cannot start the browser ${opts.executablePath}: ${firstLine(err)} (choose another with --browser PATH)`);
  }
  return {
    newContext: (proxyUser) =>
      browser.newContext({
        proxy: { server, username: proxyUser, password: 'pinaudit' },
        viewport: { width: 1024, height: 768 },
      }),
    connected: () => browser.isConnected(),
    close: async () => {
      await base.close().catch(() => undefined);
      cleanup();
    },
  };
}

export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').slice(0, 300);
}
