/**
 * `classify(observation, context) → Finding`: pure, synchronous, bounded, and it never throws.
 * The pieces live next door (payload → attribution → identifiers → tag fields → signals); this
 * file decides category and third party from them and writes the reasons in a stable order.
 */
import type { Category, Finding, Observation, RecentPage } from '../types.js';
import { hostOf, isPinterestHost, siteOf } from '../pinterest/domains.js';
import { endpointOf, type EndpointMatch } from '../pinterest/endpoints.js';
import { SESSION_COOKIE } from '../pinterest/cookies.js';
import { PD_PERSONAL_FIELDS } from '../pinterest/params.js';
import { attribute, isRecent, type Attribution } from './attribution.js';
import { cookiesFrom, IdentifierList, payloadIdentifiers } from './identifiers.js';
import { LIMITS } from './limits.js';
import { clip } from './decode.js';
import { asText, pick, readPayload } from './payload.js';
import { readSignals } from './signals.js';
import { splitUrl } from '../url.js';
import { tagFields } from './tag-fields.js';
import { plural } from '../plural.js';

/** What classification may know beyond the request itself. */
export interface ClassifyContext {
  /** Keyed fingerprint of a credential (see `createFingerprinter`). */
  fingerprint(name: string, value: string): string;
  /** The client's most recent non-Pinterest page, if any; used only when recent to the request. */
  recentPage: RecentPage | null;
}

/** Categories that exist to be embedded in other sites' pages. */
const EMBEDDED: ReadonlySet<Category> = new Set(['tag', 'tag-script', 'telemetry', 'widget']);

/** Classifies one observation. Never throws: an internal failure yields a Finding that says so. */
export function classify(observation: Observation, context: ClassifyContext): Finding {
  try {
    return classifyUnsafe(observation, context);
  } catch (err) {
    return failed(observation, err);
  }
}

function classifyUnsafe(observation: Observation, context: ClassifyContext): Finding {
  const url = typeof observation.url === 'string' ? observation.url : '';
  const host = normalizeHost(observation.host || hostOf(url.slice(0, LIMITS.urlChars)) || '');
  if (!isPinterestHost(host)) return notPinterest(host);

  const { path, query, clipped } = splitUrl(url, LIMITS);
  const endpoint = endpointOf(host, path) as EndpointMatch;
  const payload = readPayload(observation, query, clipped);
  const embedded = endpoint.category !== 'first-party';
  const recent = context.recentPage !== null && embedded && isRecent(context.recentPage, observation.time)
    ? context.recentPage
    : null;
  const attribution = attribute(observation, payload, recent, embedded);

  const reasons = [endpointReason(host, endpoint)];
  reasons.push(...attribution.reasons);
  const { category, thirdParty } = decideParty(observation, endpoint.category, attribution, reasons);

  const list = new IdentifierList((name, value) => context.fingerprint(name, value));
  const { names: cookieNames } = cookiesFrom(observation.headers['cookie'], list);
  payloadIdentifiers(payload, list);
  const tag = endpoint.category === 'tag' ? tagFields(payload) : null;
  const signals = readSignals(observation, payload);
  const loggedIn = cookieNames.includes(SESSION_COOKIE);

  const previous = asText(pick(payload, 'ad.ref')?.value);
  if (previous !== null && /^https?:\/\//i.test(previous)) {
    reasons.push(`\`ad.ref\` also names the page visited before: ${clip(previous, LIMITS.reasonUrlChars)}.`);
  }
  if (tag !== null) reasons.push(...tagReasons(tag));
  const personal = PD_PERSONAL_FIELDS.filter((name) => pick(payload, `pd.${name}`) !== undefined);
  if (personal.length > 0) reasons.push(`\`pd\` also carries personal data (${personal.join(', ')}).`);
  if (list.items.length > 0) {
    const shown = list.items.map((i) => `\`${i.name}\` (${i.kind}, ${i.source}${i.kind === 'credential' ? ', fingerprinted' : ''})`);
    reasons.push(`Identifiers sent: ${shown.join(', ')}.`);
  }
  if (loggedIn) reasons.push(`Pinterest's session cookie \`${SESSION_COOKIE}\` went along: the page can be tied to an account.`);
  if (signals.gpc || signals.dnt) {
    const sent = [signals.gpc ? 'Sec-GPC: 1' : null, signals.dnt ? 'DNT: 1' : null].filter((s) => s !== null);
    reasons.push(`Sent despite the browser's opt-out (${sent.join(', ')}).`);
  }
  if (signals.clientHints) reasons.push(`High-entropy client hints went along (${signals.hints.slice(0, 4).join(', ')}).`);
  reasons.push(...payload.notes);
  const malformed = [...payload.malformed];
  if (list.fingerprintFailed) {
    malformed.push('fingerprint');
    reasons.push('A credential could not be fingerprinted; it is recorded without a value.');
  }

  return {
    pinterest: true,
    host,
    category,
    thirdParty,
    page: { ...attribution.page },
    leakLevel: attribution.leakLevel,
    tag,
    identifiers: list.items,
    loggedIn,
    signals: { gpc: signals.gpc, dnt: signals.dnt, clientHints: signals.clientHints },
    malformed,
    reasons,
  };
}

/**
 * Category and third party from the endpoint and the page: the user's own use of Pinterest is
 * `first-party`; a third-party page loading a first-party endpoint is either the user following a
 * link (a navigation) or an embed (`widget`); embeddable endpoints without page evidence count as
 * third party because that is what they exist for.
 */
