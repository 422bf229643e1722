/**
 * The Pinterest knowledge tables: one case per endpoint row of reference/pinterest.md §2,
 * registrable-domain matching (never substring), and the cookie vocabulary.
 */
import { describe, expect, test } from 'vitest';
import { endpointOf, ENDPOINTS } from '../../src/pinterest/endpoints.js';
import { COOKIES, CREDENTIAL_NAMES } from '../../src/pinterest/cookies.js';
import { isPinterestHost, PINTEREST_DOMAINS } from '../../src/pinterest/domains.js';
import type { Category } from '../../src/types.js';

/** [reference row, URL] → category. */
const ROWS: [string, string, Category][] = [
  ['tag loader', 'https://s.pinimg.com/ct/core.js', 'tag-script'],
  ['tag library', 'https://s.pinimg.com/ct/lib/main.f6304d83.js', 'tag-script'],
  ['identity call', 'https://ct.pinterest.com/user/?tid=2612345678901&pd=%7B%7D&cb=1', 'tag'],
  ['event beacon', 'https://ct.pinterest.com/v3/?tid=2612345678901&event=pagevisit&cb=1', 'tag'],
  ['no-JS beacon', 'https://ct.pinterest.com/v3/?tid=2612345678901&noscript=1&pd[em]=x', 'tag'],
  ['click-id frame', 'https://ct.pinterest.com/ct.html', 'tag'],
  ['click-id script', 'https://ct.pinterest.com/static/ct/token_create.js', 'tag'],
  ['tag telemetry', 'https://ct.pinterest.com/stats/', 'telemetry'],
  ['attribution reporting', 'https://www.pinterest.com/.well-known/attribution-reporting/register-source', 'tag'],
  ['Save-button log', 'https://log.pinterest.com/?type=pidget&guid=abc&via=https%3A%2F%2Fa.example%2F', 'telemetry'],
  ['pinit.js', 'https://assets.pinterest.com/js/pinit.js', 'widget'],
  ['pinit_main.js', 'https://assets.pinterest.com/js/pinit_main.js?0.5', 'widget'],
  ['embed.html', 'https://assets.pinterest.com/ext/embed.html?id=1', 'widget'],
  ['embed.js', 'https://assets.pinterest.com/js/embed.js', 'widget'],
  ['sdk.js', 'https://assets.pinterest.com/sdk/sdk.js', 'widget'],
  ['pidget.html', 'https://assets.pinterest.com/pidget.html', 'widget'],
  ['pidget images', 'https://assets.pinterest.com/images/pidgets/pinit_fg_en_rect_gray_20.png', 'widget'],
  ['Save count', 'https://widgets.pinterest.com/v1/urls/count.json?url=https%3A%2F%2Fa.example%2Fp&callback=x', 'widget'],
  ['Save count on api.', 'https://api.pinterest.com/v1/urls/count.json?url=https%3A%2F%2Fa.example%2Fp', 'widget'],
  ['pidgets pins/info', 'https://widgets.pinterest.com/v3/pidgets/pins/info/?pin_ids=1', 'widget'],
  ['pidgets boards', 'https://widgets.pinterest.com/v3/pidgets/boards/u/b/pins/', 'widget'],
  ['pidgets sections', 'https://widgets.pinterest.com/v3/pidgets/sections/1/pins/', 'widget'],
  ['pidgets users', 'https://widgets.pinterest.com/v3/pidgets/users/u/pins/', 'widget'],
  ['pidgets on api.', 'https://api.pinterest.com/v3/pidgets/users/u/pins/', 'widget'],
  ['Save popup', 'https://www.pinterest.com/pin/create/button/?url=https%3A%2F%2Fa.example%2Fp&media=x', 'widget'],
  ['pin image', 'https://i.pinimg.com/236x/aa/bb/cc/x.jpg', 'content'],
  ['pin video', 'https://v1.pinimg.com/videos/mc/hls/x.m3u8', 'content'],
  ['static outside /ct/', 'https://s.pinimg.com/images/favicon.png', 'content'],
  ['trk.', 'https://trk.pinterest.com/x', 'tag'],
  ['trk2.', 'https://trk2.pinterest.com/x', 'tag'],
  ['analytics.', 'https://analytics.pinterest.com/x', 'tag'],
  ['ads.', 'https://ads.pinterest.com/x', 'tag'],
];

