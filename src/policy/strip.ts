/**
 * Stripping: the request goes to Pinterest, but without what ties it to a person or a page.
 * Pure and bounded; never throws (on an internal failure the body is withheld and the result
 * says so).
 *
 * Headers: Cookie and Referer go. Origin goes too: it names the page's site, which is exactly
 * what a strip withholds. Cross-origin fetches still need CORS headers on the answer, so
 * `stripResponseHeaders` can put them back from the Origin the browser sent (the response was
 * fetched without cookies, so letting the page read it exposes nothing about the user).
 * Bodies: JSON and form bodies are edited like the query string; a body that cannot be read
 * (compressed, binary, not UTF-8, malformed JSON, too large) is withheld and listed as `body`.
 */
import { isJsonObject, type Json } from '../json.js';
import { editJsonEvent, editParams, parseBounded, STRIP_LIMITS, Withheld, type Removal } from './strip-fields.js';

/** Header values as Node gives them. */
export type HeaderRecord = Record<string, string | string[]>;

export interface StripInput {
  /** The request URL (absolute, or path + query). */
  url: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer | null;
  /** The request's Content-Type; the header is used when this is `null`. */
  contentType: string | null;
}

export interface StripResult {
  url: string;
  headers: HeaderRecord;
  body: Buffer | null;
  /** What was withheld, in order (`cookie`, `referer`, `origin`, `pd.em`, `ad.loc`, `via`, `body`, …). */
  stripped: string[];
  /** Each removal with the part it sat in: what `prevented.ts` matches identifiers and the page against. */
  removed: Removal[];
}

/** Request headers that identify the person or name the page. */
const REQUEST_HEADERS = ['cookie', 'referer', 'origin'] as const;

/** Bodies longer than this are not parsed: they are withheld. */
export const STRIP_BODY_LIMIT = 1024 * 1024;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Removes identifiers and page data from a request that will still be forwarded. */
export function stripRequest(input: StripInput): StripResult {
  const withheld = new Withheld();
  const headers = copyHeaders(input.headers);
  for (const name of REQUEST_HEADERS) {
    if (deleteHeader(headers, name)) withheld.add(name);
  }
  withheld.part = 'query';
  const url = safeStripUrl(typeof input.url === 'string' ? input.url : '', withheld);
  let body = input.body;
  withheld.part = 'body';
  try {
    const edited = stripBody(input, headers, withheld);
    if (edited !== null) {
      body = edited;
      deleteHeader(headers, 'transfer-encoding');
      deleteHeader(headers, 'content-length');
      headers['content-length'] = String(edited.length);
    }
  } catch {
    // Unexpected input shape: forward no body rather than an unread one.
    body = Buffer.alloc(0);
    withheld.add('body');
    deleteHeader(headers, 'transfer-encoding');
    deleteHeader(headers, 'content-length');
    headers['content-length'] = '0';
  }
  return { url, headers, body, stripped: withheld.names, removed: withheld.removed };
}

