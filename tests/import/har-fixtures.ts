/**
 * HAR entries as Chromium (DevTools and Playwright) and Firefox write them, trimmed to the fields
 * that matter, with overridable parts, and a writer for whole files.
 */
import { writeFileSync } from 'node:fs';

type Json = Record<string, unknown>;

export const T0 = Date.UTC(2025, 5, 10, 12, 0, 0);

/** A Chromium-style entry (HTTP/2 pseudo-headers, `_resourceType`, `_initiator` with a URL). */
export function chromiumEntry(url: string, o: { time?: number; method?: string; headers?: Record<string, string>; cookies?: Record<string, string>; postData?: Json; status?: number; error?: string; bodySize?: number } = {}): Json {
  const u = new URL(url);
  return {
    _initiator: { type: 'script', url: 'https://shop.example/app.js', lineNumber: 3 },
    _priority: 'Low',
    _resourceType: 'image',
    cache: {},
    connection: '1234',
    pageref: 'page_1',
    request: {
      method: o.method ?? 'GET',
      url,
      httpVersion: 'http/2.0',
      headers: [
        { name: ':authority', value: u.host },
        { name: ':method', value: o.method ?? 'GET' },
        { name: ':path', value: u.pathname + u.search },
        { name: ':scheme', value: 'https' },
        ...Object.entries(o.headers ?? {}).map(([name, value]) => ({ name, value })),
      ],
      queryString: [...u.searchParams].map(([name, value]) => ({ name, value })),
      cookies: Object.entries(o.cookies ?? {}).map(([name, value]) => ({ name, value, path: '/', domain: '.pinterest.com' })),
      headersSize: -1,
      bodySize: 0,
      ...(o.postData ? { postData: o.postData } : {}),
    },
    response: {
      status: o.status ?? 200,
      statusText: '',
      httpVersion: 'http/2.0',
      headers: [],
      cookies: [],
      content: { size: 43, mimeType: 'image/gif', compression: 0 },
      redirectURL: '',
      headersSize: -1,
      bodySize: o.bodySize ?? 43,
      _transferSize: 200,
      ...(o.error ? { _error: o.error } : {}),
    },
    serverIPAddress: '127.0.0.1',
    startedDateTime: new Date(o.time ?? T0).toISOString(),
    time: 20.5,
    timings: { blocked: 1, dns: -1, ssl: -1, connect: -1, send: 0.1, wait: 18, receive: 1.4 },
  };
}

/** A Firefox-style entry (HTTP/1.1 headers including Cookie, cookies parsed alongside). */
export function firefoxEntry(url: string, o: { time?: number; headers?: Record<string, string>; status?: number } = {}): Json {
  return {
    pageref: 'page_1',
    startedDateTime: new Date(o.time ?? T0).toISOString().replace('Z', '+00:00'),
    request: {
      bodySize: 0,
      method: 'GET',
      url,
      httpVersion: 'HTTP/1.1',
      headers: [{ name: 'Host', value: new URL(url).host }, ...Object.entries(o.headers ?? {}).map(([name, value]) => ({ name, value }))],
      cookies: [],
      queryString: [],
      headersSize: 400,
    },
    response: { status: o.status ?? 200, statusText: 'OK', httpVersion: 'HTTP/1.1', headers: [], cookies: [], content: { mimeType: 'image/gif', size: 43 }, redirectURL: '', headersSize: 300, bodySize: 250 },
    cache: {},
    timings: { blocked: 0, dns: 0, connect: 0, ssl: 0, send: 0, wait: 20, receive: 0 },
    time: 20,
  };
}

/** A whole HAR document around `entries`. */
export function harText(entries: Json[], pretty = true): string {
  const doc = { log: { version: '1.2', creator: { name: 'test', version: '1' }, pages: [{ id: 'page_1', startedDateTime: new Date(T0).toISOString(), title: 'Shop', pageTimings: {} }], entries } };
  return JSON.stringify(doc, null, pretty ? 2 : undefined);
}

export function writeHarFile(path: string, entries: Json[]): string {
  const text = harText(entries);
  writeFileSync(path, text);
  return text;
}

/** A small session on shop.example: the page, the tag beacon, a pin image, an asset, a failure. */
export function shopSession(time = T0): Json[] {
  const page = 'https://shop.example/products/42?color=blue';
  return [
    chromiumEntry(page, { time, headers: { accept: 'text/html', 'sec-fetch-dest': 'document' } }),
    chromiumEntry(`https://ct.pinterest.com/v3/?tid=2612345678901&event=pagevisit&ad=${encodeURIComponent(JSON.stringify({ loc: page }))}`, {
      time: time + 100,
      headers: { referer: 'https://shop.example/' },
      cookies: { _pinterest_ct_ua: 'TWc9PSZ1a3ZqTk', _pinterest_sess: 'secret-session' },
    }),
    chromiumEntry('https://i.pinimg.com/236x/ab/cd/ef.jpg', { time: time + 200, headers: { referer: 'https://shop.example/' } }),
    chromiumEntry('https://cdn.shop.example/app.js', { time: time + 300 }),
    chromiumEntry('https://log.pinterest.com/?type=pidget', { time: time + 400, status: 0, error: 'net::ERR_BLOCKED_BY_CLIENT', headers: { referer: 'https://shop.example/' } }),
  ];
}
