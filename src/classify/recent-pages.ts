/**
 * The small per-client memory that recent-navigation attribution needs: the last non-Pinterest
 * site each client opened (a blind tunnel's host, or a plain-HTTP page). Bounded: the least
 * recently updated client is forgotten first, so a flood of client addresses cannot grow it.
 */
import type { TunnelEvent } from '../pipeline.js';
import type { RecentPage } from '../types.js';
import { isPinterestSite } from '../pinterest/domains.js';
import { isRecent } from './attribution.js';

export interface RecentPagesOptions {
  /** Most clients remembered (default 1024). */
  maxClients?: number;
}

/** Last non-Pinterest site per client, with LRU eviction. */
export class RecentPages {
  /** How long a remembered page may explain a request, in milliseconds. */
  // A Map iterates in insertion order; re-inserting on update makes the first key the stalest.
  readonly #pages = new Map<string, RecentPage>();
  readonly #max: number;

  constructor(options: RecentPagesOptions = {}) {
    this.#max = Math.max(1, Math.floor(options.maxClients ?? 1024));
  }

  /** Remembers a tunnel or plain-HTTP page; Pinterest's own hosts and IP literals are ignored. */
  note(event: TunnelEvent): void {
    if (event.site === null || isPinterestSite(event.site)) return;
    this.#pages.delete(event.client);
    this.#pages.set(event.client, { site: event.site, url: event.url, time: event.time });
    if (this.#pages.size > this.#max) {
      const oldest = this.#pages.keys().next();
      if (!oldest.done) this.#pages.delete(oldest.value);
    }
  }

  /** The client's last page if it is recent enough to explain a request at `time`, else `null`. */
  get(client: string, time: number): RecentPage | null {
    const page = this.#pages.get(client);
    return page !== undefined && isRecent(page, time) ? page : null;
  }

  /** Number of clients remembered. */
  get size(): number {
    return this.#pages.size;
  }
}
