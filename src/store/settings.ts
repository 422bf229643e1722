/**
 * Settings that survive restarts, kept as JSON values in the `settings` table. Reads go through a
 * frozen snapshot so the proxy's per-request policy check never touches the disk; writes are
 * validated, written at once (not queued) and then published.
 */
import type { Database } from './db.js';
import { StoreError } from './errors.js';

/** The block modes of issue 5. */
import { BLOCK_MODES, type BlockMode } from '../types.js';

export { BLOCK_MODES, type BlockMode };

/** The persisted settings. */
export interface StoredSettings {
  blockMode: BlockMode;
  /** Sites (eTLD+1) where Pinterest is allowed, sorted. */
  exceptions: readonly string[];
  /** Raw rows older than this many days are pruned; `null` keeps them forever. */
  retentionDays: number | null;
  /** Whether blind tunnels are counted per day and site. */
  tunnelCounting: boolean;
}

export const DEFAULT_SETTINGS: Readonly<StoredSettings> = Object.freeze({
  blockMode: 'off',
  exceptions: Object.freeze([]) as readonly string[],
  retentionDays: 90,
  tunnelCounting: true,
});

const KEYS: Record<keyof StoredSettings, string> = {
  blockMode: 'block_mode',
  exceptions: 'exceptions',
  retentionDays: 'retention_days',
  tunnelCounting: 'tunnel_counting',
};

/** Reads the settings (defaults for what was never set; unreadable values fall back too). */
export function readSettings(db: Database): Readonly<StoredSettings> {
  const rows = db.prepare('SELECT key, value FROM settings').all() as Array<{ key: string; value: string }>;
  const raw = new Map(rows.map((r) => [r.key, r.value]));
  const out: StoredSettings = { ...DEFAULT_SETTINGS };
  for (const field of Object.keys(KEYS) as Array<keyof StoredSettings>) {
    const text = raw.get(KEYS[field]);
    if (text === undefined) continue;
    try {
      Object.assign(out, validateSettings({ [field]: JSON.parse(text) as unknown }));
    } catch {
      // A value we cannot read (hand-edited database) keeps its default rather than failing start.
    }
  }
  return freeze(out);
}

/** Validates and writes `patch`; returns the full settings after the write. */
export function writeSettings(db: Database, patch: Partial<StoredSettings>): Readonly<StoredSettings> {
  const valid = validateSettings(patch);
  const put = db.prepare(
    'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
  );
  const now = Date.now();
  db.transaction(() => {
    for (const [field, value] of Object.entries(valid)) {
      put.run(KEYS[field as keyof StoredSettings], JSON.stringify(value), now);
    }
  })();
  return readSettings(db);
}

/** Checks the shape of a settings patch; throws StoreError `BAD_SETTING` naming the field. */
export function validateSettings(patch: Record<string, unknown>): Partial<StoredSettings> {
  const out: Partial<StoredSettings> = {};
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    switch (field) {
      case 'blockMode':
        if (!BLOCK_MODES.includes(value as BlockMode)) bad(field, value, `one of ${BLOCK_MODES.join(', ')}`);
        out.blockMode = value as BlockMode;
        break;
      case 'exceptions':
        if (!Array.isArray(value) || !value.every((s) => typeof s === 'string' && /^[a-z0-9.-]{1,253}$/.test(s))) {
          bad(field, value, 'a list of lower-case site names');
        }
        out.exceptions = [...new Set(value as string[])].sort();
        break;
      case 'retentionDays':
        if (value !== null && !(Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 36500)) {
          bad(field, value, 'a whole number of days from 1 to 36500, or null');
        }
        out.retentionDays = value as number | null;
        break;
      case 'tunnelCounting':
        if (typeof value !== 'boolean') bad(field, value, 'true or false');
        out.tunnelCounting = value as boolean;
        break;
      default:
        throw new StoreError('BAD_SETTING', `unknown setting ${field}`);
    }
  }
  return out;
}

function bad(field: string, value: unknown, expected: string): never {
  throw new StoreError('BAD_SETTING', `setting ${field} must be ${expected}, not ${JSON.stringify(value)}`);
}

function freeze(s: StoredSettings): Readonly<StoredSettings> {
  return Object.freeze({ ...s, exceptions: Object.freeze([...s.exceptions]) });
}

/** Persisted settings with an in-memory snapshot. */
export interface SettingsHandle {
  /** The current settings (frozen; no disk access). */
  get(): Readonly<StoredSettings>;
  /** Validates, writes at once and publishes; throws StoreError `BAD_SETTING`. */
  set(patch: Partial<StoredSettings>): Readonly<StoredSettings>;
  /** Calls `listener` after each change; returns the unsubscribe function. */
  subscribe(listener: (settings: Readonly<StoredSettings>) => void): () => void;
}

/** A settings handle over `db` (the writer's connection). */
export function createSettingsHandle(db: Database): SettingsHandle {
  let current = readSettings(db);
  const listeners = new Set<(s: Readonly<StoredSettings>) => void>();
  return {
    get: () => current,
    set(patch) {
      current = writeSettings(db, patch);
      for (const l of listeners) l(current);
      return current;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
