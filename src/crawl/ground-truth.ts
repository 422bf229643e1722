/**
 * Ground truth: which crawl page caused each request. Every site visit runs in its own browser
 * context, labelled by the proxy user name of its traffic (proxy-user.ts); the crawler tells this
 * registry which page that context has open, and the `crawl` pipeline stage files each Pinterest
 * request under the visit and the page open when it arrived. The same label picks the block mode
 * the visit is made in, so one proxy serves visits in different modes at once.
 *
 * "The page open when it arrived" is the crawler's knowledge, not a guess: the main frame's URL
 * after its last navigation commit. A beacon the previous page sends while unloading arrives after
 * the next page committed and is filed under the next page; the crawler waits for the network to
 * settle before it moves on, which keeps such stragglers rare.
 */
import type { Stage } from '../pipeline.js';
import { makePolicySettings, policyStage } from '../policy/index.js';
import type { BlockMode } from '../types.js';
import type { CrawlFlow } from './types.js';

/** One site visit in one mode, as the registry follows it. */
export interface VisitLog {
  readonly label: string;
  readonly mode: BlockMode;
  /** Requests filed under this visit so far. */
  readonly flows: CrawlFlow[];
  /** Third-party requests that carried the page or identifiers to Pinterest (attempted). */
  leaks: number;
  /** The crawler opens page `index` (0 = home page) at `url`. */
  openPage(index: number, url: string): void;
  /** The main frame committed a navigation (redirects included). */
  navigated(url: string): void;
}

export class CrawlPages {
  readonly #visits = new Map<string, VisitLog & { pageIndex: number; url: string }>();
  #leaks = 0;

  /** Starts following a visit; call `end` when its context is closed. */
  begin(label: string, mode: BlockMode): VisitLog {
    const visit = {
      label,
      mode,
      flows: [] as CrawlFlow[],
      leaks: 0,
      pageIndex: 0,
      url: '',
      openPage(index: number, url: string) {
        visit.pageIndex = index;
        visit.url = url;
      },
      navigated(url: string) {
        if (/^https?:/i.test(url)) visit.url = url;
      },
    };
    this.#visits.set(label, visit);
    return visit;
  }

  end(label: string): void {
    this.#visits.delete(label);
  }

  /** Block mode of the visit a proxy user name belongs to, `null` for traffic of no visit. */
  modeOf(proxyUser: string | null | undefined): BlockMode | null {
    return proxyUser ? (this.#visits.get(proxyUser)?.mode ?? null) : null;
  }

  /** Third-party leaks seen by this process (attempted), for the progress line. */
  get leaks(): number {
    return this.#leaks;
  }

  /**
   * The policy stage of a crawl: each request is decided in its visit's mode, with no exceptions;
   * traffic of no visit (the browser's own) in `fallback`.
   */
  policyStage(modes: readonly BlockMode[], fallback: BlockMode): Stage {
    const stages = new Map(modes.concat(fallback).map((m) => [m, policyStage(() => makePolicySettings(m, []))]));
    return {
      name: 'policy',
      request: (flow) => stages.get(this.modeOf(flow.observation.proxyUser) ?? fallback)?.request?.(flow),
    };
  }

  /** Files each recorded Pinterest request under the visit and page it came from. */
  stage(): Stage {
    return {
      name: 'crawl',
      request: (flow) => {
        if (flow.finding?.pinterest === false) return;
        const user = flow.observation.proxyUser;
        const visit = user ? this.#visits.get(user) : undefined;
        if (!visit) return;
        visit.flows.push({
          flowId: flow.observation.id,
          mode: visit.mode,
          pageIndex: visit.pageIndex,
          crawlPage: visit.url,
          beforeInteraction: true,
        });
        const f = flow.finding;
        if (f && f.thirdParty && (f.leakLevel !== 'none' || f.identifiers.length > 0)) {
          visit.leaks += 1;
          this.#leaks += 1;
        }
      },
    };
  }
}
