/**
 * The pipeline: one ordered list of stages (classify → policy → record), each with hooks named
 * after the lifecycle of a flow. The proxy calls `request` once when a request head (and its
 * bounded body) has arrived, and exactly one terminal hook (`complete`) per flow. A stage that
 * throws is logged with the flow id and the others carry on: one request never takes the proxy
 * down.
 */
import type { Decision, Finding, Observation, Outcome } from './types.js';

/** One request's passage through the stages. Each stage writes only its own part. */
export interface Flow {
  readonly observation: Observation;
  /** Set by the classify stage. */
  finding: Finding | null;
  /** Set by the policy stage; a later stage leaves an existing decision alone. */
  decision: Decision | null;
  /**
   * Set by the policy stage when it strips: the request as it must go upstream instead of the
   * observed one. Computed in the pipeline, before recording, so what was withheld is recorded.
   */
  forward?: ForwardRequest | null;
  /**
   * Set by a stage's `request` hook that needs the upstream's answer to this flow (its status,
   * headers and at most RESPONSE_LIMIT bytes of its body, as sent): only then does the proxy keep
   * a copy and call the `response` hooks. Left false, an answer is relayed without a copy.
   */
  wantsResponse?: boolean;
  /**
   * Set by the store that records the flow: its handle on the flow's row, so that the outcome finds
   * the row without a lookup by id. Opaque to every other stage.
   */
  recorded?: object;
}

/** Largest part of an upstream answer's body kept for the `response` hook (as sent, compressed or not). */
export const RESPONSE_LIMIT = 256 * 1024;

/** The head of an upstream answer, as the `response` hook sees it. */
export interface ResponseHead {
  status: number;
  /** Header names in lower case; repeated headers joined with `, `. */
  headers: Readonly<Record<string, string>>;
}

/** The body of an upstream answer as it came off the wire (still compressed), bounded. */
export interface ResponseBody {
  bytes: Buffer;
  /** True when the answer was longer than what was kept. */
  truncated: boolean;
}

/** A rewritten request for the upstream (absolute URL, header record, whole body). */
export interface ForwardRequest {
  url: string;
  headers: Record<string, string | string[]>;
  body: Buffer | null;
}

/** A CONNECT that was tunnelled blind (not a Pinterest host), or a plain-HTTP page request. */
export interface TunnelEvent {
  client: string;
  host: string;
  /** Registrable domain of `host`, `null` for IP literals. */
  site: string | null;
  /** Full URL for plain-HTTP requests; `null` for tunnels (only the host is known). */
  url: string | null;
  time: number;
  /** The proxy user name that labelled the client's traffic (a crawler's browser context); absent otherwise. */
  proxyUser?: string | null;
}

export interface Stage {
  readonly name: string;
  /** A Pinterest request head arrived. Synchronous: nothing here may wait for I/O. */
  request?(flow: Flow): void;
  /**
   * The upstream's answer has been read whole (or up to its bound), for flows that asked for it
   * with `wantsResponse`. At most once per flow; never for blocked or failed flows.
   */
  response?(flow: Flow, head: ResponseHead, body: ResponseBody): void;
  /** The flow ended: upstream response finished, blocked locally, or failed. Called once. */
  complete?(flow: Flow, outcome: Outcome): void;
  /** A non-Pinterest CONNECT was tunnelled, or a plain-HTTP request to another host passed. */
  tunnel?(event: TunnelEvent): void;
}

export type StageErrorHandler = (stage: string, hook: string, flowId: string | null, err: unknown) => void;

/** Runs stages in order; isolates failures. */
export class Pipeline {
  readonly #stages: readonly Stage[];
  readonly #onError: StageErrorHandler;

  constructor(stages: readonly Stage[], onError: StageErrorHandler) {
    this.#stages = stages;
    this.#onError = onError;
  }

  /** Starts a flow and runs every stage's `request` hook. */
  request(observation: Observation): Flow {
    const flow: Flow = { observation, finding: null, decision: null, forward: null, wantsResponse: false };
    for (const stage of this.#stages) {
      if (!stage.request) continue;
      try {
        stage.request(flow);
      } catch (err) {
        this.#onError(stage.name, 'request', observation.id, err);
      }
    }
    return flow;
  }

  /** Runs every stage's `response` hook (only for flows that asked for the answer). */
  response(flow: Flow, head: ResponseHead, body: ResponseBody): void {
    for (const stage of this.#stages) {
      if (!stage.response) continue;
      try {
        stage.response(flow, head, body);
      } catch (err) {
        this.#onError(stage.name, 'response', flow.observation.id, err);
      }
    }
  }

  complete(flow: Flow, outcome: Outcome): void {
    for (const stage of this.#stages) {
      if (!stage.complete) continue;
      try {
        stage.complete(flow, outcome);
      } catch (err) {
        this.#onError(stage.name, 'complete', flow.observation.id, err);
      }
    }
  }

  tunnel(event: TunnelEvent): void {
    for (const stage of this.#stages) {
      if (!stage.tunnel) continue;
      try {
        stage.tunnel(event);
      } catch (err) {
        this.#onError(stage.name, 'tunnel', null, err);
      }
    }
  }
}
