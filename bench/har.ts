/**
 * HAR import at scale: writes a synthetic HAR of a browsing session (pages with the Pinterest tag,
 * pin images, other sites' assets with embedded bodies, a failed request) of a chosen size, then
 * imports it with the compiled CLI in a child process and samples the child's peak RSS from /proc.
 *
 * `node dist/bench/har.js [MB]` prints the figures (default 200 MB); tests import `writeHar` and
 * `importWithRss` for a smaller file.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What {@link writeHar} wrote. */
export interface GeneratedHar {
  entries: number;
  pinterest: number;
  bytes: number;
  /** Distinct non-Pinterest sites. */
  sites: number;
}

const header = (name: string, value: string): { name: string; value: string } => ({ name, value });

function entry(time: number, method: string, url: string, headers: Array<{ name: string; value: string }>, status: number, extra: Record<string, unknown> = {}): string {
  const { postData, content, error } = extra as { postData?: unknown; content?: string; error?: string };
  return JSON.stringify({
    startedDateTime: new Date(time).toISOString(),
    time: 12.5,
    request: {
      method, url, httpVersion: 'HTTP/1.1', headers, queryString: [], cookies: [], headersSize: -1, bodySize: postData ? 100 : 0,
      ...(postData ? { postData } : {}),
    },
    response: {
      status, statusText: status === 0 ? '' : 'OK', httpVersion: 'HTTP/1.1', headers: [], cookies: [],
      content: { size: content?.length ?? 0, mimeType: 'application/octet-stream', ...(content ? { text: content, encoding: 'base64' } : {}) },
      redirectURL: '', headersSize: -1, bodySize: content?.length ?? 0, ...(error ? { _error: error } : {}),
    },
    cache: {}, timings: { send: 0, wait: 10, receive: 2.5 }, _resourceType: 'other',
  });
}

/**
 * Writes a HAR of about `targetBytes` to `path`. Times start at `start` (default: a day ago) and
 * advance a second per page, so everything lands inside a default report range.
 */
export function writeHar(path: string, targetBytes: number, start = Date.now() - 86_400_000): GeneratedHar {
  const fd = openSync(path, 'w');
  const filler = Buffer.alloc(24 * 1024, 7).toString('base64'); // an embedded image body
  const out: GeneratedHar = { entries: 0, pinterest: 0, bytes: 0, sites: 0 };
  let batch = '{"log":{"version":"1.2","creator":{"name":"pinaudit bench","version":"1"},"pages":[],"entries":[\n';
  const sites = 500;
  const flush = (): void => {
    out.bytes += writeSync(fd, batch);
    batch = '';
  };
  const add = (json: string, pinterest: boolean): void => {
    batch += `${out.entries === 0 ? '' : ',\n'}${json}`;
    out.entries += 1;
    if (pinterest) out.pinterest += 1;
    if (batch.length > 4 * 1024 * 1024) flush();
  };
  for (let page = 0; out.bytes + batch.length < targetBytes; page++) {
    const t = start + page * 1000;
    const site = `shop-${page % sites}.example`;
    const url = `https://${site}/products/${page}?color=blue`;
    const ua = header('User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0');
    add(entry(t, 'GET', url, [ua, header('Accept', 'text/html'), header('Sec-Fetch-Dest', 'document')], 200), false);
    const ad = encodeURIComponent(JSON.stringify({ loc: url, ref: '' }));
    add(entry(t + 100, 'GET', `https://ct.pinterest.com/v3/?tid=2612345678901&event=pagevisit&ad=${ad}&cb=${t}`,
      [ua, header('Referer', url), header('Cookie', `_pinterest_ct_ua=TWc9PSZ${page % 97}; _pin_unauth=dWlkPU5qZz${page % 13}`)], 200), true);
    add(entry(t + 150, 'POST', 'https://ct.pinterest.com/user/?tid=2612345678901', [ua, header('Referer', url), header('Content-Type', 'application/x-www-form-urlencoded')], 200,
      { postData: { mimeType: 'application/x-www-form-urlencoded', text: `event=checkout&ed=${encodeURIComponent(JSON.stringify({ value: 10 + (page % 50), order_id: `A-${page}` }))}&pd=${encodeURIComponent(JSON.stringify({ em: 'a'.repeat(64) }))}` } }), true);
    add(entry(t + 200, 'GET', `https://i.pinimg.com/236x/${page % 256}/pin.jpg`, [ua, header('Referer', `https://${site}/`)], 200), true);
    add(entry(t + 250, 'GET', `https://cdn.${site}/img/${page}.jpg`, [ua, header('Referer', url)], 200, { content: filler }), false);
    if (page % 10 === 0) add(entry(t + 300, 'GET', 'https://log.pinterest.com/?type=pidget', [ua, header('Referer', url)], 0, { error: 'net::ERR_BLOCKED_BY_CLIENT' }), true);
  }
  batch += '\n]}}\n';
  flush();
  closeSync(fd);
  out.sites = sites;
  return out;
}

/** The compiled CLI, from `dist/bench` or from the sources' folder. */
function cliPath(): string {
  const compiled = fileURLToPath(new URL('../src/cli.js', import.meta.url));
  if (existsSync(compiled) && compiled.includes(`${join('dist', 'src')}`)) return compiled;
  return fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
}

/** Runs `pinaudit import` in a child and samples its resident memory; resolves when it exits. */
export function importWithRss(file: string, dataDir: string): Promise<{ code: number | null; seconds: number; peakRssMb: number; stdout: string; stderr: string }> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [cliPath(), 'import', file, '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let peakKb = 0;
  const sample = (): void => {
    try {
      // VmHWM is the kernel's own high-water mark, so a spike between samples is not missed.
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const hwm = /VmHWM:\s+(\d+)/.exec(status);
      if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
    } catch {
      // The child has exited between samples.
    }
  };
  const timer = setInterval(sample, 20);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      clearInterval(timer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({ code, seconds, peakRssMb: peakKb / 1024, stdout, stderr });
    });
  });
}

/** Writes a HAR of `sizeMb` (default 200) in `tmpDir`, imports it, and reports the figures. */
export async function benchHar(tmpDir: string, sizeMb = 200): Promise<{ entries: number; seconds: number; peakRssMb: number }> {
  const file = join(tmpDir, 'bench.har');
  const har = writeHar(file, sizeMb * 1024 * 1024);
  const run = await importWithRss(file, join(tmpDir, 'data'));
  if (run.code !== 0) throw new Error(`pinaudit import exited ${run.code}: ${run.stderr}`);
  return { entries: har.entries, seconds: run.seconds, peakRssMb: run.peakRssMb };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const dir = mkdtempSync(join(tmpdir(), 'pinaudit-har-bench-'));
  const mb = Number(process.argv[2] ?? 200);
  benchHar(dir, mb)
    .then((r) => {
      process.stdout.write(`HAR import, ${mb} MB: ${r.entries} entries in ${r.seconds.toFixed(1)} s (${(mb / r.seconds).toFixed(1)} MB/s), peak RSS ${r.peakRssMb.toFixed(0)} MB\n`);
    })
    .finally(() => rmSync(dir, { recursive: true, force: true }));
}
