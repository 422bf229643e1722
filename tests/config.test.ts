/** One typed config: defaults, env, flags winning over env, and errors that name option and value. */
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  test('defaults', () => {
    const c = loadConfig({}, {}, '/srv/app');
    expect(c).toMatchObject({
      proxyPort: 8080,
      listenHost: '127.0.0.1',
      allowLan: false,
      caDir: resolve('/srv/app', 'ca'),
      dataDir: resolve('/srv/app', 'data'),
      logLevel: 'info',
      upstreamCa: null,
      hostResolverRules: [],
      connectTimeoutMs: 10_000,
      idleTimeoutMs: 60_000,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  test('env applies, flags win', () => {
    expect(loadConfig({}, { PINAUDIT_PROXY_PORT: '9000' }).proxyPort).toBe(9000);
    expect(loadConfig({ 'proxy-port': '9001' }, { PINAUDIT_PROXY_PORT: '9000' }).proxyPort).toBe(9001);
    expect(loadConfig({}, { PINAUDIT_LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expect(loadConfig({}, { PINAUDIT_HOST_RESOLVER_RULES: 'MAP * 127.0.0.1' }).hostResolverRules).toHaveLength(1);
  });

  test('localhost means 127.0.0.1 (the library needs IPv4 loopback)', () => {
    expect(loadConfig({ 'listen-host': 'localhost' }, {}).listenHost).toBe('127.0.0.1');
  });

  test.each([
    [{ 'proxy-port': '-1' }, /--proxy-port: "-1" is not a port/],
    [{ 'connect-timeout': '0' }, /--connect-timeout: "0" is not a positive/],
    [{ 'listen-host': 'example.com' }, /--listen-host: "example.com" is not an IP address/],
    [{ 'listen-host': '192.168.1.10' }, /add --allow-lan/],
    [{ 'listen-host': '::1' }, /--listen-host: "::1" is IPv6/],
    [{ 'ca-dir': '' }, /--ca-dir: "" is not a path/],
    [{ 'allow-lan': 'maybe' }, /--allow-lan: "maybe" is not true or false/],
  ])('%j → %s', (flags, message) => {
    expect(() => loadConfig(flags, {})).toThrow(message);
    try {
      loadConfig(flags, {});
    } catch (err) {
      expect((err as { code: string }).code).toBe('CONFIG');
    }
  });

  test('a LAN address is accepted with --allow-lan', () => {
    expect(loadConfig({ 'listen-host': '0.0.0.0', 'allow-lan': true }, {}).listenHost).toBe('0.0.0.0');
  });
});
