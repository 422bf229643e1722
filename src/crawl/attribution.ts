/**
 * How well pinaudit's own attribution matches the ground truth a crawl has: for every recorded
 * request, the page the crawler had open. Two measures:
 *
 * - site agreement: pinaudit's `page.site` equals the crawl page's site, over every crawl request
 *   (a request pinaudit could not attribute counts as a disagreement);
 * - full-URL agreement: where pinaudit claims the full URL leaked (leak level `full-url`), its page
 *   URL equals the crawl page's (fragments ignored).
 *
 * The disagreeing requests are listed, so every figure can be checked by hand.
 */
import { siteOf } from '../pinterest/domains.js';
import type { CrawlRequestRow } from '../store/index.js';

export interface Agreement {
  /** Requests compared. */
  compared: number;
  agreed: number;
  /** agreed / compared × 100, one decimal; `null` when nothing was compared. */
  percent: number | null;
}

export interface Disagreement {
  flowId: string;
  measure: 'site' | 'full-url';
  host: string;
  path: string;
  category: string | null;
  attributedBy: string | null;
  /** What pinaudit said (a site or a URL; `null` when it could not tell). */
  pinaudit: string | null;
  /** What the crawler knew. */
  crawl: string;
}

export interface AttributionReport {
  site: Agreement;
  fullUrl: Agreement;
  disagreements: Disagreement[];
}

function agreement(compared: number, agreed: number): Agreement {
  return { compared, agreed, percent: compared === 0 ? null : Math.round((agreed / compared) * 1000) / 10 };
}

const withoutFragment = (url: string): string => url.replace(/#.*$/, '');

export function measureAttribution(rows: readonly CrawlRequestRow[]): AttributionReport {
  const disagreements: Disagreement[] = [];
  let siteAgreed = 0;
  let fullCompared = 0;
  let fullAgreed = 0;
  for (const r of rows) {
    const base = { flowId: r.flowId, host: r.host, path: r.path, category: r.category, attributedBy: r.attributedBy };
    const crawlSite = siteOf(r.crawlPage) ?? r.crawlPage;
    if (r.pageSite !== null && r.pageSite === crawlSite) siteAgreed += 1;
    else disagreements.push({ ...base, measure: 'site', pinaudit: r.pageSite, crawl: crawlSite });
    if (r.leakLevel === 'full-url' && r.pageUrl !== null) {
      fullCompared += 1;
      if (withoutFragment(r.pageUrl) === withoutFragment(r.crawlPage)) fullAgreed += 1;
      else disagreements.push({ ...base, measure: 'full-url', pinaudit: r.pageUrl, crawl: r.crawlPage });
    }
  }
  return { site: agreement(rows.length, siteAgreed), fullUrl: agreement(fullCompared, fullAgreed), disagreements };
}
