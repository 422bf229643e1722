/** splitUrl: the one split of a request URL into path and query, within caps. */
import { describe, expect, test } from 'vitest';
import { splitUrl } from '../src/url.js';

const caps = { pathChars: 16, queryChars: 32 };

describe('splitUrl', () => {
  test.each([
    ['https://ct.pinterest.com/v3/?tid=1#frag', '/v3/', 'tid=1'],
    ['https://ct.pinterest.com?tid=1', '/', 'tid=1'],
    ['https://ct.pinterest.com', '/', ''],
    ['/v3/?a=b?c', '/v3/', 'a=b?c'],
    ['/?', '/', ''],
    ['https://host/a#x?not-a-query', '/a', ''],
    ['https://host/a/very/long/path/indeed/more', '/a/very/long/pat', ''],
  ])('%s → path %s, query %s', (url, path, query) => {
    expect(splitUrl(url, caps)).toMatchObject({ path, query, clipped: false });
  });

  test('a URL longer than the caps is cut and says so', () => {
    const r = splitUrl(`https://h/p?${'a'.repeat(10_000)}`, caps);
    expect(r.clipped).toBe(true);
    expect(r.query.length).toBeLessThan(2200);
  });
});
