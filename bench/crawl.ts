/**
 * Crawl throughput: `pinaudit crawl` (the real CLI in a child process, its proxy in-process, Debian's
 * Chromium) over identical loopback stand-in shops (bench/stand-in-sites.ts) at --concurrency 1, 2
 * and 4, modes off and trackers, one same-site page after the home page. Figures: sites per minute
 * (ratio against concurrency 1 in the same run), and peak memory: the pinaudit process's peak RSS
 * (VmHWM) and the largest sum of the browser processes' RSS seen while sampling (shared pages are
 * counted in each process, so that sum overstates). Run alone: `node dist/bench/crawl.js`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStandInSites } from './stand-in-sites.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

export interface CrawlFigure {
  concurrency: number;
  sites: number;
  seconds: number;
  sitesPerMinute: number;
  pinauditPeakMb: number;
  browserPeakMb: number;
}

/** RSS in kB of every process below `root` (children, grandchildren …), from /proc. */
function descendantsRssKb(root: number): number {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(fields[1]));
      rss.set(Number(entry), Number(fields[21]) * 4); // pages of 4 kB
    } catch {
      // the process ended while we looked
    }
  }
  let total = 0;
  for (const [pid, kb] of rss) {
    let p = parent.get(pid);
    while (p !== undefined && p > 1 && p !== root) p = parent.get(p);
    if (p === root) total += kb;
  }
  return total;
}

function peakKb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

async function crawlOnce(dir: string, sites: number, concurrency: number, rules: string, caPath: string): Promise<CrawlFigure> {
  const list = join(dir, `sites-${concurrency}.txt`);
  writeFileSync(list, Array.from({ length: sites }, (_, i) => `site-${i + 1}.test`).join('\n'));
  const args = [CLI, 'crawl', list, '--pages', '1', '--modes', 'off,trackers', '--concurrency', String(concurrency), '--timeout', '20s',
    '--log-level', 'warn', '--upstream-ca', caPath, '--host-resolver-rules', rules, '--ca-dir', join(dir, 'ca'), '--data-dir', join(dir, `data-${concurrency}`)];
  const started = Date.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let pinauditKb = 0;
  let browserKb = 0;
  const sample = setInterval(() => {
    pinauditKb = Math.max(pinauditKb, peakKb(child.pid!));
    browserKb = Math.max(browserKb, descendantsRssKb(child.pid!));
  }, 250);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(sample);
  if (code !== 0) throw new Error(`crawl at concurrency ${concurrency} exited ${code}: ${stderr}`);
  const seconds = (Date.now() - started) / 1000;
  return { concurrency, sites, seconds, sitesPerMinute: (sites / seconds) * 60, pinauditPeakMb: pinauditKb / 1024, browserPeakMb: browserKb / 1024 };
}

export async function benchCrawl(options: { sites?: number; levels?: number[] } = {}): Promise<CrawlFigure[]> {
  const sites = options.sites ?? 8;
  const stand = await startStandInSites({ extraSites: sites });
  const dir = mkdtempSync(join(tmpdir(), 'pinaudit-bench-crawl-'));
  try {
    const out: CrawlFigure[] = [];
    for (const c of options.levels ?? [1, 2, 4]) out.push(await crawlOnce(dir, sites, c, stand.rules, stand.caPath));
    return out;
  } finally {
    await stand.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The report lines, with sites per minute as a ratio of concurrency 1's. */
export function crawlLines(figures: readonly CrawlFigure[]): string[] {
  const base = figures[0]?.sitesPerMinute ?? 1;
  return figures.map((f) =>
    `  --concurrency ${f.concurrency}  ${f.sitesPerMinute.toFixed(1).padStart(6)} sites/min  ${(f.sitesPerMinute / base).toFixed(2)}× concurrency 1` +
      `  (${f.sites} sites in ${f.seconds.toFixed(1)} s)  peak RSS pinaudit ${f.pinauditPeakMb.toFixed(0)} MB, browser ${f.browserPeakMb.toFixed(0)} MB`,
  );
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  console.log('Crawl: identical stand-in shops, modes off and trackers, 1 page after the home page');
  benchCrawl({ sites: Number(process.env.BENCH_CRAWL_SITES ?? 8) }).then(
    (f) => console.log(crawlLines(f).join('\n')),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
