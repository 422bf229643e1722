import { describe, expect, test } from 'vitest';
import { blockedResponse, headerSafe, type BlockedKind } from '../../src/policy/index.js';
import type { Category } from '../../src/types.js';
import { makeFinding } from '../helpers/findings.js';
import { classifyObservation, fixture, observe, observeFixture } from './helpers.js';

const REASON = 'blocked: tag request from kohls.com (mode trackers)';
const GIF_1X1 = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

describe('blockedResponse: choosing the kind', () => {
  test.each<[string, { url: string; method?: string; headers?: Record<string, string> }, Category | null, BlockedKind]>([
    ['Sec-Fetch-Dest script', { url: 'https://ct.pinterest.com/v3/', headers: { 'sec-fetch-dest': 'script' } }, 'tag', 'script'],
    ['Sec-Fetch-Dest image beats a .js path', { url: 'https://s.pinimg.com/ct/core.js', headers: { 'sec-fetch-dest': 'image' } }, 'tag-script', 'image'],
    ['Sec-Fetch-Dest iframe', { url: 'https://ct.pinterest.com/ct.html', headers: { 'sec-fetch-dest': 'iframe' } }, 'tag', 'document'],
    ['Sec-Fetch-Dest empty (fetch, XHR, sendBeacon)', { url: 'https://ct.pinterest.com/v3/', method: 'POST', headers: { 'sec-fetch-dest': 'empty' } }, 'tag', 'beacon'],
    ['Sec-Fetch-Dest style', { url: 'https://assets.pinterest.com/x', headers: { 'sec-fetch-dest': 'style' } }, 'widget', 'style'],
    ['Sec-Fetch-Dest worker', { url: 'https://ct.pinterest.com/w', headers: { 'sec-fetch-dest': 'worker' } }, 'tag', 'script'],
    ['unknown Sec-Fetch-Dest falls through to Accept', { url: 'https://ct.pinterest.com/v3/', headers: { 'sec-fetch-dest': 'xyz', accept: 'image/avif,image/webp,*/*' } }, 'tag', 'image'],
    ['JSONP Save count', { url: 'https://widgets.pinterest.com/v1/urls/count.json?url=x&callback=PIN_1.f.callback[0]', headers: { accept: '*/*' } }, 'widget', 'script'],
    ['JSONP pidgets on api.', { url: 'https://api.pinterest.com/v3/pidgets/boards/a/b/pins/?callback=cb', headers: {} }, 'widget', 'script'],
    ['count.json without callback', { url: 'https://widgets.pinterest.com/v1/urls/count.json?url=x', headers: {} }, 'widget', 'beacon'],
    ['Accept text/html', { url: 'https://ct.pinterest.com/ct.html', headers: { accept: 'text/html,application/xhtml+xml' } }, 'tag', 'document'],
    ['Accept javascript', { url: 'https://assets.pinterest.com/x', headers: { accept: 'application/javascript' } }, 'widget', 'script'],
    ['path .js', { url: 'https://assets.pinterest.com/js/pinit_main.js?0.123', headers: { accept: '*/*' } }, 'widget', 'script'],
    ['path .png', { url: 'https://i.pinimg.com/a/b.png', headers: {} }, 'content', 'image'],
    ['path .html', { url: 'https://assets.pinterest.com/ext/embed.html?id=1', headers: {} }, 'widget', 'document'],
    ['POST without metadata is a beacon', { url: 'https://ct.pinterest.com/v3/', method: 'POST', headers: {} }, 'tag', 'beacon'],
    ['category tag-script', { url: 'https://s.pinimg.com/ct/lib', headers: {} }, 'tag-script', 'script'],
    ['category tag (a pixel)', { url: 'https://ct.pinterest.com/v3/?tid=1', headers: {} }, 'tag', 'image'],
    ['category telemetry', { url: 'https://log.pinterest.com/?type=pidget', headers: {} }, 'telemetry', 'image'],
    ['category widget without hints', { url: 'https://widgets.pinterest.com/v3/x', headers: {} }, 'widget', 'beacon'],
    ['no finding', { url: 'https://ct.pinterest.com/x', headers: {} }, null, 'beacon'],
    ['CORS preflight', { url: 'https://ct.pinterest.com/v3/', method: 'OPTIONS', headers: { 'access-control-request-method': 'POST', 'sec-fetch-dest': 'empty' } }, 'tag', 'preflight'],
  ])('%s → %s', (_name, input, category, kind) => {
    const observation = observe(input);
    const finding = category === null ? null : makeFinding({ category });
    expect(blockedResponse(observation, finding, REASON).kind).toBe(kind);
  });

  test.each([
    ['lowes-tag-library-2023', 'script'],
    ['lowes-ct-html-2023', 'document'],
    ['pidget-log-2018', 'image'],
    ['widget-count', 'script'],
    ['widget-loader', 'script'],
    ['noscript-bracket', 'image'],
    ['referer-full', 'image'],
    ['json-post-body', 'beacon'],
  ])('real capture %s → %s', (id, kind) => {
    const observation = observeFixture(fixture(id));
    expect(blockedResponse(observation, classifyObservation(observation), REASON).kind).toBe(kind);
  });
});

