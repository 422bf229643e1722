import { describe, expect, test } from 'vitest';
import { STRIP_LIMITS, stripRequest, stripResponseHeaders, type StripInput } from '../../src/policy/index.js';
import { classifyObservation, fixture, jsonParam, observe, queryOf } from './helpers.js';

const KOHLS_EMAIL = 'a683c5c5349f6f7fb903ba8a9e7e55d0ba1b8f03579f95be83f4954c33e81098';

function strip(input: Partial<StripInput> & { url: string }) {
  return stripRequest({ headers: {}, body: null, contentType: null, ...input });
}

describe('stripRequest: headers', () => {
  test('Cookie, Referer and Origin go; other headers stay, input untouched', () => {
    const headers = {
      Cookie: '_pinterest_ct_ua=abc; _pinterest_sess=secret',
      referer: 'https://shop.example/cart',
      origin: 'https://shop.example',
      accept: 'image/*',
      'user-agent': 'test',
    };
    const result = strip({ url: 'https://ct.pinterest.com/v3/?tid=1', headers });
    expect(result.headers).toEqual({ accept: 'image/*', 'user-agent': 'test' });
    expect(result.stripped).toEqual(['cookie', 'referer', 'origin']);
    expect(headers.Cookie).toContain('_pinterest_sess');
    expect(result.url).toBe('https://ct.pinterest.com/v3/?tid=1');
  });

  test('absent or empty headers are not listed', () => {
    const result = strip({ url: 'https://i.pinimg.com/a.jpg', headers: { referer: '', 'x-a': ['1', '2'], 'x-b': undefined } });
    expect(result.stripped).toEqual([]);
    expect(result.headers).toEqual({ 'x-a': ['1', '2'] });
  });

  test('a header named __proto__ stays a plain header', () => {
    const headers = JSON.parse('{"__proto__":"x","cookie":"a=1"}') as Record<string, string>;
    const result = strip({ url: 'https://ct.pinterest.com/', headers });
    expect(Object.keys(result.headers)).toEqual(['__proto__']);
    expect(result.stripped).toEqual(['cookie']);
  });
});

describe('stripRequest: real captured URLs', () => {
  test('kohls: the hashed e-mail and the page URL go, tid/event/cb stay', () => {
    const line = fixture('kohls-v3-init-2020');
    const result = strip({ url: line.url });
    expect(result.url).not.toContain(KOHLS_EMAIL);
    expect(decodeURIComponent(result.url)).not.toContain('kohls.com');
    expect(result.stripped).toEqual(['pd.em', 'ad.loc', 'ad.ref']);
    const query = new Map(queryOf(result.url));
    expect(query.get('tid')).toBe('2616391205865');
    expect(query.get('event')).toBe('init');
    expect(query.get('cb')).toBe('1579112028855');
    expect(jsonParam(result.url, 'pd')).toEqual({});
    expect(jsonParam(result.url, 'ad')).toEqual({ if: false, sh: 812, sw: 375 });
    // Kept pairs keep their original bytes.
    expect(result.url).toMatch(/^https:\/\/ct\.pinterest\.com\/v3\/\?tid=2616391205865&pd=/);
    expect(result.url).toContain('&event=init&');
  });

  test('gtm: hashed e-mail, pin_unauth and page go; order data, tid and event stay', () => {
    const line = fixture('gtm-addtocart-2026');
    const result = strip({ url: line.url });
    const text = decodeURIComponent(result.url);
    expect(text).not.toContain('e5c8e5ed5d033ebd4c707cc0f991a9940ba2e330483064eda4d068223fbefcab');
    expect(text).not.toContain('dWlkPU56RXpabUpsT0RndFpqTTFNaTAw');
    expect(text).not.toContain('atomkraftwerke24.de');
    expect(text).not.toContain('tagassistant');
    expect(result.stripped).toEqual(['pd.em', 'pd.pin_unauth', 'ad.loc', 'ad.ref']);
    const query = new Map(queryOf(result.url));
    expect(query.get('tid')).toBe('2612345678901');
    expect(query.get('event')).toBe('addtocart');
    expect(query.get('ed')).toBe(new URL(line.url).searchParams.get('ed'));
    expect(jsonParam(result.url, 'pd')).toEqual({ np: 'gtm', gtm_version: 'gallery', aem_eligible_list: ['em', 'ph'] });
  });

  test('the classifier finds no identifier or page in the stripped request', () => {
    for (const id of ['kohls-v3-init-2020', 'gtm-addtocart-2026', 'noscript-bracket', 'pidget-log-2018', 'widget-count']) {
      const result = strip({ url: fixture(id).url });
      const finding = classifyObservation(observe({ url: result.url }));
      expect(finding.identifiers, id).toEqual([]);
      expect(finding.tag?.hashedEmail ?? null, id).toBeNull();
      expect(finding.page.attributedBy, id).toBe('none');
    }
  });

  test('no-JS bracket notation: pd[em] goes, ed[...] stays', () => {
    const result = strip({ url: fixture('noscript-bracket').url });
    expect(result.stripped).toEqual(['pd.em']);
    expect(result.url).toBe(
      'https://ct.pinterest.com/v3/?tid=2612345678901&event=checkout&ed[value]=10.00&ed[order_quantity]=2&ed[currency]=USD' +
        '&ed[line_items][0][product_name]=Parker+Boots&noscript=1',
    );
  });

  test('Save-button log: via goes; guid and the JSONP callback stay', () => {
    const result = strip({ url: fixture('pidget-log-2018').url });
    expect(result.stripped).toEqual(['via']);
    expect(result.url).not.toContain('localhost');
    expect(result.url).toContain('guid=9HPC4azgtdJ1');
    expect(result.url).toContain('&callback=PIN_1530534283557.f.callback[0]');
  });

  test('Save count: url goes', () => {
    const result = strip({ url: fixture('widget-count').url });
    expect(result.url).toBe('https://widgets.pinterest.com/v1/urls/count.json?callback=PIN_20000.f.callback[0]');
    expect(result.stripped).toEqual(['url']);
  });

  test('malformed pd: the whole parameter goes and is listed', () => {
    const line = fixture('malformed-pd');
    const result = strip({ url: line.url, headers: line.headers ?? {} });
    expect(result.url).toBe('https://ct.pinterest.com/v3/?tid=2612345678901&event=checkout');
    expect(result.stripped).toEqual(['referer', 'pd']);
  });

  test('a URL with nothing to strip comes back unchanged', () => {
    const line = fixture('lowes-user-2023');
    expect(strip({ url: line.url })).toMatchObject({ url: line.url, stripped: [] });
  });
});

