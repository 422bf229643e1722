/**
 * Behaviour of `classify` beyond the shared fixtures: attribution order, Pinterest's own frames,
 * the user's own Pinterest use, recent navigation, identifiers from every place they travel,
 * tag decoding, and credentials that never appear in clear.
 */
import { describe, expect, test } from 'vitest';
import { classify } from '../../src/classify/index.js';
import { context, fingerprint, makeObservation } from './helpers.js';

const T = 1_700_000_000_000;
const enc = (value: unknown): string => encodeURIComponent(JSON.stringify(value));
const run = (input: Parameters<typeof makeObservation>[0], recent: Parameters<typeof context>[0] = null) =>
  classify(makeObservation({ time: T, ...input }), context(recent));

describe('attribution order', () => {
  const ad = enc({ loc: 'https://shop.example/product/1' });
  test('tag payload beats Referer and Origin', () => {
    const f = run({
      url: `https://ct.pinterest.com/v3/?tid=1&ad=${ad}`,
      headers: { referer: 'https://other.example/', origin: 'https://third.example' },
    });
    expect(f.page).toEqual({ site: 'shop.example', url: 'https://shop.example/product/1', attributedBy: 'tag-payload', confidence: 'high' });
    expect(f.reasons).toContain('Page from `ad.loc` in the tag payload: https://shop.example/product/1.');
  });

  test('Referer beats Origin', () => {
    const f = run({ headers: { referer: 'https://a.example/x', origin: 'https://b.example' } });
    expect(f.page.attributedBy).toBe('referer');
    expect(f.page.site).toBe('a.example');
  });

  test('Origin alone gives the site with medium confidence and an origin leak', () => {
    const f = run({ headers: { origin: 'https://b.example' } });
    expect(f.page).toMatchObject({ site: 'b.example', attributedBy: 'origin', confidence: 'medium' });
    expect(f.leakLevel).toBe('origin');
  });

  test('Origin: null is no evidence', () => {
    expect(run({ headers: { origin: 'null' } }).page.attributedBy).toBe('none');
  });

  test('a payload URL that is not http(s) is skipped', () => {
    const f = run({ url: `https://ct.pinterest.com/v3/?ad=${enc({ loc: 'javascript:alert(1)' })}`, headers: { referer: 'https://a.example/p' } });
    expect(f.page.attributedBy).toBe('referer');
  });
});

