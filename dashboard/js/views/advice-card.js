/**
 * "Opt-out is not opt-out": the person's own Pinterest privacy switches, as their traffic with
 * Pinterest showed them, and what still reached Pinterest while a switch was off. The switches
 * govern how Pinterest uses what it receives, not whether websites send it; this card shows both
 * side by side. It covers all recorded time, whatever range is picked.
 */
import { getJson } from '../api.js';
import { h, fmtNumber, plural, fmtTime, siteLink, section, badge, link } from '../dom.js';

const STATE_TEXT = { on: 'On', off: 'Off', unknown: 'Not seen yet' };
const STATE_KIND = { on: 'warn', off: 'ok', unknown: '' };

function since(s) {
  if (s.state === 'unknown') return h('span', { class: 'muted' }, '–');
  const how = s.sinceHow === 'change' ? `turned ${s.state} by you` : `first seen ${s.state}`;
  return [fmtTime(s.since), h('div', { class: 'muted small' }, how)];
}

function whileOff(s) {
  if (s.reachedWhileOff === null) return h('span', { class: 'muted' }, 'not about tracking');
  if (s.offPeriods.length === 0) return h('span', { class: 'muted' }, s.state === 'unknown' ? 'not seen yet' : 'was not off');
  const r = s.reachedWhileOff;
  const sites = r.sites.slice(0, 4).flatMap((x, i) => (i ? [', ', siteLink(x.site)] : [siteLink(x.site)]));
  return h('div', { class: 'reached-while-off', dataset: { requests: String(r.requests), sites: String(r.siteCount) } },
    h('strong', {}, `${plural(r.requests, 'request')} from ${plural(r.siteCount, 'site')}`),
    ' reached Pinterest with your identifiers',
    r.sites.length ? h('div', { class: 'muted small' }, sites, r.siteCount > 4 ? ` and ${r.siteCount - 4} more` : '') : null);
}

function lede(switches) {
  const offsite = switches.find((s) => s.field === 'personalize_from_offsite_browsing');
  if (!offsite || offsite.state === 'unknown') {
    return 'pinaudit has not seen your Pinterest privacy settings yet. Open Pinterest’s Settings → Privacy & data once in this browser (through pinaudit) and they show here.';
  }
  if (offsite.offPeriods.length === 0) return '“Use sites you visit” was on whenever pinaudit saw it.';
  const r = offsite.reachedWhileOff;
  return `While “Use sites you visit” was off, ${plural(r.requests, 'request')} from ${plural(r.siteCount, 'site')} still reached Pinterest with your identifiers. The switch changes how Pinterest uses what it receives, not whether websites send it.`;
}

/** The card, as a section node; a failure shows in the card and leaves the rest of the page alone. */
export async function adviceCard() {
  let data;
  try {
    data = await getJson('/api/advice');
  } catch (err) {
    return h('div', { id: 'advice-card' }, section('Opt-out is not opt-out', h('p', { class: 'notice error' }, `Could not load your Pinterest privacy switches: ${err instanceof Error ? err.message : String(err)}`)));
  }
  const rows = data.switches.map((s) => h('tr', { dataset: { field: s.field, state: s.state } },
    h('td', {}, h('strong', {}, s.short), s.label !== s.short ? h('div', { class: 'muted small' }, s.label) : null),
    h('td', {}, badge(STATE_TEXT[s.state] ?? s.state, STATE_KIND[s.state] ?? '')),
    h('td', { class: 'nowrap' }, since(s)),
    h('td', {}, whileOff(s))));
  return h('div', { id: 'advice-card' }, section('Opt-out is not opt-out',
    h('p', { class: 'lede' }, lede(data.switches)),
    h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Switch', 'State', 'Since', 'While it was off (all recorded time)'].map((l) => h('th', { scope: 'col' }, l)))),
      h('tbody', {}, rows))),
    data.accounts > 1 ? h('p', { class: 'muted small' }, `Settings of ${data.accounts} Pinterest accounts (or logins) were seen; each switch shows the latest.`) : null,
    h('p', { class: 'more' }, link('/identifiers', 'Did clearing cookies help? See the identifier timeline →'))));
}
