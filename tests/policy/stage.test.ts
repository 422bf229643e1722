import { describe, expect, test } from 'vitest';
import { Pipeline, type Flow, type Stage } from '../../src/pipeline.js';
import { classifyStage } from '../../src/classify/index.js';
import { makePolicySettings, policyStage, type PolicySettings } from '../../src/policy/index.js';
import { makeFinding, makeObservation } from '../helpers/findings.js';
import { createFingerprinter } from '../../src/classify/index.js';
import { fixture, observeFixture } from './helpers.js';

function flow(overrides: Partial<Flow> = {}): Flow {
  return { observation: makeObservation(), finding: makeFinding(), decision: null, ...overrides };
}

describe('policyStage', () => {
  test('is named policy and decides from the finding', () => {
    const stage = policyStage(() => makePolicySettings('trackers'));
    expect(stage.name).toBe('policy');
    const f = flow();
    stage.request?.(f);
    expect(f.decision).toEqual({
      action: 'block',
      reason: 'blocked: tag request from shop.example (mode trackers)',
      stripped: [],
      prevented: { identifiers: [{ name: '_pinterest_ct_ua', source: 'cookie' }], page: true },
    });
  });

  test('respects a decision made earlier', () => {
    const earlier = { action: 'allow' as const, reason: 'allowed: earlier rule', stripped: [], prevented: { identifiers: [], page: false } };
    const f = flow({ decision: earlier });
    policyStage(() => makePolicySettings('all')).request?.(f);
    expect(f.decision).toBe(earlier);
  });

  test('fails open when classification produced no finding', () => {
    const f = flow({ finding: null });
    policyStage(() => makePolicySettings('all')).request?.(f);
    expect(f.decision?.action).toBe('allow');
    expect(f.decision?.reason).toBe('allowed: classification failed, so nothing is known about this request (fails open)');
  });

  test('fails open when the settings cannot be read, without quoting the error message', () => {
    const f = flow();
    policyStage(() => {
      throw new TypeError('secret https://shop.example/private');
    }).request?.(f);
    expect(f.decision).toEqual({
      action: 'allow', reason: 'allowed: the policy failed (TypeError) (fails open)', stripped: [], prevented: { identifiers: [], page: false },
    });
  });

  test('fails open when decide meets a broken finding', () => {
    const broken = { ...makeFinding(), page: null } as unknown as Flow['finding'];
    const f = flow({ finding: broken });
    policyStage(() => makePolicySettings('all')).request?.(f);
    expect(f.decision?.action).toBe('allow');
    expect(f.decision?.reason).toMatch(/^allowed: the policy failed \(TypeError\)/);
  });

  test('reads the settings for every request: a mode change applies to the next one', () => {
    let settings: PolicySettings = makePolicySettings('off');
    const stage = policyStage(() => settings);
    const first = flow();
    stage.request?.(first);
    settings = makePolicySettings('all');
    const second = flow();
    stage.request?.(second);
    settings = makePolicySettings('all', ['shop.example']);
    const third = flow();
    stage.request?.(third);
    expect([first, second, third].map((f) => f.decision?.action)).toEqual(['allow', 'block', 'allow']);
  });

  test('runs after the real classify stage in the pipeline', () => {
    const errors: unknown[] = [];
    const seen: Array<Flow['decision']> = [];
    const record: Stage = { name: 'record', request: (f) => void seen.push(f.decision) };
    const pipeline = new Pipeline(
      [classifyStage({ fingerprint: createFingerprinter(Buffer.alloc(32, 7)) }), policyStage(() => makePolicySettings('trackers')), record],
      (...args) => errors.push(args),
    );
    const blocked = pipeline.request(observeFixture(fixture('kohls-v3-init-2020')));
    const own = pipeline.request(observeFixture(fixture('own-pinterest-browsing')));
    expect(errors).toEqual([]);
    expect(blocked.decision?.reason).toBe('blocked: tag request from kohls.com (mode trackers)');
    expect(own.decision?.action).toBe('allow');
    expect(seen).toEqual([blocked.decision, own.decision]);
  });
});
