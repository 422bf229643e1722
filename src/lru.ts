/**
 * A bounded cache that forgets the least recently used entry first (a Map keeps insertion order,
 * so a hit moves its key to the end and the first key is the oldest). For pure functions on the
 * request path whose inputs repeat: the same few hosts and credential cookies arrive on every
 * request.
 */
export class LruCache<V> {
  readonly #entries = new Map<string, V>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  /** The value for `key`, computing and remembering it on a miss (values of `compute` are never undefined). */
  get(key: string, compute: (key: string) => V): V {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const value = compute(key);
    if (this.#max > 0) {
      if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value as string);
      this.#entries.set(key, value);
    }
    return value;
  }

  get size(): number {
    return this.#entries.size;
  }
}
