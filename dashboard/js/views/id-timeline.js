/**
 * Cookie clearing, measured: each time a tracking id sent by this browser changed, whether and how
 * fast something sent with both (the same hashed e-mail, login session or click id) tied the new
 * id back to the old one, and which site's request did it.
 */
import { getJson } from '../api.js';
import { h, fmtTime, mono, section } from '../dom.js';

const KIND_WORDS = { 'hashed-email': 'the hashed e-mail', credential: 'the login session', 'click-id': 'the click id' };

function entry(c) {
  const head = h('div', { class: 'event' }, h('strong', {}, `New ${c.family}`), ` at ${fmtTime(c.at)}`, c.site ? ` on ${c.site}` : '',
    h('div', { class: 'muted small' }, 'was ', mono(c.oldValue), ', now ', mono(c.newValue)));
  const tail = c.link === null
    ? h('div', { class: 'event unlinked' }, 'Not linked back to the old id by anything pinaudit saw.')
    : h('div', { class: 'event linked' }, h('strong', {}, `Linked back at ${fmtTime(c.link.at)}`), ` (${c.link.after}) by ${KIND_WORDS[c.link.kind] ?? c.link.name} that `,
      c.link.site ?? 'a request with no known page', ' sent', h('div', { class: 'muted small' }, mono(c.link.value)));
  return h('li', { dataset: { linked: c.link === null ? 'no' : 'yes', site: c.link?.site ?? '' } }, head, tail);
}

/** The timeline for a range, as a section node. */
export async function idTimeline(range) {
  let data;
  try {
    data = await getJson('/api/identifiers/changes', range);
  } catch (err) {
    return h('div', { id: 'id-timeline' }, section('Did clearing cookies help?', h('p', { class: 'notice error' }, `Could not load the timeline: ${err instanceof Error ? err.message : String(err)}`)));
  }
  const body = data.changes.length === 0
    ? h('p', { class: 'muted' }, 'No tracking id changed in this range. When you clear cookies, the next Pinterest request gets a new id; it shows here with what tied it back to the old one.')
    : h('ol', { class: 'timeline' }, data.changes.map(entry));
  return h('div', { id: 'id-timeline' }, section('Did clearing cookies help?', body));
}
