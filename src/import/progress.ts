/**
 * A one-line progress bar for a terminal (bytes read of the file's size), redrawn in place at
 * most every `intervalMs`. Only used when stderr is a TTY: piped output stays clean.
 */

/** Megabytes read of the file's size: what the HAR import shows after its bar. */
export function megabytes(done: number, total: number): string {
  const mb = (n: number): string => (n / 1024 / 1024).toFixed(1);
  return `${mb(done)}/${mb(total)} MB`;
}

/** Renders the bar's line (without the leading carriage return); `describe` names what is counted. */
export function progressLine(done: number, total: number, width = 30, describe: (done: number, total: number) => string = megabytes): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%  ${describe(done, total)}`;
}

/** A throttled progress bar writing through `write`; `finish` clears the line. */
export function createProgressBar(
  write: (s: string) => void,
  options: { label?: string; intervalMs?: number; now?: () => number; describe?: (done: number, total: number) => string } = {},
): { update(done: number, total: number): void; finish(): void } {
  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? 100;
  const prefix = options.label ? `${options.label} ` : '';
  let last = -Infinity;
  let drawn = false;
  return {
    update(done, total) {
      const t = now();
      if (t - last < interval && done < total) return;
      last = t;
      drawn = true;
      write(`\r${prefix}${progressLine(done, total, 30, options.describe)}`);
    },
    finish() {
      // Erase the bar so the summary that follows starts on a clean line.
      if (drawn) write('\r\u001b[2K');
    },
  };
}
