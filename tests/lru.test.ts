/** The bounded cache on the request path: computes once per key, forgets the least recently used first. */
import { describe, expect, test } from 'vitest';
import { LruCache } from '../src/lru.js';

describe('LruCache', () => {
  test('computes a key once, keeps at most max entries, evicts the least recently used', () => {
    const computed: string[] = [];
    const cache = new LruCache<string | null>(2);
    const get = (k: string): string | null => cache.get(k, (key) => (computed.push(key), key === 'none' ? null : key.toUpperCase()));
    expect(get('a')).toBe('A');
    expect(get('none')).toBeNull();
    expect(get('a')).toBe('A'); // a is now the most recent
    expect(get('none')).toBeNull(); // null is remembered too
    expect(get('b')).toBe('B'); // evicts a (least recently used)
    expect(get('none')).toBeNull();
    expect(get('a')).toBe('A');
    expect(computed).toEqual(['a', 'none', 'b', 'a']);
    expect(cache.size).toBe(2);
  });

  test('a cache of size 0 remembers nothing', () => {
    const cache = new LruCache<number>(0);
    let n = 0;
    expect(cache.get('x', () => ++n)).toBe(1);
    expect(cache.get('x', () => ++n)).toBe(2);
    expect(cache.size).toBe(0);
  });
});

describe('LruCache under a flood of new keys', () => {
  test('never holds more than max entries, and a key in use between them is computed once', () => {
    const cache = new LruCache<number>(64);
    let hot = 0;
    let peak = 0;
    for (let i = 0; i < 10_000; i++) {
      cache.get(`name-${i}.pinterest.com`, () => i);
      if (i % 10 === 0) cache.get('ct.pinterest.com', () => ++hot);
      peak = Math.max(peak, cache.size);
    }
    expect(peak).toBeLessThanOrEqual(64);
    expect(peak).toBeGreaterThan(32);
    expect(hot).toBe(1);
  });

  test('an entry not used for longer than max other keys is forgotten', () => {
    const cache = new LruCache<number>(8);
    let computed = 0;
    cache.get('a', () => ++computed);
    for (let i = 0; i < 8; i++) cache.get(`k${i}`, () => i);
    cache.get('a', () => ++computed);
    expect(computed).toBe(2);
  });
});
