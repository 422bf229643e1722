/**
 * A failing stage is isolated (README: "A stage that fails is logged and the request carries
 * on"): for every hook, a stage that throws is reported once with its name, the hook and the flow
 * id, and the stages after it still run and still see what the stages before it wrote.
 */
import { describe, expect, test } from 'vitest';
import { Pipeline, type Flow, type Stage } from '../src/pipeline.js';
import type { Outcome } from '../src/types.js';
import { makeObservation } from './classify/helpers.js';

type Hook = 'request' | 'response' | 'complete' | 'tunnel';
const HOOKS: Hook[] = ['request', 'response', 'complete', 'tunnel'];

/** A stage that notes every call it gets. */
function recorder(name: string, calls: string[]): Stage {
  return {
    name,
    request: (flow) => {
      calls.push(`${name}.request`);
      flow.decision ??= { action: 'allow', reason: `${name} decided`, stripped: [] };
    },
    response: () => void calls.push(`${name}.response`),
    complete: () => void calls.push(`${name}.complete`),
    tunnel: () => void calls.push(`${name}.tunnel`),
  };
}

/** A stage whose every hook throws. */
const broken: Stage = {
  name: 'broken',
  request: () => {
    throw new Error('request failed');
  },
  response: () => {
    throw new TypeError('response failed');
  },
  complete: () => {
    throw new RangeError('complete failed');
  },
  tunnel: () => {
    throw 'not even an Error';
  },
};

function run(): { calls: string[]; errors: Array<[string, string, string | null, unknown]>; flow: Flow } {
  const calls: string[] = [];
  const errors: Array<[string, string, string | null, unknown]> = [];
  const pipeline = new Pipeline([recorder('first', calls), broken, recorder('last', calls)], (...e) => void errors.push(e));
  const flow = pipeline.request(makeObservation({ id: 'flow-7' }));
  pipeline.response(flow, { status: 200, headers: {} }, { bytes: Buffer.alloc(0), truncated: false });
  const outcome: Outcome = { kind: 'response', status: 200, bytes: 0 };
  pipeline.complete(flow, outcome);
  pipeline.tunnel({ client: 'c', host: 'shop.example', site: 'shop.example', url: null, time: 0 });
  return { calls, errors, flow };
}

describe('Pipeline isolates a failing stage', () => {
  test.each(HOOKS)('%s: the stage after the failing one still runs, in order', (hook) => {
    const { calls } = run();
    expect(calls.filter((c) => c.endsWith(`.${hook}`))).toEqual([`first.${hook}`, `last.${hook}`]);
  });

  test.each(HOOKS)('%s: the failure is reported once, with stage, hook and flow id', (hook) => {
    const { errors } = run();
    const reported = errors.filter(([, h]) => h === hook);
    expect(reported).toHaveLength(1);
    expect(reported[0]![0]).toBe('broken');
    expect(reported[0]![2]).toBe(hook === 'tunnel' ? null : 'flow-7');
  });

  test('what the earlier stage wrote survives the failure', () => {
    const { flow } = run();
    expect(flow.decision?.reason).toBe('first decided');
  });
});
