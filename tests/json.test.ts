/** The one bounded JSON parser: caps on size and nesting, brackets inside strings not counted. */
import { describe, expect, test } from 'vitest';
import { isJsonObject, nestingDepth, parseBoundedJson } from '../src/json.js';

const caps = { chars: 100, depth: 3 };

describe('parseBoundedJson', () => {
  test.each([
    ['{"a":[1,{"b":2}]}', { ok: true, value: { a: [1, { b: 2 }] } }],
    ['[[[1]]]', { ok: true, value: [[[1]]] }],
    ['[[[[1]]]]', { ok: false, why: 'too-deep' }],
    ['{"a":"[[[[[[["}', { ok: true, value: { a: '[[[[[[[' } }],
    ['{"a":"\\"[[[[[["}', { ok: true, value: { a: '"[[[[[[' } }],
    [`"${'x'.repeat(99)}"`, { ok: false, why: 'too-large' }],
    ['{"a":', { ok: false, why: 'invalid' }],
  ])('%s', (text, expected) => {
    expect(parseBoundedJson(text, caps)).toEqual(expected);
  });

  test('depth is measured in one pass that stops past the limit', () => {
    const deep = '['.repeat(100_000);
    expect(nestingDepth(deep, 16)).toBe(17);
    expect(parseBoundedJson(deep, { chars: 1_000_000, depth: 16 })).toEqual({ ok: false, why: 'too-deep' });
  });

  test.each([[{}, true], [[], false], [null, false], ['x', false]])('isJsonObject(%j) is %s', (value, expected) => {
    expect(isJsonObject(value)).toBe(expected);
  });
});