describe('blockedResponse: the answers', () => {
  const common = { 'cache-control': 'no-store', 'x-pinaudit': 'blocked', 'x-pinaudit-reason': REASON };

  test('script: 200, empty JavaScript', () => {
    const res = blockedResponse(observe({ url: 'https://s.pinimg.com/ct/core.js', headers: { 'sec-fetch-dest': 'script' } }), null, REASON);
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({ ...common, 'content-type': 'application/javascript; charset=utf-8', 'content-length': '0' });
    expect(res.body.length).toBe(0);
  });

  test('image: 200, a 1×1 transparent GIF', () => {
    const res = blockedResponse(observe({ url: 'https://ct.pinterest.com/v3/?noscript=1', headers: { 'sec-fetch-dest': 'image' } }), null, REASON);
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({ ...common, 'content-type': 'image/gif', 'content-length': String(GIF_1X1.length) });
    expect(res.body.equals(GIF_1X1)).toBe(true);
    expect(res.body.subarray(0, 6).toString('latin1')).toBe('GIF89a');
    expect(res.body.readUInt16LE(6)).toBe(1);
    expect(res.body.readUInt16LE(8)).toBe(1);
  });

  test('beacon: 204, no body, no content type', () => {
    const res = blockedResponse(observe({ url: 'https://ct.pinterest.com/v3/', method: 'POST', headers: { 'sec-fetch-dest': 'empty' } }), null, REASON);
    expect(res.status).toBe(204);
    expect(res.body.length).toBe(0);
    expect(res.headers['content-type']).toBeUndefined();
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers).toMatchObject(common);
  });

  test('document: 200, a blank page that may load nothing', () => {
    const res = blockedResponse(observe({ url: 'https://ct.pinterest.com/ct.html', headers: { 'sec-fetch-dest': 'iframe' } }), null, REASON);
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('<!doctype html>');
    expect(res.headers).toMatchObject({ ...common, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'" });
  });

  test('style: 200, empty CSS', () => {
    const res = blockedResponse(observe({ url: 'https://assets.pinterest.com/a.css', headers: {} }), null, REASON);
    expect(res).toMatchObject({ status: 200, kind: 'style', headers: { 'content-type': 'text/css; charset=utf-8' } });
  });

  test('a cross-origin fetch gets CORS headers so it resolves quietly', () => {
    const res = blockedResponse(
      observe({ url: 'https://ct.pinterest.com/user/?tid=1', headers: { origin: 'https://www.kohls.com', 'sec-fetch-dest': 'empty' } }),
      null,
      REASON,
    );
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': 'https://www.kohls.com',
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    });
  });

  test('a preflight is answered so the real request can be blocked too', () => {
    const res = blockedResponse(
      observe({
        url: 'https://ct.pinterest.com/v3/',
        method: 'OPTIONS',
        headers: { origin: 'https://shop.example', 'access-control-request-method': 'post', 'access-control-request-headers': 'content-type\r\nx: 1' },
      }),
      null,
      REASON,
    );
    expect(res.status).toBe(204);
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': 'https://shop.example',
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type x: 1',
    });
  });

  test('a hostile Origin is not echoed', () => {
    const res = blockedResponse(observe({ url: 'https://ct.pinterest.com/v3/', headers: { origin: 'https://a.example\r\nset-cookie: x=1' } }), null, REASON);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('HEAD gets the headers without the body', () => {
    const res = blockedResponse(observe({ url: 'https://i.pinimg.com/a.gif', method: 'HEAD' }), null, REASON);
    expect(res.headers['content-length']).toBe(String(GIF_1X1.length));
    expect(res.body.length).toBe(0);
  });

  test('answers do not share buffers', () => {
    const obs = observe({ url: 'https://i.pinimg.com/a.gif' });
    const a = blockedResponse(obs, null, REASON);
    a.body.fill(0);
    expect(blockedResponse(obs, null, REASON).body.equals(GIF_1X1)).toBe(true);
  });
});

describe('headerSafe', () => {
  test.each([
    ['plain', REASON, REASON],
    ['CR LF cannot split the header', 'blocked\r\nset-cookie: a=1', 'blocked set-cookie: a=1'],
    ['non-ASCII is replaced', 'blocked: tag request from bücher.de … (mode all)', 'blocked: tag request from b cher.de ... (mode all)'],
    ['NUL and tabs', 'a\u0000b\tc', 'a b c'],
  ])('%s', (_name, input, expected) => {
    expect(headerSafe(input)).toBe(expected);
  });

  test('long reasons are cut', () => {
    const out = headerSafe('x'.repeat(1000));
    expect(out.length).toBe(200);
    expect(out.endsWith('...')).toBe(true);
  });
});