function decideParty(
  observation: Observation,
  endpointCategory: Category,
  attribution: Attribution,
  reasons: string[],
): { category: Category; thirdParty: boolean } {
  if (attribution.ownUse) {
    if (endpointCategory !== 'first-party') reasons.push(`Counted as first-party, not ${endpointCategory}.`);
    return { category: 'first-party', thirdParty: false };
  }
  if (endpointCategory === 'widget' && isUserNavigation(observation)) {
    // The person clicked (a Save button opens pin/create as a top-level window): their own use of
    // Pinterest, which blocking must not break. The page it names is still recorded.
    reasons.push(`Opened by the user's own click${attribution.page.site ? ` on ${attribution.page.site}` : ''} (Sec-Fetch-User): counted as the user's own use of Pinterest.`);
    return { category: 'first-party', thirdParty: false };
  }
  if (endpointCategory === 'first-party' && attribution.thirdPartyPage) {
    if (isNavigation(observation)) {
      reasons.push(`A navigation to Pinterest from ${attribution.page.site ?? 'another page'}: the user's own visit.`);
      return { category: 'first-party', thirdParty: false };
    }
    reasons.push('A third-party page loaded this Pinterest resource: treated as a widget.');
    return { category: 'widget', thirdParty: true };
  }
  if (attribution.thirdPartyPage) {
    const where = attribution.page.site ?? hostOf(attribution.page.url ?? '') ?? 'another site';
    reasons.push(`Third party: the page is on ${where}, not Pinterest.`);
    return { category: endpointCategory, thirdParty: true };
  }
  const thirdParty = EMBEDDED.has(endpointCategory);
  reasons.push(thirdParty
    ? 'Third party: this Pinterest endpoint exists to be embedded in other sites.'
    : 'Not counted as a third-party leak: nothing shows another site caused it.');
  return { category: endpointCategory, thirdParty };
}

function endpointReason(host: string, endpoint: EndpointMatch): string {
  const where = endpoint.rule ? `${host}${endpoint.rule.pathPrefix === '/' ? '' : endpoint.rule.pathPrefix}` : host;
  const unconfirmed = endpoint.rule?.unconfirmed ? '; its request format is unconfirmed' : '';
  return `${where} is ${endpoint.role} (${endpoint.category}${unconfirmed}).`;
}

function tagReasons(tag: NonNullable<Finding['tag']>): string[] {
  const out: string[] = [];
  if (tag.id !== null) out.push(`Tag id ${tag.id} names the advertiser${tag.event ? `; event \`${tag.event}\`` : ''}.`);
  if (tag.hashedEmail !== null) {
    out.push(tag.hashedEmail.algo === 'clear-text?'
      ? 'The e-mail field is not a hash: possibly a clear-text e-mail address.'
      : `A hashed e-mail (${tag.hashedEmail.algo}) went along.`);
  }
  const order = [
    tag.value !== null ? `value ${tag.value}${tag.currency !== null ? ` ${tag.currency}` : ''}` : null,
    tag.orderId !== null ? `order id ${tag.orderId}` : null,
    tag.lineItems.length > 0 ? plural(tag.lineItems.length, 'line item') : null,
  ].filter((part) => part !== null);
  if (order.length > 0) out.push(`Order details went along: ${order.join(', ')}.`);
  if (tag.partner !== null) out.push(`Sent through the ${tag.partner} integration.`);
  return out;
}

/** A top-level navigation the browser says the user activated (a click, not a script). */
function isUserNavigation(observation: Observation): boolean {
  const h = observation.headers;
  return h['sec-fetch-user'] === '?1' && h['sec-fetch-mode']?.toLowerCase() === 'navigate' && (h['sec-fetch-dest'] ?? 'document').toLowerCase() === 'document';
}

/** A top-level navigation, or a plain GET without Fetch metadata (old clients, command lines). */
function isNavigation(observation: Observation): boolean {
  const mode = observation.headers['sec-fetch-mode']?.toLowerCase();
  if (mode === undefined) return observation.method === 'GET';
  const dest = observation.headers['sec-fetch-dest']?.toLowerCase();
  return mode === 'navigate' && (dest === undefined || dest === 'document');
}


function normalizeHost(raw: string): string {
  let host = String(raw).slice(0, 300).trim().toLowerCase();
  if (host.startsWith('[')) host = host.slice(1, host.indexOf(']') === -1 ? undefined : host.indexOf(']'));
  else if (/:\d*$/.test(host)) host = host.slice(0, host.lastIndexOf(':'));
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

function emptyFinding(host: string, pinterest: boolean, reasons: string[], malformed: string[] = []): Finding {
  return {
    pinterest,
    host,
    category: null,
    thirdParty: false,
    page: { site: null, url: null, attributedBy: 'none', confidence: 'none' },
    leakLevel: 'none',
    tag: null,
    identifiers: [],
    loggedIn: false,
    signals: { gpc: false, dnt: false, clientHints: false },
    malformed,
    reasons,
  };
}

function notPinterest(host: string): Finding {
  const site = host === '' ? null : siteOf(host);
  const name = host === '' ? 'The request has no host and' : `${host}`;
  return emptyFinding(host, false, [
    `${name} is not a Pinterest domain${site !== null ? ` (registrable domain ${site})` : ''}.`,
  ]);
}

function failed(observation: Observation, err: unknown): Finding {
  let host = '';
  let pinterest = false;
  try {
    host = normalizeHost(typeof observation.host === 'string' ? observation.host : '');
    pinterest = isPinterestHost(host);
  } catch {
    // Keep the defaults: this path must not throw.
  }
  // Only the error's class: its message could quote request data.
  const kind = err instanceof Error ? err.name : typeof err;
  return emptyFinding(host, pinterest, [`Classification failed (${kind}); the request is recorded without conclusions.`], ['internal']);
}
