/**
 * TLS server contexts for intercepted hosts, bounded. One context per host name costs ~30–50 KB
 * (certificate, key, OpenSSL state); any web page can ask for thousands of random
 * `*.pinterest.com` names, so the cache keeps the most recently used `max` and forgets the rest
 * (a forgotten name only costs a new context on its next handshake). Concurrent handshakes for one
 * name share one context.
 */
import tls from 'node:tls';
import type { Leaf } from '../ca/authority.js';

/** Contexts kept; the README's Guarantees quote this figure. */
export const CONTEXT_CACHE_SIZE = 256;

export class ContextCache {
  readonly #entries = new Map<string, Promise<tls.SecureContext>>();
  readonly #max: number;
  readonly #leaf: (host: string) => Promise<Leaf>;

  constructor(leaf: (host: string) => Promise<Leaf>, max = CONTEXT_CACHE_SIZE) {
    this.#leaf = leaf;
    this.#max = max;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The context for `host`: cached (and marked recently used), or made from a new leaf. */
  get(host: string): Promise<tls.SecureContext> {
    const cached = this.#entries.get(host);
    if (cached) {
      // Map order is insertion order: re-inserting makes it the most recently used.
      this.#entries.delete(host);
      this.#entries.set(host, cached);
      return cached;
    }
    const made = this.#leaf(host).then((leaf) =>
      tls.createSecureContext({ key: leaf.keyPem, cert: leaf.certPem, minVersion: 'TLSv1.2' }),
    );
    // A failed issue is not remembered: the next handshake tries again.
    made.catch(() => this.#entries.get(host) === made && this.#entries.delete(host));
    this.#entries.set(host, made);
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#max) break;
      this.#entries.delete(oldest);
    }
    return made;
  }
}
