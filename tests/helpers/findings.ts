/**
 * Small factories for the shared vocabulary: an Observation, a Finding, a Decision and a Flow with
 * sensible defaults (a third-party tag beacon from shop.example), overridable field by field.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Decision, Finding, Identifier, Observation, TagFields } from '../../src/types.js';
import type { Flow } from '../../src/pipeline.js';

/** A unique flow id. */
export function nextFlowId(): string {
  return `flow-${randomUUID()}`;
}

/** A tag beacon to ct.pinterest.com as the proxy would see it. */
export function makeObservation(overrides: Partial<Observation> = {}): Observation {
  return {
    id: nextFlowId(),
    time: Date.UTC(2025, 5, 10, 12, 0, 0),
    client: '127.0.0.1',
    connectHost: 'ct.pinterest.com',
    host: 'ct.pinterest.com',
    method: 'GET',
    url: 'https://ct.pinterest.com/v3/?tid=2612345678901&event=pagevisit',
    headers: { referer: 'https://shop.example/products/42' },
    body: null,
    bodyTruncated: false,
    source: 'proxy',
    ...overrides,
  };
}

/** Tag fields of a base page visit. */
export function makeTag(overrides: Partial<TagFields> = {}): TagFields {
  return {
    id: '2612345678901',
    event: 'pagevisit',
    hashedEmail: null,
    value: null,
    currency: null,
    orderId: null,
    lineItems: [],
    partner: null,
    ...overrides,
  };
}

/** A third-party tag finding that leaked a full page URL of shop.example. */
export function makeFinding(overrides: Partial<Finding> = {}): Finding {
  return {
    pinterest: true,
    host: 'ct.pinterest.com',
    category: 'tag',
    thirdParty: true,
    page: { site: 'shop.example', url: 'https://shop.example/products/42', attributedBy: 'referer', confidence: 'high' },
    leakLevel: 'full-url',
    tag: makeTag(),
    identifiers: [{ name: '_pinterest_ct_ua', kind: 'tracking-id', source: 'cookie', value: 'TWc9PSZ1a3ZqTk' }],
    loggedIn: false,
    signals: { gpc: false, dnt: false, clientHints: true },
    malformed: [],
    reasons: ['Referer names https://shop.example/products/42'],
    ...overrides,
  };
}

export function makeDecision(overrides: Partial<Decision> = {}): Decision {
  return { action: 'allow', reason: 'block mode is off', stripped: [], prevented: { identifiers: [], page: false }, ...overrides };
}

/** A flow after classify and policy ran. */
export function makeFlow(
  parts: { observation?: Partial<Observation>; finding?: Partial<Finding> | null; decision?: Partial<Decision> | null } = {},
): Flow {
  return {
    observation: makeObservation(parts.observation),
    finding: parts.finding === null ? null : makeFinding(parts.finding),
    decision: parts.decision === null ? null : makeDecision(parts.decision),
  };
}

/** A page visit on `site` at `time`, for seeding: one flow per call. */
export function flowFor(site: string, time: number, extra: { finding?: Partial<Finding>; decision?: Partial<Decision> } = {}): Flow {
  const url = `https://${site}/page/${time % 7}`;
  return makeFlow({
    observation: { time, headers: { referer: url } },
    finding: { page: { site, url, attributedBy: 'referer', confidence: 'high' }, ...extra.finding },
    decision: extra.decision ?? {},
  });
}

/** The keyed fingerprint the classifier gives a credential. */
export function fingerprint(value: string, key = 'test-fingerprint-key'): string {
  return createHmac('sha256', key).update(value).digest('hex');
}

/**
 * A flow whose request carried Pinterest's session cookie in clear in its Cookie header; the
 * finding holds only its fingerprint, as the classifier produces it.
 */
export function credentialFlow(secret: string, time?: number): Flow {
  const credential: Identifier = { name: '_pinterest_sess', kind: 'credential', source: 'cookie', fingerprint: fingerprint(secret) };
  return makeFlow({
    observation: {
      ...(time === undefined ? {} : { time }),
      headers: { cookie: `_pinterest_sess=${secret}; _pinterest_ct_ua=TWc9PSZ1a3ZqTk`, referer: 'https://shop.example/cart' },
    },
    finding: {
      loggedIn: true,
      identifiers: [
        credential,
        { name: '_pinterest_ct_ua', kind: 'tracking-id', source: 'cookie', value: 'TWc9PSZ1a3ZqTk' },
      ],
    },
  });
}
