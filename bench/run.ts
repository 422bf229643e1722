/**
 * `npm run bench`: every figure is measured in this run and printed as a ratio against a baseline
 * measured in the same run, because these machines are shared and noisy. Each throughput figure is
 * the median of several short rounds, interleaved so that a noisy moment hits every contender.
 *
 * Processes: the upstream, pinaudit (the real CLI) and the bare library each run in a child; the
 * load generator runs here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool, ProxyAgent, type Dispatcher } from 'undici';
import { openRawConnection } from '../src/store/db.js';
import { benchClassify } from './classify.js';
import { benchStore } from './store.js';
import { benchDashboard } from './dashboard.js';
import { benchCrawl, crawlLines } from './crawl.js';
import { freshRate, freshRequest, percentile, throughput, type Throughput } from './load.js';
import { startMitmdump } from './mitmdump.js';
import { profileClockUs, profileShares, type ProfileShares } from './profile.js';
import { makeTestPki } from './test-pki.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const CHILD = join(here, 'child.js');
const CLI = join(here, '..', 'src', 'cli.js');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 2000);
const CONNECTIONS = 20;

const children: ChildProcess[] = [];

function startChild(args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) resolve({ child, match: m });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${err}`)));
  });
}

/** CPU seconds (user + system) a child has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

function row(name: string, t: Throughput, baseline: number, target = ''): string {
  return `  ${name.padEnd(28)} ${fmt(t.rps).padStart(7)} req/s  p50 ${fmt(t.p50, 2).padStart(6)} ms  p99 ${fmt(t.p99, 2).padStart(6)} ms  ${fmt(t.rps / baseline, 2).padStart(5)}×  ${t.errors ? `${t.errors} errors ` : ''}${target}`;
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'pinaudit-bench-'));
  const pki = makeTestPki();
  try {
    const tlsFiles = pki.server(['*.pinterest.com', 'ct.pinterest.com', 'other.test']);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(tmp, 'up.pem'), tlsFiles.cert);
    writeFileSync(join(tmp, 'up.key'), tlsFiles.key);
    const up = await startChild([CHILD, 'upstream', join(tmp, 'up.pem'), join(tmp, 'up.key')], /PORT (\d+)/);
    const upPort = Number(up.match[1]);

    const pa = await startChild(
      [CLI, 'start', '--proxy-port', '0', '--dashboard-port', '0', '--log-level', 'warn', '--ca-dir', join(tmp, 'ca'), '--data-dir', join(tmp, 'data'),
        '--upstream-ca', pki.caPath, '--host-resolver-rules', `MAP * 127.0.0.1:${upPort}`],
      /proxy\s+http:\/\/127\.0\.0\.1:(\d+)/,
    );
    const paPort = Number(pa.match[1]);
    const paCa = readFileSync(join(tmp, 'ca', 'pinaudit-ca.pem'), 'utf8');

    // The same proxy without the record stage: the cost of recording, measured in this run.
    const norec = await startChild(
      [CLI, 'start', '--proxy-port', '0', '--dashboard-port', '0', '--log-level', 'warn', '--ca-dir', join(tmp, 'ca'), '--data-dir', join(tmp, 'data-norec'),
        '--no-record', '--upstream-ca', pki.caPath, '--host-resolver-rules', `MAP * 127.0.0.1:${upPort}`],
      /proxy\s+http:\/\/127\.0\.0\.1:(\d+)/,
    );
    const norecPort = Number(norec.match[1]);

    const bare = await startChild([CHILD, 'bare', join(tmp, 'bare-ca'), pki.caPath, String(upPort)], /PORT (\d+)/);
    const barePort = Number(bare.match[1]);
    const bareCa = readFileSync(join(tmp, 'bare-ca', 'certs', 'ca.pem'), 'utf8');
    const mitmdump = await startMitmdump(join(tmp, 'mitmdump'), pki.caPath, upPort, (c) => children.push(c));

    const url = 'https://ct.pinterest.com/v3/?tid=2612345678901&event=pagevisit';
    const contenders: Record<string, () => Dispatcher> = {
      direct: () => new Pool(`https://127.0.0.1:${upPort}`, { connections: CONNECTIONS, connect: { ca: pki.caPem, servername: 'ct.pinterest.com' } }),
      tunnel: () => new ProxyAgent({ uri: `http://127.0.0.1:${paPort}`, connections: CONNECTIONS, requestTls: { ca: pki.caPem } }),
      mitm: () => new ProxyAgent({ uri: `http://127.0.0.1:${paPort}`, connections: CONNECTIONS, requestTls: { ca: paCa } }),
      bare: () => new ProxyAgent({ uri: `http://127.0.0.1:${barePort}`, connections: CONNECTIONS, requestTls: { ca: bareCa } }),
      norec: () => new ProxyAgent({ uri: `http://127.0.0.1:${norecPort}`, connections: CONNECTIONS, requestTls: { ca: paCa } }),
      ...(mitmdump
        ? { mitmdump: () => new ProxyAgent({ uri: `http://127.0.0.1:${mitmdump.port}`, connections: CONNECTIONS, requestTls: { ca: mitmdump.caPem } }) }
        : {}),
    };
    const urls: Record<string, string> = {
      direct: `https://127.0.0.1:${upPort}/v3/?tid=2612345678901&event=pagevisit`,
      tunnel: 'https://other.test/v3/?tid=2612345678901&event=pagevisit',
      mitm: url,
      bare: url,
      norec: url,
      mitmdump: url,
    };
    const results: Record<string, Throughput[]> = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
    const dispatchers = Object.fromEntries(Object.entries(contenders).map(([k, make]) => [k, make()]));
    // Warm up: connections, leaf certificates, JIT.
    for (const k of Object.keys(contenders)) await throughput(dispatchers[k]!, urls[k]!, CONNECTIONS, 500);
    let mitmCpu = 0;
    let mitmRequests = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const k of Object.keys(contenders)) {
        const cpuBefore = k === 'mitm' ? cpuSeconds(pa.child.pid!) : 0;
        const t = await throughput(dispatchers[k]!, urls[k]!, CONNECTIONS, ROUND_MS);
        if (k === 'mitm') {
          mitmCpu += cpuSeconds(pa.child.pid!) - cpuBefore;
          mitmRequests += t.requests;
        }
        results[k]!.push(t);
      }
    }
    for (const d of Object.values(dispatchers)) await d.close();
    // The cost of recording is only a working store's: one that failed would look almost free.
    await new Promise((r) => setTimeout(r, 500));
    const stored = storedRequests(join(tmp, 'data', 'pinaudit.db'));
    if (stored < mitmRequests) throw new Error(`pinaudit stored ${stored} of the ${mitmRequests} requests it answered: its store failed, so the recording figures would be wrong`);
    const pick = (k: string): Throughput => {
      const list = results[k]!;
      const rps = median(list.map((t) => t.rps));
      return { rps, p50: median(list.map((t) => t.p50)), p99: median(list.map((t) => t.p99)), errors: list.reduce((a, t) => a + t.errors, 0), requests: list.reduce((a, t) => a + t.requests, 0) };
    };
    const direct = pick('direct');
    const bareT = pick('bare');
    console.log(`\nThroughput: ${CONNECTIONS} keep-alive connections, small responses, median of ${ROUNDS} × ${ROUND_MS} ms`);
    console.log(row('direct to upstream', direct, direct.rps, '(baseline)'));
    console.log(row('through a blind tunnel', pick('tunnel'), direct.rps, `target ≥ 0.70× direct`));
    console.log(row('bare http-mitm-proxy (MITM)', bareT, direct.rps, '(the library\'s ceiling)'));
    console.log(row('pinaudit MITM', pick('mitm'), direct.rps, `${fmt(pick('mitm').rps / bareT.rps, 2)}× bare; target ≥ 0.85× bare`));
    const norecT = pick('norec');
    console.log(row('pinaudit MITM, --no-record', norecT, direct.rps, `recording costs ${fmt((1 - pick('mitm').rps / norecT.rps) * 100, 1)}%; target ≤ 10%`));
    if (mitmdump) {
      const dumpT = pick('mitmdump');
      console.log(row(`mitmdump ${mitmdump.version} (MITM)`, dumpT, direct.rps, `pinaudit MITM = ${fmt(pick('mitm').rps / dumpT.rps, 2)}× mitmdump; target ≥ 4×`));
    } else {
      console.log('  mitmdump                     skipped: mitmdump missing (apt-get install mitmproxy)');
    }
    const cpuPerRequestUs = (mitmCpu / Math.max(1, mitmRequests)) * 1e6;

    console.log('\nFresh connections (CONNECT + TLS + GET, Connection: close), 10 in parallel');
    const freshDirect = await freshRate(null, 'ct.pinterest.com', upPort, pki.caPem, 10, ROUND_MS);
    const freshTunnel = await freshRate(paPort, 'other.test', upPort, pki.caPem, 10, ROUND_MS);
    const freshMitm = await freshRate(paPort, 'ct.pinterest.com', upPort, paCa, 10, ROUND_MS);
    console.log(row('direct TLS', freshDirect, freshDirect.rps, '(baseline)'));
    console.log(row('through a blind tunnel', freshTunnel, freshDirect.rps));
    console.log(row('pinaudit MITM', freshMitm, freshDirect.rps));

    console.log('\nFirst request to a never-seen Pinterest host (leaf issued on demand), sequential');
    const warm: number[] = [];
    const cold: number[] = [];
    for (let i = 0; i < 25; i++) {
      warm.push(await freshRequest(paPort, 'ct.pinterest.com', upPort, paCa));
      cold.push(await freshRequest(paPort, `new${i}-${Date.now().toString(36)}.pinterest.com`, upPort, paCa));
    }
    warm.sort((a, b) => a - b);
    cold.sort((a, b) => a - b);
    console.log(`  new host     median ${fmt(percentile(cold, 50), 2)} ms  p90 ${fmt(percentile(cold, 90), 2)} ms   target median ≤ 60 ms`);
    console.log(`  known host   median ${fmt(percentile(warm, 50), 2)} ms  (baseline: same round trip, certificate cached)`);
    console.log(`  ratio        ${fmt(percentile(cold, 50) / percentile(warm, 50), 2)}× known host`);

    await profileMitm(tmp, pki.caPath, upPort, url);

    const cls = await benchClassify({ durationMs: 1500 });
    console.log('\nClassification over the fixture mix');
    console.log(`  ${fmt(cls.perSecond)} classifications/s, ${fmt(cls.microsPerCall, 1)} µs each`);
    console.log(`  pinaudit CPU per MITM request ${fmt(cpuPerRequestUs, 1)} µs (this run); classifier share ${fmt((cls.microsPerCall / cpuPerRequestUs) * 100, 1)}%   target ≤ 5%`);
    // Storage runs last, with the proxies stopped, so its seeding does not disturb them.
    for (const c of children) c.kill('SIGTERM');
    const storeRows = Number(process.env.BENCH_STORE_ROWS ?? 1_000_000);
    console.log(`\nStorage (${storeRows.toLocaleString('en')} requests seeded; target ≤ 100 ms per dashboard query)`);
    const figures = await benchStore(join(tmp, 'store'), { rows: storeRows });
    for (const [name, value] of Object.entries(figures)) {
      const ms = name.endsWith(' ms');
      console.log(`  ${name.padEnd(36)} ${String(value).padStart(9)}${ms ? `   ${fmt(value / 100, 2)}× the 100 ms target` : ''}`);
    }
    console.log('\nDashboard on the same database (API routes: target ≤ 100 ms; charts drawn: target ≤ 1000 ms)');
    for (const [name, value] of Object.entries(await benchDashboard(join(tmp, 'store')))) {
      const target = name.startsWith('charts') ? 1000 : 100;
      console.log(`  ${name.padEnd(56)} ${String(value).padStart(7)}   ${fmt(value / target, 2)}× target`);
    }
    const crawlSites = Number(process.env.BENCH_CRAWL_SITES ?? 8);
    console.log(`\nCrawl (pinaudit crawl, ${crawlSites} identical stand-in shops, modes off and trackers, 1 page after the home page)`);
    console.log(crawlLines(await benchCrawl({ sites: crawlSites })).join('\n'));
  } finally {
    for (const c of children) c.kill('SIGTERM');
    pki.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Load before a profile's measured stretch. */
