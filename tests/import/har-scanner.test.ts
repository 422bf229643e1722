import { describe, expect, test } from 'vitest';
import { HarScanner, HarSyntaxError, STRING_CAP, type RawEntry } from '../../src/import/index.js';

/** Feeds `text` in pieces of `size` bytes; returns the parsed entries. */
function scan(text: string | Buffer, size = 7): unknown[] {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const entries: RawEntry[] = [];
  const scanner = new HarScanner((e) => entries.push(e));
  for (let i = 0; i < bytes.length; i += size) scanner.push(bytes.subarray(i, i + size));
  scanner.end();
  entries.forEach((e, i) => expect(e.index).toBe(i));
  return entries.map((e) => JSON.parse(e.bytes.toString('utf8')) as unknown);
}

function failure(text: string, size = 5): HarSyntaxError {
  try {
    scan(text, size);
  } catch (err) {
    if (err instanceof HarSyntaxError) return err;
    throw err;
  }
  throw new Error('expected a syntax error');
}

const HAR = {
  log: {
    version: '1.2',
    creator: { name: 'test', version: '1', nested: [{ entries: [1, 2] }] },
    pages: [{ id: 'page_1', title: 'a "quoted" ] } title', pageTimings: {} }],
    entries: [
      { request: { method: 'GET', url: 'https://ct.pinterest.com/v3/?a=1&b=%7B%7D' }, n: -1.5e3, t: true, f: false, z: null },
      { request: { method: 'POST', url: 'https://x.example/\\"}]', postData: { text: 'é ü 😀 \u2028 \n\t' } }, empty: {}, list: [] },
      { weird: '\\\\', u: '\u0001' },
    ],
    comment: 'after the entries',
  },
};

describe('HarScanner', () => {
  test.each([1, 2, 3, 7, 64, 1 << 20])('cuts entries out of chunks of %i bytes', (size) => {
    expect(scan(JSON.stringify(HAR, null, 2), size)).toEqual(HAR.log.entries);
    expect(scan(JSON.stringify(HAR), size)).toEqual(HAR.log.entries);
  });

  test('entries may come before the pages, and other keys named "entries" are ignored', () => {
    const text = JSON.stringify({ other: { entries: [9] }, log: { entries: [{ a: 1 }], pages: [] } });
    expect(scan(text)).toEqual([{ a: 1 }]);
  });

  test('an empty entries list is a valid HAR with nothing in it', () => {
    expect(scan('{"log":{"entries":[]}}')).toEqual([]);
  });

  test('a long string keeps its first STRING_CAP bytes, cut on a character and escape boundary', () => {
    for (const unit of ['ab', 'é', '\\n', '\\u00e9', '😀']) {
      const long = unit.repeat(Math.ceil((STRING_CAP * 1.5) / Buffer.byteLength(unit)));
      const text = `{"log":{"entries":[{"response":{"content":{"text":"${long}"}},"after":1}]}}`;
      const [entry] = scan(text, 65536) as Array<{ response: { content: { text: string } }; after: number }>;
      expect(entry!.after).toBe(1);
      const kept = entry!.response.content.text;
      expect(Buffer.byteLength(JSON.stringify(kept)) - 2).toBeLessThanOrEqual(STRING_CAP);
      expect(Buffer.byteLength(kept)).toBeGreaterThan(64 * 1024);
      expect(kept).not.toContain('\ufffd');
    }
  });

  test.each([
    ['an empty file', '', /empty/, null],
    ['not an object', '[1,2]', /does not start with a JSON object/, null],
    ['no entries', '{"log":{"pages":[]}}', /no log\.entries/, null],
    ['entries not an array', '{"log":{"entries":{}}}', /log\.entries is not an array/, null],
    ['truncated inside an entry', '{"log":{"entries":[{"a":1},{"request":{"url":"https://ct.pinterest.com/x"', /truncated/, 1],
    ['truncated after an entry', '{"log":{"entries":[{"a":1}', /truncated/, null],
    ['a missing comma', '{"log":{"entries":[{"a":1} {"b":2}]}}', /expected "," or a closing bracket/, null],
    ['a bad literal', '{"log":{"entries":[{"a":1},{"b":tru}]}}', /unexpected "tru"/, 1],
    ['a mismatched bracket', '{"log":{"entries":[{"a":[1}]}}', /unexpected "}"/, 0],
    ['a trailing comma', '{"log":{"entries":[{"a":1},]}}', /unexpected "]"/, null],
    ['garbage after the end', '{"log":{"entries":[]}} x', /after the end/, null],
  ])('%s is refused with a clear message', (_name, text, message, entry) => {
    const err = failure(text);
    expect(err.message).toMatch(message);
    expect(err.entry).toBe(entry);
    if (entry !== null) expect(err.message).toContain(`log.entries[${entry}]`);
  });

  test('the entries before a syntax error have been handed out', () => {
    const seen: number[] = [];
    const scanner = new HarScanner((e) => seen.push(e.index));
    expect(() => scanner.push(Buffer.from('{"log":{"entries":[{"a":1},{"b":2},{"c":3]'))).toThrow(HarSyntaxError);
    expect(seen).toEqual([0, 1]);
  });
});
