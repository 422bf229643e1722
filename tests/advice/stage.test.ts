/**
 * The advice stage in the pipeline after the real classify stage: which flows it asks the proxy to
 * copy the answer of, and what it records (the account only as the credential's fingerprint).
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { adviceStage, type SwitchObservation } from '../../src/advice/stage.js';
import { classifyStage } from '../../src/classify/index.js';
import { Pipeline, type Flow } from '../../src/pipeline.js';
import { fingerprint, makeObservation } from '../classify/helpers.js';
import { GET_URL, ME_URL, meAnswer, ownHeaders, resourceAnswer, resourceForm, SESSION, SETTINGS_DATA, UPDATE_URL } from './fixtures.js';

function setup() {
  const recorded: SwitchObservation[][] = [];
  const errors: unknown[] = [];
  const pipeline = new Pipeline(
    [classifyStage({ fingerprint }), adviceStage({ fingerprint, record: (r) => recorded.push(r) })],
    (_s, _h, _f, err) => errors.push(err),
  );
  return { pipeline, recorded, errors };
}

const answer = (pipeline: Pipeline, flow: Flow, text: string, headers: Record<string, string> = {}, status = 200): void =>
  pipeline.response(flow, { status, headers: { 'content-type': 'application/json', ...headers } }, { bytes: Buffer.from(text), truncated: false });

describe('advice stage', () => {
  test('the person opens their privacy settings: the answer is asked for and the switches recorded', () => {
    const { pipeline, recorded, errors } = setup();
    const flow = pipeline.request(makeObservation({ id: 'f1', method: 'POST', url: GET_URL, headers: ownHeaders(), body: resourceForm({}) }));
    expect(flow.finding?.category).toBe('first-party');
    expect(flow.wantsResponse).toBe(true);
    pipeline.response(flow, { status: 200, headers: { 'content-encoding': 'gzip' } }, { bytes: gzipSync(resourceAnswer(SETTINGS_DATA)), truncated: false });
    expect(errors).toEqual([]);
    expect(recorded).toHaveLength(1);
    const rows = recorded[0]!;
    expect(rows.map((r) => [r.field, r.state, r.how])).toEqual([
      ['personalize_from_offsite_browsing', true, 'read'],
      ['ads_customize_from_conversion', false, 'read'],
      ['third_party_marketing_tracking_enabled', true, 'read'],
      ['exclude_from_search', false, 'read'],
    ]);
    expect(rows[0]).toMatchObject({ flowId: 'f1', endpoint: 'UserSettingsResource/get', account: fingerprint('_pinterest_sess', SESSION) });
    expect(JSON.stringify(recorded)).not.toMatch(new RegExp(`jane|${SESSION}|example\\.test`));
  });

  test('turning "Use sites you visit" off is recorded as a change', () => {
    const { pipeline, recorded } = setup();
    const flow = pipeline.request(makeObservation({ method: 'POST', url: UPDATE_URL, headers: ownHeaders(), body: resourceForm({ personalize_from_offsite_browsing: false }) }));
    answer(pipeline, flow, resourceAnswer({ personalize_from_offsite_browsing: false }));
    expect(recorded.flat().map((r) => [r.field, r.state, r.how])).toEqual([['personalize_from_offsite_browsing', false, 'change']]);
  });

  test('the API with a bearer token: the account is the token’s fingerprint', () => {
    const { pipeline, recorded } = setup();
    const flow = pipeline.request(makeObservation({ method: 'GET', url: ME_URL, headers: { authorization: 'Bearer pina_TOKEN', 'sec-fetch-site': 'none' } }));
    expect(flow.wantsResponse).toBe(true);
    answer(pipeline, flow, meAnswer({ personalize_from_offsite_browsing: false }));
    expect(recorded.flat()).toMatchObject([{ field: 'personalize_from_offsite_browsing', state: false, account: fingerprint('authorization', 'Bearer pina_TOKEN') }]);
  });

  test('not logged in: no account, nothing asked, nothing recorded', () => {
    const { pipeline, recorded } = setup();
    const flow = pipeline.request(makeObservation({ method: 'POST', url: GET_URL, headers: ownHeaders({ cookie: 'csrftoken=abc' }), body: resourceForm({}) }));
    expect(flow.wantsResponse).toBe(false);
    answer(pipeline, flow, resourceAnswer(SETTINGS_DATA));
    expect(recorded).toEqual([]);
  });

  test('a third-party page calling the endpoint is not the person’s own use', () => {
    const { pipeline } = setup();
    const flow = pipeline.request(makeObservation({
      method: 'POST', url: GET_URL, body: resourceForm({}),
      headers: ownHeaders({ 'sec-fetch-site': 'cross-site', referer: 'https://shop-a.test/cart', origin: 'https://shop-a.test' }),
    }));
    expect(flow.finding?.thirdParty).toBe(true);
    expect(flow.wantsResponse).toBe(false);
  });

  test('other Pinterest requests are never copied', () => {
    const { pipeline } = setup();
    for (const url of ['https://www.pinterest.com/settings/privacy/', 'https://ct.pinterest.com/v3/?tid=2612345678901&event=pagevisit', 'https://www.pinterest.com/resource/UserResource/get/']) {
      expect(pipeline.request(makeObservation({ url, headers: ownHeaders() })).wantsResponse).toBe(false);
    }
  });

  test('a response for another user, a refusal and a truncated answer record nothing', () => {
    const { pipeline, recorded } = setup();
    const other = pipeline.request(makeObservation({ method: 'POST', url: GET_URL, headers: ownHeaders(), body: resourceForm({ username: 'someone_else' }) }));
    answer(pipeline, other, resourceAnswer({ ...SETTINGS_DATA, username: 'someone_else' }));
    const refused = pipeline.request(makeObservation({ method: 'POST', url: UPDATE_URL, headers: ownHeaders(), body: resourceForm({ personalize_from_offsite_browsing: false }) }));
    answer(pipeline, refused, '{"resource_response":{"status":"failure"}}', {}, 401);
    const cut = pipeline.request(makeObservation({ method: 'POST', url: GET_URL, headers: ownHeaders(), body: resourceForm({}) }));
    pipeline.response(cut, { status: 200, headers: {} }, { bytes: Buffer.from(resourceAnswer(SETTINGS_DATA)), truncated: true });
    expect(recorded).toEqual([]);
  });
});
