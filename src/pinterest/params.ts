/**
 * The Pinterest Tag parameter vocabulary (reference/pinterest.md §3): which top-level parameters
 * carry JSON objects, which fields of those objects identify a person, which name the page, and
 * which are high-entropy client hints.
 */
import type { IdentifierKind } from '../types.js';

/** Top-level parameters whose value is a JSON object (or bracket-notation keys: `pd[em]=`). */
export const JSON_PARAMS: readonly string[] = ['ed', 'pd', 'ad'];

/** Parameters that name the page, in the order they are trusted, with the endpoints that send them. */
export const PAGE_PARAMS: readonly { readonly path: string; readonly where: string }[] = [
  { path: 'ad.loc', where: 'the tag payload' },
  { path: 'via', where: 'the Save-button log' },
  { path: 'url', where: 'the widget request' },
];

/** Identity fields of `pd` (partner data) and their kind; `em` is handled as the hashed e-mail. */
export const PD_IDENTIFIERS: ReadonlyMap<string, IdentifierKind> = new Map<string, IdentifierKind>([
  ['pin_unauth', 'tracking-id'],
  ['derived_epik', 'tracking-id'],
  ['external_id', 'tracking-id'],
  ['ph', 'tracking-id'],
  ['epik', 'click-id'],
]);

/** Personal fields of `pd` that are not identifiers on their own but are worth a reason. */
export const PD_PERSONAL_FIELDS: readonly string[] = ['fn', 'ln', 'ct', 'st', 'zp', 'country', 'ge', 'db'];

/** Top-level parameters that are identifiers wherever they appear (`?epik=` on a landing page). */
export const TOP_LEVEL_IDENTIFIERS: ReadonlyMap<string, IdentifierKind> = new Map<string, IdentifierKind>([
  ['epik', 'click-id'],
  ['_epik', 'click-id'],
  ['pin_unauth', 'tracking-id'],
]);

/** High-entropy User-Agent Client Hints as the tag copies them into `ad`. */
export const AD_CLIENT_HINTS: readonly string[] = [
  'architecture', 'bitness', 'model', 'platformVersion', 'uaFullVersion', 'fullVersionList', 'wow64',
];

/** High-entropy client hint request headers (lower case). */
export const CLIENT_HINT_HEADERS: readonly string[] = [
  'sec-ch-ua-arch', 'sec-ch-ua-bitness', 'sec-ch-ua-model', 'sec-ch-ua-platform-version',
  'sec-ch-ua-full-version', 'sec-ch-ua-full-version-list', 'sec-ch-ua-wow64',
];

/** Fields of `ed` (event data) that classification decodes into `TagFields`. */
export const ED_FIELDS = {
  value: 'value',
  currency: 'currency',
  orderId: 'order_id',
  lineItems: 'line_items',
  partner: 'np',
} as const;

/** Fields of one `ed.line_items[]` entry. */
export const LINE_ITEM_FIELDS = {
  id: 'product_id',
  name: 'product_name',
  price: 'product_price',
  quantity: 'product_quantity',
} as const;

/** Hex length of a hashed e-mail → algorithm. */
export const HASH_LENGTHS: ReadonlyMap<number, 'sha256' | 'sha1' | 'md5'> = new Map([
  [64, 'sha256'],
  [40, 'sha1'],
  [32, 'md5'],
] as const);
