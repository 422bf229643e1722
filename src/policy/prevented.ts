/**
 * What a decision prevented: the identifiers and the page that the site attempted to send and
 * that did not reach Pinterest because of the policy. A block prevents everything the request
 * carried; an allow prevents nothing; a strip prevents exactly what `stripRequest` removed,
 * matched here against the classifier's names (the classifier calls a `pd` field by its bare key,
 * `pin_unauth`, and the hashed e-mail `pd.em` / `ed.user_data.em`). The store copies the result
 * and never works it out again.
 */
import type { AttributionMethod, Finding, Identifier, Prevented } from '../types.js';
import { PAGE_PARAMS, PD_IDENTIFIERS } from '../pinterest/params.js';
import type { Removal } from './strip-fields.js';

/** Nothing prevented (an allow). */
export const NOTHING_PREVENTED: Prevented = Object.freeze({ identifiers: Object.freeze([]) as unknown as Prevented['identifiers'], page: false });

/** Whether the request carried a page to Pinterest (what a block or strip can prevent). */
function carriesPage(finding: Finding): boolean {
  return finding.leakLevel !== 'none' && finding.page.url !== null;
}

const refOf = (i: Identifier): Prevented['identifiers'][number] => ({ name: i.name, source: i.source });

/** A block: every identifier and the page, if the request carried one. */
export function preventedByBlock(finding: Finding | null): Prevented {
  if (finding === null) return NOTHING_PREVENTED;
  return { identifiers: finding.identifiers.map(refOf), page: carriesPage(finding) };
}

/** A strip: the identifiers and the page whose carriers `removed` lists. */
export function preventedByStrip(finding: Finding, removed: readonly Removal[]): Prevented {
  return {
    identifiers: finding.identifiers.filter((i) => removed.some((r) => covers(r, i))).map(refOf),
    page: carriesPage(finding) && removed.some((r) => carriesPageOf(r, finding.page.attributedBy)),
  };
}

/** Whether removal `r` took identifier `i` out of the request. */
function covers(r: Removal, i: Identifier): boolean {
  if (i.source === 'cookie') return r.part === 'header' && r.name === 'cookie';
  if (r.part !== i.source) return false;
  if (r.name === r.part) return true;
  const name = i.name.toLowerCase();
  if (r.name === name) return true;
  // A `pd` field: named `pd.<key>` by the strip, by its bare key (or `pd.em`) by the classifier.
  if (PD_IDENTIFIERS.has(name) && (r.name === `pd.${name}` || r.name === 'pd')) return true;
  // `pd.em`, `ed.user_data.em`: removed with the field, or with the whole JSON parameter.
  const dotted = name.split('.');
  for (let n = dotted.length - 1; n >= 1; n--) if (r.name === dotted.slice(0, n).join('.')) return true;
  return false;
}

/** Page parameters (`ad.loc`, `via`, `url`) and the JSON parameters that hold them (`ad`). */
const PAGE_CARRYING = new Set<string>([...PAGE_PARAMS.map((p) => p.path), ...PAGE_PARAMS.map((p) => p.path.split('.')[0] ?? '')]);

/** Whether removal `r` took away the carrier of a page learned by `method`. */
function carriesPageOf(r: Removal, method: AttributionMethod): boolean {
  switch (method) {
    case 'referer':
    case 'origin':
      return r.part === 'header' && r.name === method;
    case 'tag-payload':
      return r.part !== 'header' && (r.name === r.part || PAGE_CARRYING.has(r.name));
    default:
      return false;
  }
}
