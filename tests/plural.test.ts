import { describe, expect, test } from 'vitest';
import { plural } from '../src/plural.js';

describe('plural', () => {
  test('one takes the singular; zero and many the plural, regular or given', () => {
    expect(plural(1, 'site')).toBe('1 site');
    expect(plural(0, 'site')).toBe('0 sites');
    expect(plural(12345, 'request')).toBe('12,345 requests');
    expect(plural(1, 'entry', 'entries')).toBe('1 entry');
    expect(plural(2, 'entry', 'entries')).toBe('2 entries');
  });
});
