/**
 * The person's own privacy switches on Pinterest and the endpoints that read or change them, as
 * data (reference/pinterest.md, "The person's own privacy switches"). These come from public client
 * code, not from a specification: endpoint names change over time, so they are leads. A request
 * that matches none of them tells nothing, and nothing is ever inferred from a missing field.
 */
import { isPinterestSite, siteOf } from './domains.js';

/** One user field that is a privacy switch. */
export interface SwitchInfo {
  /** The user field, as Pinterest's clients spell it. */
  readonly field: string;
  /** What Pinterest's Settings → Privacy & data calls it. */
  readonly label: string;
  /** Short name for tables and CSV headers. */
  readonly short: string;
  /** True for the switches the usual advice says to turn off. */
  readonly advised: boolean;
  /**
   * True when "off" means less tracking, so what still reached Pinterest while it was off is worth
   * counting. `exclude_from_search` is about the profile's visibility, not about tracking.
   */
  readonly aboutTracking: boolean;
}

/** The switches pinaudit keeps, in the order they are shown. */
export const SWITCHES: readonly SwitchInfo[] = Object.freeze([
  {
    field: 'personalize_from_offsite_browsing',
    label: 'Use sites you visit to improve which recommendations and ads you see',
    short: 'Use sites you visit',
    advised: true,
    aboutTracking: true,
  },
  {
    field: 'ads_customize_from_conversion',
    label: 'Use information from our partners to improve which recommendations and ads you see',
    short: 'Use information from partners',
    advised: true,
    aboutTracking: true,
  },
  {
    field: 'third_party_marketing_tracking_enabled',
    label: 'Third-party marketing tracking',
    short: 'Third-party marketing tracking',
    advised: false,
    aboutTracking: true,
  },
  {
    field: 'exclude_from_search',
    label: 'Hide your profile from search engines',
    short: 'Hidden from search engines',
    advised: false,
    aboutTracking: false,
  },
] satisfies SwitchInfo[]);

/** The user field of the switch the CSV reports per request ("Use sites you visit"). */
export const OFFSITE_SWITCH = 'personalize_from_offsite_browsing';

export const SWITCH_FIELDS: ReadonlySet<string> = new Set(SWITCHES.map((s) => s.field));

/** How an endpoint speaks: Pinterest's web resources or the REST-style API. */
export type SettingsProtocol = 'resource' | 'api';

/** One endpoint that reads or changes the switches. */
export interface SettingsEndpoint {
  /** Stored with each reading, so a reading can be traced to the lead it came from. */
  readonly name: string;
  /** `www` (the web app, also on the country domains) or `api` (api.pinterest.com). */
  readonly host: 'www' | 'api';
  /** The path, matched exactly after an optional version prefix (`/v3`). */
  readonly path: string;
  /** What a request with a body does; a GET always only reads. */
  readonly how: 'read' | 'change';
  readonly protocol: SettingsProtocol;
}

/** The leads. Order does not matter. */
export const SETTINGS_ENDPOINTS: readonly SettingsEndpoint[] = Object.freeze([
  { name: 'UserSettingsResource/get', host: 'www', path: '/resource/UserSettingsResource/get/', how: 'read', protocol: 'resource' },
  { name: 'UserSettingsResource/update', host: 'www', path: '/resource/UserSettingsResource/update/', how: 'change', protocol: 'resource' },
  { name: 'users/me', host: 'api', path: '/users/me/', how: 'change', protocol: 'api' },
  { name: 'users/me', host: 'www', path: '/_ngapi/users/me/', how: 'change', protocol: 'api' },
] satisfies SettingsEndpoint[]);

/** An API path may carry a version before the resource (`/v3/users/me/`). */
const VERSION_PREFIX = /^\/v\d{1,2}(?=\/)/;

/**
 * The settings endpoint a request goes to, or `null`. `host` must be Pinterest's own web host
 * (`www.pinterest.com`, `pinterest.de`, `www.pinterest.de`, …) or `api.pinterest.com`.
 */
export function settingsEndpointOf(host: string, path: string): SettingsEndpoint | null {
  const lower = host.toLowerCase().replace(/\.$/, '');
  const site = siteOf(lower);
  if (site === null || !isPinterestSite(site) || !site.startsWith('pinterest.')) return null;
  const kind = lower === site || lower === `www.${site}` ? 'www' : lower === 'api.pinterest.com' ? 'api' : null;
  if (kind === null) return null;
  const bare = path.split('?')[0] ?? '';
  const unversioned = kind === 'api' ? bare.replace(VERSION_PREFIX, '') : bare;
  return SETTINGS_ENDPOINTS.find((e) => e.host === kind && (e.path === bare || e.path === unversioned)) ?? null;
}
