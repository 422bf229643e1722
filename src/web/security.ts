/**
 * The dashboard's guards. A page on any website can make the browser talk to 127.0.0.1, and a
 * DNS-rebinding attacker can even make it look same-origin; so:
 *  - every request must name a loopback host in `Host` (`localhost`, `127.x.x.x`, `[::1]`, with
 *    any port: the attacker controls the name, not the port, and the port changes with flags);
 *  - a request that carries a foreign `Origin` is refused whatever its method;
 *  - state-changing requests need `Origin` equal to this origin *and* the per-process token from
 *    `/api/session` in `x-pinaudit-token` (a cross-site form cannot set the header, and a
 *    cross-site fetch that sets it needs a CORS preflight we never grant);
 *  - every response carries a strict CSP (no inline script or style) and friends.
 */
import { timingSafeEqual } from 'node:crypto';
import { isLoopbackName } from '../loopback.js';
import { CHECK_HOST } from '../pinterest/domains.js';

/** The header the page sends the session token in. */
export const TOKEN_HEADER = 'x-pinaudit-token';

/** The Content-Security-Policy of every response. */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  `connect-src 'self' https://${CHECK_HOST}`,
  "font-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** Headers set on every response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), interest-cohort=()',
});

/**
 * Splits a Host header value into name and port; `null` when it is not a plain host[:port]
 * (userinfo, paths, spaces and other junk are refused rather than interpreted).
 */
export function parseHost(value: string | undefined): { name: string; port: string | null } | null {
  if (!value) return null;
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!m || m[1] === undefined) return null;
  return { name: m[1].toLowerCase(), port: m[2] ?? null };
}

/** Whether a Host header is acceptable: a loopback name, or one of `extra` (explicit LAN binds). */
export function hostAllowed(value: string | undefined, extra: readonly string[] = []): boolean {
  const host = parseHost(value);
  if (!host) return false;
  return isLoopbackName(host.name) || extra.some((e) => e.toLowerCase() === host.name);
}

/** Why a request's Origin is unacceptable, or `null` when it is fine. */
export function originProblem(origin: string | undefined, host: string | undefined, required: boolean): string | null {
  if (origin === undefined) return required ? 'missing Origin header' : null;
  if (host === undefined || origin !== `http://${host.trim().toLowerCase()}`) return 'cross-origin request';
  return null;
}

/** Constant-time comparison of the presented token with the expected one. */
export function tokenMatches(presented: string | string[] | undefined, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
