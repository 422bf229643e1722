/**
 * The local answer to a blocked request. Nothing goes upstream; the page gets something harmless
 * of the kind it asked for, so nothing breaks: an empty script for scripts (also JSONP widget
 * calls: the callback simply never runs), a 1×1 transparent GIF for images, `204` for beacons,
 * a blank document for frames, an empty stylesheet for styles. The kind is read from
 * `Sec-Fetch-Dest` first (the browser says what it will do with the answer), then `Accept`, then
 * the path, then the method and category. Cross-origin callers get CORS headers, so a blocked
 * `fetch` resolves instead of printing a CORS error in the page's console; the bodies are empty,
 * so letting any page read them exposes nothing.
 */
import type { Finding, Observation } from '../types.js';
import { splitUrl } from '../url.js';
import { isOrigin } from './strip.js';

/** What the blocked answer pretends to be. */
export type BlockedKind = 'script' | 'image' | 'beacon' | 'document' | 'style' | 'preflight';

export interface BlockedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  kind: BlockedKind;
}

/** A 1×1 transparent GIF (42 bytes). Decoded per call: no shared mutable buffer. */
const GIF_BASE64 = 'R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7';

/** Longest reason sent in a header. */
const REASON_HEADER_CHARS = 200;

/** How much of the URL is read to tell a JSONP call. */
const URL_CAPS = { pathChars: 8 * 1024, queryChars: 8 * 1024 };

const DEST_KINDS: Readonly<Record<string, BlockedKind>> = {
  script: 'script',
  worker: 'script',
  sharedworker: 'script',
  serviceworker: 'script',
  audioworklet: 'script',
  paintworklet: 'script',
  image: 'image',
  document: 'document',
  iframe: 'document',
  frame: 'document',
  embed: 'document',
  object: 'document',
  style: 'style',
  empty: 'beacon',
  report: 'beacon',
  audio: 'beacon',
  video: 'beacon',
  track: 'beacon',
  font: 'beacon',
  manifest: 'beacon',
};

/** Builds the answer to a blocked request; `reason` is the decision's reason. Never throws. */
export function blockedResponse(observation: Observation, finding: Finding | null, reason: string): BlockedResponse {
  const headers = observation.headers ?? {};
  const kind = kindOf(observation, finding);
  const out: Record<string, string> = {
    'cache-control': 'no-store',
    'x-pinaudit': 'blocked',
    'x-pinaudit-reason': headerSafe(reason),
    'x-content-type-options': 'nosniff',
  };
  const origin = (headers['origin'] ?? '').trim();
  if (isOrigin(origin)) {
    out['access-control-allow-origin'] = origin;
    out['access-control-allow-credentials'] = 'true';
    out['vary'] = 'Origin';
  }
  let status = 200;
  let body = Buffer.alloc(0);
  switch (kind) {
    case 'preflight': {
      status = 204;
      out['access-control-allow-methods'] = token(headers['access-control-request-method'] ?? '') || 'GET, POST';
      const asked = headerSafe(headers['access-control-request-headers'] ?? '');
      if (asked !== '') out['access-control-allow-headers'] = asked;
      out['access-control-max-age'] = '0';
      break;
    }
    case 'beacon':
      status = 204;
      break;
    case 'script':
      out['content-type'] = 'application/javascript; charset=utf-8';
      break;
    case 'style':
      out['content-type'] = 'text/css; charset=utf-8';
      break;
    case 'image':
      out['content-type'] = 'image/gif';
      body = Buffer.from(GIF_BASE64, 'base64');
      break;
    case 'document':
      out['content-type'] = 'text/html; charset=utf-8';
      out['content-security-policy'] = "default-src 'none'";
      body = Buffer.from('<!doctype html>', 'utf8');
      break;
  }
  if (status === 204) body = Buffer.alloc(0);
  else out['content-length'] = String(body.length);
  // A HEAD answer carries the length of the body it would have had, but no body.
  if (observation.method === 'HEAD') body = Buffer.alloc(0);
  return { status, headers: out, body, kind };
}

/** Chooses the kind of answer; see the file comment for the order. */
export function kindOf(observation: Observation, finding: Finding | null): BlockedKind {
  const headers = observation.headers ?? {};
  const method = String(observation.method ?? 'GET').toUpperCase();
  if (method === 'OPTIONS' && headers['access-control-request-method'] !== undefined) return 'preflight';

  const dest = (headers['sec-fetch-dest'] ?? '').trim().toLowerCase();
  const fromDest = Object.hasOwn(DEST_KINDS, dest) ? DEST_KINDS[dest] : undefined;
  if (fromDest !== undefined) return fromDest;

  const { path, query } = splitUrl(typeof observation.url === 'string' ? observation.url : '', URL_CAPS);
  if (isJsonp(path, query)) return 'script';

  const accept = (headers['accept'] ?? '').toLowerCase();
  if (accept.includes('text/html')) return 'document';
  if (/(^|,)\s*image\//.test(accept)) return 'image';
  if (accept.includes('javascript') || accept.includes('ecmascript')) return 'script';
  if (/(^|,)\s*text\/css/.test(accept)) return 'style';

  const lower = path.toLowerCase();
  if (/\.m?js$/.test(lower)) return 'script';
  if (/\.(gif|png|jpe?g|webp|avif|svg|ico|bmp)$/.test(lower)) return 'image';
  if (/\.html?$/.test(lower)) return 'document';
  if (lower.endsWith('.css')) return 'style';

  if (method !== 'GET' && method !== 'HEAD') return 'beacon';
  switch (finding?.category) {
    case 'tag-script':
      return 'script';
    case 'tag':
    case 'telemetry':
    case 'content':
      // Pixels and logs are usually `<img>`; a GIF also satisfies a fetch.
      return 'image';
    default:
      return 'beacon';
  }
}

/** A JSONP widget call: `callback=` on the Save-count lookup or on pidgets. */
function isJsonp(path: string, query: string): boolean {
  if (!/(^|&)callback=/.test(query)) return false;
  return path.endsWith('/urls/count.json') || path.includes('/pidgets/');
}

/** Printable ASCII only, one line, bounded: request data in a reason must not split a header. */
export function headerSafe(text: string): string {
  const clean = String(text)
    .replace(/…/g, '...')
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return clean.length > REASON_HEADER_CHARS ? `${clean.slice(0, REASON_HEADER_CHARS - 3)}...` : clean;
}

/** An HTTP method token, or '' when the value is not one. */
function token(text: string): string {
  const t = text.trim().toUpperCase();
  return /^[A-Z]{1,20}$/.test(t) ? t : '';
}
