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

export async function launchThroughProxy(proxyPort: number, caPem: string | null): Promise<TestBrowser> {
  const home = mkdtempSync(join(tmpdir(), 'pinaudit-chromium-'));
  if (caPem) {
    const db = join(home, '.pki', 'nssdb');
    mkdirSync(db, { recursive: true });
    writeFileSync(join(home, 'ca.pem'), caPem);
    execFileSync('certutil', ['-d', `sql:${db}`, '-N', '--empty-password'], { stdio: 'pipe' });
    execFileSync('certutil', ['-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', 'pinaudit', '-i', join(home, 'ca.pem')], { stdio: 'pipe' });
  }
  // playwright-core gives every launch a fresh, empty user-data-dir of its own.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    env: { ...process.env, HOME: home },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--proxy-server=http://127.0.0.1:${proxyPort}`,
    ],
  });
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
