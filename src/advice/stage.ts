/**
 * The `advice` stage: watches the person's own traffic with Pinterest's settings endpoints and
 * hands the privacy switches it showed to the store. It asks the proxy for the answer only of
 * first-party requests to those endpoints (`flow.wantsResponse`); every other flow costs one
 * table lookup. Readings belong to an account, known only by the keyed fingerprint of the
 * credential the request carried (the login cookie, or the API's Authorization header): a request
 * without one says nothing about anyone's settings.
 */
import type { Flow, Stage } from '../pipeline.js';
import { SESSION_COOKIE } from '../pinterest/cookies.js';
import { settingsEndpointOf, type SettingsEndpoint } from '../pinterest/account-settings.js';
import { decodeResponseBody } from './response-body.js';
import { readSettingsExchange, type SwitchReading } from './settings-parse.js';

/** One switch reading as it is stored. */
export interface SwitchObservation extends SwitchReading {
  time: number;
  flowId: string;
  client: string;
  /** Keyed fingerprint of the account's credential. */
  account: string;
  /** Which lead it came from (`UserSettingsResource/get`). */
  endpoint: string;
}

export interface AdviceStageOptions {
  /** The keyed fingerprinter used for credentials (see `createFingerprinter`). */
  fingerprint(name: string, value: string): string;
  /** Receives the readings of one exchange (never called with an empty list). */
  record(readings: SwitchObservation[]): void;
}

/** Creates the `advice` stage. Put it after classify. */
export function adviceStage(options: AdviceStageOptions): Stage {
  // The stage's own memory of the flows it asked about, released with each flow.
  const pending = new WeakMap<Flow, { endpoint: SettingsEndpoint; account: string }>();
  return {
    name: 'advice',
    request(flow) {
      const finding = flow.finding;
      if (finding === null || finding.category !== 'first-party' || finding.thirdParty) return;
      const obs = flow.observation;
      const endpoint = settingsEndpointOf(obs.connectHost ?? obs.host, pathOf(obs.url));
      if (endpoint === null) return;
      const account = accountOf(flow, options.fingerprint);
      if (account === null) return;
      pending.set(flow, { endpoint, account });
      flow.wantsResponse = true;
    },
    response(flow, head, body) {
      const asked = pending.get(flow);
      if (asked === undefined) return;
      pending.delete(flow);
      const obs = flow.observation;
      const text = decodeResponseBody(head.headers['content-encoding'], body.bytes, body.truncated);
      const verdict = readSettingsExchange({
        endpoint: asked.endpoint,
        method: obs.method,
        url: obs.url,
        requestBody: obs.body,
        requestBodyTruncated: obs.bodyTruncated,
        status: head.status,
        responseText: text.ok ? text.text : null,
      });
      if (verdict.readings.length === 0) return;
      options.record(verdict.readings.map((r) => ({
        ...r, time: obs.time, flowId: obs.id, client: obs.client, account: asked.account, endpoint: asked.endpoint.name,
      })));
    },
  };
}

/** The account's credential fingerprint: the login cookie's, else the API token's. */
function accountOf(flow: Flow, fingerprint: AdviceStageOptions['fingerprint']): string | null {
  const session = flow.finding?.identifiers.find((i) => i.name === SESSION_COOKIE && i.kind === 'credential' && i.fingerprint);
  if (session?.fingerprint) return session.fingerprint;
  const auth = flow.observation.headers.authorization;
  if (typeof auth === 'string' && /^bearer\s+\S/i.test(auth)) return fingerprint('authorization', auth.trim());
  return null;
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '/';
  }
}