describe('endpoint table', () => {
  test.each(ROWS)('%s: %s → %s', (_row, url, category) => {
    const parsed = new URL(url);
    expect(endpointOf(parsed.hostname, parsed.pathname)?.category).toBe(category);
  });

  test('s.pinimg.com is classified by path, not by host', () => {
    expect(endpointOf('s.pinimg.com', '/ct/core.js')?.category).toBe('tag-script');
    expect(endpointOf('s.pinimg.com', '/webapp/app.js')?.category).toBe('content');
  });

  test('country domains share www.pinterest.com rows', () => {
    expect(endpointOf('www.pinterest.de', '/pin/create/button/')?.category).toBe('widget');
    expect(endpointOf('pinterest.co.uk', '/search/')?.category).toBe('first-party');
  });

  test('unknown Pinterest hosts fall back by registrable domain', () => {
    expect(endpointOf('foo.pinimg.com', '/x')).toMatchObject({ category: 'content', rule: null });
    expect(endpointOf('help.pinterest.com', '/x')).toMatchObject({ category: 'first-party', rule: null });
  });

  test('every row names a Pinterest host and a path prefix starting with /', () => {
    for (const rule of ENDPOINTS) {
      expect(isPinterestHost(rule.host), rule.host).toBe(true);
      expect(rule.pathPrefix.startsWith('/')).toBe(true);
    }
  });
});

describe('domain matching', () => {
  test.each([
    'notpinterest.com', 'pinterest.com.evil.test', 'pinterest.com.evil.example', 'evilpinimg.com',
    'pinimg.com.attacker.net', 'xpin.it', 'pinterest.comm', 'example.com', '127.0.0.1', '', 'localhost',
  ])('%s is not Pinterest', (host) => {
    expect(isPinterestHost(host)).toBe(false);
    expect(endpointOf(host, '/')).toBeNull();
  });

  test.each(['ct.pinterest.com', 'PINTEREST.COM', 's.pinimg.com', 'pin.it', 'www.pinterest.co.uk', 'pinterest.com.au'])(
    '%s is Pinterest',
    (host) => expect(isPinterestHost(host)).toBe(true),
  );

  test('the domain list includes the country domains', () => {
    expect(PINTEREST_DOMAINS).toContain('pinterest.de');
    expect(PINTEREST_DOMAINS).toContain('pinterest.co.kr');
  });
});

describe('cookie vocabulary', () => {
  test.each([
    ['_pinterest_ct_ua', 'tracking-id'],
    ['_pin_unauth', 'tracking-id'],
    ['_derived_epik', 'tracking-id'],
    ['_pinterest_ct', 'tracking-id'],
    ['_pinterest_ct_rt', 'tracking-id'],
    ['_b', 'tracking-id'],
    ['_routing_id', 'tracking-id'],
    ['_epik', 'click-id'],
    ['_pinterest_sess', 'credential'],
    ['csrftoken', 'credential'],
    ['_auth', 'credential'],
    ['ar_debug', null],
    ['sessionid', null],
  ])('%s is %s', (name, kind) => expect(COOKIES.get(name)?.kind ?? null).toBe(kind));

  test('credentials are exactly the session, CSRF and auth cookies', () => {
    expect([...CREDENTIAL_NAMES].sort()).toEqual(['_auth', '_pinterest_sess', 'csrftoken']);
    expect(COOKIES.size).toBeGreaterThanOrEqual(11);
  });
});