describe("Pinterest's own frames and pages", () => {
  test('a Referer on assets.pinterest.com is not the page; the recent navigation is', () => {
    const f = run(
      { url: 'https://widgets.pinterest.com/v3/pidgets/pins/info/?pin_ids=1', headers: { referer: 'https://assets.pinterest.com/ext/embed.html?id=1', 'sec-fetch-site': 'same-site' } },
      { site: 'blog.example', url: null, time: T - 2000 },
    );
    expect(f.page).toMatchObject({ site: 'blog.example', attributedBy: 'recent-navigation', confidence: 'low' });
    expect(f.thirdParty).toBe(true);
    expect(f.category).toBe('widget');
    expect(f.leakLevel).toBe('none');
    expect(f.reasons.some((r) => r.includes("Pinterest's own frame"))).toBe(true);
  });

  test('a Pinterest frame Referer with a tag payload: the payload names the page', () => {
    const f = run({
      url: `https://ct.pinterest.com/v3/?tid=1&ad=${enc({ loc: 'https://shop.example/' })}`,
      headers: { referer: 'https://ct.pinterest.com/ct.html' },
    });
    expect(f.page.site).toBe('shop.example');
    expect(f.thirdParty).toBe(true);
  });

  test('a frame Referer and nothing else: no page, still third party', () => {
    const f = run({ url: 'https://ct.pinterest.com/v3/?tid=1', headers: { referer: 'https://ct.pinterest.com/ct.html', 'sec-fetch-site': 'same-origin' } });
    expect(f.page.attributedBy).toBe('none');
    expect(f.category).toBe('tag');
    expect(f.thirdParty).toBe(true);
  });

  test('content requested by a Pinterest page is the user\'s own use', () => {
    const f = run({ url: 'https://i.pinimg.com/236x/a.jpg', headers: { referer: 'https://www.pinterest.co.uk/pin/1/' } });
    expect(f).toMatchObject({ category: 'first-party', thirdParty: false, leakLevel: 'none' });
  });

  test('a navigation to Pinterest from a blog is the user\'s own visit', () => {
    const f = run({
      url: 'https://www.pinterest.com/pin/123/',
      headers: { referer: 'https://blog.example/post', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' },
    });
    expect(f).toMatchObject({ category: 'first-party', thirdParty: false });
    expect(f.page.site).toBe('blog.example');
  });

  test('a Save popup the user clicked open is the user\'s own use; the page it names is kept', () => {
    const url = 'https://www.pinterest.com/pin/create/button/?url=https%3A%2F%2Fblog.example%2Fpost&media=https%3A%2F%2Fblog.example%2Fa.jpg';
    const nav = { referer: 'https://blog.example/post', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' };
    const clicked = run({ url, headers: { ...nav, 'sec-fetch-user': '?1' } });
    expect(clicked).toMatchObject({ category: 'first-party', thirdParty: false, page: { site: 'blog.example', url: 'https://blog.example/post' } });
    expect(clicked.reasons.join(' ')).toMatch(/user's own click on blog\.example/);
    // Opened by a script (no user activation), or fetched: still a widget of the page.
    expect(run({ url, headers: nav })).toMatchObject({ category: 'widget', thirdParty: true });
    expect(run({ url, headers: { ...nav, 'sec-fetch-user': '?1', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' } })).toMatchObject({ category: 'widget' });
  });

  test('a third-party page fetching a www.pinterest.com resource is a widget', () => {
    const f = run({
      url: 'https://www.pinterest.com/resource/x',
      headers: { referer: 'https://blog.example/post', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' },
    });
    expect(f).toMatchObject({ category: 'widget', thirdParty: true });
  });

  test.each(['none', 'same-origin', 'same-site'])('Sec-Fetch-Site: %s without page evidence is own use', (site) => {
    const f = run({ url: 'https://api.pinterest.com/v3/users/me/', headers: { 'sec-fetch-site': site } });
    expect(f).toMatchObject({ category: 'first-party', thirdParty: false });
  });
});

describe('recent navigation', () => {
  const beacon = { url: 'https://ct.pinterest.com/v3/?tid=1', headers: { 'sec-fetch-site': 'cross-site' } };
  test('used within the window', () => {
    const f = run(beacon, { site: 'shop.example', url: 'http://shop.example/cart', time: T - 3000 });
    expect(f.page).toEqual({ site: 'shop.example', url: 'http://shop.example/cart', attributedBy: 'recent-navigation', confidence: 'low' });
  });
  test('ignored when too old, or from the future', () => {
    expect(run(beacon, { site: 'shop.example', url: null, time: T - 60_000 }).page.attributedBy).toBe('none');
    expect(run(beacon, { site: 'shop.example', url: null, time: T + 60_000 }).page.attributedBy).toBe('none');
  });
  test('ignored when the request carries real evidence', () => {
    const f = run({ ...beacon, headers: { referer: 'https://a.example/' } }, { site: 'shop.example', url: null, time: T });
    expect(f.page.site).toBe('a.example');
  });
  test('never used for Pinterest\'s own pages', () => {
    const f = run({ url: 'https://www.pinterest.com/' }, { site: 'shop.example', url: null, time: T });
    expect(f.page.attributedBy).toBe('none');
    expect(f.thirdParty).toBe(false);
  });
});

describe('identifiers and credentials', () => {
  const SESS = 'TWc9PSZTRUNSRVQtU0VTU0lPTi1WQUxVRQ';
  const CSRF = 'csrf-VALUE-0123456789';
  test('credentials are fingerprinted and never appear in clear', () => {
    const f = run({
      headers: { cookie: `_pinterest_sess=${SESS}; csrftoken=${CSRF}; _auth=1; _pinterest_ct_ua=ua1; _epik=ep1; other=x` },
      body: `csrftoken=${CSRF}&tid=1`,
    });
    const json = JSON.stringify(f);
    expect(json).not.toContain(SESS);
    expect(json).not.toContain(CSRF);
    const sess = f.identifiers.find((i) => i.name === '_pinterest_sess');
    expect(sess).toEqual({ name: '_pinterest_sess', kind: 'credential', source: 'cookie', fingerprint: fingerprint('_pinterest_sess', SESS) });
    expect(f.identifiers.find((i) => i.name === 'csrftoken' && i.source === 'body')?.fingerprint).toBe(fingerprint('csrftoken', CSRF));
    expect(f.identifiers.filter((i) => i.kind === 'credential').every((i) => i.value === undefined)).toBe(true);
    expect(f.identifiers.find((i) => i.name === '_epik')).toMatchObject({ kind: 'click-id', value: 'ep1' });
    expect(f.identifiers.map((i) => i.name)).not.toContain('other');
    expect(f.loggedIn).toBe(true);
  });

  test('a fingerprinter that throws does not lose the Finding', () => {
    const f = classify(makeObservation({ headers: { cookie: `_pinterest_sess=${SESS}` } }), {
      fingerprint: () => {
        throw new Error(SESS);
      },
      recentPage: null,
    });
    expect(f.pinterest).toBe(true);
    expect(f.malformed).toContain('fingerprint');
    expect(JSON.stringify(f)).not.toContain(SESS);
  });

  test('no (or an empty) session cookie: not logged in', () => {
    expect(run({ headers: { cookie: '_auth=0; _pinterest_ct_ua=x' } }).loggedIn).toBe(false);
    expect(run({ headers: { cookie: '_pinterest_sess=; _pinterest_ct_ua=x' } }).loggedIn).toBe(false);
  });

  test('click id in the query and identity fields in pd', () => {
    const pd = enc({ pin_unauth: 'pu', derived_epik: 'de', external_id: 'ext', epik: 'ep' });
    const f = run({ url: `https://ct.pinterest.com/v3/?tid=1&epik=click1&pd=${pd}` });
    const byName = Object.fromEntries(f.identifiers.map((i) => [i.name, i]));
    expect(f.identifiers.filter((i) => i.name === 'epik').map((i) => i.value)).toEqual(['click1', 'ep']);
    expect(byName['epik']).toMatchObject({ kind: 'click-id', source: 'query' });
    expect(byName['pin_unauth']).toMatchObject({ kind: 'tracking-id', value: 'pu' });
    expect(byName['derived_epik']).toMatchObject({ kind: 'tracking-id', value: 'de' });
    expect(byName['external_id']).toMatchObject({ kind: 'tracking-id', value: 'ext' });
  });
});

describe('tag fields', () => {
  test('bracket notation with line items', () => {
    const f = run({
      url: 'https://ct.pinterest.com/v3/?tid=2612345678901&event=Checkout&ed[value]=12.50&ed[currency]=usd&ed[order_id]=O-9' +
        '&ed[line_items][1][product_id]=B&ed[line_items][0][product_id]=A&ed[line_items][0][product_name]=Boots' +
        '&ed[line_items][0][product_price]=5.25&ed[line_items][0][product_quantity]=2&pd[np]=woocommerce&noscript=1',
    });
    expect(f.tag).toEqual({
      id: '2612345678901',
      event: 'checkout',
      hashedEmail: null,
      value: 12.5,
      currency: 'USD',
      orderId: 'O-9',
      lineItems: [
        { id: 'A', name: 'Boots', price: 5.25, quantity: 2 },
        { id: 'B', name: null, price: null, quantity: null },
      ],
      partner: 'woocommerce',
    });
  });

  test.each([
    ['a'.repeat(64), 'sha256'],
    ['A'.repeat(40), 'sha1'],
    ['0'.repeat(32), 'md5'],
    ['someone@example.com', 'clear-text?'],
    ['abc', 'clear-text?'],
  ])('e-mail %s → %s', (em, algo) => {
    const f = run({ url: `https://ct.pinterest.com/v3/?pd=${enc({ em })}` });
    expect(f.tag?.hashedEmail).toEqual({ value: em, algo });
    expect(f.identifiers.find((i) => i.name === 'pd.em')).toMatchObject({ kind: 'hashed-email', value: em });
  });

  test('a clear-text e-mail is called out in the reasons', () => {
    const f = run({ url: `https://ct.pinterest.com/v3/?pd=${enc({ em: 'me@example.com' })}` });
    expect(f.reasons.join(' ')).toContain('possibly a clear-text e-mail');
  });

  test('JSON body with nested JSON-text fields and a batched array', () => {
    const body = JSON.stringify([{ tid: '1', event: 'Lead', ed: JSON.stringify({ value: '3' }), pd: { em: 'b'.repeat(40) } }]);
    const f = run({ method: 'POST', body, headers: { 'content-type': 'text/plain' } });
    expect(f.tag).toMatchObject({ id: '1', event: 'lead', value: 3, hashedEmail: { algo: 'sha1' } });
  });

  test('ad.ref and personal pd fields are explained', () => {
    const f = run({ url: `https://ct.pinterest.com/v3/?ad=${enc({ loc: 'https://a.example/p', ref: 'https://search.example/?q=rash' })}&pd=${enc({ fn: 'h', zp: 'h' })}` });
    expect(f.reasons).toContain('`ad.ref` also names the page visited before: https://search.example/?q=rash.');
    expect(f.reasons).toContain('`pd` also carries personal data (fn, zp).');
  });

  test('non-tag endpoints have no tag fields', () => {
    expect(run({ url: 'https://i.pinimg.com/x.jpg' }).tag).toBeNull();
  });
});

describe('signals, malformed parts and leak level', () => {
  test('client hints from headers', () => {
    expect(run({ headers: { 'sec-ch-ua-platform-version': '"15.0"' } }).signals.clientHints).toBe(true);
    expect(run({ headers: { 'sec-ch-ua-mobile': '?0' } }).signals.clientHints).toBe(false);
  });

  test('truncated ad still names the page (salvaged) and is reported', () => {
    const ad = encodeURIComponent('{"loc":"https://shop.example/cart?x=1","ref":"","sh":8');
    const f = run({ url: `https://ct.pinterest.com/v3/?tid=1&ad=${ad}` });
    expect(f.malformed).toEqual(['ad']);
    expect(f.page).toMatchObject({ site: 'shop.example', attributedBy: 'tag-payload' });
    expect(f.leakLevel).toBe('full-url');
  });

  test('a truncated body is read as far as it goes', () => {
    const f = classify({ ...makeObservation({ method: 'POST', body: '{"tid":"7","event":"checkout","ad":{"loc":"https://s.example/a' }), bodyTruncated: true }, context());
    expect(f.malformed).toContain('body');
    expect(f.tag?.id).toBe('7');
    expect(f.reasons.some((r) => r.includes('longer than what is kept'))).toBe(true);
  });

  test.each([
    ['https://a.example', 'origin'],
    ['https://a.example/', 'origin'],
    ['https://a.example/?q=1', 'full-url'],
    ['https://a.example/#frag', 'full-url'],
    ['https://a.example/path', 'full-url'],
  ])('Referer %s → %s', (referer, level) => {
    expect(run({ headers: { referer } }).leakLevel).toBe(level);
  });

  test('a non-Pinterest host gets an empty Finding with a reason', () => {
    const f = run({ url: 'https://example.com/v3/?tid=1', headers: { referer: 'https://a.example/x', cookie: '_pinterest_sess=abc' } });
    expect(f).toEqual({
      pinterest: false,
      host: 'example.com',
      category: null,
      thirdParty: false,
      page: { site: null, url: null, attributedBy: 'none', confidence: 'none' },
      leakLevel: 'none',
      tag: null,
      identifiers: [],
      loggedIn: false,
      signals: { gpc: false, dnt: false, clientHints: false },
      malformed: [],
      reasons: ['example.com is not a Pinterest domain (registrable domain example.com).'],
    });
  });
});
