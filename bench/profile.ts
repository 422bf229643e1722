/**
 * Reads a V8 CPU profile (`node --cpu-prof`) of pinaudit under load and says where the time went:
 * the share of all samples spent recording (any frame in src/store/) and classifying (any frame in
 * src/classify/ or src/pinterest/, and not recording), and the functions with the most self time.
 * Shares are of the process's busy time (every sample but idle), so under a steady load of one
 * kind of request they read as "of the CPU per request".
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  /** When the profile began, in µs of `profileClockUs`. */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileShares {
  /** Sampled time in ms. */
  totalMs: number;
  /** Share (0–1) of busy time (all but idle) with a frame in src/store/. */
  recording: number;
  /** Share of busy time with a frame in src/classify/ or src/pinterest/ and none in src/store/. */
  classification: number;
  /** Share of all sampled time spent idle (waiting in the event loop). */
  idle: number;
  /** Share of busy time in garbage collection. */
  gc: number;
  /** Functions by self time (share of busy time), most first. */
  top: Array<{ name: string; where: string; share: number }>;
  /**
   * Busy time of the process's other threads (their own profiles: the store's checkpoint thread),
   * as a share of this thread's busy time. Busy includes waiting for the disk.
   */
  otherThreads: number;
  /** Recording counted with the other threads' busy time, of all threads' busy time. */
  recordingWithThreads: number;
}

const STORE = /\/dist\/src\/store\//;
const CLASSIFY = /\/dist\/src\/(classify|pinterest)\//;

/**
 * Now on the clock CPU profiles time their samples with (µs, monotonic, shared by every process on
 * the machine): a stretch measured here can be cut out of another process's profile exactly.
 */
export const profileClockUs = (): number => Number(process.hrtime.bigint() / 1000n);

/**
 * Shares over the samples taken between `window.from` and `window.to`, read with `profileClockUs`
 * (the load phase: start-up and shutdown are left out). Times since the process was spawned would
 * not do: the profile begins after the process has loaded, so such a window ends inside shutdown.
 * `others`: profiles of the process's other threads, counted over the same stretch of time.
 */
export function profileShares(file: string, window: { from: number; to: number }, topN = 15, others: readonly string[] = []): ProfileShares {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // What each node's stack contains, computed once per node.
  const kind = new Map<number, 'store' | 'classify' | 'other'>();
  const kindOf = (id: number): 'store' | 'classify' | 'other' => {
    const known = kind.get(id);
    if (known) return known;
    const url = byId.get(id)?.callFrame.url ?? '';
    const up = parent.get(id);
    const above = up === undefined ? 'other' : kindOf(up);
    const k = STORE.test(url) || above === 'store' ? 'store' : CLASSIFY.test(url) || above === 'classify' ? 'classify' : 'other';
    kind.set(id, k);
    return k;
  };
  let total = 0;
  let store = 0;
  let classify = 0;
  let idle = 0;
  let gc = 0;
  const self = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (at < window.from || at > window.to) return;
    total += dt;
    const name = byId.get(id)?.callFrame.functionName;
    if (name === '(idle)') idle += dt;
    if (name === '(garbage collector)') gc += dt;
    const k = kindOf(id);
    if (k === 'store') store += dt;
    else if (k === 'classify') classify += dt;
    self.set(id, (self.get(id) ?? 0) + dt);
  });
  const busy = total - idle;
  // Self time per function (several nodes share one function when called from different places).
  const perFunction = new Map<string, { name: string; where: string; time: number }>();
  for (const [id, time] of self) {
    const f = byId.get(id)!.callFrame;
    if (f.functionName === '(idle)') continue;
    const where = f.url ? `${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}` : '(native)';
    const key = `${f.functionName}@${where}`;
    const entry = perFunction.get(key) ?? { name: f.functionName || '(anonymous)', where, time: 0 };
    entry.time += time;
    perFunction.set(key, entry);
  }
  const top = [...perFunction.values()].sort((a, b) => b.time - a.time).slice(0, topN);
  const share = (t: number): number => (busy > 0 ? t / busy : 0);
  const otherBusy = others.reduce((sum, f) => sum + busyBetween(JSON.parse(readFileSync(f, 'utf8')) as CpuProfile, window.from, window.to), 0);
  return {
    totalMs: total / 1000,
    recording: share(store),
    classification: share(classify),
    idle: total > 0 ? idle / total : 0,
    gc: share(gc),
    top: top.map((t) => ({ name: t.name, where: t.where, share: share(t.time) })),
    otherThreads: share(otherBusy),
    recordingWithThreads: busy + otherBusy > 0 ? (store + otherBusy) / (busy + otherBusy) : 0,
  };
}

/** A profile's busy (not idle) sampled time between two points of `profileClockUs`, in µs. */
function busyBetween(profile: CpuProfile, from: number, to: number): number {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  let at = profile.startTime;
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (at >= from && at <= to && byId.get(id)?.callFrame.functionName !== '(idle)') busy += dt;
  });
  return busy;
}
