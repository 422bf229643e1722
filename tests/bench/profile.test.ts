/**
 * The bench cuts the load phase out of a pinaudit's CPU profile by times it takes itself. These
 * tests profile a real node process that spins for a known stretch and then waits, and check that
 * a stretch read with `profileClockUs` lands on the same samples in the profile.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { profileClockUs, profileShares } from '../../bench/profile.js';

// The child reads the clock as profileClockUs does, spins for 400 ms, then waits for 400 ms.
const CHILD = `
const now = () => Number(process.hrtime.bigint() / 1000n);
function spin(ms) { const end = Date.now() + ms; let x = 0; while (Date.now() < end) x++; return x; }
setTimeout(() => {
  const spinFrom = now(); spin(400); const spinTo = now();
  setTimeout(() => {
    const waitFrom = now();
    setTimeout(() => console.log(JSON.stringify({ spinFrom, spinTo, waitFrom, waitTo: now() })), 400);
  }, 0);
}, 200);
`;

let dir = '';
let file = '';
let marks: { spinFrom: number; spinTo: number; waitFrom: number; waitTo: number };
let before = 0;
let after = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-profile-'));
  before = profileClockUs();
  const child = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '-e', CHILD], { encoding: 'utf8' });
  after = profileClockUs();
  expect(child.status, child.stderr).toBe(0);
  marks = JSON.parse(child.stdout);
  file = join(dir, readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the child's marks fall between the parent's readings of profileClockUs", () => {
  expect(marks.spinFrom).toBeGreaterThan(before);
  expect(marks.waitTo).toBeLessThan(after);
});

test('a stretch read with profileClockUs selects the samples taken in it', () => {
  const spinning = profileShares(file, { from: marks.spinFrom, to: marks.spinTo });
  expect(spinning.totalMs).toBeGreaterThan(300);
  expect(spinning.totalMs).toBeLessThan(500);
  expect(spinning.idle).toBeLessThan(0.1);
  expect(spinning.top[0]?.name).toBe('spin');

  const waiting = profileShares(file, { from: marks.waitFrom, to: marks.waitTo });
  expect(waiting.totalMs).toBeGreaterThan(300);
  expect(waiting.idle).toBeGreaterThan(0.8);
});

test('a stretch before the process started selects nothing', () => {
  expect(profileShares(file, { from: before - 1_000_000, to: before }).totalMs).toBe(0);
});
