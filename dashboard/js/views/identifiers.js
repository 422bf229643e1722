/** Identifiers: each cookie or id with the sites that sent it (how linkable the browsing is). */
import { getJson } from '../api.js';
import { h, fmtNumber, fmtTime, siteLink, mono, badge, emptyState, link } from '../dom.js';
import { idTimeline } from './id-timeline.js';

export const title = 'Identifiers';

const KIND_NOTE = {
  'tracking-id': 'Pinterest cookie or id that recognises this browser',
  'click-id': 'ties an ad click to later visits',
  'hashed-email': 'your e-mail address, hashed — the same everywhere',
  credential: 'login session (shown as a fingerprint only)',
};

export async function render(ctx) {
  const [data, timeline] = await Promise.all([getJson('/api/identifiers', ctx.range), idTimeline(ctx.range)]);
  const list = data.identifiers;
  const head = h('div', { class: 'page-head' }, h('h1', {}, 'Identifiers'),
    h('p', { class: 'lede' }, 'Each identifier lets Pinterest connect your visits. The more sites send the same one, the more of your browsing can be linked together. Login credentials are never stored: only a keyed fingerprint.'));
  if (list.length === 0) {
    return h('div', {}, head, emptyState('No identifiers yet', 'Identifiers appear once a site sends Pinterest a request with a cookie or id.', link('/setup', 'Check your setup →')), timeline);
  }
  const rows = list.map((i) => h('tr', {},
    h('td', {}, badge(i.kind, i.kind), h('div', { class: 'muted small' }, KIND_NOTE[i.kind] ?? '')),
    h('td', {}, mono(i.name)),
    h('td', { class: 'url' }, mono(i.value), i.kind === 'credential' ? h('div', { class: 'muted small' }, 'fingerprint') : null),
    h('td', { class: 'num strong' }, fmtNumber(i.siteCount)),
    h('td', { class: 'sites' }, i.sites.length ? i.sites.flatMap((s, n) => (n ? [', ', siteLink(s)] : [siteLink(s)])) : h('span', { class: 'muted' }, 'Pinterest itself'),
      i.siteCount > i.sites.length ? h('span', { class: 'muted' }, ` and ${i.siteCount - i.sites.length} more`) : null),
    h('td', { class: 'num' }, fmtNumber(i.requests)),
    h('td', { class: 'num' }, fmtNumber(i.reached)),
    h('td', {}, fmtTime(i.lastSeen))));
  return h('div', {}, head, timeline,
    h('div', { class: 'table-wrap' }, h('table', { id: 'identifiers-table' },
      h('thead', {}, h('tr', {}, ['Kind', 'Name', 'Value', 'Sites', 'Sent by', 'Attempted', 'Reached Pinterest', 'Last seen'].map((l, n) => h('th', { scope: 'col', class: [3, 5, 6].includes(n) ? 'num' : null }, l)))),
      h('tbody', {}, rows))));
}