describe('stripRequest: query edge cases', () => {
  test.each([
    ['epik', 'https://ct.pinterest.com/v3/?tid=1&epik=dj0yJnU9MQ&x=1', 'https://ct.pinterest.com/v3/?tid=1&x=1', ['epik']],
    ['_epik', 'https://ct.pinterest.com/v3/?_epik=a&tid=1', 'https://ct.pinterest.com/v3/?tid=1', ['_epik']],
    ['pin_unauth', 'https://ct.pinterest.com/v3/?pin_unauth=a', 'https://ct.pinterest.com/v3/', ['pin_unauth']],
    ['dotted pd.em', 'https://ct.pinterest.com/v3/?pd.em=abc&tid=1', 'https://ct.pinterest.com/v3/?tid=1', ['pd.em']],
    ['encoded bracket', 'https://ct.pinterest.com/v3/?pd%5Bem%5D=abc&tid=1', 'https://ct.pinterest.com/v3/?tid=1', ['pd.em']],
    ['bracket ad', 'https://ct.pinterest.com/v3/?ad[loc]=https%3A%2F%2Fa.example%2F&ad[sh]=1', 'https://ct.pinterest.com/v3/?ad[sh]=1', ['ad.loc']],
    ['ed user_data', 'https://ct.pinterest.com/v3/?ed[user_data][em]=x&ed[value]=1', 'https://ct.pinterest.com/v3/?ed[value]=1', ['ed.user_data']],
    ['upper-case keys', 'https://ct.pinterest.com/v3/?URL=https%3A%2F%2Fa.example%2F&Via=x', 'https://ct.pinterest.com/v3/', ['url', 'via']],
    ['credential as parameter', 'https://ct.pinterest.com/v3/?csrftoken=t&tid=1', 'https://ct.pinterest.com/v3/?tid=1', ['csrftoken']],
    ['repeated', 'https://ct.pinterest.com/v3/?via=a&via=b&tid=1', 'https://ct.pinterest.com/v3/?tid=1', ['via']],
    ['fragment dropped', 'https://ct.pinterest.com/v3/?tid=1#via=x', 'https://ct.pinterest.com/v3/?tid=1', []],
    ['path only', '/v3/?tid=1&via=x', '/v3/?tid=1', ['via']],
    ['bad encoding in pd', 'https://ct.pinterest.com/v3/?pd=%7B%E0%A4%A&tid=1', 'https://ct.pinterest.com/v3/?tid=1', ['pd']],
    ['pd not an object', 'https://ct.pinterest.com/v3/?pd=%5B1%5D&tid=1', 'https://ct.pinterest.com/v3/?tid=1', ['pd']],
    ['empty pd kept', 'https://ct.pinterest.com/v3/?pd=&tid=1', 'https://ct.pinterest.com/v3/?pd=&tid=1', []],
  ])('%s', (_name, url, expected, stripped) => {
    const result = strip({ url });
    expect(result.url).toBe(expected);
    expect(result.stripped).toEqual(stripped);
  });

  test('personal pd fields go with the identifiers', () => {
    const pd = { em: 'a', ph: 'b', fn: 'c', ln: 'd', external_id: 'e', ct: 'f', st: 'g', zp: 'h', country: 'i', epik: 'j', derived_epik: 'k', np: 'shopify' };
    const result = strip({ url: `https://ct.pinterest.com/v3/?pd=${encodeURIComponent(JSON.stringify(pd))}` });
    expect(jsonParam(result.url, 'pd')).toEqual({ np: 'shopify' });
    expect(result.stripped).toEqual(['pd.em', 'pd.ph', 'pd.fn', 'pd.ln', 'pd.external_id', 'pd.ct', 'pd.st', 'pd.zp', 'pd.country', 'pd.epik', 'pd.derived_epik']);
  });

  test('deeply nested JSON in a parameter is withheld', () => {
    const deep = `{"a":${'['.repeat(5_000)}${']'.repeat(5_000)}}`;
    const result = strip({ url: `https://ct.pinterest.com/v3/?tid=1&ad=${encodeURIComponent(deep)}` });
    expect(result.url).toBe('https://ct.pinterest.com/v3/?tid=1');
    expect(result.stripped).toEqual(['ad']);
  });

  test('parameters beyond the cap are withheld and listed as query', () => {
    const many = Array.from({ length: STRIP_LIMITS.params + 10 }, (_, i) => `k${i}=${i}`).join('&');
    const result = strip({ url: `https://ct.pinterest.com/v3/?${many}` });
    expect(queryOf(result.url)).toHaveLength(STRIP_LIMITS.params);
    expect(result.stripped).toEqual(['query']);
  });

  test('a very long query is cut at a pair boundary', () => {
    const long = `tid=1&${'a=b&'.repeat(STRIP_LIMITS.paramChars / 4 + 100)}via=x`;
    const start = performance.now();
    const result = strip({ url: `https://ct.pinterest.com/v3/?${long}` });
    expect(performance.now() - start).toBeLessThan(1000);
    expect(result.url.length).toBeLessThanOrEqual(STRIP_LIMITS.paramChars + 40);
    expect(result.url).not.toMatch(/&a=?$/);
    expect(result.stripped).toContain('query');
  });
});

