/**
 * One HAR 1.2 entry (as Chromium, Firefox and Playwright save them) turned into what the proxy
 * would have seen: an Observation of the request and the Outcome of its response. Only what the
 * classifier reads is taken: method, URL (with its query), request headers, cookies and the
 * posted body; response bodies are never looked at.
 *
 * Differences between the writers are absorbed here: HTTP/2 pseudo-headers (`:authority`, …) are
 * dropped; a Cookie header is rebuilt from `request.cookies` when the writer left it out; form
 * posts saved only as `postData.params` are re-encoded; a failed request (status 0, Chromium's
 * `_error`, Playwright's `_failureText`) becomes an error outcome.
 */
import { buildObservation } from '../classify/index.js';
import { BODY_LIMIT, type ErrorKind, type Observation, type Outcome } from '../types.js';

/** The entry is not a usable HAR entry; the message says which field. */
export class HarEntryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HarEntryError';
  }
}

/** A HAR entry as the importer uses it. */
export interface HarRequest {
  time: number;
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body: Buffer | null;
  outcome: Outcome;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A URL that is well formed but not a request over HTTP (`data:`, `blob:`, a `wss:` socket's
 * frames, `chrome-extension:`…): browsers list these in a HAR, nothing of them went over HTTP
 * through a proxy, and they are skipped (and counted), not treated as a broken file.
 */
export function isNonHttpUrl(url: unknown): boolean {
  return typeof url === 'string' && /^[a-z][a-z0-9+.-]*:/i.test(url) && !/^https?:/i.test(url);
}

/**
 * Reads one parsed entry; `null` for an entry whose URL is not HTTP (see isNonHttpUrl). Throws
 * HarEntryError naming the missing or malformed field.
 */
export function readHarEntry(value: unknown): HarRequest | null {
  if (!isObj(value)) throw new HarEntryError('the entry is not an object');
  const request = value.request;
  if (!isObj(request)) throw new HarEntryError('request is missing');
  const url = request.url;
  if (isNonHttpUrl(url)) return null;
  if (typeof url !== 'string' || !/^https?:\/\/[^/?#\s]/i.test(url)) {
    throw new HarEntryError(`request.url is not an absolute http(s) URL: ${JSON.stringify(String(url).slice(0, 200))}`);
  }
  const method = request.method;
  if (typeof method !== 'string' || !/^[A-Za-z]{1,16}$/.test(method)) throw new HarEntryError('request.method is missing or not a method name');
  const started = value.startedDateTime;
  const time = typeof started === 'string' ? Date.parse(started) : Number.NaN;
  if (!Number.isFinite(time)) throw new HarEntryError(`startedDateTime is not a date: ${JSON.stringify(started ?? null)}`);

  const headers = nameValues(request.headers, 'request.headers').filter(([name]) => !name.startsWith(':'));
  const hasCookieHeader = headers.some(([name]) => name.toLowerCase() === 'cookie');
  const cookies = nameValues(request.cookies, 'request.cookies');
  if (!hasCookieHeader && cookies.length > 0) headers.push(['cookie', cookies.map(([n, v]) => `${n}=${v}`).join('; ')]);

  const body = postBody(request.postData);
  if (body && body.type !== null && !headers.some(([name]) => name.toLowerCase() === 'content-type')) {
    headers.push(['content-type', body.type]);
  }
  return { time, method: method.toUpperCase(), url, headers, body: body?.bytes ?? null, outcome: outcomeOf(value.response) };
}

/** The Observation of an entry (body bounded like the proxy's). */
export function toObservation(entry: HarRequest, id: string, client: string): Observation {
  return buildObservation({
    url: entry.url,
    method: entry.method,
    headers: entry.headers,
    body: entry.body,
    id,
    time: entry.time,
    client,
    source: 'har',
  });
}

/** True when the proxy would have taken this request for a page load (see proxy/server.ts). */
export function isNavigation(entry: HarRequest): boolean {
  const get = (name: string): string => entry.headers.find(([n]) => n.toLowerCase() === name)?.[1] ?? '';
  return get('sec-fetch-dest') === 'document' || /text\/html/.test(get('accept'));
}

function nameValues(list: unknown, field: string): Array<[string, string]> {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new HarEntryError(`${field} is not a list`);
  const out: Array<[string, string]> = [];
  for (const item of list) {
    if (!isObj(item) || typeof item.name !== 'string') throw new HarEntryError(`${field} has an item without a name`);
    out.push([item.name, typeof item.value === 'string' ? item.value : String(item.value ?? '')]);
  }
  return out;
}

function postBody(postData: unknown): { bytes: Buffer; type: string | null } | null {
  if (!isObj(postData)) return null;
  const type = typeof postData.mimeType === 'string' && postData.mimeType !== '' ? postData.mimeType : null;
  const params = Array.isArray(postData.params) ? postData.params : [];
  // Playwright writes forms as `text: ""` plus params: an empty text does not hide the params.
  if (typeof postData.text === 'string' && (postData.text !== '' || params.length === 0)) {
    // Only what the proxy would read (BODY_LIMIT), plus one byte so "longer" is still visible.
    const text = postData.text.length > BODY_LIMIT * 4 ? postData.text.slice(0, BODY_LIMIT * 4) : postData.text;
    const encoded = Buffer.from(text, postData.encoding === 'base64' ? 'base64' : 'utf8');
    return { bytes: encoded.subarray(0, BODY_LIMIT + 1), type };
  }
  if (params.length > 0) {
    const form = new URLSearchParams();
    for (const p of params) if (isObj(p) && typeof p.name === 'string') form.append(p.name, String(p.value ?? ''));
    return { bytes: Buffer.from(form.toString(), 'utf8'), type: type ?? 'application/x-www-form-urlencoded' };
  }
  return null;
}

function outcomeOf(response: unknown): Outcome {
  if (!isObj(response)) return { kind: 'error', error: 'internal', message: 'the HAR has no response for this request' };
  const failure = [response._error, response._failureText].find((v): v is string => typeof v === 'string' && v !== '');
  const status = typeof response.status === 'number' && Number.isInteger(response.status) ? response.status : 0;
  if (failure !== undefined || status <= 0) {
    const message = failure ?? 'no response (status 0 in the HAR)';
    return { kind: 'error', error: errorKindOf(message), message: message.slice(0, 300) };
  }
  const content = isObj(response.content) ? response.content : {};
  const size = [response.bodySize, content.size].find((v): v is number => typeof v === 'number' && v >= 0);
  return { kind: 'response', status, bytes: size ?? 0 };
}

const ERROR_PATTERNS: ReadonlyArray<[RegExp, ErrorKind]> = [
  [/REFUSED/i, 'refused'],
  [/TIMED_OUT|TIMEOUT/i, 'timeout'],
  [/CERT|SSL|TLS/i, 'tls'],
  [/RESET|CLOSED|EMPTY_RESPONSE/i, 'reset'],
  [/NAME_NOT_RESOLVED|NAME_RESOLUTION|DNS/i, 'dns'],
  [/ABORTED|BLOCKED_BY_CLIENT|CANCEL/i, 'client-aborted'],
];

/** The pinaudit error kind of a browser's failure text (`net::ERR_CONNECTION_REFUSED`). */
export function errorKindOf(text: string): ErrorKind {
  for (const [pattern, kind] of ERROR_PATTERNS) if (pattern.test(text)) return kind;
  return 'internal';
}
