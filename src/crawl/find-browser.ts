/**
 * Which Chromium or Chrome the crawl drives: `--browser PATH`, or the first one installed where
 * browsers usually are. Kept apart from browser.ts so that finding one does not load the driver.
 */
import { existsSync } from 'node:fs';
import { PinauditError } from '../errors.js';

/** Where a Chromium or Chrome is usually installed, in the order they are tried. */
export const BROWSER_CANDIDATES: readonly string[] = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

/** The `--browser` path, or the first candidate that exists; a clear error naming the flag if none. */
export function findBrowser(given: string | null, candidates: readonly string[] = BROWSER_CANDIDATES): string {
  if (given !== null) {
    if (!existsSync(given)) throw new PinauditError('USAGE', `--browser: ${JSON.stringify(given)} does not exist`);
    return given;
  }
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) {
    throw new PinauditError(
      'BROWSER_MISSING',
      `no Chromium or Chrome found (looked for ${candidates.join(', ')}); install one or name it with --browser PATH`,
    );
  }
  return found;
}
