/**
 * Which page caused a request, and how we know. Evidence is tried strongest first: the tag's own
 * payload (`ad.loc`, `via`, `url`), the Referer, the Origin. A Pinterest frame (an iframe or
 * script on assets./ct./widgets.pinterest.com) is not the page: it is skipped so that weaker but
 * real evidence — the client's recent navigation — can name the page instead. A Pinterest page
 * (www.pinterest.com) is real evidence: the user's own use of Pinterest.
 */
import type { AttributionMethod, Confidence, LeakLevel, Observation, PageAttribution, RecentPage } from '../types.js';
import { isPinterestHost, siteOf } from '../pinterest/domains.js';
import { endpointOf } from '../pinterest/endpoints.js';
import { PAGE_PARAMS } from '../pinterest/params.js';
import { clip } from './decode.js';
import { LIMITS } from './limits.js';
import { asText, pick, type Payload } from './payload.js';

/** How long a client's last navigation may explain a request that carries no page evidence. */
export const RECENT_WINDOW_MS = 5_000;
/** Clock skew tolerated between a tunnel event and a request that it explains. */
const RECENT_SKEW_MS = 1_000;

/** What a candidate URL turned out to be. */
type Owner = 'third-party' | 'pinterest-page' | 'pinterest-frame';

interface Candidate {
  url: string;
  host: string;
  site: string | null;
  leak: LeakLevel;
  owner: Owner;
}

export interface Attribution {
  page: PageAttribution;
  leakLevel: LeakLevel;
  /** The page (or, without one, Sec-Fetch-Site) says this is the user's own use of Pinterest. */
  ownUse: boolean;
  /** The page is known and is not Pinterest's. */
  thirdPartyPage: boolean;
  reasons: string[];
}

/** Reads a page URL: absolute http(s) only; never throws. */
export function readPageUrl(raw: string): Candidate | null {
  const text = clip(raw.trim(), LIMITS.urlChars);
  if (!/^https?:\/\//i.test(text)) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === '') return null;
  const leak: LeakLevel = url.pathname !== '/' || url.search !== '' || url.hash !== '' ? 'full-url' : 'origin';
  let owner: Owner = 'third-party';
  if (isPinterestHost(host)) {
    owner = endpointOf(host, url.pathname)?.category === 'first-party' ? 'pinterest-page' : 'pinterest-frame';
  }
  return { url: text, host, site: siteOf(host), leak, owner };
}

const quote = (url: string): string => clip(url, LIMITS.reasonUrlChars);

/** Decides the page of one request. `allowUrlParams` is false for Pinterest's own pages. */
export function attribute(
  observation: Observation,
  payload: Payload,
  recentPage: RecentPage | null,
  allowUrlParams: boolean,
): Attribution {
  const reasons: string[] = [];
  let frameSeen = false;
  const consider = (cand: Candidate | null, method: AttributionMethod, label: string): Attribution | null => {
    if (cand === null) return null;
    if (cand.owner === 'pinterest-frame') {
      frameSeen = true;
      reasons.push(`${label} ${quote(cand.url)} is Pinterest's own frame, not the page.`);
      return null;
    }
    return fromCandidate(cand, method, label, reasons);
  };

  for (const { path, where } of PAGE_PARAMS) {
    if (path === 'url' && !allowUrlParams) continue;
    const text = asText(pick(payload, path)?.value);
    if (text === null) continue;
    const found = consider(readPageUrl(text), 'tag-payload', `\`${path}\` in ${where}:`);
    if (found) return found;
  }
  const referer = header(observation, 'referer');
  if (referer !== null) {
    const found = consider(readPageUrl(referer), 'referer', 'Referer');
    if (found) return found;
  }
  const origin = header(observation, 'origin');
  if (origin !== null && origin !== 'null') {
    const found = consider(readPageUrl(origin), 'origin', 'Origin');
    if (found) return found;
  }

  const fetchSite = header(observation, 'sec-fetch-site')?.toLowerCase() ?? null;
  const ownFetch = fetchSite === 'none' || fetchSite === 'same-origin' || fetchSite === 'same-site';
  if (ownFetch && !frameSeen) {
    reasons.push(`No page evidence and Sec-Fetch-Site: ${fetchSite}: the user's own use of Pinterest.`);
    return { page: NO_PAGE, leakLevel: 'none', ownUse: true, thirdPartyPage: false, reasons };
  }
  if (recentPage !== null && isRecent(recentPage, observation.time) && !isPinterestHost(recentPage.site)) {
    const seconds = Math.max(0, observation.time - recentPage.time) / 1000;
    reasons.push(
      `Page guessed from this client's visit to ${recentPage.site} ${seconds.toFixed(1)} s earlier ` +
        '(low confidence; the request itself did not name it).',
    );
    return {
      page: { site: recentPage.site, url: recentPage.url, attributedBy: 'recent-navigation', confidence: 'low' },
      leakLevel: 'none',
      ownUse: false,
      thirdPartyPage: true,
      reasons,
    };
  }
  reasons.push('No evidence of the page that caused this request.');
  return { page: NO_PAGE, leakLevel: 'none', ownUse: false, thirdPartyPage: false, reasons };
}

const NO_PAGE: PageAttribution = Object.freeze({ site: null, url: null, attributedBy: 'none', confidence: 'none' });

function fromCandidate(cand: Candidate, method: AttributionMethod, label: string, reasons: string[]): Attribution {
  const confidence: Confidence = method === 'origin' ? 'medium' : 'high';
  const page: PageAttribution = { site: cand.site, url: cand.url, attributedBy: method, confidence };
  if (cand.owner === 'pinterest-page') {
    reasons.push(`${label} ${quote(cand.url)} is a Pinterest page: the user's own use of Pinterest.`);
    return { page, leakLevel: 'none', ownUse: true, thirdPartyPage: false, reasons };
  }
  const leakLevel: LeakLevel = method === 'origin' ? 'origin' : cand.leak;
  const what = method === 'origin' ? 'Page origin' : 'Page';
  const from = method === 'tag-payload' ? `from ${label.replace(/:$/, '')}` : `from the ${label} header`;
  reasons.push(`${what} ${from}: ${quote(cand.url)}.`);
  reasons.push(
    leakLevel === 'full-url'
      ? 'The full page URL leaked (a path or query beyond `/`).'
      : 'Only the page origin leaked (scheme and host).',
  );
  return { page, leakLevel, ownUse: false, thirdPartyPage: true, reasons };
}

/** True when a recent page is close enough in time to explain a request at `time`. */
export function isRecent(page: RecentPage, time: number): boolean {
  const age = time - page.time;
  return age <= RECENT_WINDOW_MS && age >= -RECENT_SKEW_MS;
}

function header(observation: Observation, name: string): string | null {
  const value = observation.headers[name];
  if (typeof value !== 'string' || value === '') return null;
  return value.length > LIMITS.headerChars ? value.slice(0, LIMITS.headerChars) : value;
}
