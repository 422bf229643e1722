/**
 * Who an instance is in the fleet: an id generated at its first start and kept in its local
 * database (the settings table), so that a restart, a new name or a new fleet server keeps it, and
 * a name for people (`--instance-name`, default the host name).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Database } from '../store/index.js';

const KEY = 'instance_id';

/** The instance's id, created (once, even with two processes racing) when missing. */
export function instanceId(db: Database): string {
  const read = (): string | undefined => {
    const row = db.prepare('SELECT value FROM settings WHERE key = ?').get(KEY) as { value: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.value) as string);
  };
  const existing = read();
  if (existing !== undefined) return existing;
  db.prepare('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING').run(
    KEY,
    JSON.stringify(randomUUID()),
    Date.now(),
  );
  return read() as string;
}

/** The name shown for this instance: the given one, else the host name. */
export function instanceName(given: string | null | undefined): string {
  const name = (given ?? '').trim();
  return name !== '' ? name : hostname();
}
