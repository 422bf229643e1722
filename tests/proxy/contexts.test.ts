/**
 * TLS contexts for intercepted names are bounded: the most recently used are kept, the rest are
 * forgotten, concurrent handshakes for one name share one leaf, and a failed issue is retried.
 */
import { describe, expect, test } from 'vitest';
import { makeTestPki } from '../../bench/test-pki.js';
import { ContextCache } from '../../src/proxy/contexts.js';

const pki = makeTestPki();
const pair = pki.server(['*.pinterest.com']);
pki.cleanup();

function counting(): { issued: string[]; leaf: (host: string) => Promise<{ certPem: string; keyPem: string }> } {
  const issued: string[] = [];
  return { issued, leaf: async (host) => (issued.push(host), { certPem: pair.cert, keyPem: pair.key }) };
}

describe('ContextCache', () => {
  test('keeps at most its size, forgetting the least recently used', async () => {
    const { issued, leaf } = counting();
    const cache = new ContextCache(leaf, 3);
    for (const h of ['a', 'b', 'c']) await cache.get(`${h}.pinterest.com`);
    await cache.get('a.pinterest.com'); // now the most recent
    await cache.get('d.pinterest.com'); // evicts b
    expect(cache.size).toBe(3);
    await cache.get('a.pinterest.com');
    await cache.get('b.pinterest.com');
    expect(issued).toEqual(['a', 'b', 'c', 'd', 'b'].map((h) => `${h}.pinterest.com`));
  });

  test('600 distinct names leave the cache at its bound of 256', async () => {
    const { leaf } = counting();
    const cache = new ContextCache(leaf);
    for (let i = 0; i < 600; i++) await cache.get(`r${i}.pinterest.com`);
    expect(cache.size).toBe(256);
  });

  test('concurrent requests for one name share one leaf; a failure is not remembered', async () => {
    const { issued, leaf } = counting();
    const cache = new ContextCache(leaf, 8);
    await Promise.all(Array.from({ length: 10 }, () => cache.get('x.pinterest.com')));
    expect(issued).toEqual(['x.pinterest.com']);
    let fail = true;
    const flaky = new ContextCache(async (host) => {
      if (fail) throw new Error('issue failed');
      return leaf(host);
    }, 8);
    await expect(flaky.get('y.pinterest.com')).rejects.toThrow('issue failed');
    fail = false;
    await expect(flaky.get('y.pinterest.com')).resolves.toBeDefined();
  });
});
