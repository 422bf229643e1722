/**
 * The switches read out of one exchange with a settings endpoint: reads, changes, the API form,
 * compressed, truncated and hostile answers, and exchanges that must count for nothing.
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { decodeResponseBody, RESPONSE_LIMIT } from '../../src/advice/response-body.js';
import { readSettingsExchange, type SettingsExchange } from '../../src/advice/settings-parse.js';
import { settingsEndpointOf } from '../../src/pinterest/account-settings.js';
import { GET_URL, ME_URL, meAnswer, resourceAnswer, resourceForm, SETTINGS_DATA, UPDATE_URL } from './fixtures.js';

function exchange(url: string, x: Partial<SettingsExchange> & { body?: string } = {}): SettingsExchange {
  const u = new URL(url);
  const endpoint = settingsEndpointOf(u.hostname, u.pathname);
  if (endpoint === null) throw new Error(`not a settings endpoint: ${url}`);
  return {
    endpoint,
    method: 'POST',
    url,
    requestBody: x.body === undefined ? null : Buffer.from(x.body),
    requestBodyTruncated: false,
    status: 200,
    responseText: null,
    ...x,
  };
}

describe('settings endpoints as data', () => {
  test.each([
    ['https://www.pinterest.com/resource/UserSettingsResource/get/', 'UserSettingsResource/get'],
    ['https://pinterest.de/resource/UserSettingsResource/get/?data=x', 'UserSettingsResource/get'],
    ['https://www.pinterest.co.uk/resource/UserSettingsResource/update/', 'UserSettingsResource/update'],
    ['https://api.pinterest.com/v3/users/me/?add_fields=user.personalize_from_offsite_browsing', 'users/me'],
    ['https://api.pinterest.com/users/me/', 'users/me'],
  ])('%s is the lead %s', (url, name) => {
    const u = new URL(url);
    expect(settingsEndpointOf(u.hostname, u.pathname)?.name).toBe(name);
  });

  test.each([
    'https://ct.pinterest.com/resource/UserSettingsResource/get/',
    'https://www.pinterest.com.evil.test/resource/UserSettingsResource/get/',
    'https://www.notpinterest.com/resource/UserSettingsResource/get/',
    'https://api.pinterest.com/v3/users/someone/',
    'https://www.pinterest.com/resource/UserResource/get/',
    'https://www.pinterest.com/resource/UserSettingsResource/get/extra',
  ])('%s is not one', (url) => {
    const u = new URL(url);
    expect(settingsEndpointOf(u.hostname, u.pathname)).toBeNull();
  });
});

describe('reading the switches', () => {
  test('UserSettingsResource/get: every switch the answer holds, as a read', () => {
    const v = readSettingsExchange(exchange(GET_URL, { body: resourceForm({}), responseText: resourceAnswer(SETTINGS_DATA) }));
    expect(v.ignored).toBeNull();
    expect(v.readings).toEqual([
      { field: 'personalize_from_offsite_browsing', state: true, how: 'read' },
      { field: 'ads_customize_from_conversion', state: false, how: 'read' },
      { field: 'third_party_marketing_tracking_enabled', state: true, how: 'read' },
      { field: 'exclude_from_search', state: false, how: 'read' },
    ]);
    // Nothing but the switches: no username, e-mail or id travels out of the parser.
    expect(JSON.stringify(v)).not.toMatch(/jane|1122334455667788|example\.test/);
  });

  test('get as a GET with data= in the query', () => {
    const url = `${GET_URL}?${resourceForm({})}`;
    const v = readSettingsExchange(exchange(url, { method: 'GET', responseText: resourceAnswer({ personalize_from_offsite_browsing: false }) }));
    expect(v.readings).toEqual([{ field: 'personalize_from_offsite_browsing', state: false, how: 'read' }]);
  });

  test('UserSettingsResource/update: the switch the person set, as a change', () => {
    const body = resourceForm({ personalize_from_offsite_browsing: false });
    const v = readSettingsExchange(exchange(UPDATE_URL, { body, responseText: resourceAnswer({ ...SETTINGS_DATA, personalize_from_offsite_browsing: false }) }));
    expect(v.readings[0]).toEqual({ field: 'personalize_from_offsite_browsing', state: false, how: 'change' });
    // The rest of the echoed settings are reads; the changed switch is not counted twice.
    expect(v.readings.filter((r) => r.field === 'personalize_from_offsite_browsing')).toHaveLength(1);
    expect(v.readings.map((r) => r.how)).toEqual(['change', 'read', 'read', 'read']);
  });

  test('an accepted update whose answer is unreadable still counts the change', () => {
    const body = resourceForm({ ads_customize_from_conversion: 'false' });
    const v = readSettingsExchange(exchange(UPDATE_URL, { body, responseText: null }));
    expect(v.readings).toEqual([{ field: 'ads_customize_from_conversion', state: false, how: 'change' }]);
  });

  test('an update Pinterest refused changes nothing', () => {
    const body = resourceForm({ personalize_from_offsite_browsing: false });
    expect(readSettingsExchange(exchange(UPDATE_URL, { body, status: 403, responseText: '{}' })).readings).toEqual([]);
    const failed = readSettingsExchange(exchange(UPDATE_URL, { body, responseText: resourceAnswer({}, 'failure') }));
    expect(failed.readings).toEqual([]);
    expect(failed.ignored).toMatch(/failure/);
  });

  test('/users/me/ with add_fields: the API answer under data', () => {
    const v = readSettingsExchange(exchange(ME_URL, {
      method: 'GET',
      responseText: meAnswer({ personalize_from_offsite_browsing: false, ads_customize_from_conversion: true }),
    }));
    expect(v.readings).toEqual([
      { field: 'personalize_from_offsite_browsing', state: false, how: 'read' },
      { field: 'ads_customize_from_conversion', state: true, how: 'read' },
    ]);
  });

  test('/users/me/ changed with request parameters (older clients)', () => {
    const v = readSettingsExchange(exchange('https://api.pinterest.com/v3/users/me/', {
      method: 'PUT', body: 'personalize_from_offsite_browsing=false&ads_customize_from_conversion=false', responseText: meAnswer({}),
    }));
    expect(v.readings).toEqual([
      { field: 'personalize_from_offsite_browsing', state: false, how: 'change' },
      { field: 'ads_customize_from_conversion', state: false, how: 'change' },
    ]);
  });

  test('a response for another user does not count', () => {
    const v = readSettingsExchange(exchange(GET_URL, {
      body: resourceForm({ username: 'someone_else' }),
      responseText: resourceAnswer({ ...SETTINGS_DATA, username: 'someone_else', personalize_from_offsite_browsing: true }),
    }));
    expect(v.readings).toEqual([]);
    expect(v.ignored).toMatch(/names a user/);
  });

  test.each([
    ['a missing switch', { username: 'jane_doe' }],
    ['null', { personalize_from_offsite_browsing: null }],
    ['a number', { personalize_from_offsite_browsing: 0 }],
    ['other text', { personalize_from_offsite_browsing: 'off' }],
    ['a nested object', { personalize_from_offsite_browsing: { value: false } }],
  ])('never guesses a state: %s', (_name, data) => {
    const v = readSettingsExchange(exchange(GET_URL, { body: resourceForm({}), responseText: resourceAnswer(data) }));
    expect(v.readings).toEqual([]);
  });

  test.each([
    ['not JSON', '<html>login</html>'],
    ['a JSON array', '[true]'],
    ['no resource_response', JSON.stringify({ data: SETTINGS_DATA })],
    ['too deep', `${'['.repeat(200)}${']'.repeat(200)}`],
  ])('an answer that is %s counts for nothing', (_name, text) => {
    expect(readSettingsExchange(exchange(GET_URL, { body: resourceForm({}), responseText: text })).readings).toEqual([]);
  });

  test('a request body too long to read whole counts for nothing', () => {
    const v = readSettingsExchange(exchange(UPDATE_URL, {
      body: resourceForm({ personalize_from_offsite_browsing: false }), requestBodyTruncated: true, responseText: resourceAnswer(SETTINGS_DATA),
    }));
    expect(v.readings).toEqual([]);
  });
});

describe('decoding the answer within its bound', () => {
  const json = resourceAnswer(SETTINGS_DATA);

  test.each([
    ['gzip', gzipSync(json)],
    ['x-gzip', gzipSync(json)],
    ['br', brotliCompressSync(json)],
    ['deflate', deflateSync(json)],
    ['', Buffer.from(json)],
    ['identity', Buffer.from(json)],
  ])('%s', (encoding, body) => {
    expect(decodeResponseBody(encoding, body, false)).toEqual({ ok: true, text: json });
  });

  test('a gzip answer read end to end gives the switches', () => {
    const text = decodeResponseBody('gzip', gzipSync(json), false);
    if (!text.ok) throw new Error(text.why);
    expect(readSettingsExchange(exchange(GET_URL, { body: resourceForm({}), responseText: text.text })).readings).toHaveLength(4);
  });

  test('a truncated answer is not half-read', () => {
    const zipped = gzipSync(json);
    expect(decodeResponseBody('gzip', zipped.subarray(0, zipped.length - 10), false)).toEqual({ ok: false, why: 'corrupt' });
    // The proxy kept only the first RESPONSE_LIMIT bytes of a longer answer.
    expect(decodeResponseBody('', Buffer.from(json), true)).toEqual({ ok: false, why: 'truncated' });
  });

  test.each([
    ['gzip', gzipSync(Buffer.alloc(64 * 1024 * 1024))],
    ['br', brotliCompressSync(Buffer.alloc(64 * 1024 * 1024))],
    ['deflate', deflateSync(Buffer.alloc(64 * 1024 * 1024))],
  ])('a %s compression bomb stops at the bound', (encoding, bomb) => {
    expect(bomb.length).toBeLessThan(RESPONSE_LIMIT);
    expect(decodeResponseBody(encoding, bomb, false)).toEqual({ ok: false, why: 'too-large' });
  });

  test('an unknown or stacked encoding is not guessed at', () => {
    expect(decodeResponseBody('zstd', Buffer.from('x'), false)).toEqual({ ok: false, why: 'unsupported-encoding' });
    expect(decodeResponseBody('gzip, br', Buffer.from('x'), false)).toEqual({ ok: false, why: 'unsupported-encoding' });
    expect(decodeResponseBody('gzip', Buffer.from('not gzip'), false)).toEqual({ ok: false, why: 'corrupt' });
  });
});
