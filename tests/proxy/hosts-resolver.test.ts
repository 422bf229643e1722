/** Host-name validation and Chromium-style host resolver rules. */
import { describe, expect, test } from 'vitest';
import { isValidHostname, parseHostPort } from '../../src/proxy/hosts.js';
import { parseResolverRules, resolveUpstream } from '../../src/proxy/resolver.js';

describe('parseHostPort', () => {
  test.each([
    ['ct.pinterest.com:443', { host: 'ct.pinterest.com', port: 443 }],
    ['CT.Pinterest.COM:443', { host: 'ct.pinterest.com', port: 443 }],
    ['ct.pinterest.com.:443', { host: 'ct.pinterest.com', port: 443 }],
    ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
    ['[::1]:443', { host: '::1', port: 443 }],
    ['_dmarc.example.com:443', { host: '_dmarc.example.com', port: 443 }],
  ])('%s → %j', (text, expected) => {
    expect(parseHostPort(text)).toEqual(expected);
  });

  test.each([
    '', ':443', 'x', 'x:', 'x:0', 'x:65536', 'x:-1', 'x:44a3', '../../x:443', 'a/b:443', 'a\\b:443', 'a b:443',
    'a\u0000b:443', 'a\r\nb:443', '-a.com:443', 'a-.com:443', 'a..b:443', '::1:443', '[::1:443', '[nothost]:443',
    `${'a'.repeat(64)}.com:443`, `${'a.'.repeat(130)}com:443`, '1.2.3:443', 'ünïcode.com:443',
  ])('%j is refused', (text) => {
    expect(parseHostPort(text)).toBeNull();
  });

  test('a default port applies only when none is given', () => {
    expect(parseHostPort('example.com', 80)).toEqual({ host: 'example.com', port: 80 });
    expect(parseHostPort('example.com:81', 80)).toEqual({ host: 'example.com', port: 81 });
  });

  test('host name limits', () => {
    expect(isValidHostname('a'.repeat(63))).toBe(true);
  });
});

describe('host resolver rules', () => {
  const rules = parseResolverRules(
    'MAP *.pinterest.com 127.0.0.1:8443, EXCLUDE www.example.com, MAP *.example.com:80 localhost:8081, MAP gone.test ~NOTFOUND, MAP ipv6.test [::1]:9',
  );

  test.each([
    ['ct.pinterest.com', 443, { host: '127.0.0.1', port: 8443 }],
    ['pinterest.com', 443, { host: 'pinterest.com', port: 443 }],
    ['www.example.com', 80, { host: 'www.example.com', port: 80 }],
    ['shop.example.com', 80, { host: 'localhost', port: 8081 }],
    ['shop.example.com', 443, { host: 'shop.example.com', port: 443 }],
    ['gone.test', 443, { notFound: true }],
    ['ipv6.test', 443, { host: '::1', port: 9 }],
    ['CT.PINTEREST.COM', 443, { host: '127.0.0.1', port: 8443 }],
  ])('%s:%i → %j', (host, port, expected) => {
    expect(resolveUpstream(rules, host, port)).toEqual(expected);
  });

  test('a target without port keeps the original port', () => {
    expect(resolveUpstream(parseResolverRules('MAP * 127.0.0.1'), 'x.test', 8443)).toEqual({ host: '127.0.0.1', port: 8443 });
  });

  test('dots in patterns are literal', () => {
    expect(resolveUpstream(parseResolverRules('MAP a.b 127.0.0.1'), 'axb', 80)).toEqual({ host: 'axb', port: 80 });
  });

  test.each(['MAP', 'MAP a', 'MAP a b c', 'SEND a b', 'MAP a/b 127.0.0.1', 'MAP a not/host', 'EXCLUDE'])('%j is a config error', (text) => {
    expect(() => parseResolverRules(text)).toThrow(/--host-resolver-rules/);
  });

  test('empty rules map nothing', () => {
    expect(parseResolverRules('')).toEqual([]);
    expect(parseResolverRules(' , ')).toEqual([]);
  });
});
