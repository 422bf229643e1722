/**
 * A small, known database for the export and report tests: three sites over two days, with a
 * logged-in leak, a hashed e-mail, a blocked and a stripped request, a first-party request, and
 * visited-site counts. The expected numbers are written next to the data.
 */
import { join } from 'node:path';
import { createStore } from '../../src/store/writer.js';
import { credentialFlow, flowFor, makeTag } from '../helpers/findings.js';

/** Noon of a local day `daysAgo` before `now`. */
export function noon(now: number, daysAgo: number): number {
  const d = new Date(now);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() - daysAgo, 12).getTime();
}

export const HASH = 'c'.repeat(64);

/** Seeds `dataDir/pinaudit.db`; returns the path and what the report must say. */
export function seed(dataDir: string, now: number) {
  const path = join(dataDir, 'pinaudit.db');
  const store = createStore({ path, retentionDays: null, blockMode: () => 'off' });
  const d1 = noon(now, 1);
  const d2 = noon(now, 2);
  const d20 = noon(now, 20);
  // shop.example: 3 leaks (one with a hashed e-mail, one logged in), on two days.
  store.record(flowFor('shop.example', d1));
  store.record(flowFor('shop.example', d1 + 1000, { finding: { tag: makeTag({ event: 'checkout', orderId: '=HYPERLINK("x")', hashedEmail: { value: HASH, algo: 'sha256' } }), identifiers: [{ name: 'pd.em', kind: 'hashed-email', source: 'query', value: HASH }] } }));
  store.record(credentialFlow('s3cret', d2));
  // news.example: 1 leak that was blocked (trackers mode), 1 stripped of its cookie and Referer: both
  // attempted, neither reached Pinterest.
  store.record(flowFor('news.example', d1, { decision: { action: 'block', reason: 'blocked: tag (mode trackers)' } }));
  store.record(flowFor('news.example', d1 + 2000, { finding: { category: 'widget' }, decision: {
    action: 'strip', reason: 'stripped', stripped: ['cookie', 'referer'],
    prevented: { identifiers: [{ name: '_pinterest_ct_ua', source: 'cookie' }], page: true },
  } }));
  // The user's own Pinterest use: not a leak.
  store.record(flowFor('pinterest.com', d1, { finding: { category: 'first-party', thirdParty: false, identifiers: [] } }));
  // Outside a 7-day report.
  store.record(flowFor('old.example', d20));
  // Visits: three sites on day 1, one of them never leaked.
  // A minute apart: connections to another site within moments of a page are its subresources.
  ['shop.example', 'news.example', 'quiet.example'].forEach((site, i) => {
    store.tunnel({ client: '127.0.0.1', host: `www.${site}`, site, url: null, time: d1 + i * 60_000 });
  });
  const health = store.close();
  if (health.pending > 0 || health.dropped > 0) throw new Error(`seeding failed: ${health.lastError}`);
  return { path, d1, d2, d20 };
}
