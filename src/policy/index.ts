/**
 * Policy: what happens to a classified Pinterest request — allow, strip or block — and the pure
 * helpers the proxy uses to apply it (the stripped request, the local answer to a blocked one).
 * Nothing here does I/O.
 */
export { BLOCK_MODES, makePolicySettings, type BlockMode, type PolicySettings } from './modes.js';
export { decide } from './decide.js';
export { NOTHING_PREVENTED, preventedByBlock, preventedByStrip } from './prevented.js';
export {
  isOrigin,
  stripRequest,
  stripResponseHeaders,
  STRIP_BODY_LIMIT,
  type HeaderRecord,
  type ResponseStripOptions,
  type ResponseStripResult,
  type StripInput,
  type StripResult,
} from './strip.js';
export { STRIP_LIMITS, STRIP_NESTED, STRIP_TOP_LEVEL, type Removal, type StripPart } from './strip-fields.js';
export { blockedResponse, headerSafe, kindOf, type BlockedKind, type BlockedResponse } from './blocked-response.js';
export { policyStage } from './stage.js';
