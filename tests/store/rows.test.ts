/**
 * The stored form of a flow. The path column is what URL parsing calls the path (percent-encoded,
 * dot segments resolved); the usual plain path is read without a parser and must agree with it.
 */
import { describe, expect, test } from 'vitest';
import { toPending } from '../../src/store/rows.js';
import { makeFlow } from '../helpers/findings.js';

const pathOf = (url: string): string => toPending(makeFlow({ observation: { url } }), 'off').columns.path;

describe('the path column', () => {
  test.each([
    'https://ct.pinterest.com/v3/?tid=2612345678901&event=pagevisit',
    'https://ct.pinterest.com/v3/',
    'https://ct.pinterest.com',
    'https://ct.pinterest.com?tid=1',
    'https://ct.pinterest.com/#x',
    'https://www.pinterest.com:8443/resource/UserResource/get/?data=%7B%7D',
    "https://widgets.pinterest.com/v3/pidgets/boards/a-b_c.d~e!$&'()*+,;=:@x/pins/",
    'https://ct.pinterest.com//v3//',
    // What the parser changes: the usual path must not take the short way for these.
    'https://ct.pinterest.com/a/../v3/',
    'https://ct.pinterest.com/a/./v3/.',
    'https://ct.pinterest.com/a/%2e%2E/v3/',
    'https://ct.pinterest.com/v3/a b',
    'https://ct.pinterest.com/v3/ä',
    'https://ct.pinterest.com/v3\\x',
    'https://ct.pinterest.com/v3/"<x>`{}^|',
    'https://ct.pinterest.com/v3/%zz%41',
    'https://ct.pinterest.com/v3/\tx',
    'http://192.168.0.1:8080/..',
  ])('%s', (url) => {
    expect(pathOf(url)).toBe(new URL(url).pathname);
  });

  test('a URL that does not parse keeps its text up to the query, at most 2048 characters', () => {
    expect(pathOf('not a url?x')).toBe('not a url');
    expect(pathOf(`no scheme ${'x'.repeat(3000)}`)).toHaveLength(2048);
  });
});

describe('lists', () => {
  test('are stored as JSON, empty ones as []; reasons stay sentences for the writer', () => {
    const flow = makeFlow({ finding: { malformed: [], reasons: ['one', 'two "quoted"'] }, decision: { stripped: ['cookie', 'referer'] } });
    const pending = toPending(flow, 'strip');
    expect(pending.reasons).toEqual(['one', 'two "quoted"']);
    expect(pending.columns.malformed).toBe('[]');
    expect(pending.columns.stripped).toBe('["cookie","referer"]');
    // A copy: a stage that changes the finding after it was recorded does not change the row.
    flow.finding?.reasons.push('added later');
    expect(pending.reasons).toEqual(['one', 'two "quoted"']);
    const bare = toPending(makeFlow({ finding: null, decision: null }), null);
    expect([bare.columns.malformed, bare.columns.stripped, bare.reasons]).toEqual(['[]', '[]', []]);
  });
});
