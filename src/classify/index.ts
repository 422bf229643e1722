/**
 * Classification: what a Pinterest request is, which page caused it, what leaked with it.
 * `classify` is pure and synchronous; the stage and the recent-navigation memory wire it into
 * the proxy pipeline.
 */
export { classify, type ClassifyContext } from './classify.js';
export { classifyStage, type ClassifyStageOptions } from './stage.js';
export { RecentPages, type RecentPagesOptions } from './recent-pages.js';
export { createFingerprinter, loadOrCreateSecret, SECRET_BYTES, SECRET_FILE } from './fingerprint.js';
export { buildObservation, joinHeaders, type ObservationInput } from './observation.js';
export { LIMITS } from './limits.js';
