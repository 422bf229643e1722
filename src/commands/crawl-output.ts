/**
 * `--crawl ID` of `pinaudit report` and `pinaudit export`: one crawl's results from the database
 * (src/crawl/report.ts, src/crawl/csv.ts) instead of the recorded requests.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { databasePath } from '../app.js';
import type { Config } from '../config.js';
import { crawlCsv } from '../crawl/csv.js';
import { renderCrawlReport } from '../crawl/report.js';
import { messageOf, PinauditError } from '../errors.js';
import type { Io } from './command.js';
import { readReport } from './crawl.js';
import { withQueries } from './database.js';

/** The option both commands take. */
export const CRAWL_OPTION = { type: 'string', value: 'ID', help: 'one crawl (pinaudit crawl): one row per site instead of requests' } as const;

function crawlId(text: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new PinauditError('USAGE', `--crawl must name a crawl by its number, not ${JSON.stringify(text)}`);
  return Number(text);
}

function report(config: Pick<Config, 'dataDir'>, id: string): Promise<ReturnType<typeof readReport>> {
  const dbPath = databasePath(config);
  // withQueries gives the missing-database error; the crawl tables have their own read side.
  return withQueries(dbPath, () => readReport(dbPath, crawlId(id), config.dataDir));
}

/** `pinaudit report --crawl ID [--json]`. */
/**
 * `--crawl` with `--source`: crawl reports read this machine's crawl tables. Crawl rows do reach the
 * fleet's database, but the fleet has no crawl report yet, so the combination is a usage error.
 */
export function refuseCrawlOverFleet(source: string | undefined): void {
  if (source !== undefined) {
    throw new PinauditError('USAGE', '--crawl reads the crawls of this machine; it cannot be combined with --source');
  }
}

export async function printCrawlReport(config: Pick<Config, 'dataDir'>, id: string, json: boolean, io: Io): Promise<number> {
  const r = await report(config, id);
  io.stdout(json ? `${JSON.stringify(r, null, 2)}\n` : renderCrawlReport(r, io.columns ?? null));
  return 0;
}

/** `pinaudit export --crawl ID --format csv [--out FILE]`. */
export async function exportCrawl(config: Pick<Config, 'dataDir'>, id: string, out: string | null, io: Io): Promise<number> {
  const csv = crawlCsv(await report(config, id));
  if (out === null) {
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
}
