import { describe, expect, test } from 'vitest';
import { decide, makePolicySettings, policyStage, preventedByBlock, preventedByStrip, stripRequest } from '../../src/policy/index.js';
import type { Flow } from '../../src/pipeline.js';
import type { Observation, Prevented } from '../../src/types.js';
import { classifyObservation, fixture, observe, observeFixture } from './helpers.js';

/** The real classifier's finding, the real strip, and what the policy says the strip prevented. */
function stripPrevented(o: Observation): { prevented: Prevented; stripped: string[] } {
  const finding = classifyObservation(o);
  const r = stripRequest({ url: o.url, headers: o.headers, body: o.body, contentType: o.headers['content-type'] ?? null });
  return { prevented: preventedByStrip(finding, r.removed), stripped: r.stripped };
}

const ids = (...pairs: string[]): Prevented['identifiers'] =>
  pairs.map((p) => {
    const [name, source] = p.split('/') as [string, Prevented['identifiers'][number]['source']];
    return { name, source };
  });

describe('prevented by a strip, over the capture fixtures', () => {
  test.each([
    { id: 'kohls-v3-init-2020', identifiers: ids('pd.em/query'), page: true },
    { id: 'kohls-user-2020', identifiers: ids('pd.em/query'), page: false },
    { id: 'jcpenney-v3-pagevisit-2017', identifiers: [], page: true },
    { id: 'gtm-addtocart-2026', identifiers: ids('pin_unauth/query', 'pd.em/query'), page: true },
    { id: 'pidget-log-2018', identifiers: [], page: true },
    { id: 'widget-count', identifiers: [], page: true },
    { id: 'noscript-bracket', identifiers: ids('pd.em/query'), page: false },
    { id: 'referer-full', identifiers: [], page: true },
    { id: 'referer-origin-only', identifiers: ids('_pinterest_ct_ua/cookie', '_pinterest_sess/cookie', '_auth/cookie'), page: true },
    { id: 'origin-only-post', identifiers: ids('pd.em/body'), page: true },
    { id: 'json-post-body', identifiers: ids('pin_unauth/body', 'epik/body'), page: true },
    { id: 'malformed-pd', identifiers: [], page: true },
    { id: 'lowes-user-2023', identifiers: [], page: false },
    { id: 'own-pinterest-browsing', identifiers: [], page: false },
  ])('$id', ({ id, identifiers, page }) => {
    expect(stripPrevented(observeFixture(fixture(id))).prevented).toEqual({ identifiers, page });
  });
});

describe('prevented by a strip, malformed payloads', () => {
  test('a tag whose `ad` JSON is malformed is attributed by ad.loc; the strip removes `ad` whole, so the page is prevented', () => {
    const ad = encodeURIComponent('{"loc":"https://shop.example/p/1?x=1","ref":');
    const o = observe({ url: `https://ct.pinterest.com/v3/?tid=2612345678901&event=pagevisit&ad=${ad}` });
    expect(classifyObservation(o).page).toMatchObject({ attributedBy: 'tag-payload', url: 'https://shop.example/p/1?x=1' });
    expect(stripPrevented(o)).toEqual({ prevented: { identifiers: [], page: true }, stripped: ['ad'] });
  });

  test('a malformed `pd` removed whole takes its identifiers with it; the Referer carried the page', () => {
    const pd = encodeURIComponent(`{"em":"${'a'.repeat(64)}","pin_unauth":"abc"`);
    const o = observe({ url: `https://ct.pinterest.com/v3/?tid=2612345678901&pd=${pd}`, headers: { referer: 'https://shop.example/cart' } });
    expect(stripPrevented(o)).toEqual({ prevented: { identifiers: ids('pin_unauth/query', 'pd.em/query'), page: true }, stripped: ['referer', 'pd'] });
  });

  test('a body the strip cannot read is withheld whole: every identifier that travelled in it is prevented', () => {
    const body = Buffer.from(JSON.stringify({ pd: { em: 'b'.repeat(64) }, ad: { loc: 'https://shop.example/basket' } }));
    const o = observe({ url: 'https://ct.pinterest.com/v3/', method: 'POST', headers: { 'content-type': 'text/plain', origin: 'https://shop.example' }, body: Buffer.concat([body, Buffer.from([0xff])]) });
    const r = stripPrevented(o);
    expect(r.stripped).toEqual(['origin', 'body']);
    expect(r.prevented.page).toBe(true);
  });

  test('query identifiers are not claimed for a removal in the body', () => {
    const o = observe({ url: 'https://ct.pinterest.com/v3/?tid=2612345678901&epik=click-1', method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"epik":"click-2"}' });
    const finding = classifyObservation(o);
    const prevented = preventedByStrip(finding, [{ part: 'body', name: 'epik' }]);
    expect(prevented.identifiers.every((i) => i.source === 'body')).toBe(true);
  });
});

describe('prevented by the policy stage', () => {
  const run = (o: Observation, mode: 'off' | 'strip' | 'trackers' | 'all'): Flow => {
    const flow: Flow = { observation: o, finding: classifyObservation(o), decision: null };
    policyStage(() => makePolicySettings(mode)).request?.(flow);
    return flow;
  };

  test.each(['kohls-v3-init-2020', 'referer-origin-only', 'json-post-body'])('%s: off prevents nothing, all prevents everything, strip what it removed', (id) => {
    const o = observeFixture(fixture(id));
    const finding = classifyObservation(o);
    expect(run(o, 'off').decision?.prevented).toEqual({ identifiers: [], page: false });
    const all = run(o, 'all').decision;
    expect(all?.action).toBe('block');
    expect(all?.prevented).toEqual(preventedByBlock(finding));
    expect(all?.prevented.identifiers).toHaveLength(finding.identifiers.length);
    const strip = run(o, 'strip').decision;
    expect(strip?.action).toBe('strip');
    expect(strip?.prevented).toEqual(stripPrevented(o).prevented);
  });

  test('decide alone: a block names every identifier, an allow none', () => {
    const finding = classifyObservation(observeFixture(fixture('referer-origin-only')));
    expect(decide(finding, makePolicySettings('all')).prevented.identifiers.map((i) => i.name)).toEqual(['_pinterest_ct_ua', '_pinterest_sess', '_auth']);
    expect(decide(finding, makePolicySettings('off')).prevented).toEqual({ identifiers: [], page: false });
  });
});
