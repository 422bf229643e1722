/**
 * The one answer to "does this name always mean this machine?", used by the dashboard's Host
 * guard and the loopback-only bind check. `127.300.0.1` is not an address; `x.localhost` is
 * loopback by RFC 6761 and in every browser.
 */
import { describe, expect, test } from 'vitest';
import { isLoopbackName } from '../src/loopback.js';

describe('isLoopbackName', () => {
  test.each([
    ['localhost', true],
    ['LOCALHOST', true],
    ['app.localhost', true],
    ['a.b.localhost', true],
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['127.255.255.255', true],
    ['::1', true],
    ['[::1]', true],
    ['127.300.0.1', false],
    ['127.0.0.256', false],
    ['127.0.0', false],
    ['.localhost', false],
    ['localhost.example.com', false],
    ['notlocalhost', false],
    ['0.0.0.0', false],
    ['128.0.0.1', false],
    ['192.168.1.2', false],
    ['::', false],
    ['example.com', false],
    ['', false],
  ])('%j → %s', (name, expected) => {
    expect(isLoopbackName(name)).toBe(expected);
  });
});
