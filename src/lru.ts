/**
 * A bounded cache that forgets the least recently used entries first, for pure functions on the
 * request path whose inputs repeat: the same few hosts and credential cookies arrive on every
 * request.
 *
 * Two generations of at most `max / 2` entries each: a hit in the recent one is a single lookup
 * (no reordering, which cost more than the lookup); a hit in the old one moves the entry to the
 * recent one. When the recent generation is full it becomes the old one and the old one is
 * dropped whole, so what is forgotten is always less recently used than everything kept. A flood
 * of new keys (attacker-chosen host names) costs at most `max` entries and cannot evict a key that
 * is still being used between them.
 */
export class LruCache<V> {
  #recent = new Map<string, V>();
  #old = new Map<string, V>();
  /** Entries per generation; 0 remembers nothing. */
  readonly #half: number;

  constructor(max: number) {
    this.#half = max <= 0 ? 0 : Math.max(1, Math.floor(max / 2));
  }

  /** The value for `key`, computing and remembering it on a miss (values of `compute` are never undefined). */
  get(key: string, compute: (key: string) => V): V {
    const recent = this.#recent.get(key);
    if (recent !== undefined) return recent;
    const old = this.#old.get(key);
    if (old !== undefined) {
      this.#old.delete(key);
      this.#remember(key, old);
      return old;
    }
    const value = compute(key);
    this.#remember(key, value);
    return value;
  }

  /** Entries held (at most `max`; two when `max` is 1). */
  get size(): number {
    return this.#recent.size + this.#old.size;
  }

  #remember(key: string, value: V): void {
    if (this.#half === 0) return;
    if (this.#recent.size >= this.#half) {
      this.#old = this.#recent;
      this.#recent = new Map();
    }
    this.#recent.set(key, value);
  }
}