const PROFILE_WARMUP_MS = 6_000;
/** Profiles taken, each of a fresh pinaudit: one profile's shares move by about ±1.5 points. */
const PROFILE_RUNS = Number(process.env.BENCH_PROFILE_RUNS ?? 3);

/**
 * CPU profiles (`node --cpu-prof`) of fresh pinaudit processes doing MITM with recording under the
 * same load as above: where the CPU goes, by stage (the median of the runs, with their range), and
 * the top functions by self time of the median run.
 */
async function profileMitm(tmp: string, upstreamCa: string, upPort: number, url: string): Promise<void> {
  const runs: Array<ProfileShares & { rps: number }> = [];
  for (let i = 0; i < PROFILE_RUNS; i++) runs.push(await profileOnce(join(tmp, `profile-${i}`), upstreamCa, upPort, url));
  const byRecording = [...runs].sort((a, b) => a.recording - b.recording);
  const mid = byRecording[Math.floor(runs.length / 2)]!;
  const pct = (x: number): string => `${fmt(x * 100, 1)}%`;
  const spread = (k: 'recording' | 'recordingWithThreads' | 'classification' | 'gc' | 'idle' | 'otherThreads'): string => {
    const values = runs.map((r) => r[k]);
    const line = `${pct(median(values)).padStart(6)}`;
    return runs.length > 1 ? `${line} (${pct(Math.min(...values))}–${pct(Math.max(...values))})` : line;
  };
  console.log(`\nCPU profile of pinaudit MITM with recording (median of ${runs.length} fresh processes, ${fmt(median(runs.map((r) => r.rps)))} req/s for ${fmt((ROUNDS * ROUND_MS) / 1000, 1)} s each; shares of busy CPU)`);
  console.log(`  recording (src/store)            ${spread('recording')}   target ≤ 8%`);
  console.log(`  checkpoint thread, busy          ${spread('otherThreads')}   of the event loop's busy time, mostly waiting for the disk`);
  console.log(`  recording with that thread       ${spread('recordingWithThreads')}   of both threads' busy time`);
  console.log(`  classification (src/classify)    ${spread('classification')}   target ≤ 6%`);
  console.log(`  garbage collection               ${spread('gc')}`);
  console.log(`  idle (share of all samples)      ${spread('idle')}`);
  console.log('  top functions by self time (the median run):');
  for (const t of mid.top) console.log(`    ${pct(t.share).padStart(6)}  ${t.name.slice(0, 40).padEnd(40)} ${t.where}`);
}

