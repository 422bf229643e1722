import vm from 'node:vm';
import { describe, expect, test } from 'vitest';
import { PINTEREST_DOMAINS } from '../../src/pinterest/domains.js';
import { pacFile, proxyAddress } from '../../src/web/pac.js';

/** Evaluates the PAC file as a browser would, with the standard helper it uses. */
function findProxy(pac: string, url: string): string {
  const host = new URL(url).hostname;
  const context = vm.createContext({ dnsDomainIs: (h: string, d: string) => h.length >= d.length && h.endsWith(d) });
  vm.runInContext(pac, context);
  return vm.runInContext(`FindProxyForURL(${JSON.stringify(url)}, ${JSON.stringify(host)})`, context) as string;
}

const PAC = pacFile({ host: '127.0.0.1', port: 8080 });

describe('proxy.pac', () => {
  test.each([
    'https://ct.pinterest.com/v3/?tid=1',
    'https://s.pinimg.com/ct/core.js',
    'https://i.pinimg.com/236x/a.jpg',
    'https://www.pinterest.co.uk/',
    'https://pinterest.com/',
    'https://pin.it/abc',
    'https://WIDGETS.Pinterest.COM/v3/',
    'https://check.pinaudit.invalid/',
  ])('%s → pinaudit, DIRECT fallback', (url) => {
    expect(findProxy(PAC, url)).toBe('PROXY 127.0.0.1:8080; DIRECT');
  });

  test.each([
    'https://bank.example/',
    'https://notpinterest.com/',
    'https://pinterest.com.evil.test/',
    'https://evilpinimg.com/',
    'http://127.0.0.1:8081/',
    'https://pinaudit.invalid/',
  ])('%s → DIRECT', (url) => {
    expect(findProxy(PAC, url)).toBe('DIRECT');
  });

  test('every Pinterest domain is routed', () => {
    for (const d of PINTEREST_DOMAINS) expect(findProxy(PAC, `https://www.${d}/`), d).toContain('PROXY');
  });

  test.each([
    [{ host: '127.0.0.1', port: 8080 }, '127.0.0.1:8080'],
    [{ host: '0.0.0.0', port: 9000 }, '127.0.0.1:9000'],
    [{ host: '::1', port: 8080 }, '[::1]:8080'],
    [{ host: '::', port: 8080 }, '127.0.0.1:8080'],
  ])('proxy address of %j is %s', (proxy, address) => {
    expect(proxyAddress(proxy)).toBe(address);
  });
});
