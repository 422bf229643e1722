/** The dashboard's public surface for the composition root and the CLI. */
export { buildDashboard, type DashboardDeps, type DashboardLogger } from './dashboard.js';
export { LiveFeed, liveStage, type LiveEvent, type LiveFeedOptions, type LiveSink } from './live.js';
export { pacFile, proxyAddress } from './pac.js';
export { CSP, TOKEN_HEADER, hostAllowed } from './security.js';
