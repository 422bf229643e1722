/**
 * README tells the truth: every option, every CSV column and every test file it cites exists, and
 * the two commands come first.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { envName, OPTIONS } from '../src/config.js';
import { buildReport } from '../src/commands/report.js';
import { CSV_COLUMNS, CSV_SCHEMA_VERSION } from '../src/export/csv.js';
import { openQueries } from '../src/store/queries.js';
import { seed } from './commands/seed.js';
import { CRAWL_CSV_COLUMNS } from '../src/crawl/csv.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  test('the quick start shows npm install && npm start, then npm test', () => {
    const start = readme.indexOf('npm install && npm start');
    expect(start).toBeGreaterThan(0);
    expect(start).toBeLessThan(readme.indexOf('npm test'));
    expect(readme.indexOf('## Quick start')).toBeLessThan(readme.indexOf('## How it works'));
  });

  test.each(OPTIONS.map((o) => [o.flag]))('documents --%s and its environment variable', (flag) => {
    expect(readme).toMatch(new RegExp(`--(\\[no-\\])?${flag}\\b`));
    expect(readme).toContain(envName(flag));
  });

  test('documents every CSV column', () => {
    for (const c of CSV_COLUMNS) expect(readme).toContain(`| \`${c.name}\` |`);
  });

  test('documents every column of the crawl CSV, with its meaning', () => {
    for (const c of CRAWL_CSV_COLUMNS) expect(readme).toContain(`| \`${c.name}\` | ${c.description} |`);
  });

  test('every test file cited in Guarantees exists', () => {
    const cited = [...readme.matchAll(/`(tests\/[\w/.-]+\.ts)`/g)].map((m) => m[1]!);
    expect(cited.length).toBeGreaterThan(10);
    for (const file of cited) expect(existsSync(new URL(`../${file}`, import.meta.url)), file).toBe(true);
  });

  test('the CSV schema version it states is the one written', () => {
    expect(readme).toContain(`Schema version ${CSV_SCHEMA_VERSION} (`);
    expect(readme).toContain(`| \`schema_version\` | Version of this column set (${CSV_SCHEMA_VERSION}). |`);
  });

  test('the report --json example has exactly the keys report --json prints, with the words attempted, reached, prevented', async () => {
    const block = /```json\n(\{\n  "schemaVersion"[\s\S]*?)\n```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const example = JSON.parse(block!) as unknown;
    const dir = mkdtempSync(join(tmpdir(), 'pinaudit-readme-'));
    try {
      const now = Date.now();
      const db = seed(dir, now);
      const q = openQueries(db.path);
      const real = await (async () => {
        try {
          return await buildReport(q, { from: now - 7 * 86_400_000 }, '7d', 10, now);
        } finally {
          q.close();
        }
      })();
      expect(shape(example)).toEqual(shape(real));
      expect((example as { schemaVersion: number }).schemaVersion).toBe(real.schemaVersion);
      // Every count of a leak, page, site or identifier names which of the three it counts.
      const totals = Object.keys(real.totals).filter((k) => !['requests', 'thirdPartyRequests', 'blocked', 'stripped'].includes(k));
      for (const k of totals) expect(k).toMatch(/^(attempted|reached|prevented)[A-Z]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the vocabulary: attempted, reached Pinterest, prevented; pages leaked are full URLs only', () => {
    expect(readme).toContain('### Attempted, reached Pinterest, prevented');
    expect(readme).toMatch(/\*Leaks prevented\* = attempted − reached/);
    expect(readme).toMatch(/\*\*Pages leaked\*\*\s+counts distinct full URLs only/);
    expect(readme).not.toMatch(/"(leaks|sitesLeaked|pagesLeaked|loggedInLeaks|identifiersPrevented)"/);
  });
});

/** Keys of objects (and of the first element of arrays), recursively, sorted. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shape(value[0])];
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, shape((value as Record<string, unknown>)[k])]));
  }
  return typeof value;
}
