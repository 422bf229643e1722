/**
 * Cookie clearing, measured. When a tracking id sent by the same client changes (a new
 * `_pinterest_ct_ua`, `_pin_unauth` or `_derived_epik`: the person cleared cookies), was the new id
 * tied back to the old one, when, by what and by which site's request?
 *
 * Tied back means: something that identifies the person (the same hashed e-mail, the same login
 * credential's fingerprint, the same click id) reached Pinterest in one request together with the
 * old id and in another together with the new one. From then on Pinterest can join the two
 * histories. The moment is the later of the two requests; the site is that request's page site.
 * Only identifiers that reached Pinterest count for the link; every request counts for seeing the
 * change. Pure: the store supplies the sightings, oldest first.
 */

/** One request's identifiers, as the store reads them. */
export interface Sighting {
  time: number;
  client: string;
  /** Page site of the request, or null. */
  site: string | null;
  /** `reached`: this identifier reached Pinterest (the request was not blocked nor stripped of it). */
  ids: ReadonlyArray<{ name: string; kind: string; value: string; reached: boolean }>;
}

/** A tracking id family: the names one id goes by, and whether it lives per site. */
export interface IdFamily {
  /** The name shown (`_pinterest_ct_ua`). */
  name: string;
  /** Cookie and payload names of the same id (`_pin_unauth` and the tag's `pd.pin_unauth`). */
  names: readonly string[];
  /** First-party ids are per advertiser site: a different one on another site is no change. */
  perSite: boolean;
}

export const ID_FAMILIES: readonly IdFamily[] = Object.freeze([
  { name: '_pinterest_ct_ua', names: ['_pinterest_ct_ua'], perSite: false },
  { name: '_pin_unauth', names: ['_pin_unauth', 'pin_unauth'], perSite: true },
  { name: '_derived_epik', names: ['_derived_epik', 'derived_epik'], perSite: true },
]);

/** Every name that belongs to a family (for the store's query). */
export const TRACKED_NAMES: readonly string[] = ID_FAMILIES.flatMap((f) => f.names);
/** Identifier kinds that tie two ids to one person. */
export const LINKING_KINDS: readonly string[] = ['hashed-email', 'credential', 'click-id'];

/** What tied the new id back to the old one. */
export interface IdLink {
  at: number;
  /** Milliseconds from the change to the link. */
  afterMs: number;
  kind: string;
  name: string;
  value: string;
  /** Page site of the request that completed the link. */
  site: string | null;
}

/** One change of a tracking id. */
export interface IdChange {
  family: string;
  client: string;
  /** For per-site ids: the site whose id changed. */
  site: string | null;
  oldValue: string;
  newValue: string;
  /** When the new id was first sent. */
  at: number;
  /** `null`: not tied back (yet) by anything pinaudit saw. */
  link: IdLink | null;
}

const BY_NAME: ReadonlyMap<string, IdFamily> = new Map(ID_FAMILIES.flatMap((f) => f.names.map((n) => [n, f] as const)));
const LINKING: ReadonlySet<string> = new Set(LINKING_KINDS);

/** Finds every change and its link. `sightings` must be ordered by time. */
export function findIdChanges(sightings: Iterable<Sighting>): IdChange[] {
  const current = new Map<string, string>(); // scope → id value in use
  const seenInScope = new Set<string>(); // scope + value ever seen
  const changes: IdChange[] = [];
  // linker key → tracked value (family + value) → first time they reached Pinterest together
  const together = new Map<string, Map<string, number>>();
  const open = new Map<string, IdChange[]>(); // tracked value → unlinked changes naming it
  for (const s of sightings) {
    const tracked: string[] = [];
    const reachedTracked: string[] = [];
    for (const id of s.ids) {
      const family = BY_NAME.get(id.name);
      if (family === undefined || id.kind !== 'tracking-id') continue;
      const value = `${family.name}\0${id.value}`;
      tracked.push(value);
      if (id.reached) reachedTracked.push(value);
      const scope = `${family.name}\0${s.client}\0${family.perSite ? (s.site ?? '') : ''}`;
      const before = current.get(scope);
      const isNew = !seenInScope.has(`${scope}\0${id.value}`);
      seenInScope.add(`${scope}\0${id.value}`);
      current.set(scope, id.value);
      if (before === undefined || before === id.value || !isNew) continue;
      const change: IdChange = {
        family: family.name, client: s.client, site: family.perSite ? s.site : null,
        oldValue: before, newValue: id.value, at: s.time, link: null,
      };
      changes.push(change);
      for (const v of [`${family.name}\0${before}`, value]) open.set(v, [...(open.get(v) ?? []), change]);
    }
    if (reachedTracked.length === 0) continue;
    for (const id of s.ids) {
      if (!id.reached || !LINKING.has(id.kind)) continue;
      const key = `${id.kind}\0${id.name}\0${id.value}`;
      const withIt = together.get(key) ?? new Map<string, number>();
      together.set(key, withIt);
      for (const v of reachedTracked) if (!withIt.has(v)) withIt.set(v, s.time);
      for (const v of reachedTracked) linkOpen(open, v, withIt, id, s);
    }
  }
  return changes;
}

/** Links every open change naming `value` whose other id already travelled with this linker. */
function linkOpen(
  open: Map<string, IdChange[]>,
  value: string,
  withIt: ReadonlyMap<string, number>,
  id: { name: string; kind: string; value: string },
  s: Sighting,
): void {
  const waiting = open.get(value);
  if (waiting === undefined) return;
  for (const change of waiting) {
    if (change.link !== null) continue;
    const oldKey = `${change.family}\0${change.oldValue}`;
    const newKey = `${change.family}\0${change.newValue}`;
    // The new id must have reached Pinterest with the linker after the change, the old one ever.
    const newTime = withIt.get(newKey);
    if (!withIt.has(oldKey) || newTime === undefined || newTime < change.at) continue;
    change.link = { at: s.time, afterMs: s.time - change.at, kind: id.kind, name: id.name, value: id.value, site: s.site };
  }
  open.set(value, waiting.filter((c) => c.link === null));
}
