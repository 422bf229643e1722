import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CSP, hostAllowed, originProblem } from '../../src/web/security.js';
import { seededDashboard, type TestDashboard } from './seed.js';

const ORIGIN = 'http://127.0.0.1:8081';
const HOST = '127.0.0.1:8081';
let d: TestDashboard;
let token: string;
beforeAll(async () => {
  d = await seededDashboard();
  token = await d.token();
});
afterAll(async () => {
  await d.close();
});

describe('Host guard (DNS rebinding)', () => {
  test.each([
    ['localhost:8081', true],
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.0.0.1:9999', true],
    ['127.1.2.3:8081', true],
    ['[::1]:8081', true],
    ['LOCALHOST:8081', true],
    ['attacker.example', false],
    ['attacker.example:8081', false],
    ['127.0.0.1.attacker.example', false],
    ['localhost.attacker.example:8081', false],
    ['127.0.0.256', false],
    ['127.300.0.1:8081', false],
    ['app.localhost:8081', true],
    ['0.0.0.0:8081', false],
    ['192.168.1.10:8081', false],
    ['127.0.0.1:8081/evil', false],
    ['user@127.0.0.1', false],
    ['', false],
  ])('%j allowed: %s', (host, allowed) => {
    expect(hostAllowed(host)).toBe(allowed);
  });

  test('an explicit LAN bind can add its own address', () => {
    expect(hostAllowed('192.168.1.10:8081', ['192.168.1.10'])).toBe(true);
    expect(hostAllowed('192.168.1.11:8081', ['192.168.1.10'])).toBe(false);
  });

  test.each(['/', '/api/overview', '/api/settings', '/export.csv', '/proxy.pac', '/ca.pem', '/api/live', '/js/main.js', '/nothing'])(
    'Host: attacker.example → 403 on %s',
    async (url) => {
      const res = await d.app.inject({ url, headers: { host: 'attacker.example' } });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('HOST_REFUSED');
      expect(res.body).not.toContain('shop.example');
      expect(res.headers['content-security-policy']).toBe(CSP);
    },
  );
});

describe('headers', () => {
  test.each(['/', '/api/overview', '/export.csv', '/js/main.js', '/nothing'])('%s carries the strict CSP and friends', async (url) => {
    const res = await d.app.inject({ url, headers: { host: HOST } });
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' https://check.pinaudit.invalid; font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });
});

describe('state-changing requests', () => {
  const put = (headers: Record<string, string>, body: unknown = { blockMode: 'all' }) =>
    d.app.inject({ method: 'PUT', url: '/api/settings', headers: { host: HOST, 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });

  test.each([
    ['no Origin, no token', {}, 'ORIGIN_REFUSED'],
    ['no Origin, with token', { 'x-pinaudit-token': 'T' }, 'ORIGIN_REFUSED'],
    ['same Origin, no token', { origin: ORIGIN }, 'TOKEN_REQUIRED'],
    ['same Origin, wrong token', { origin: ORIGIN, 'x-pinaudit-token': 'nope' }, 'TOKEN_REQUIRED'],
    ['foreign Origin, right token', { origin: 'https://attacker.example', 'x-pinaudit-token': 'T' }, 'ORIGIN_REFUSED'],
    ['other loopback port as Origin', { origin: 'http://127.0.0.1:9999', 'x-pinaudit-token': 'T' }, 'ORIGIN_REFUSED'],
    ['null Origin', { origin: 'null', 'x-pinaudit-token': 'T' }, 'ORIGIN_REFUSED'],
  ])('%s → 403, nothing changes', async (_name, headers, code) => {
    const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v === 'T' ? token : v]));
    const res = await put(h);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe(code);
    expect(d.store.settings.get().blockMode).toBe('off');
  });

  test('a cross-site form post (text/plain, no token) is refused', async () => {
    const res = await d.app.inject({
      method: 'POST', url: '/api/purge', headers: { host: HOST, origin: 'https://attacker.example', 'content-type': 'text/plain' }, payload: '{"confirm":"purge","all":true}',
    });
    expect(res.statusCode).toBe(403);
    expect(d.queries.totals().requests).toBe(7);
  });

  test('a foreign Origin is refused on reads too', async () => {
    const res = await d.app.inject({ url: '/api/overview', headers: { host: HOST, origin: 'https://attacker.example' } });
    expect(res.statusCode).toBe(403);
  });

  test('originProblem', () => {
    expect(originProblem(undefined, HOST, false)).toBeNull();
    expect(originProblem(undefined, HOST, true)).toBe('missing Origin header');
    expect(originProblem(ORIGIN, HOST, true)).toBeNull();
    expect(originProblem('http://localhost:8081', HOST, true)).toBe('cross-origin request');
  });

  test('tokens differ per dashboard instance', async () => {
    const other = await seededDashboard({ empty: true });
    try {
      expect(await other.token()).not.toBe(token);
      const res = await other.app.inject({
        method: 'PUT', url: '/api/settings', headers: { host: HOST, origin: ORIGIN, 'content-type': 'application/json', 'x-pinaudit-token': token }, payload: '{"blockMode":"all"}',
      });
      expect(res.statusCode).toBe(403);
    } finally {
      await other.close();
    }
  });
});
