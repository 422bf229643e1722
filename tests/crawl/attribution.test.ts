/**
 * Attribution agreement: site agreement over every crawl request (unattributed ones disagree),
 * full-URL agreement only where pinaudit claims the full URL, and every disagreement listed.
 */
import { describe, expect, test } from 'vitest';
import { measureAttribution } from '../../src/crawl/attribution.js';
import type { CrawlRequestRow } from '../../src/store/crawl-queries.js';

let n = 0;
function row(over: Partial<CrawlRequestRow>): CrawlRequestRow {
  return {
    flowId: `f${++n}`,
    siteId: 1,
    mode: 'off',
    pageIndex: 0,
    crawlPage: 'https://shop-a.test/p/1',
    beforeInteraction: true,
    host: 'ct.pinterest.com',
    path: '/v3/',
    category: 'tag',
    pageSite: 'shop-a.test',
    pageUrl: 'https://shop-a.test/p/1',
    attributedBy: 'tag-payload',
    leakLevel: 'full-url',
    decision: 'allow',
    ...over,
  };
}

describe('measureAttribution', () => {
  test('nothing to compare gives no percentage rather than 0% or 100%', () => {
    expect(measureAttribution([])).toEqual({
      site: { compared: 0, agreed: 0, percent: null },
      fullUrl: { compared: 0, agreed: 0, percent: null },
      disagreements: [],
    });
  });

  test('agreeing requests, a wrong site, an unattributed request and a wrong full URL', () => {
    const rows = [
      row({}),
      row({ crawlPage: 'https://www.shop-a.test/p/1#top', pageUrl: 'https://www.shop-a.test/p/1' }),
      row({ leakLevel: 'origin', pageUrl: 'https://shop-a.test/', attributedBy: 'referer', category: 'content' }),
      row({ flowId: 'wrong-site', pageSite: 'blog-b.test', pageUrl: 'https://blog-b.test/', leakLevel: 'origin', attributedBy: 'recent-navigation' }),
      row({ flowId: 'none', pageSite: null, pageUrl: null, leakLevel: 'none', attributedBy: 'none' }),
      row({ flowId: 'stale-url', pageUrl: 'https://shop-a.test/' , crawlPage: 'https://shop-a.test/p/2' }),
    ];
    const r = measureAttribution(rows);
    expect(r.site).toEqual({ compared: 6, agreed: 4, percent: 66.7 });
    expect(r.fullUrl).toEqual({ compared: 3, agreed: 2, percent: 66.7 });
    expect(r.disagreements.map((d) => [d.flowId, d.measure, d.pinaudit, d.crawl])).toEqual([
      ['wrong-site', 'site', 'blog-b.test', 'shop-a.test'],
      ['none', 'site', null, 'shop-a.test'],
      ['stale-url', 'full-url', 'https://shop-a.test/', 'https://shop-a.test/p/2'],
    ]);
  });
});
