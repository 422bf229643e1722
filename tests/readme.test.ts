/**
 * README tells the truth: every option, every CSV column and every test file it cites exists, and
 * the two commands come first.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { envName, OPTIONS } from '../src/config.js';
import { CSV_COLUMNS } from '../src/export/csv.js';

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

  test('every test file cited in Guarantees exists', () => {
    const cited = [...readme.matchAll(/`(tests\/[\w/.-]+\.ts)`/g)].map((m) => m[1]!);
    expect(cited.length).toBeGreaterThan(10);
    for (const file of cited) expect(existsSync(new URL(`../${file}`, import.meta.url)), file).toBe(true);
  });
});
