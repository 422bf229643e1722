/**
 * Pinterest's cookie vocabulary (reference/pinterest.md §4). Tracking ids are what the user wants
 * to see and link across sites, so they are kept as seen; credentials let anyone act as the user,
 * so classification keeps only a keyed fingerprint of them.
 */
import type { IdentifierKind } from '../types.js';

/** Kinds a cookie can have; `hashed-email` only travels in tag payloads. */
export type CookieKind = Exclude<IdentifierKind, 'hashed-email'>;

export interface CookieInfo {
  readonly kind: CookieKind;
  /** What the cookie is, in a few words, for reasons. */
  readonly meaning: string;
}

/** Known cookie names (case-sensitive, as browsers send them) and their kind. */
export const COOKIES: ReadonlyMap<string, CookieInfo> = new Map<string, CookieInfo>([
  ['_pinterest_ct_ua', { kind: 'tracking-id', meaning: 'third-party browser id on ct.pinterest.com' }],
  ['_pin_unauth', { kind: 'tracking-id', meaning: 'browser id set by the tag on the advertiser site' }],
  ['_derived_epik', { kind: 'tracking-id', meaning: 'match id derived from an ad click' }],
  ['_pinterest_ct', { kind: 'tracking-id', meaning: 'user id and timestamp' }],
  ['_pinterest_ct_rt', { kind: 'tracking-id', meaning: 'user id and timestamp' }],
  ['_b', { kind: 'tracking-id', meaning: 'probably a browser id' }],
  ['_routing_id', { kind: 'tracking-id', meaning: 'probably a browser id' }],
  ['_epik', { kind: 'click-id', meaning: 'ad-click id' }],
  ['_pinterest_sess', { kind: 'credential', meaning: 'the login session' }],
  ['csrftoken', { kind: 'credential', meaning: 'the CSRF token' }],
  ['_auth', { kind: 'credential', meaning: 'the login state flag' }],
]);

/** The cookie whose presence means the request can be tied to a Pinterest account. */
export const SESSION_COOKIE = '_pinterest_sess';

/** Names whose values must never leave classification in clear (cookies and parameters alike). */
export const CREDENTIAL_NAMES: ReadonlySet<string> = new Set(
  [...COOKIES].filter(([, info]) => info.kind === 'credential').map(([name]) => name),
);
