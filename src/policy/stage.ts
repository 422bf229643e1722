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
import type { Flow, Stage } from '../pipeline.js';
import type { Decision } from '../types.js';
import { decide } from './decide.js';
import type { PolicySettings } from './modes.js';
import { NOTHING_PREVENTED, preventedByBlock, preventedByStrip } from './prevented.js';
import { stripRequest } from './strip.js';

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
        if (flow.decision.action === 'strip') planStrip(flow, flow.decision);
      } catch (err) {
        // Only the error's class: its message could quote request data.
        const kind = err instanceof Error ? err.name : typeof err;
        flow.decision = failOpen(`the policy failed (${kind})`);
      }
    },
  };
}

/**
 * Works out the stripped request now, inside the pipeline, so that the record stage stores what
 * was withheld. A body longer than what was read cannot be rewritten: such a request is blocked
 * instead of forwarding identifiers we could not see.
 */
function planStrip(flow: Flow, decision: Decision): void {
  const o = flow.observation;
  if (o.bodyTruncated) {
    flow.decision = {
      action: 'block',
      reason: `${decision.reason.replace(/^stripped/, 'blocked')}; the body was too large to strip safely`,
      stripped: [],
      prevented: preventedByBlock(flow.finding),
    };
    return;
  }
  const result = stripRequest({ url: o.url, headers: o.headers, body: o.body, contentType: o.headers['content-type'] ?? null });
  flow.forward = { url: result.url, headers: result.headers, body: result.body };
  const prevented = flow.finding === null ? NOTHING_PREVENTED : preventedByStrip(flow.finding, result.removed);
  flow.decision = { ...decision, stripped: result.stripped, prevented };
}

function failOpen(why: string): Decision {
  return { action: 'allow', reason: `allowed: ${why} (fails open)`, stripped: [], prevented: NOTHING_PREVENTED };
}
