/** The switch history (migration 008): written with the writer's flush, read oldest first, purged on request. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openDatabase, openRawConnection } from '../../src/store/db.js';
import { readSwitchHistory, type SwitchRecord } from '../../src/store/switches.js';
import { createStore, type Store } from '../../src/store/writer.js';

let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pinaudit-switches-'));
  store = createStore({ path: join(dir, 'p.db'), retentionDays: null, flushIntervalMs: 60_000 });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const reading = (time: number, state: boolean, how: 'read' | 'change' = 'read', field = 'personalize_from_offsite_browsing'): SwitchRecord => ({
  time, flowId: `f${time}`, client: '127.0.0.1', account: 'ab'.repeat(32), endpoint: 'UserSettingsResource/get', field, state, how,
});

function history() {
  const { db } = openDatabase(join(dir, 'p.db'), { readonly: true });
  try {
    return readSwitchHistory(db);
  } finally {
    db.close();
  }
}

describe('switch history', () => {
  test('queued readings wait for the flush, then read back oldest first', () => {
    store.recordSwitches([reading(300, false, 'change'), reading(300, true, 'read', 'ads_customize_from_conversion')]);
    store.recordSwitches([reading(100, true)]);
    expect(store.health().pending).toBe(3);
    expect(history()).toEqual([]);
    store.flush();
    expect(store.health().pending).toBe(0);
    expect(history()).toEqual([
      { time: 100, account: 'ab'.repeat(32), field: 'personalize_from_offsite_browsing', state: true, how: 'read', endpoint: 'UserSettingsResource/get' },
      { time: 300, account: 'ab'.repeat(32), field: 'personalize_from_offsite_browsing', state: false, how: 'change', endpoint: 'UserSettingsResource/get' },
      { time: 300, account: 'ab'.repeat(32), field: 'ads_customize_from_conversion', state: true, how: 'read', endpoint: 'UserSettingsResource/get' },
    ]);
  });

  test('a locked database keeps the readings in memory until the next flush', () => {
    store.recordSwitches([reading(100, false)]);
    const lock = openRawConnection(join(dir, 'p.db'));
    lock.exec('BEGIN EXCLUSIVE');
    store.flush();
    expect(store.health().lastError).not.toBeNull();
    lock.exec('ROLLBACK');
    lock.close();
    store.flush();
    expect(history()).toHaveLength(1);
  });

  test('a purge forgets them; pruning by retention keeps them', () => {
    store.recordSwitches([reading(Date.UTC(2020, 0, 1), false), reading(Date.now(), true)]);
    store.flush();
    store.purge({ before: new Date(Date.UTC(2021, 0, 1)) });
    expect(history().map((h) => h.state)).toEqual([true]);
    store.purge({ all: true });
    expect(history()).toEqual([]);
  });

  test('the database holds only the switches: no user name, e-mail or body column', () => {
    const { db } = openDatabase(join(dir, 'p.db'), { readonly: true });
    const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('account_switches');
    db.close();
    expect(columns).toEqual(['id', 'time', 'account', 'field', 'state', 'how', 'endpoint', 'client', 'flow_id']);
  });
});
