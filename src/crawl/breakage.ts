/**
 * The breakage check: does blocking break a page? Each page of a site is compared between the
 * first mode (normally `off`) and each other mode, on what a visitor would notice:
 *
 * - broken: the page failed to load only when blocking, it threw script errors it did not throw
 *   unblocked, more same-site requests failed, or it lost more than half of its visible text;
 * - changed: the screenshot differs in more than {@link CHANGED_PIXEL_SHARE} of its pixels, or the
 *   visible text length moved by more than {@link CHANGED_TEXT_SHARE};
 * - works: none of that.
 *
 * A site's verdict is its worst page's. Screenshot differences are counted by pixelmatch over the
 * decoded JPEGs (its anti-aliasing detection ignores font-edge noise).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import pixelmatch from 'pixelmatch';
import type { BlockMode } from '../types.js';
import type { PageComparison, PageEvidence, SiteEvidence, Verdict } from './types.js';
import { plural } from '../plural.js';

/** Share of pixels that must differ for a page to count as changed. */
export const CHANGED_PIXEL_SHARE = 0.02;
/** Relative change of the visible text length that counts as changed. */
export const CHANGED_TEXT_SHARE = 0.1;
/** Share of the visible text a page may lose before it counts as broken. */
export const BROKEN_TEXT_LOSS = 0.5;

const RANK: Record<Verdict, number> = { works: 0, changed: 1, broken: 2 };

/** Share of pixels that differ between two JPEGs (1 when their sizes differ). */
export function pixelDifference(a: Buffer, b: Buffer): number {
  const one = jpeg.decode(a, { useTArray: true, maxMemoryUsageInMB: 256 });
  const two = jpeg.decode(b, { useTArray: true, maxMemoryUsageInMB: 256 });
  if (one.width !== two.width || one.height !== two.height) return 1;
  const total = one.width * one.height;
  if (total === 0) return 0;
  return pixelmatch(one.data, two.data, null, one.width, one.height, { threshold: 0.1 }) / total;
}

/** Compares page `index` between the base mode and `mode`; `readShot` loads a screenshot file. */
export function comparePage(
  index: number,
  mode: BlockMode,
  base: PageEvidence,
  other: PageEvidence,
  readShot: (file: string) => Buffer,
): PageComparison {
  const broken: string[] = [];
  const changed: string[] = [];
  if (other.error !== null && base.error === null) broken.push(`the page did not load: ${other.error}`);
  const newErrors = other.pageErrors.filter((e) => !base.pageErrors.includes(e));
  if (newErrors.length > 0) broken.push(`${plural(newErrors.length, 'new script error')}: ${newErrors[0]}`);
  if (other.failedSameSite.length > base.failedSameSite.length) {
    broken.push(`${plural(other.failedSameSite.length - base.failedSameSite.length, 'more same-site request')} failed`);
  }
  if (base.textLength > 0 && other.textLength < base.textLength * (1 - BROKEN_TEXT_LOSS)) {
    broken.push(`visible text fell from ${base.textLength} to ${other.textLength} characters`);
  } else if (base.textLength > 0 && Math.abs(other.textLength - base.textLength) > base.textLength * CHANGED_TEXT_SHARE) {
    changed.push(`visible text changed from ${base.textLength} to ${other.textLength} characters`);
  }
  let pixelDiff: number | null = null;
  if (base.screenshot !== null && other.screenshot !== null) {
    try {
      pixelDiff = pixelDifference(readShot(base.screenshot), readShot(other.screenshot));
    } catch {
      pixelDiff = null; // an unreadable screenshot is no evidence either way
    }
  }
  if (pixelDiff !== null && pixelDiff > CHANGED_PIXEL_SHARE) changed.push(`${(pixelDiff * 100).toFixed(1)}% of the screenshot changed`);
  const verdict: Verdict = broken.length > 0 ? 'broken' : changed.length > 0 ? 'changed' : 'works';
  return { index, mode, verdict, pixelDiff, reasons: broken.length > 0 ? broken : changed };
}

/** Compares every page visited in every mode after the first with the first mode's. */
export function compareSite(
  pages: SiteEvidence['pages'],
  modes: readonly BlockMode[],
  screenshotDir: string,
): { comparisons: PageComparison[]; verdict: Verdict | null; reason: string | null; pixelDiff: number | null } {
  const [baseMode, ...others] = modes;
  const comparisons: PageComparison[] = [];
  if (baseMode === undefined) return { comparisons, verdict: null, reason: null, pixelDiff: null };
  const readShot = (file: string): Buffer => readFileSync(join(screenshotDir, file));
  pages.forEach((byMode, index) => {
    const base = byMode[baseMode];
    if (!base) return;
    for (const mode of others) {
      const other = byMode[mode];
      if (other) comparisons.push(comparePage(index, mode, base, other, readShot));
    }
  });
  if (comparisons.length === 0) return { comparisons, verdict: null, reason: null, pixelDiff: null };
  const worst = comparisons.reduce((w, c) => (RANK[c.verdict] > RANK[w.verdict] ? c : w));
  const diffs = comparisons.map((c) => c.pixelDiff).filter((d): d is number => d !== null);
  const where = worst.index === 0 ? 'home page' : `page ${worst.index}`;
  return {
    comparisons,
    verdict: worst.verdict,
    reason: worst.reasons.length > 0 ? `${where} in mode ${worst.mode}: ${worst.reasons.join('; ')}` : null,
    pixelDiff: diffs.length > 0 ? Math.max(...diffs) : null,
  };
}
