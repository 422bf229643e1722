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
