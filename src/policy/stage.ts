/**
 * The policy stage of the pipeline: turns `flow.finding` into `flow.decision`. It respects a
 * decision an earlier stage already made, and reads the settings anew for every request so a mode
 * change applies to the next request.
 *
 * Failure FAILS OPEN (allow, with a reason that says why). Without a Finding we cannot tell the
 * user's own use of Pinterest from an embed, and failing closed would break Pinterest itself and
 * every page with a Save button whenever the classifier has a bug. The request is still recorded
 * with its reason (nothing lost), so an open failure is visible in the dashboard and the CSV.
 */
import type { Stage } from '../pipeline.js';
import type { Decision } from '../types.js';
import { decide } from './decide.js';
import type { PolicySettings } from './modes.js';

/** Creates the `policy` stage; `getSettings` is called once per request. */
export function policyStage(getSettings: () => PolicySettings): Stage {
  return {
    name: 'policy',
    request(flow) {
      if (flow.decision !== null) return;
      if (flow.finding === null) {
        flow.decision = failOpen('classification failed, so nothing is known about this request');
        return;
      }
      try {
        flow.decision = decide(flow.finding, getSettings());
      } catch (err) {
        // Only the error's class: its message could quote request data.
        const kind = err instanceof Error ? err.name : typeof err;
        flow.decision = failOpen(`the policy failed (${kind})`);
      }
    },
  };
}

function failOpen(why: string): Decision {
  return { action: 'allow', reason: `allowed: ${why} (fails open)`, stripped: [] };
}
