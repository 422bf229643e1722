/**
 * Pinterest's endpoints as data (reference/pinterest.md §2): host + path prefix → category and a
 * short role that classification quotes in its reasons. The longest matching prefix wins, so a
 * specific row (`s.pinimg.com/ct/`) beats the host's catch-all (`s.pinimg.com/`). Hosts that no row
 * names fall back by registrable domain: `*.pinimg.com` is content, every other Pinterest host is
 * the user's own use of Pinterest.
 */
import type { Category } from '../types.js';
import { isPinterestSite, siteOf } from './domains.js';

/** One row of the endpoint table. */
export interface EndpointRule {
  /** Exact host name, lower case. `www.pinterest.com` also stands for the country domains. */
  readonly host: string;
  /** Path prefix; `/` matches every path on the host. */
  readonly pathPrefix: string;
  readonly category: Category;
  /** What the endpoint is, in a few words, for reasons ("the Pinterest Tag event beacon"). */
  readonly role: string;
  /** True when the reference marks the row as not seen on the wire. */
  readonly unconfirmed?: boolean;
}

/** The endpoint table. Order does not matter; matching picks the longest prefix per host. */
export const ENDPOINTS: readonly EndpointRule[] = Object.freeze([
  { host: 'ct.pinterest.com', pathPrefix: '/', category: 'tag', role: 'a Pinterest Tag endpoint' },
  { host: 'ct.pinterest.com', pathPrefix: '/v3/', category: 'tag', role: 'the Pinterest Tag event beacon' },
  { host: 'ct.pinterest.com', pathPrefix: '/user/', category: 'tag', role: 'the Pinterest Tag identity call' },
  { host: 'ct.pinterest.com', pathPrefix: '/ct.html', category: 'tag', role: 'the Pinterest Tag click-id storage frame' },
  { host: 'ct.pinterest.com', pathPrefix: '/static/ct/', category: 'tag', role: 'the Pinterest Tag click-id storage script' },
  { host: 'ct.pinterest.com', pathPrefix: '/stats/', category: 'telemetry', role: 'Pinterest Tag telemetry' },
  { host: 's.pinimg.com', pathPrefix: '/', category: 'content', role: 'Pinterest static content' },
  { host: 's.pinimg.com', pathPrefix: '/ct/', category: 'tag-script', role: 'the Pinterest Tag library' },
  { host: 'i.pinimg.com', pathPrefix: '/', category: 'content', role: 'a Pinterest image' },
  { host: 'v1.pinimg.com', pathPrefix: '/', category: 'content', role: 'a Pinterest video' },
  { host: 'log.pinterest.com', pathPrefix: '/', category: 'telemetry', role: 'the Save-button and embed log' },
  { host: 'assets.pinterest.com', pathPrefix: '/', category: 'widget', role: 'the Save button and embeds' },
  { host: 'widgets.pinterest.com', pathPrefix: '/', category: 'widget', role: 'Pinterest widget data' },
  { host: 'widgets.pinterest.com', pathPrefix: '/v1/urls/count.json', category: 'widget', role: 'the Save-count lookup' },
  { host: 'widgets.pinterest.com', pathPrefix: '/v3/pidgets/', category: 'widget', role: 'embed data' },
  { host: 'api.pinterest.com', pathPrefix: '/', category: 'first-party', role: 'the Pinterest API' },
  { host: 'api.pinterest.com', pathPrefix: '/v1/urls/count.json', category: 'widget', role: 'the Save-count lookup' },
  { host: 'api.pinterest.com', pathPrefix: '/v3/pidgets/', category: 'widget', role: 'embed data' },
  { host: 'www.pinterest.com', pathPrefix: '/', category: 'first-party', role: 'Pinterest itself' },
  {
    host: 'www.pinterest.com',
    pathPrefix: '/.well-known/attribution-reporting/',
    category: 'tag',
    role: 'an Attribution Reporting registration',
  },
  { host: 'www.pinterest.com', pathPrefix: '/pin/create/button/', category: 'widget', role: 'the Save popup' },
  { host: 'trk.pinterest.com', pathPrefix: '/', category: 'tag', role: 'a Pinterest tracking host', unconfirmed: true },
  { host: 'trk2.pinterest.com', pathPrefix: '/', category: 'tag', role: 'a Pinterest tracking host', unconfirmed: true },
  { host: 'analytics.pinterest.com', pathPrefix: '/', category: 'tag', role: 'a Pinterest tracking host', unconfirmed: true },
  { host: 'ads.pinterest.com', pathPrefix: '/', category: 'tag', role: 'a Pinterest ads host', unconfirmed: true },
] satisfies EndpointRule[]);

const BY_HOST: ReadonlyMap<string, readonly EndpointRule[]> = (() => {
  const map = new Map<string, EndpointRule[]>();
  for (const rule of ENDPOINTS) {
    const rows = map.get(rule.host) ?? [];
    rows.push(rule);
    map.set(rule.host, rows);
  }
  // Longest prefix first, so the first match is the most specific.
  for (const rows of map.values()) rows.sort((a, b) => b.pathPrefix.length - a.pathPrefix.length);
  return map;
})();

/** The result of looking a request up in the endpoint table. */
export interface EndpointMatch {
  readonly category: Category;
  readonly role: string;
  /** The matching row, or `null` when the host fell back by registrable domain. */
  readonly rule: EndpointRule | null;
}

/**
 * Finds the endpoint a Pinterest host + path belongs to; `null` when the host is not Pinterest's.
 * `pinterest.de` and `www.pinterest.de` are looked up as `www.pinterest.com`: the country domains
 * serve the same site.
 */
export function endpointOf(host: string, path: string): EndpointMatch | null {
  const lower = host.toLowerCase();
  const site = siteOf(lower);
  if (!isPinterestSite(site)) return null;
  const key = site !== null && site.startsWith('pinterest.') && (lower === site || lower === `www.${site}`)
    ? 'www.pinterest.com'
    : lower;
  for (const rule of BY_HOST.get(key) ?? []) {
    if (path.startsWith(rule.pathPrefix)) return { category: rule.category, role: rule.role, rule };
  }
  if (site === 'pinimg.com') return { category: 'content', role: 'Pinterest content', rule: null };
  return { category: 'first-party', role: 'Pinterest itself', rule: null };
}
