/**
 * Block modes and the settings the policy reads on every request (issue 5). The settings object
 * is a snapshot: the proxy passes a getter, so a mode change applies to the next request without
 * a restart and without the policy holding state of its own.
 *
 * What pinaudit does with third-party Pinterest requests:
 * - `off` — audit only (the default);
 * - `strip` — forward them without cookies, Referer, Origin, identifiers and page URLs;
 * - `trackers` — block `tag`, `tag-script` and `telemetry`; strip `widget` and `content`;
 * - `all` — block every one of them.
 * The user's own use of Pinterest (`first-party`) is never blocked or stripped.
 */
import { BLOCK_MODES, type BlockMode } from '../types.js';

export { BLOCK_MODES, type BlockMode };

/** What the policy needs to decide one request. */
export interface PolicySettings {
  readonly mode: BlockMode;
  /** Registrable domains (eTLD+1, lower case) of pages where Pinterest is allowed. */
  readonly exceptions: ReadonlySet<string>;
}

/**
 * Builds settings with exceptions normalised the way `Finding.page.site` is written (lower case,
 * no surrounding whitespace, no trailing dot), so a user's `Example.org.` still matches.
 */
export function makePolicySettings(mode: BlockMode = 'off', exceptions: Iterable<string> = []): PolicySettings {
  const sites = new Set<string>();
  for (const raw of exceptions) {
    if (typeof raw !== 'string') continue;
    const site = raw.trim().toLowerCase().replace(/\.$/, '');
    if (site !== '') sites.add(site);
  }
  return Object.freeze({ mode, exceptions: sites });
}
