/**
 * The live feed: small JSON summaries of completed Pinterest flows, fanned out to the dashboard's
 * server-sent-event streams. Publishing is synchronous and cheap (the proxy's `complete` hook calls
 * it); the feed keeps a short backlog so a page that opens (or reconnects) sees the latest flows.
 * Fan-out is bounded: at most `maxSubscribers` streams, and a subscriber whose sink says it is
 * full (a browser tab that stopped reading) is dropped rather than buffered without end.
 */
import type { Stage } from '../pipeline.js';
import type { Action, Category, LeakLevel, Outcome } from '../types.js';

/** What the Live view shows for one completed flow. Every string is attacker-influenced text. */
export interface LiveEvent {
  /** Sequence number within this process (the SSE event id). */
  seq: number;
  /** When the request head arrived (ms). */
  time: number;
  host: string;
  /** Path and query of the request. */
  path: string;
  site: string | null;
  pageUrl: string | null;
  category: Category | null;
  thirdParty: boolean;
  leakLevel: LeakLevel | null;
  decision: Action | null;
  decisionReason: string | null;
  outcome: Outcome['kind'];
  /** HTTP status for responses and blocks; `null` for errors. */
  status: number | null;
  identifiers: number;
  loggedIn: boolean;
  hashedEmail: boolean;
}

/** A subscriber: `send` returns `false` when it cannot take more (it is then dropped and closed). */
export interface LiveSink {
  send(event: LiveEvent): boolean;
  close(): void;
}

export interface LiveFeedOptions {
  /** Most concurrent subscribers. Default 16. */
  maxSubscribers?: number;
  /** Events kept for new subscribers. Default 50. */
  backlog?: number;
}

/** Publish/subscribe of {@link LiveEvent}s. */
export class LiveFeed {
  readonly #sinks = new Set<LiveSink>();
  readonly #backlog: LiveEvent[] = [];
  readonly #maxSubscribers: number;
  readonly #backlogSize: number;
  #seq = 0;

  constructor(options: LiveFeedOptions = {}) {
    this.#maxSubscribers = options.maxSubscribers ?? 16;
    this.#backlogSize = options.backlog ?? 50;
  }

  /** Current number of subscribers. */
  get size(): number {
    return this.#sinks.size;
  }

  /** Stamps the next sequence number and delivers the event to every subscriber. */
  publish(summary: Omit<LiveEvent, 'seq'>): LiveEvent {
    this.#seq += 1;
    const event: LiveEvent = { ...summary, seq: this.#seq };
    this.#backlog.push(event);
    if (this.#backlog.length > this.#backlogSize) this.#backlog.shift();
    for (const sink of this.#sinks) {
      let ok = false;
      try {
        ok = sink.send(event);
      } catch {
        // A sink that throws is treated like a full one: the feed never fails the publisher.
      }
      if (!ok) this.#drop(sink);
    }
    return event;
  }

  /** Events kept for late subscribers, oldest first, with `seq` greater than `afterSeq`. */
  recent(afterSeq = 0): LiveEvent[] {
    return this.#backlog.filter((e) => e.seq > afterSeq);
  }

  /** Adds a subscriber; returns its unsubscribe function, or `null` when the feed is full. */
  subscribe(sink: LiveSink): (() => void) | null {
    if (this.#sinks.size >= this.#maxSubscribers) return null;
    this.#sinks.add(sink);
    return () => {
      this.#sinks.delete(sink);
    };
  }

  /** Closes every subscriber (on shutdown). */
  close(): void {
    for (const sink of [...this.#sinks]) this.#drop(sink);
  }

  #drop(sink: LiveSink): void {
    this.#sinks.delete(sink);
    try {
      sink.close();
    } catch {
      // Closing a broken stream can throw; it is gone either way.
    }
  }
}

/**
 * The pipeline stage that publishes each completed Pinterest flow. Put it after the record stage
 * so the Live view never shows a flow before it can be found in the database.
 */
export function liveStage(feed: LiveFeed): Stage {
  return {
    name: 'live',
    complete(flow, outcome) {
      const f = flow.finding;
      if (f?.pinterest === false) return;
      const o = flow.observation;
      const url = safeUrl(o.url);
      feed.publish({
        time: o.time,
        host: o.host,
        path: url ? `${url.pathname}${url.search}` : o.url,
        site: f?.page.site ?? null,
        pageUrl: f?.page.url ?? null,
        category: f?.category ?? null,
        thirdParty: f?.thirdParty ?? false,
        leakLevel: f?.leakLevel ?? null,
        decision: flow.decision?.action ?? null,
        decisionReason: flow.decision?.reason ?? null,
        outcome: outcome.kind,
        status: outcome.kind === 'error' ? null : outcome.status,
        identifiers: f?.identifiers.length ?? 0,
        loggedIn: f?.loggedIn ?? false,
        hashedEmail: f?.tag?.hashedEmail != null,
      });
    },
  };
}

function safeUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}
