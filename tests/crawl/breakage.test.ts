/**
 * The breakage check on evidence made here: JPEGs drawn with jpeg-js (a blank page, the same page,
 * a page with a block painted over a quarter of it) and page evidence that differs one way at a
 * time. Each verdict names what made it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compareSite, comparePage, pixelDifference } from '../../src/crawl/breakage.js';
import type { PageEvidence } from '../../src/crawl/types.js';

const W = 200;
const H = 100;

/** A white image with an optional dark rectangle covering `share` of its width. */
function image(share = 0, width = W): Buffer {
  const data = Buffer.alloc(width * H * 4, 255);
  const dark = Math.round(width * share);
  for (let y = 0; y < H; y++) for (let x = 0; x < dark; x++) data.fill(20, (y * width + x) * 4, (y * width + x) * 4 + 3);
  return jpeg.encode({ data, width, height: H }, 90).data;
}

let dir: string;
const shots: Record<string, Buffer> = {};
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-breakage-'));
  shots['blank.jpg'] = image();
  shots['blank-again.jpg'] = image();
  shots['quarter.jpg'] = image(0.25);
  shots['wide.jpg'] = image(0, W + 10);
  for (const [name, data] of Object.entries(shots)) writeFileSync(join(dir, name), data);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const read = (file: string): Buffer => shots[file]!;

function page(over: Partial<PageEvidence> = {}): PageEvidence {
  return {
    requested: 'https://shop-a.test/',
    url: 'https://shop-a.test/',
    status: 200,
    pageErrors: [],
    failedSameSite: [],
    textLength: 1000,
    screenshot: 'blank.jpg',
    error: null,
    ...over,
  };
}

describe('pixelDifference', () => {
  test('identical renders differ in no pixel; a painted quarter differs in about a quarter', () => {
    expect(pixelDifference(shots['blank.jpg']!, shots['blank-again.jpg']!)).toBe(0);
    expect(pixelDifference(shots['blank.jpg']!, shots['quarter.jpg']!)).toBeCloseTo(0.25, 1);
  });

  test('screenshots of different sizes count as entirely changed', () => {
    expect(pixelDifference(shots['blank.jpg']!, shots['wide.jpg']!)).toBe(1);
  });
});

describe('comparePage', () => {
  test.each<[string, Partial<PageEvidence>, Partial<PageEvidence>, string, RegExp | null]>([
    ['the same page', {}, { screenshot: 'blank-again.jpg' }, 'works', null],
    ['an error both modes throw', { pageErrors: ['x is not defined'] }, { pageErrors: ['x is not defined'] }, 'works', null],
    ['a new uncaught error', {}, { pageErrors: ['pintrk is not defined'] }, 'broken', /1 new script error: pintrk is not defined/],
    ['a same-site request that now fails', { failedSameSite: [] }, { failedSameSite: ['https://shop-a.test/api (500)'] }, 'broken', /1 more same-site request failed/],
    ['most of the text gone', {}, { textLength: 300 }, 'broken', /visible text fell from 1000 to 300/],
    ['a page that no longer loads', {}, { error: 'net::ERR_FAILED', screenshot: null }, 'broken', /did not load/],
    ['a quarter of the screen changed', {}, { screenshot: 'quarter.jpg' }, 'changed', /2\d\.\d% of the screenshot changed/],
    ['text length moved by a fifth', {}, { textLength: 800 }, 'changed', /visible text changed from 1000 to 800/],
    ['a missing screenshot is no evidence either way', {}, { screenshot: null }, 'works', null],
  ])('%s', (_name, base, other, verdict, reason) => {
    const c = comparePage(0, 'trackers', page(base), page(other), read);
    expect(c.verdict).toBe(verdict);
    if (reason) expect(c.reasons.join('; ')).toMatch(reason);
    else expect(c.reasons).toEqual([]);
  });
});

describe('compareSite', () => {
  test('the worst page decides, and the figure is the largest pixel share', () => {
    const pages = [
      { off: page(), trackers: page({ screenshot: 'quarter.jpg' }) },
      { off: page(), trackers: page({ pageErrors: ['boom'] }) },
    ];
    const r = compareSite(pages, ['off', 'trackers'], dir);
    expect(r.verdict).toBe('broken');
    expect(r.reason).toMatch(/^page 1 in mode trackers: 1 new script error/);
    expect(r.pixelDiff).toBeCloseTo(0.25, 1);
    expect(r.comparisons.map((c) => c.verdict)).toEqual(['changed', 'broken']);
  });

  test('one mode gives no verdict', () => {
    expect(compareSite([{ off: page() }], ['off'], dir)).toEqual({ comparisons: [], verdict: null, reason: null, pixelDiff: null });
  });
});