/** `stripUrl`, or on an unexpected failure the URL without its query (listed as `query`). */
function safeStripUrl(url: string, withheld: Withheld): string {
  try {
    return stripUrl(url, withheld);
  } catch {
    withheld.add('query');
    const cut = url.search(/[?#]/);
    return cut === -1 ? url : url.slice(0, cut);
  }
}

/** Edits the query string; the fragment (never sent on the wire) is dropped. */
function stripUrl(url: string, withheld: Withheld): string {
  const hash = url.indexOf('#');
  const bare = hash === -1 ? url : url.slice(0, hash);
  const q = bare.indexOf('?');
  if (q === -1) return bare;
  const { text } = editParams(bare.slice(q + 1), withheld, 'query');
  return text === '' ? bare.slice(0, q) : `${bare.slice(0, q)}?${text}`;
}

/** The edited body, or `null` when it is forwarded as it came. */
function stripBody(input: StripInput, headers: HeaderRecord, withheld: Withheld): Buffer | null {
  const body = input.body;
  if (body === null || body.length === 0) return null;
  const withhold = (): Buffer => {
    withheld.add('body');
    return Buffer.alloc(0);
  };
  const encoding = headerText(headers, 'content-encoding').trim().toLowerCase();
  if ((encoding !== '' && encoding !== 'identity') || body.length > STRIP_BODY_LIMIT) return withhold();
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    return withhold();
  }
  const type = (input.contentType ?? headerText(headers, 'content-type')).toLowerCase();
  const first = text.trimStart().charAt(0);
  if (type.includes('json') || (!type.includes('form') && (first === '{' || first === '['))) {
    const edited = stripJsonBody(text, withheld);
    return edited === undefined ? null : edited === null ? withhold() : Buffer.from(edited, 'utf8');
  }
  // sendBeacon with a string sends text/plain; multipart and other types are never sniffed as forms.
  const sniffable = type === '' || type.startsWith('text/plain');
  if (type.includes('x-www-form-urlencoded') || (sniffable && text.includes('='))) {
    const edited = editParams(text, withheld, 'body');
    return edited.changed ? Buffer.from(edited.text, 'utf8') : null;
  }
  // Text we cannot interpret (multipart, plain words): it might carry anything.
  return withhold();
}

/** The edited JSON text; `undefined` when unchanged, `null` when it must be withheld. */
function stripJsonBody(text: string, withheld: Withheld): string | null | undefined {
  const value: Json | undefined = parseBounded(text.trim());
  if (value === undefined) return null;
  if (isJsonObject(value)) return editJsonEvent(value, withheld) ? JSON.stringify(value) : undefined;
  if (!Array.isArray(value)) return undefined;
  // A batch of events.
  let changed = false;
  if (value.length > STRIP_LIMITS.batchItems) {
    value.length = STRIP_LIMITS.batchItems;
    withheld.partial('body');
    changed = true;
  }
  for (const item of value) {
    if (isJsonObject(item) && editJsonEvent(item, withheld)) changed = true;
  }
  return changed ? JSON.stringify(value) : undefined;
}

/** Options for `stripResponseHeaders`. */
export interface ResponseStripOptions {
  /**
   * The Origin the browser sent before the strip removed it. When given (an http(s) origin), the
   * answer gets `access-control-allow-origin` for it and `access-control-allow-credentials: true`,
   * so the page's cross-origin fetch still succeeds.
   */
  requestOrigin?: string | null;
}

export interface ResponseStripResult {
  headers: HeaderRecord;
  /** True when a `Set-Cookie` was dropped. */
  setCookieDropped: boolean;
  /** True when CORS headers were written for `requestOrigin`. */
  corsRestored: boolean;
}

/** Drops `Set-Cookie` from the answer to a stripped request; optionally restores CORS. */
export function stripResponseHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  options: ResponseStripOptions = {},
): ResponseStripResult {
  const out = copyHeaders(headers);
  const setCookieDropped = deleteHeader(out, 'set-cookie');
  const origin = typeof options.requestOrigin === 'string' ? options.requestOrigin.trim() : '';
  if (!isOrigin(origin)) return { headers: out, setCookieDropped, corsRestored: false };
  deleteHeader(out, 'access-control-allow-origin');
  deleteHeader(out, 'access-control-allow-credentials');
  out['access-control-allow-origin'] = origin;
  out['access-control-allow-credentials'] = 'true';
  const vary = headerText(out, 'vary');
  deleteHeader(out, 'vary');
  out['vary'] = vary === '' ? 'Origin' : /(^|,)\s*origin\s*(,|$)/i.test(vary) ? vary : `${vary}, Origin`;
  return { headers: out, setCookieDropped, corsRestored: true };
}

/** A serialised http(s) origin: scheme, host, optional port, nothing else (header-safe). */
export function isOrigin(text: string): boolean {
  return text.length <= 300 && /^https?:\/\/(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i.test(text);
}

/** Copies headers into a prototype-less record (a header named `__proto__` stays a header). */
function copyHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): HeaderRecord {
  const out = Object.create(null) as HeaderRecord;
  if (headers === null || typeof headers !== 'object') return out;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') out[name] = value;
    else if (Array.isArray(value)) out[name] = value.filter((v): v is string => typeof v === 'string');
  }
  return out;
}

/** Deletes every spelling of a header; true when one held a non-empty value. */
function deleteHeader(headers: HeaderRecord, name: string): boolean {
  let had = false;
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== name) continue;
    const value = headers[key];
    if (Array.isArray(value) ? value.some((v) => v !== '') : value !== undefined && value !== '') had = true;
    delete headers[key];
  }
  return had;
}

function headerText(headers: HeaderRecord, name: string): string {
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== name) continue;
    const value = headers[key];
    return Array.isArray(value) ? value.join(', ') : (value ?? '');
  }
  return '';
}
