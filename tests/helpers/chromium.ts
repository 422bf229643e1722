/**
 * Headless Debian Chromium driven by playwright-core, through the pinaudit proxy, trusting the
 * pinaudit CA through its own NSS database (as a user would with certutil). When Chromium or
 * certutil is missing the tests say so loudly; under CI=true they fail instead of skipping.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { CHROMIUM_FLAGS } from '../../src/crawl/browser.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Why browser tests cannot run here, or null when they can. */
export function browserMissing(): string | null {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (apt-get install chromium)`;
  try {
    execFileSync('certutil', ['-H'], { stdio: 'ignore' });
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return 'certutil is missing (apt-get install libnss3-tools)';
  }
  return null;
}

/** In CI a missing browser is a failure; elsewhere the caller skips with this loud message. */
export function shouldSkipBrowserTests(): boolean {
  const missing = browserMissing();
  if (missing === null) return false;
  if (process.env.CI === 'true') throw new Error(`browser tests cannot run: ${missing}`);
  console.warn(`\n*** SKIPPING browser tests: ${missing} ***\n`);
  return true;
}

export interface TestBrowser {
  browser: Browser;
  context: BrowserContext;
  close(): Promise<void>;
}

export interface LaunchOptions {
  /**
   * Send third-party cookies, as a person's everyday Chrome profile does (`_pinterest_ct_ua` on
   * ct.pinterest.com from a shop's page). Playwright's contexts are incognito-like and block them,
   * so this launches a fresh persistent profile whose preferences allow them.
   */
  thirdPartyCookies?: boolean;
}


export async function launchThroughProxy(proxyPort: number, caPem: string | null, options: LaunchOptions = {}): Promise<TestBrowser> {
  const home = mkdtempSync(join(tmpdir(), 'pinaudit-chromium-'));
  if (caPem) {
    const db = join(home, '.pki', 'nssdb');
    mkdirSync(db, { recursive: true });
    writeFileSync(join(home, 'ca.pem'), caPem);
    execFileSync('certutil', ['-d', `sql:${db}`, '-N', '--empty-password'], { stdio: 'pipe' });
    execFileSync('certutil', ['-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', 'pinaudit', '-i', join(home, 'ca.pem')], { stdio: 'pipe' });
  }
  const launch = { executablePath: CHROMIUM, env: { ...process.env, HOME: home }, args: [...CHROMIUM_FLAGS, `--proxy-server=http://127.0.0.1:${proxyPort}`] };
  if (options.thirdPartyCookies) {
    const profile = join(home, 'profile');
    mkdirSync(join(profile, 'Default'), { recursive: true });
    writeFileSync(join(profile, 'Default', 'Preferences'), JSON.stringify({ profile: { cookie_controls_mode: 0, block_third_party_cookies: false } }));
    const context = await chromium.launchPersistentContext(profile, launch);
    const browser = context.browser();
    if (browser === null) throw new Error('a persistent Chromium context has no browser object');
    return {
      browser,
      context,
      close: async () => {
        await context.close();
        rmSync(home, { recursive: true, force: true });
      },
    };
  }
  // playwright-core gives every launch a fresh, empty user-data-dir of its own.
  const browser = await chromium.launch(launch);
  const context = await browser.newContext();
  return {
    browser,
    context,
    close: async () => {
      await browser.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
