import { describe, expect, test } from 'vitest';
import { classify } from '../../src/classify/index.js';
import { errorKindOf, HarEntryError, isNavigation, readHarEntry, toObservation } from '../../src/import/index.js';
import { BODY_LIMIT } from '../../src/types.js';
import { fingerprint } from '../helpers/findings.js';
import { chromiumEntry, firefoxEntry, T0 } from './har-fixtures.js';

const classifyHar = (entry: unknown) =>
  classify(toObservation(readHarEntry(entry), 'har:x:0', 'test.har'), { fingerprint: (_n, v) => fingerprint(v), recentPage: null });

describe('readHarEntry', () => {
  test('a Chromium entry: pseudo-headers dropped, cookies rebuilt into a Cookie header, time and outcome', () => {
    const entry = readHarEntry(
      chromiumEntry('https://ct.pinterest.com/v3/?tid=2612345678901&event=checkout', {
        headers: { Referer: 'https://shop.example/cart' },
        cookies: { _pinterest_ct_ua: 'abc', _epik: 'dj0y' },
        bodySize: 99,
      }),
    );
    expect(entry.time).toBe(T0);
    expect(entry.method).toBe('GET');
    expect(entry.headers.map(([n]) => n)).toEqual(['Referer', 'cookie']);
    expect(entry.headers[1]![1]).toBe('_pinterest_ct_ua=abc; _epik=dj0y');
    expect(entry.outcome).toEqual({ kind: 'response', status: 200, bytes: 99 });
    const obs = toObservation(entry, 'har:x:3', 'label');
    expect(obs).toMatchObject({ id: 'har:x:3', client: 'label', source: 'har', host: 'ct.pinterest.com', connectHost: 'ct.pinterest.com', time: T0 });
    expect(obs.headers).toEqual({ referer: 'https://shop.example/cart', cookie: '_pinterest_ct_ua=abc; _epik=dj0y' });
  });

  test('a Cookie header wins over the cookies list (Firefox writes both)', () => {
    const raw = firefoxEntry('https://ct.pinterest.com/v3/?tid=1', { headers: { Cookie: '_pin_unauth=xyz' } });
    (raw.request as { cookies: unknown[] }).cookies = [{ name: '_pin_unauth', value: 'xyz' }];
    const entry = readHarEntry(raw);
    expect(entry.headers.filter(([n]) => n.toLowerCase() === 'cookie')).toEqual([['Cookie', '_pin_unauth=xyz']]);
    expect(entry.time).toBe(T0);
  });

  test('the same request classifies the same from a Chromium and a Firefox HAR', () => {
    const url = `https://ct.pinterest.com/v3/?tid=2612345678901&event=pagevisit&ad=${encodeURIComponent('{"loc":"https://shop.example/p/1"}')}`;
    const headers = { Referer: 'https://shop.example/', Cookie: '_pinterest_sess=s3cret; _pin_unauth=u1' };
    const a = classifyHar(chromiumEntry(url, { headers }));
    const b = classifyHar(firefoxEntry(url, { headers }));
    expect(a).toEqual(b);
    expect(a).toMatchObject({ category: 'tag', thirdParty: true, leakLevel: 'full-url', loggedIn: true, page: { site: 'shop.example', attributedBy: 'tag-payload' } });
    expect(a.identifiers.find((i) => i.name === '_pinterest_sess')).toEqual({ name: '_pinterest_sess', kind: 'credential', source: 'cookie', fingerprint: fingerprint('s3cret') });
  });

  test('postData.text becomes the body, bounded like the proxy; a long one is marked truncated', () => {
    const post = (text: string) =>
      toObservation(readHarEntry(chromiumEntry('https://ct.pinterest.com/user/', { method: 'POST', postData: { mimeType: 'application/x-www-form-urlencoded', text } })), 'i', 'c');
    const short = post('event=checkout&pd=%7B%22em%22%3A%22aa%22%7D');
    expect(short.body?.toString()).toBe('event=checkout&pd=%7B%22em%22%3A%22aa%22%7D');
    expect(short.bodyTruncated).toBe(false);
    expect(short.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const long = post('x'.repeat(BODY_LIMIT * 10));
    expect(long.body?.length).toBe(BODY_LIMIT);
    expect(long.bodyTruncated).toBe(true);
  });

  test('a form saved as params with an empty text (Playwright) is re-encoded', () => {
    const entry = readHarEntry(chromiumEntry('https://ct.pinterest.com/user/', { method: 'POST', postData: { mimeType: 'application/x-www-form-urlencoded', text: '', params: [{ name: 'event', value: 'lead' }] } }));
    expect(entry.body?.toString()).toBe('event=lead');
  });

  test('a form saved only as params is re-encoded', () => {
    const entry = readHarEntry(chromiumEntry('https://ct.pinterest.com/user/', { method: 'POST', postData: { mimeType: 'application/x-www-form-urlencoded', params: [{ name: 'event', value: 'lead' }, { name: 'pd', value: '{"em":"a b"}' }] } }));
    expect(entry.body?.toString()).toBe('event=lead&pd=%7B%22em%22%3A%22a+b%22%7D');
  });

  test.each([
    [{ status: 0 }, { kind: 'error', error: 'internal', message: 'no response (status 0 in the HAR)' }],
    [{ status: 0, error: 'net::ERR_CONNECTION_REFUSED' }, { kind: 'error', error: 'refused', message: 'net::ERR_CONNECTION_REFUSED' }],
    [{ status: 200, error: 'net::ERR_BLOCKED_BY_CLIENT' }, { kind: 'error', error: 'client-aborted', message: 'net::ERR_BLOCKED_BY_CLIENT' }],
    [{ status: 204, bodySize: -1 }, { kind: 'response', status: 204, bytes: 43 }],
  ])('outcome of %j', (o, outcome) => {
    expect(readHarEntry(chromiumEntry('https://ct.pinterest.com/v3/', o)).outcome).toEqual(outcome);
  });

  test.each([
    ['net::ERR_TIMED_OUT', 'timeout'],
    ['net::ERR_CERT_AUTHORITY_INVALID', 'tls'],
    ['net::ERR_CONNECTION_RESET', 'reset'],
    ['net::ERR_NAME_NOT_RESOLVED', 'dns'],
    ['NS_BINDING_ABORTED', 'client-aborted'],
    ['something else', 'internal'],
  ])('error kind of %s is %s', (text, kind) => {
    expect(errorKindOf(text)).toBe(kind);
  });

  test.each([
    ['not an object', 42, /not an object/],
    ['no request', { startedDateTime: '2025-01-01T00:00:00Z' }, /request is missing/],
    ['a relative URL', { request: { method: 'GET', url: '/x' }, startedDateTime: '2025-01-01T00:00:00Z' }, /not an absolute http\(s\) URL/],
    ['no method', { request: { url: 'https://a.example/' }, startedDateTime: '2025-01-01T00:00:00Z' }, /request\.method/],
    ['a bad date', { request: { method: 'GET', url: 'https://a.example/' }, startedDateTime: 'yesterday' }, /startedDateTime is not a date/],
    ['headers not a list', { request: { method: 'GET', url: 'https://a.example/', headers: {} }, startedDateTime: '2025-01-01T00:00:00Z' }, /request\.headers is not a list/],
  ])('%s is refused naming the field', (_name, value, message) => {
    expect(() => readHarEntry(value)).toThrow(HarEntryError);
    expect(() => readHarEntry(value)).toThrow(message);
  });

  test('navigation is judged like the proxy judges plain-HTTP page loads', () => {
    expect(isNavigation(readHarEntry(chromiumEntry('http://shop.example/', { headers: { 'Sec-Fetch-Dest': 'document' } })))).toBe(true);
    expect(isNavigation(readHarEntry(chromiumEntry('http://shop.example/', { headers: { Accept: 'text/html,*/*' } })))).toBe(true);
    expect(isNavigation(readHarEntry(chromiumEntry('http://shop.example/a.png', { headers: { Accept: 'image/*' } })))).toBe(false);
  });
});