/** One profiled pinaudit: started, warmed up, loaded, stopped, its profile read for the load phase. */
async function profileOnce(dir: string, upstreamCa: string, upPort: number, url: string): Promise<ProfileShares & { rps: number }> {
  const p = await startChild(
    ['--cpu-prof', `--cpu-prof-dir=${dir}`, CLI, 'start', '--proxy-port', '0', '--dashboard-port', '0', '--log-level', 'warn',
      '--ca-dir', join(dir, '..', 'ca'), '--data-dir', join(dir, 'data'), '--upstream-ca', upstreamCa, '--host-resolver-rules', `MAP * 127.0.0.1:${upPort}`],
    /proxy\s+http:\/\/127\.0\.0\.1:(\d+)/,
  );
  const ca = readFileSync(join(dir, '..', 'ca', 'pinaudit-ca.pem'), 'utf8');
  const agent = new ProxyAgent({ uri: `http://127.0.0.1:${p.match[1]}`, connections: CONNECTIONS, requestTls: { ca } });
  // Warm up: connections, leaf, JIT, and the store's checkpoint thread, which starts once the log
  // first reaches 4 MB (about 10,000 of these requests): its start-up is once, not per request.
  const warm = await throughput(agent, url, CONNECTIONS, PROFILE_WARMUP_MS);
  const from = profileClockUs();
  const load = await throughput(agent, url, CONNECTIONS, ROUNDS * ROUND_MS);
  const to = profileClockUs();
  await agent.close();
  const exited = new Promise<void>((resolve) => p.child.once('exit', () => resolve()));
  p.child.kill('SIGTERM');
  await exited;
  // One profile per thread, named CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile: thread 0 is the
  // event loop; the others are the store's checkpoint thread.
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const file = files.find((f) => f.split('.')[4] === '0');
  if (!file) throw new Error(`no CPU profile of the main thread written in ${dir}`);
  const others = files.filter((f) => f !== file).map((f) => join(dir, f));
  // A store that fails costs almost nothing: its share would not be a working store's.
  const answered = warm.requests + load.requests;
  const stored = storedRequests(join(dir, 'data', 'pinaudit.db'));
  if (stored < answered) throw new Error(`the profiled pinaudit stored ${stored} of the ${answered} requests it answered: its store failed, so its profile says nothing about recording`);
  // Only the measured load: start-up (module loading, CA) and shutdown are not per request.
  return { ...profileShares(join(dir, file), { from, to }, 15, others), rps: load.rps };
}

/** Requests a pinaudit's database holds. */
function storedRequests(path: string): number {
  const db = openRawConnection(path);
  try {
    return db.prepare('SELECT count(*) FROM requests').pluck().get() as number;
  } finally {
    db.close();
  }
}

main().catch((err: unknown) => {
  for (const c of children) c.kill('SIGKILL');
  console.error(err);
  process.exitCode = 1;
});
