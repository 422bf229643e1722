/**
 * The project's own vocabulary (see DESIGN.md "Vocabulary"). Every module speaks these types;
 * no third-party type crosses a module boundary.
 */

/** What an intercepted Pinterest request is for. */
export const CATEGORIES = Object.freeze(['tag', 'tag-script', 'telemetry', 'widget', 'content', 'first-party'] as const);
export type Category = (typeof CATEGORIES)[number];

/** Category filter values (API, CLI): a category, or `none` for requests with no category. */
export const CATEGORY_FILTERS = Object.freeze([...CATEGORIES, 'none'] as const);

/** How the page that caused a request was learned, strongest first. */
export const ATTRIBUTION_METHODS = Object.freeze(['tag-payload', 'referer', 'origin', 'recent-navigation', 'none'] as const);
export type AttributionMethod = (typeof ATTRIBUTION_METHODS)[number];

export const CONFIDENCES = Object.freeze(['high', 'medium', 'low', 'none'] as const);
export type Confidence = (typeof CONFIDENCES)[number];

/** How much of the page leaked: a path or query beyond `/`, only scheme+host, or nothing. */
export const LEAK_LEVELS = Object.freeze(['full-url', 'origin', 'none'] as const);
export type LeakLevel = (typeof LEAK_LEVELS)[number];

export type IdentifierKind = 'tracking-id' | 'click-id' | 'hashed-email' | 'credential';

/** Where in the request an identifier travelled. */
export type IdentifierSource = 'cookie' | 'query' | 'body';

/** Where an observation came from. */
export const OBSERVATION_SOURCES = Object.freeze(['proxy', 'har'] as const);
export type ObservationSource = (typeof OBSERVATION_SOURCES)[number];

/**
 * One request to a Pinterest host, as seen by the proxy (or read from a HAR file). Built once,
 * never mutated by the stages.
 */
export interface Observation {
  /** Flow id, unique within the process (and stable per HAR entry for imports). */
  readonly id: string;
  /** Milliseconds since the epoch when the request head arrived. */
  readonly time: number;
  /** Client address (`127.0.0.1`), or the HAR label for imports. */
  readonly client: string;
  /** Host of the CONNECT that carried the request; `null` for plain HTTP. */
  readonly connectHost: string | null;
  /** Host from the Host header (lower case, without port). */
  readonly host: string;
  readonly method: string;
  /** Absolute URL (`https://ct.pinterest.com/v3/?tid=…`). */
  readonly url: string;
  /** Header names in lower case; repeated headers joined (`, `; Cookie with `; `). */
  readonly headers: Readonly<Record<string, string>>;
  /** Request body, at most `BODY_LIMIT` bytes; `null` when there was none or it was not read. */
  readonly body: Buffer | null;
  /** True when the body was longer than what was kept. */
  readonly bodyTruncated: boolean;
  readonly source: ObservationSource;
  /** The proxy user name that labelled the client's traffic (a crawler's browser context); absent otherwise. */
  readonly proxyUser?: string | null;
}

/** Largest request body kept for classification. */
export const BODY_LIMIT = 64 * 1024;

export interface Identifier {
  /** Cookie or parameter name (`_pinterest_ct_ua`, `pd.em`, `epik`). */
  name: string;
  kind: IdentifierKind;
  source: IdentifierSource;
  /** The value as seen, for everything that is not a credential. */
  value?: string;
  /** Keyed fingerprint (hex HMAC-SHA-256), for credentials; the value itself is never kept. */
  fingerprint?: string;
}

export interface LineItem {
  id: string | null;
  name: string | null;
  price: number | null;
  quantity: number | null;
}

export type HashAlgo = 'sha256' | 'sha1' | 'md5' | 'clear-text?';

export interface TagFields {
  /** 13-digit tag id (the advertiser). */
  id: string | null;
  /** Event name, lower-cased (`pagevisit`, `checkout`); `null` for a base page load. */
  event: string | null;
  hashedEmail: { value: string; algo: HashAlgo } | null;
  value: number | null;
  currency: string | null;
  orderId: string | null;
  lineItems: LineItem[];
  /** Partner integration (`pd.np`/`ed.np`): `gtm`, `woocommerce`, … */
  partner: string | null;
}

export interface PageAttribution {
  /** Registrable domain of the page (`kohls.com`), or `null`. */
  site: string | null;
  url: string | null;
  attributedBy: AttributionMethod;
  confidence: Confidence;
}

/** What classification concluded about one Observation. Pure data, JSON-serialisable. */
export interface Finding {
  pinterest: boolean;
  host: string;
  category: Category | null;
  thirdParty: boolean;
  page: PageAttribution;
  leakLevel: LeakLevel;
  tag: TagFields | null;
  identifiers: Identifier[];
  /** Whether Pinterest's login cookie (`_pinterest_sess`) went along. */
  loggedIn: boolean;
  signals: { gpc: boolean; dnt: boolean; clientHints: boolean };
  /** Payload parts that failed to parse (`ad`, `body`, …); nothing throws. */
  malformed: string[];
  /** Short human sentences, one per conclusion. */
  reasons: string[];
}

export const ACTIONS = Object.freeze(['allow', 'strip', 'block'] as const);
export type Action = (typeof ACTIONS)[number];

/** Decision filter values (API, CLI): an action, or `none` for requests with no decision. */
export const DECISION_FILTERS = Object.freeze([...ACTIONS, 'none'] as const);

/** What pinaudit does to third-party Pinterest requests (issue "Blocking and stripping"). */
export type BlockMode = 'off' | 'strip' | 'trackers' | 'all';
export const BLOCK_MODES: readonly BlockMode[] = Object.freeze(['off', 'strip', 'trackers', 'all'] as const);

/**
 * What the policy kept from reaching Pinterest, out of what the site attempted to send: the
 * identifiers (by the classifier's name and where they travelled) and whether the page.
 */
export interface Prevented {
  identifiers: Array<{ name: string; source: IdentifierSource }>;
  /** True when the request carried a page and the policy withheld it. */
  page: boolean;
}

export interface Decision {
  action: Action;
  reason: string;
  /** What a strip withheld (`cookie`, `referer`, `pd.em`, `ad.loc`, …), as shown to people. */
  stripped: string[];
  /** What this decision prevented: everything for a block, nothing for an allow. */
  prevented: Prevented;
}

/** Kinds of upstream failure, shown on the 502 page and stored with the request. */
export type ErrorKind =
  | 'refused'
  | 'timeout'
  | 'tls'
  | 'reset'
  | 'protocol'
  | 'dns'
  | 'client-aborted'
  | 'bad-request'
  | 'internal';

/** The kinds of a flow's terminal event. */
export const OUTCOME_KINDS = Object.freeze(['response', 'blocked', 'error'] as const satisfies ReadonlyArray<Outcome['kind']>);

/** The single terminal event of a flow. */
export type Outcome =
  | { kind: 'response'; status: number; bytes: number }
  | { kind: 'blocked'; status: number }
  | { kind: 'error'; error: ErrorKind; message: string };

/** Per-client context classification may use (recent-navigation attribution). */
export interface RecentPage {
  site: string;
  /** Full URL when it was seen (plain HTTP); `null` when only the tunnel host is known. */
  url: string | null;
  time: number;
}
