/**
 * `pinaudit import FILE.har [--label NAME] [--data-dir DIR]`: audits a browser's saved network log
 * (HAR 1.2 from Chromium, Firefox, Playwright …) with the proxy's classification and records it,
 * so the dashboard, `pinaudit report` and `pinaudit export` show it. Exit codes: 0 imported,
 * 1 unreadable, malformed or truncated file or unusable database (the entries before a bad one
 * are kept), 2 usage.
 */
import { basename } from 'node:path';
import { databasePath } from '../app.js';
import { exitCodeOf, messageOf, PinauditError } from '../errors.js';
import { createProgressBar, HarImportError, importHar, type ImportSummary } from '../import/index.js';
import type { Command } from './command.js';
import { plural } from '../plural.js';

const options = {
  label: { type: 'string', value: 'NAME', help: 'name stored as the client of each request (default: the file name)' },
} as const;

export const importCommand: Command<typeof options> = {
  name: 'import',
  summary: 'audit a HAR file saved by a browser, without the proxy (pinaudit import --help)',
  usage: 'pinaudit import FILE.har [--label NAME] [--data-dir DIR]',
  about: `Audits a HAR file (a browser's saved network log: DevTools > Network > "Save all as HAR", or
Playwright's recordHar) without the proxy. Every request to Pinterest is classified exactly as the
proxy would and recorded with source "har"; other requests only count toward "sites visited".
Imported requests are recorded as allowed ("imported from a HAR file"): they happened in the past
and nothing blocked them. Importing the same file again adds nothing twice.

Large files are read as a stream (memory stays flat); on a terminal a progress bar shows how far.
A malformed or truncated file stops at the bad entry, names it, and keeps the entries before it.`,
  options,
  positionals: { min: 1, max: 1, missing: 'which HAR file? (pinaudit import FILE.har)', tooMany: 'one file at a time' },
  examples: [
    'pinaudit import ~/Downloads/shop.example.har',
    'pinaudit import session.har --label "laptop, 3 June" --data-dir ~/.pinaudit',
    'pinaudit report --since 30d',
  ],
  exitCodes: '0 imported, 1 unreadable/malformed/truncated file or database failure, 2 usage error.',
  async run({ values, positionals, config, io }) {
    const file = positionals[0]!;
    const label = values.label ?? basename(file);
    if (label.trim() === '' || label.length > 200 || /[\u0000-\u001f\u007f]/.test(label)) {
      throw new PinauditError('USAGE', '--label must be 1 to 200 printable characters');
    }
    const bar = io.stderrIsTTY === true ? createProgressBar((s) => io.stderr(s), { label: `importing ${printable(basename(file))}` }) : null;
    try {
      const summary = await importHar({
        file,
        label,
        dataDir: config.dataDir,
        dbPath: databasePath(config),
        ...(bar ? { onProgress: bar.update } : {}),
      });
      bar?.finish();
      io.stdout(describe(summary));
      return 0;
    } catch (err: unknown) {
      bar?.finish();
      if (!(err instanceof HarImportError) || err.summary.entries === 0) throw err;
      // The entries before a bad one are kept: say so after the error line.
      io.stderr(`pinaudit import: ${messageOf(err)}\n${describe(err.summary)}`);
      return exitCodeOf(err);
    }
  },
};

/** The summary printed after an import (also after a partial one). */
export function describe(s: ImportSummary): string {
  const n = (v: number): string => v.toLocaleString('en-US');
  const lines = [
    `Imported ${plural(s.entries, 'entry', 'entries')} from ${printable(s.file)} as "${printable(s.label)}":`,
    `  Pinterest requests  ${n(s.pinterest)} (${n(s.added)} new${s.pinterest > s.added ? `, ${n(s.pinterest - s.added)} already imported` : ''})`,
    `  other requests      ${n(s.other)} to ${plural(s.sitesVisited, 'site')}` +
      (s.visitsAlreadyCounted ? ' (visits already counted by an earlier import)' : ' (counted as sites visited)'),
  ];
  if (s.skipped > 0) lines.push(`  skipped             ${plural(s.skipped, 'entry', 'entries')} that were not HTTP requests (data:, blob:, wss: URLs)`);
  if (s.stageErrors > 0) lines.push(`  ${plural(s.stageErrors, 'pipeline stage failure')}: those requests were recorded without a full classification`);
  if (s.beyondRetention > 0 && s.retentionDays !== null) {
    lines.push(
      `  note: ${plural(s.beyondRetention, 'request')} ${s.beyondRetention === 1 ? 'is' : 'are'} older than the retention period (${plural(s.retentionDays, 'day')});`,
      '  the next prune removes their details (daily counts stay). Keep them with: pinaudit start --retention-days 0',
    );
  }
  lines.push('See them with: pinaudit report, pinaudit export --format csv, or the dashboard (pinaudit start).', '');
  return lines.join('\n');
}

function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
