/**
 * `decide(finding, settings) → Decision`: pure, synchronous, and it never throws. The order of the
 * checks is the policy:
 * 1. mode `off` allows everything (audit only);
 * 2. a Finding without conclusions (not Pinterest, or classification failed) is allowed: without a
 *    category we cannot tell the user's own use of Pinterest from an embed (fail open, see stage.ts);
 * 3. the user's own use of Pinterest is never touched: category `first-party`, or thirdParty false
 *    with page evidence (the page is Pinterest's);
 * 4. a page site listed in the exceptions is allowed;
 * 5. the mode decides. A request with no page evidence (`attributedBy: 'none'`) that is not
 *    first-party is treated as third party: every Pinterest endpoint except the user's own pages
 *    exists to be embedded in other sites, and a missing Referer is what privacy-minded pages send
 *    anyway — leaving such requests alone would let the quietest leaks through.
 * `stripped` stays empty here: the strip step fills it (and `prevented`) with what it actually withheld.
 */
import type { Category, Decision, Finding } from '../types.js';
import type { BlockMode, PolicySettings } from './modes.js';
import { NOTHING_PREVENTED, preventedByBlock } from './prevented.js';

/** Categories that mode `trackers` blocks; the other third-party categories are stripped. */
const TRACKER_CATEGORIES: ReadonlySet<Category> = new Set<Category>(['tag', 'tag-script', 'telemetry']);

/** Decides what happens to one classified Pinterest request. */
export function decide(finding: Finding, settings: PolicySettings): Decision {
  const mode = settings.mode;
  if (mode === 'off') return allow('allowed: audit only (mode off)');
  if (!finding.pinterest) return allow('allowed: not a Pinterest request');
  const category = finding.category;
  if (category === null) return allow(`allowed: the request could not be classified (fails open; mode ${mode})`);
  const pageKnown = finding.page.attributedBy !== 'none';
  if (category === 'first-party' || (!finding.thirdParty && pageKnown)) {
    return allow("allowed: the user's own use of Pinterest (first-party is never blocked or stripped)");
  }

  const site = finding.page.site?.toLowerCase() ?? null;
  if (site !== null && settings.exceptions.has(site)) {
    return allow(`allowed: ${site} is an exception (mode ${mode})`);
  }

  const from = pageKnown ? `from ${pageLabel(finding)}` : 'from an unknown page';
  const assumed = !finding.thirdParty ? ', treated as third party' : '';
  const action = actionFor(mode, category);
  if (action === null) return allow(`allowed: unknown block mode (fails open)`);
  const verb = action === 'block' ? 'blocked' : 'stripped';
  // A strip's `prevented` is filled by the strip step with what it actually removed.
  const prevented = action === 'block' ? preventedByBlock(finding) : NOTHING_PREVENTED;
  return { action, reason: `${verb}: ${category} request ${from}${assumed} (mode ${mode})`, stripped: [], prevented };
}

/** The action a mode takes on a third-party request; `null` for a mode this version does not know. */
function actionFor(mode: BlockMode, category: Category): 'block' | 'strip' | null {
  switch (mode) {
    case 'strip':
      return 'strip';
    case 'trackers':
      return TRACKER_CATEGORIES.has(category) ? 'block' : 'strip';
    case 'all':
      return 'block';
    default:
      // `off` is handled before; anything else came from outside the type system.
      return null;
  }
}

/** The page's site for a reason; a site-less page (an IP literal, `localhost`) by its host. */
function pageLabel(finding: Finding): string {
  if (finding.page.site !== null && finding.page.site !== '') return safe(finding.page.site);
  const url = finding.page.url;
  if (url !== null) {
    try {
      const host = new URL(url.slice(0, 2048)).hostname;
      if (host !== '') return safe(host);
    } catch {
      // Fall through: an unparsable URL is described, not quoted.
    }
  }
  return 'a page without a site name';
}

/** Keeps a name short and printable: it is shown in the dashboard, the CSV and a header. */
function safe(text: string): string {
  const clean = text.replace(/[^\x21-\x7e]/g, '?');
  return clean.length > 100 ? `${clean.slice(0, 100)}…` : clean;
}

function allow(reason: string): Decision {
  return { action: 'allow', reason, stripped: [], prevented: NOTHING_PREVENTED };
}
