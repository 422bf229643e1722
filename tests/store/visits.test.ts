import { describe, expect, test } from 'vitest';
import { siteOf } from '../../src/pinterest/domains.js';
import { isBackgroundHost } from '../../src/store/background-hosts.js';
import { SUBRESOURCE_WINDOW_MS, VisitFilter } from '../../src/store/visits.js';
import type { TunnelEvent } from '../../src/pipeline.js';

const ev = (host: string, site: string | null, time: number, o: Partial<TunnelEvent> = {}): TunnelEvent =>
  ({ client: '127.0.0.1', host, site, url: null, time, ...o });

describe('what counts as a visit', () => {
  // Sites as pinaudit computes them: the public suffix list makes googleapis.com a suffix, so
  // content-autofill.googleapis.com is a "site" of its own and must still be recognised.
  test.each([
    ['update.googleapis.com', true],
    ['content-autofill.googleapis.com', true],
    ['google.com', true],
    ['clients2.google.com', true],
    ['accounts.google.com', true],
    ['connectivitycheck.gstatic.com', true],
    ['www.google.com', false],
    ['www.shop.example', false],
    ['googleapis.com.shop.example', false],
  ])('%s is background: %s', (host, expected) => {
    expect(isBackgroundHost(host, siteOf(host))).toBe(expected);
  });

  test('background hosts, and other sites opened within moments of a page, are not visits', () => {
    const f = new VisitFilter();
    expect(f.isVisit(ev('update.googleapis.com', 'googleapis.com', 0))).toBe(false);
    expect(f.isVisit(ev('www.shop.example', 'shop.example', 1000))).toBe(true);
    expect(f.isVisit(ev('cdn.fonts.example', 'fonts.example', 1300))).toBe(false);
    expect(f.isVisit(ev('img.shop.example', 'shop.example', 1400))).toBe(true);
    // The page's moment lasts while its connections keep coming.
    expect(f.isVisit(ev('stats.example', 'stats.example', 1400 + SUBRESOURCE_WINDOW_MS - 1))).toBe(false);
    // After a quiet moment another site is a visit.
    expect(f.isVisit(ev('www.news.example', 'news.example', 10_000))).toBe(true);
    // Another client has its own moment.
    expect(f.isVisit(ev('www.bank.example', 'bank.example', 10_001, { client: '10.0.0.2' }))).toBe(true);
  });

  test('a plain-HTTP document is a page by evidence, however soon it follows', () => {
    const f = new VisitFilter();
    expect(f.isVisit(ev('www.shop.example', 'shop.example', 0))).toBe(true);
    expect(f.isVisit(ev('checkout.pay.example', 'pay.example', 100, { url: 'http://checkout.pay.example/' }))).toBe(true);
  });

  test('IP literals are no site and never a visit', () => {
    expect(new VisitFilter().isVisit(ev('192.0.2.1', null, 0))).toBe(false);
  });
});
