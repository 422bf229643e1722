/**
 * `pinaudit purge` through the command helper: usage errors remove nothing, the dry run counts
 * what the store would remove, and a real calendar date is required (2025-02-30 and 2025-13-45 are
 * refused, as by the dashboard's purge API).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { purgeCommand } from '../../src/commands/purge.js';
import { openRawConnection } from '../../src/store/db.js';
import { createStore } from '../../src/store/writer.js';
import { runIn } from '../helpers/command.js';
import { makeFlow } from '../helpers/findings.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-purge-'));
  // One request a day on 1–5 June 2025, local time.
  const store = createStore({ path: join(dir, 'pinaudit.db'), retentionDays: null });
  for (let day = 1; day <= 5; day++) store.record(makeFlow({ observation: { time: new Date(2025, 5, day, 12).getTime() } }));
  store.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const purge = (argv: string[], dataDir = dir) => runIn(purgeCommand, [...argv, '--data-dir', dataDir]);
const requests = (): number => {
  const db = openRawConnection(join(dir, 'pinaudit.db'));
  const n = db.prepare('SELECT count(*) FROM requests').pluck().get() as number;
  db.close();
  return n;
};

describe('pinaudit purge', () => {
  test.each([
    [[]],
    [['--yes']],
    [['--all', '--before', '2025-01-01', '--yes']],
    [['--before', '2025-02-30', '--yes']],
    [['--before', '2025-13-45', '--yes']],
    [['--before', 'yesterday', '--yes']],
    [['--before']],
    [['--everything']],
    [['stray', '--all', '--yes']],
  ])('usage error %j → 2 with one line naming the help, nothing removed', async (argv) => {
    const r = await purge(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^pinaudit purge: .+ \(see pinaudit purge --help\)\n$/);
    expect(requests()).toBe(5);
  });

  test('without --yes it says how many requests the store would remove, and removes nothing', async () => {
    const r = await purge(['--before', '2025-06-03']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('This would remove 2 recorded requests');
    expect(r.stderr).toContain('--yes');
    expect(requests()).toBe(5);
  });

  test('--before DATE --yes removes older data', async () => {
    const r = await purge(['--before=2025-06-03', '-y']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Removed from before 2025-06-03: 2 requests');
    expect(requests()).toBe(3);
  });

  test('--all --yes removes everything', async () => {
    expect((await purge(['--all', '--yes'])).code).toBe(0);
    expect(requests()).toBe(0);
  });

  test('--help prints usage, --data-dir and examples', async () => {
    const r = await purge(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: pinaudit purge');
    expect(r.stdout).toContain('--data-dir DIR');
    expect(r.stdout).toContain('pinaudit purge --all --yes');
  });

  test('a missing database is nothing to purge; a damaged one is a runtime failure', async () => {
    const none = await purge(['--all', '--yes'], join(dir, 'none'));
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('nothing to purge');
    expect(existsSync(join(dir, 'none', 'pinaudit.db'))).toBe(false);
    mkdirSync(join(dir, 'bad'));
    writeFileSync(join(dir, 'bad', 'pinaudit.db'), Buffer.alloc(4096, 'garbage '));
    const bad = await purge(['--all', '--yes'], join(dir, 'bad'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^pinaudit purge: .*database.*\n$/i);
  });
});
