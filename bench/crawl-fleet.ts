/**
 * The shared crawl queue's throughput: one list of identical stand-in shops (bench/stand-in-sites.ts)
 * enqueued in a PostgreSQL started here (bench/postgres.ts), crawled by one worker and then, from a
 * fresh queue, by two workers at once (`pinaudit crawl --worker`, the real CLI in child processes,
 * each with its own data directory, proxy and Chromium, --concurrency 1). Figures: sites per minute
 * from the workers' start until the last one exited (their results shipped), as a ratio of one
 * worker's in the same run. On one machine both workers share its cores, so the ratio says what a
 * second worker adds here, not on a second machine. Run alone: `node dist/bench/crawl-fleet.js`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres } from './postgres.js';
import { startStandInSites } from './stand-in-sites.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

export interface QueueFigure {
  workers: number;
  sites: number;
  seconds: number;
  sitesPerMinute: number;
}

function run(args: string[]): Promise<void> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`pinaudit ${args.slice(0, 2).join(' ')} exited ${code}: ${stderr}`)))),
  );
}

export async function benchCrawlQueue(options: { sites?: number } = {}): Promise<QueueFigure[]> {
  const sites = options.sites ?? 8;
  const pg = await startPostgres();
  const stand = await startStandInSites({ extraSites: sites });
  const dir = mkdtempSync(join(tmpdir(), 'pinaudit-bench-crawlq-'));
  try {
    const url = pg.createDatabase('crawlq');
    const list = join(dir, 'sites.txt');
    writeFileSync(list, Array.from({ length: sites }, (_, i) => `site-${i + 1}.test`).join('\n'));
    const out: QueueFigure[] = [];
    for (const workers of [1, 2]) {
      const label = `w${workers}`;
      await run(['crawl', list, '--queue', url, '--label', label, '--pages', '1', '--modes', 'off,trackers', '--timeout', '20s', '--data-dir', join(dir, 'enqueue')]);
      const started = Date.now();
      await Promise.all(
        Array.from({ length: workers }, (_, n) =>
          run(['crawl', '--worker', '--queue', url, '--label', label, '--concurrency', '1', '--log-level', 'warn', '--instance-name', `${label}-${n}`,
            '--upstream-ca', stand.caPath, '--host-resolver-rules', stand.rules, '--ca-dir', join(dir, `ca-${label}-${n}`), '--data-dir', join(dir, `${label}-${n}`)]),
        ),
      );
      const seconds = (Date.now() - started) / 1000;
      out.push({ workers, sites, seconds, sitesPerMinute: (sites / seconds) * 60 });
    }
    return out;
  } finally {
    await stand.close();
    pg.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function queueLines(figures: readonly QueueFigure[]): string[] {
  const base = figures[0]?.sitesPerMinute ?? 1;
  return figures.map((f) =>
    `  ${f.workers} worker${f.workers === 1 ? ' ' : 's'}  ${f.sitesPerMinute.toFixed(1).padStart(6)} sites/min  ${(f.sitesPerMinute / base).toFixed(2)}× one worker  (${f.sites} sites in ${f.seconds.toFixed(1)} s)`,
  );
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  console.log('Shared crawl queue: identical stand-in shops, modes off and trackers, 1 page after the home page, --concurrency 1 per worker');
  benchCrawlQueue({ sites: Number(process.env.BENCH_CRAWL_SITES ?? 8) }).then(
    (f) => console.log(queueLines(f).join('\n')),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