describe('stripRequest: bodies', () => {
  test('form body (real capture): pd.em goes, content-length follows', () => {
    const line = fixture('origin-only-post');
    const body = Buffer.from(line.body ?? '', 'utf8');
    const result = strip({
      url: line.url,
      headers: { ...line.headers, 'content-length': String(body.length) },
      body,
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(result.body?.toString('utf8')).toBe(`tid=2612345678901&event=signup&pd=${encodeURIComponent('{}')}`);
    expect(result.headers['content-length']).toBe(String(result.body?.length));
    expect(result.stripped).toEqual(['origin', 'pd.em']);
  });

  test('JSON body (real capture): pd ids and ad.loc go, order data stays', () => {
    const line = fixture('json-post-body');
    const result = strip({ url: line.url, headers: line.headers ?? {}, body: Buffer.from(line.body ?? ''), contentType: 'application/json' });
    expect(JSON.parse(result.body?.toString('utf8') ?? '')).toEqual({
      tid: '2612345678901',
      event: 'checkout',
      ed: { value: 99.5, currency: 'USD', order_id: 'A-1' },
      pd: {},
      ad: {},
    });
    expect(result.stripped).toEqual(['origin', 'pd.pin_unauth', 'pd.epik', 'ad.loc']);
    const finding = classifyObservation(observe({ url: line.url, method: 'POST', headers: { 'content-type': 'application/json' }, body: result.body }));
    expect(finding.identifiers).toEqual([]);
    expect(finding.page.attributedBy).toBe('none');
  });

  test('JSON body with JSON-text parameters, top-level identifiers and a batch', () => {
    const events = [
      { tid: '1', pd: JSON.stringify({ em: 'x', np: 'gtm' }), epik: 'e', url: 'https://a.example/' },
      { tid: '1', ad: '{"loc":', ed: { user_data: { em: 'y' }, value: 1 } },
      'not an event',
    ];
    const result = strip({ url: 'https://ct.pinterest.com/v3/', body: Buffer.from(JSON.stringify(events)), contentType: 'text/plain;charset=UTF-8' });
    expect(JSON.parse(result.body?.toString('utf8') ?? '')).toEqual([
      { tid: '1', pd: '{"np":"gtm"}' },
      { tid: '1', ed: { value: 1 } },
      'not an event',
    ]);
    expect(result.stripped).toEqual(['pd.em', 'epik', 'url', 'ad', 'ed.user_data']);
  });

  test('an unchanged body is forwarded as the same buffer with its headers', () => {
    const body = Buffer.from('tid=1&event=lead');
    const result = strip({ url: 'https://ct.pinterest.com/v3/', headers: { 'content-length': '16' }, body, contentType: 'application/x-www-form-urlencoded' });
    expect(result.body).toBe(body);
    expect(result.headers).toEqual({ 'content-length': '16' });
    expect(result.stripped).toEqual([]);
  });

  test.each([
    ['malformed JSON', Buffer.from('{"pd":{"em":"abc"'), 'application/json', {}],
    ['compressed', Buffer.from([0x1f, 0x8b, 0x08, 0x00]), 'application/json', { 'content-encoding': 'gzip' }],
    ['not UTF-8', Buffer.from([0xff, 0xfe, 0x3d, 0x00]), 'application/x-www-form-urlencoded', {}],
    ['unreadable text', Buffer.from('hello pinterest'), 'text/plain', {}],
    ['too large to parse', Buffer.from(JSON.stringify({ pd: { em: 'x' }, pad: 'x'.repeat(STRIP_LIMITS.jsonChars) })), 'application/json', {}],
    ['nested too deeply', Buffer.from(`{"pd":{"em":"x"},"a":${'['.repeat(100)}${']'.repeat(100)}}`), 'application/json', {}],
    ['multipart', Buffer.from('--b\r\nContent-Disposition: form-data; name="pd"\r\n\r\n{}\r\n--b--'), 'multipart/form-data; boundary=b', {}],
  ])('%s body is withheld and listed', (_name, body, contentType, extra) => {
    const result = strip({
      url: 'https://ct.pinterest.com/v3/?tid=1',
      headers: { 'Content-Length': String(body.length), 'transfer-encoding': 'chunked', ...extra },
      body,
      contentType,
    });
    expect(result.body?.length).toBe(0);
    expect(result.stripped).toEqual(['body']);
    expect(result.headers['content-length']).toBe('0');
    expect(result.headers['Content-Length']).toBeUndefined();
    expect(result.headers['transfer-encoding']).toBeUndefined();
  });

  test('a body type is sniffed when no content type is given', () => {
    const result = strip({ url: 'https://ct.pinterest.com/v3/', body: Buffer.from('{"pd":{"em":"x"},"tid":"1"}') });
    expect(result.body?.toString()).toBe('{"pd":{},"tid":"1"}');
  });

  test('hostile values never throw', () => {
    const inputs: StripInput[] = [
      { url: 'https://ct.pinterest.com/v3/?%', headers: {}, body: null, contentType: null },
      { url: '?&&&=&=%zz&pd[=1&pd]em[=2', headers: {}, body: Buffer.from('&&==%'), contentType: null },
      { url: 42 as unknown as string, headers: null as unknown as Record<string, string>, body: null, contentType: null },
      { url: 'https://ct.pinterest.com/v3/', headers: {}, body: Buffer.from('{"__proto__":{"em":"x"},"pd":{"__proto__":1,"em":"y"}}'), contentType: 'application/json' },
    ];
    for (const input of inputs) expect(() => stripRequest(input)).not.toThrow();
    const last = stripRequest(inputs[3] as StripInput);
    expect(JSON.parse(last.body?.toString() ?? '')).toEqual(JSON.parse('{"__proto__":{"em":"x"},"pd":{"__proto__":1}}'));
  });
});

describe('stripResponseHeaders', () => {
  test('drops Set-Cookie in any spelling and says so', () => {
    const result = stripResponseHeaders({ 'Set-Cookie': ['_pinterest_ct_ua=1', 'b=2'], 'content-type': 'image/gif' });
    expect(result).toEqual({ headers: { 'content-type': 'image/gif' }, setCookieDropped: true, corsRestored: false });
  });

  test('without Set-Cookie nothing changes', () => {
    expect(stripResponseHeaders({ 'content-type': 'text/plain', 'x-u': undefined })).toEqual({
      headers: { 'content-type': 'text/plain' },
      setCookieDropped: false,
      corsRestored: false,
    });
  });

  test('restores CORS for the Origin the browser sent', () => {
    const result = stripResponseHeaders(
      { 'access-control-allow-origin': '*', Vary: 'Accept-Encoding' },
      { requestOrigin: 'https://shop.example' },
    );
    expect(result.corsRestored).toBe(true);
    expect(result.headers).toEqual({
      'access-control-allow-origin': 'https://shop.example',
      'access-control-allow-credentials': 'true',
      vary: 'Accept-Encoding, Origin',
    });
  });

  test.each(['null', 'https://a.example/path', 'https://a.example\r\nx: 1', 'javascript:1', ''])('does not echo %j', (origin) => {
    const result = stripResponseHeaders({}, { requestOrigin: origin });
    expect(result.corsRestored).toBe(false);
    expect(result.headers).toEqual({});
  });
});
