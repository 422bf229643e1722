/**
 * The site list: every bad line is named by its number, duplicates are reported and skipped, and
 * bare domains become their https home page.
 */
import { describe, expect, test } from 'vitest';
import { parseSiteList } from '../../src/crawl/sites.js';

describe('parseSiteList', () => {
  test.each([
    ['shop-a.test', 'https://shop-a.test/', 'shop-a.test'],
    ['www.shop-a.test', 'https://www.shop-a.test/', 'shop-a.test'],
    ['http://blog-b.test/path?q=1#frag', 'http://blog-b.test/path?q=1', 'blog-b.test'],
    ['HTTPS://Shop.Example.co.uk', 'https://shop.example.co.uk/', 'example.co.uk'],
    ['example.com:8443', 'https://example.com:8443/', 'example.com'],
    ['kohls.com   # a shop', 'https://kohls.com/', 'kohls.com'],
  ])('%s opens %s (site %s)', (line, url, site) => {
    const list = parseSiteList([line]);
    expect(list.errors).toEqual([]);
    expect(list.sites).toEqual([{ line: 1, input: line.replace(/\s+#.*$/, ''), url, site }]);
  });

  test.each([
    ['ftp://files.example.com', /line 2: "ftp:" is not a web address/],
    ['javascript:alert(1)', /line 2: "javascript:" is not a web address/],
    ['192.168.1.10', /line 2: 192\.168\.1\.10 is an IP address/],
    ['https://[::1]/', /line 2: ::1 is an IP address/],
    ['not a site', /line 2: "not a site" is not a URL or a domain/],
    ['localhost', /line 2: "localhost" is not a URL or a domain/],
    ['co.uk', /line 2: co\.uk has no registrable domain/],
    ['https://', /line 2: "https:\/\/" is not a valid URL/],
  ])('%s is refused with a message naming its line', (line, message) => {
    const list = parseSiteList(['# first line is a comment', line]);
    expect(list.sites).toEqual([]);
    expect(list.errors).toHaveLength(1);
    expect(list.errors[0]).toMatch(message);
  });

  test('blank lines and comments are skipped; every bad line is reported, not just the first', () => {
    const list = parseSiteList(['', '# shops', 'shop-a.test', 'ftp://x.test', '  ', '10.0.0.1', 'blog-b.test']);
    expect(list.sites.map((s) => [s.line, s.site])).toEqual([[3, 'shop-a.test'], [7, 'blog-b.test']]);
    expect(list.errors.map((e) => e.slice(0, 7))).toEqual(['line 4:', 'line 6:']);
  });

  test('a second line for a listed site is reported with both line numbers and skipped', () => {
    const list = parseSiteList(['shop-a.test', 'blog-b.test', 'https://www.shop-a.test/sale', 'blog-b.test']);
    expect(list.sites.map((s) => s.site)).toEqual(['shop-a.test', 'blog-b.test']);
    expect(list.duplicates).toEqual([
      'line 3: shop-a.test is already listed on line 1; skipped',
      'line 4: blog-b.test is already listed on line 2; skipped',
    ]);
  });

  test('an empty list has no sites and no errors (the command says it is empty)', () => {
    expect(parseSiteList(['', '# nothing'])).toEqual({ sites: [], errors: [], duplicates: [] });
  });
});
