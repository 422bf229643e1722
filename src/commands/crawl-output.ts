/**
 * `pinaudit report --crawl ID [--json]` and `pinaudit export --crawl ID --format csv [--out FILE]`:
 * one crawl's results from the database (src/crawl/report.ts, src/crawl/csv.ts). Exit codes: 0
 * printed, 1 no database or unwritable file, 2 usage or no such crawl.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { crawlCsv } from '../crawl/csv.js';
import { buildCrawlReport, renderCrawlReport, type CrawlReport } from '../crawl/report.js';
import { exitCodeOf, messageOf, PinauditError } from '../errors.js';
import { openCrawlQueries } from '../store/crawl-queries.js';
import { withQueries } from './database.js';
import type { CommandIo } from './import.js';

/** True when the arguments ask for a crawl (`--crawl ID` or `--crawl=ID`). */
export function namesCrawl(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--crawl' || a.startsWith('--crawl='));
}

function load(dbPath: string, dataDir: string, crawlId: number): Promise<CrawlReport> {
  // withQueries gives the missing-database error; the crawl tables have their own read side.
  return withQueries(dbPath, () => {
    const q = openCrawlQueries(dbPath);
    try {
      return buildCrawlReport(q, crawlId, dataDir);
    } finally {
      q.close();
    }
  });
}

function crawlId(text: string | undefined): number {
  if (text === undefined || !/^\d{1,9}$/.test(text)) throw new PinauditError('USAGE', `--crawl must name a crawl by its number, not ${JSON.stringify(text ?? '')}`);
  return Number(text);
}

function parse<T extends Record<string, { type: 'string' | 'boolean' }>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options }).values;
  } catch (err: unknown) {
    throw new PinauditError('USAGE', messageOf(err).replace(/\. To specify.*$/s, ''));
  }
}

export async function crawlReportCommand(argv: string[], io: CommandIo, paths: { dbPath: string; dataDir: string }, columns: number | null): Promise<number> {
  try {
    const values = parse(argv, { crawl: { type: 'string' }, json: { type: 'boolean' } });
    const report = await load(paths.dbPath, paths.dataDir, crawlId(values.crawl as string | undefined));
    io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderCrawlReport(report, columns));
    return 0;
  } catch (err: unknown) {
    io.stderr(`pinaudit report: ${messageOf(err)}\n`);
    return exitCodeOf(err);
  }
}

export async function crawlExportCommand(argv: string[], io: CommandIo, paths: { dbPath: string; dataDir: string }): Promise<number> {
  try {
    const values = parse(argv, { crawl: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } });
    if (values.format !== 'csv') throw new PinauditError('USAGE', `--format must be csv, not ${JSON.stringify(values.format ?? '')}`);
    const csv = crawlCsv(await load(paths.dbPath, paths.dataDir, crawlId(values.crawl as string | undefined)));
    const out = values.out as string | undefined;
    if (out === undefined) {
      io.stdout(csv);
      return 0;
    }
    // Write beside the target and rename: a failed export never leaves half a file behind.
    const temp = `${out}.${process.pid}.partial`;
    try {
      writeFileSync(temp, csv, { mode: 0o600 });
      renameSync(temp, out);
    } catch (err: unknown) {
      rmSync(temp, { force: true });
      throw new PinauditError('FILE_UNREADABLE', `cannot write ${out}: ${messageOf(err)}`, { cause: err });
    }
    return 0;
  } catch (err: unknown) {
    io.stderr(`pinaudit export: ${messageOf(err)}\n`);
    return exitCodeOf(err);
  }
}
