/**
 * The "Does the advice work?" part of `pinaudit report`: the switches card as lines of text, one
 * line per tracking-id change, and the same in `--json` (times ISO 8601 UTC).
 */
import type { ReadAdvice } from '../store/index.js';
import { adviceSummary, describeIdChange, idChanges } from './summary.js';
import { plural } from '../plural.js';

/** `report --json` → `advice`. */
export interface AdviceReport {
  switches: Array<{
    field: string;
    label: string;
    state: 'on' | 'off' | 'unknown';
    since: string | null;
    sinceHow: 'change' | 'read' | null;
    /**
     * Over all recorded time, not only the report's range: a switch's off periods are not cut by it.
     * `null` when it was never seen off, or is not about tracking (`exclude_from_search`).
     */
    reachedWhileOff: { requests: number; sites: number; topSites: string[] } | null;
  }>;
  /** Tracking-id changes in the report's range, newest first. */
  idChanges: Array<{
    family: string;
    site: string | null;
    at: string;
    linked: { at: string; afterMs: number; by: string; name: string; site: string | null } | null;
    /** The change in one sentence (times in UTC). */
    text: string;
  }>;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const clock = (ms: number): string => `${iso(ms).slice(0, 16).replace('T', ' ')} UTC`;

export async function buildAdviceReport(q: ReadAdvice, range: { from: number | null; to: number | null }, now: number): Promise<AdviceReport> {
  const summary = await adviceSummary(q, now);
  const changes = await idChanges(q, range);
  return {
    switches: summary.switches.map((s) => ({
      field: s.field,
      label: s.short,
      state: s.state,
      since: s.since === null ? null : iso(s.since),
      sinceHow: s.sinceHow,
      reachedWhileOff: s.offPeriods.length === 0 || s.reachedWhileOff === null
        ? null
        : { requests: s.reachedWhileOff.requests, sites: s.reachedWhileOff.siteCount, topSites: s.reachedWhileOff.sites.slice(0, 5).map((x) => x.site) },
    })),
    idChanges: changes.map((c) => ({
      family: c.family,
      site: c.site,
      at: iso(c.at),
      linked: c.link && { at: iso(c.link.at), afterMs: c.link.afterMs, by: c.link.kind, name: c.link.name, site: c.link.site },
      text: describeIdChange(c, clock),
    })),
  };
}

/**
 * The text lines of the section (a title line first); `n` formats counts. With `columns`, long
 * lines are wrapped at spaces to fit, continuation lines indented under their first word.
 */
export function renderAdviceReport(a: AdviceReport, n: (v: number) => string, columns: number | null = null): string[] {
  return renderLines(a, n).flatMap((line) => wrap(line, columns));
}

function renderLines(a: AdviceReport, n: (v: number) => string): string[] {
  const out = ['', 'Does the advice work? Your Pinterest privacy switches'];
  for (const s of a.switches) {
    const since = s.since === null ? '' : ` since ${clock(Date.parse(s.since))}${s.sinceHow === 'change' ? ' (your change)' : ' (first seen)'}`;
    out.push(`  ${s.label}: ${s.state === 'unknown' ? 'not seen yet' : s.state}${since}`);
    const r = s.reachedWhileOff;
    if (r !== null) {
      const few = r.topSites.length === 0 ? '' : ` (${r.topSites.join(', ')}${r.sites > r.topSites.length ? ', …' : ''})`;
      out.push(`    while off: ${plural(r.requests, 'request')} from ${plural(r.sites, 'site')} still reached Pinterest with your identifiers${few}`);
    }
  }
  if (a.switches.every((s) => s.state === 'unknown')) {
    out.push('  (open Pinterest\'s Settings → Privacy & data once through pinaudit to see them)');
  }
  out.push('', 'Cookie clearing: tracking ids that changed');
  if (a.idChanges.length === 0) out.push('  (none in this period)');
  for (const c of a.idChanges) out.push(`  ${c.text}`);
  return out;
}

function wrap(line: string, columns: number | null): string[] {
  if (columns === null || line.length <= columns) return [line];
  const indent = `${/^ */.exec(line)?.[0] ?? ''}  `;
  const width = Math.max(20, columns - indent.length);
  const out: string[] = [];
  let rest = line.trimStart();
  let first = true;
  while (rest.length > 0) {
    const room = first ? columns - (line.length - line.trimStart().length) : width;
    if (rest.length <= room) {
      out.push(first ? line.slice(0, line.length - rest.length) + rest : indent + rest);
      break;
    }
    let cut = rest.lastIndexOf(' ', room);
    if (cut <= 0) cut = room; // one word longer than the line: cut it
    const piece = rest.slice(0, cut);
    out.push(first ? line.slice(0, line.length - rest.length) + piece : indent + piece);
    rest = rest.slice(cut).trimStart();
    first = false;
  }
  return out;
}
