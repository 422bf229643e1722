/**
 * Which blind tunnels and plain-HTTP requests are visits to a site. A tunnel shows only a host
 * name, so two kinds of connection are left out of "sites you visited":
 * - the browser's and the operating system's own traffic (background-hosts.ts);
 * - hosts seen only as subresources of another site: the connections a page opens to other sites
 *   (fonts, CDNs, analytics) follow its own within moments, while a visit to a new site starts
 *   after a quiet moment. A connection to another site within {@link SUBRESOURCE_WINDOW_MS} of the
 *   client's previous one is counted as part of that page, not as a visit.
 * Bounded: the least recently seen client is forgotten first.
 */
import type { TunnelEvent } from '../pipeline.js';
import { isBackgroundHost } from './background-hosts.js';

/** How soon after a page's connections another site's connection counts as its subresource. */
export const SUBRESOURCE_WINDOW_MS = 2000;

export class VisitFilter {
  readonly #last = new Map<string, { site: string; time: number }>();
  readonly #max: number;

  constructor(maxClients = 1024) {
    this.#max = maxClients;
  }

  /** Whether `event` is a visit to its site (see the module note). */
  isVisit(event: TunnelEvent): boolean {
    if (event.site === null || isBackgroundHost(event.host, event.site)) return false;
    const prev = this.#last.get(event.client);
    // A plain-HTTP document (`url` set) is a page by evidence; a tunnel is judged by its timing.
    const subresource = event.url === null && prev !== undefined && prev.site !== event.site && event.time >= prev.time
      && event.time - prev.time < SUBRESOURCE_WINDOW_MS;
    // A subresource keeps its page as the client's current site and extends the page's moment.
    const page = subresource ? prev.site : event.site;
    this.#last.delete(event.client);
    this.#last.set(event.client, { site: page, time: Math.max(event.time, prev?.time ?? 0) });
    if (this.#last.size > this.#max) {
      const oldest = this.#last.keys().next();
      if (!oldest.done) this.#last.delete(oldest.value);
    }
    return !subresource;
  }
}
