import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CSV_COLUMNS, CSV_SCHEMA_VERSION, csvCell, csvChunks, writeCsv } from '../../src/export/csv.js';
import { openQueries, type Queries } from '../../src/store/queries.js';
import { createStore } from '../../src/store/writer.js';
import { credentialFlow, makeFlow } from '../helpers/findings.js';
import { parseCsv } from '../helpers/csv.js';

describe('csvCell', () => {
  test.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['+1', "'+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\rcmd', `"'\rcmd"`],
    ['', ''],
  ])('%j → %j', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  test('numbers, booleans and missing values', () => {
    expect(csvCell(-4.5)).toBe('-4.5');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(true)).toBe('true');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
  });
});

describe('export over a seeded database', () => {
  let dir: string;
  let q: Queries & { close(): void };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pinaudit-csv-'));
    const store = createStore({ path: join(dir, 'c.db'), retentionDays: null });
    store.record(makeFlow({
      observation: { time: Date.UTC(2025, 5, 10, 9) },
      finding: { page: { site: 'evil.example', url: 'https://evil.example/=cmd|"/c calc"!A0,x', attributedBy: 'referer', confidence: 'high' } },
    }));
    const cred = credentialFlow('super-secret-session', Date.UTC(2025, 5, 10, 10));
    store.record(cred);
    store.complete(cred, { kind: 'response', status: 200, bytes: 43 });
    store.flush();
    store.close();
    q = openQueries(join(dir, 'c.db'));
  });
  afterAll(() => {
    q.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('header, version, one line per row, values as stored', () => {
    const text = [...csvChunks(q.iterate())].join('');
    const rows = parseCsv(text);
    expect(rows[0]).toEqual(CSV_COLUMNS.map((c) => c.name));
    expect(rows).toHaveLength(3);
    const col = (name: string): number => CSV_COLUMNS.findIndex((c) => c.name === name);
    expect(rows[1]?.[col('schema_version')]).toBe(String(CSV_SCHEMA_VERSION));
    expect(rows[1]?.[col('page_url')]).toBe('https://evil.example/=cmd|"/c calc"!A0,x');
    expect(rows[1]?.[col('time')]).toBe('2025-06-10T09:00:00.000Z');
    expect(rows[2]?.[col('logged_in')]).toBe('true');
    expect(rows[2]?.[col('status')]).toBe('200');
    expect(text).not.toContain('super-secret-session');
    expect(rows[2]?.[col('identifiers')]).toMatch(/^tracking-id:_pinterest_ct_ua=TWc9PSZ1a3ZqTk; credential:_pinterest_sess=[0-9a-f]{64}$/);
  });

  test('redaction replaces identifier values with stable per-export placeholders', () => {
    const text = [...csvChunks(q.iterate(), { redact: true })].join('');
    expect(text).not.toContain('TWc9PSZ1a3ZqTk');
    expect(text).not.toMatch(/[0-9a-f]{64}/);
    const col = CSV_COLUMNS.findIndex((c) => c.name === 'identifiers');
    const rows = parseCsv(text);
    const ua = (r: string[] | undefined): string | undefined => r?.[col]?.match(/_pinterest_ct_ua=(redacted:[0-9a-f]{12})/)?.[1];
    expect(ua(rows[1])).toBeDefined();
    expect(ua(rows[1])).toBe(ua(rows[2]));
    const again = parseCsv([...csvChunks(q.iterate(), { redact: true })].join(''));
    expect(ua(again[1])).not.toBe(ua(rows[1]));
  });

  test('writeCsv waits for drain when the sink is full', async () => {
    let drains = 0;
    const parts: string[] = [];
    const rows = Array.from({ length: 500 }, () => q.requests().rows[0]!);
    await writeCsv(rows, (s) => { parts.push(s); return false; }, { drain: async () => void (drains += 1) });
    expect(drains).toBe(parts.length);
    expect(parts.length).toBeGreaterThan(1);
    expect(parseCsv(parts.join(''))).toHaveLength(501);
  });
});
