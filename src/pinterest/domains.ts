/**
 * Who is "Pinterest": the registrable domains owned by Pinterest, Inc. (reference/pinterest.md §1),
 * and the one place that asks tldts for a host's registrable domain. Matching is always by
 * registrable domain, never by substring: `notpinterest.com` and `pinterest.com.evil.test` are not
 * Pinterest.
 */
import { getDomain, getHostname } from 'tldts';
import { LruCache } from '../lru.js';

const COUNTRY_SUFFIXES = [
  'at', 'be', 'ca', 'ch', 'cl', 'co', 'co.at', 'co.in', 'co.kr', 'co.nz', 'co.uk', 'com.au',
  'com.bo', 'com.ec', 'com.mx', 'com.pe', 'com.py', 'com.uy', 'com.vn', 'de', 'dk', 'ec', 'es',
  'fr', 'hu', 'id', 'ie', 'in', 'it', 'jp', 'kr', 'mx', 'nl', 'nz', 'pe', 'ph', 'pt', 'ru', 'se',
  'th', 'tw', 'uk', 'vn',
] as const;

/** Every registrable domain Pinterest owns, sorted. Also the CA's permitted name subtrees. */
export const PINTEREST_DOMAINS: readonly string[] = Object.freeze(
  [
    'pinterest.com',
    'pinimg.com',
    'pin.it',
    'pinterestmail.com',
    'pinterest.engineering',
    'pinterest.info',
    'pinterest.biz',
    ...COUNTRY_SUFFIXES.map((s) => `pinterest.${s}`),
    'pinterestacademy.com',
    'pinterestcareers.com',
    'pinterestinc.com',
    'pinterestlabs.com',
    'pintereststatus.com',
    'pinterdev.com',
    'pintergration.com',
    'pinadmin.com',
  ].sort(),
);

const DOMAIN_SET: ReadonlySet<string> = new Set(PINTEREST_DOMAINS);

/**
 * A reserved name that only pinaudit answers (RFC 2606 `.invalid`): the dashboard's setup check
 * fetches it through the proxy to learn whether the browser uses pinaudit and trusts its CA,
 * without contacting Pinterest. It is part of the CA's permitted names.
 */
export const CHECK_HOST = 'check.pinaudit.invalid';

/**
 * Registrable domain (eTLD+1) of a host or URL, lower case; `null` for IP literals and names
 * without one. Private suffixes (github.io, …) count as public suffixes, as browsers treat them.
 */
export function siteOf(hostOrUrl: string): string | null {
  // Hosts repeat on every request (ct.pinterest.com, the shop's own host): look each up once.
  return hostOrUrl.length <= 253 ? SITES.get(hostOrUrl, lookUpSite) : lookUpSite(hostOrUrl);
}

/**
 * Registrable domains by host or short URL. A memo of a pure function over a fixed public suffix
 * list: no caller can observe it except by speed, so it lives here rather than in every caller.
 */
const SITES = new LruCache<string | null>(4096);

function lookUpSite(hostOrUrl: string): string | null {
  const site = getDomain(hostOrUrl, { allowPrivateDomains: true });
  return site ? site.toLowerCase() : null;
}

/** Host name of a URL (lower case), or `null` when it has none. */
export function hostOf(url: string): string | null {
  const host = getHostname(url);
  return host ? host.toLowerCase() : null;
}

/** True when a registrable domain is one of Pinterest's. */
export function isPinterestSite(site: string | null | undefined): boolean {
  return site != null && DOMAIN_SET.has(site.toLowerCase());
}

/** True when a host name's registrable domain is one of Pinterest's. */
export function isPinterestHost(host: string): boolean {
  return isPinterestSite(siteOf(host));
}
