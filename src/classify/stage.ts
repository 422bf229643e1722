/**
 * The classify stage of the pipeline: sets `flow.finding` for every Pinterest request, and feeds
 * the per-client recent-navigation memory from the `tunnel` hook.
 */
import type { Stage } from '../pipeline.js';
import { classify } from './classify.js';
import { RecentPages } from './recent-pages.js';

export interface ClassifyStageOptions {
  /** Keyed fingerprint for credentials (see `createFingerprinter`). */
  fingerprint(name: string, value: string): string;
  /** The recent-navigation memory; a fresh one per stage when omitted. */
  recentPages?: RecentPages;
}

/** Creates the `classify` stage. */
export function classifyStage(options: ClassifyStageOptions): Stage {
  const recent = options.recentPages ?? new RecentPages();
  const fingerprint = options.fingerprint;
  return {
    name: 'classify',
    request(flow) {
      const observation = flow.observation;
      flow.finding = classify(observation, {
        fingerprint,
        recentPage: recent.get(observation.client, observation.time),
      });
    },
    tunnel(event) {
      recent.note(event);
    },
  };
}
