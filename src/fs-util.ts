/** Small file-system helpers shared by the CA, the data directory and the CLI. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Creates `dir` (with `mode` for new folders) and proves it is writable by writing and removing a
 * probe file. Checking permission bits is not enough: root ignores them, read-only mounts do not.
 */
export function ensureWritableDir(dir: string, mode = 0o755): void {
  mkdirSync(dir, { recursive: true, mode });
  const probe = join(dir, `.pinaudit-write-test-${process.pid}`);
  writeFileSync(probe, '');
  rmSync(probe, { force: true });
}
