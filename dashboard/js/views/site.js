/** One site: the pages it leaked, identifiers, tags, purchases, attribution and decisions. */
import { getJson, send } from '../api.js';
import { h, fmtNumber, plural, fmtTime, section, table, mono, badge, link, emptyState } from '../dom.js';

export const title = 'Site';

const METHOD = {
  'tag-payload': 'Named in the tag’s payload', referer: 'Referer header', origin: 'Origin header', 'recent-navigation': 'Recent navigation (low confidence)', none: 'Unknown', null: 'Unclassified',
};
const DECISION = { allow: 'Allowed', strip: 'Stripped', block: 'Blocked', null: 'No decision' };

export async function render(ctx) {
  const site = ctx.params[0];
  if (!site) return emptyState('No site chosen', 'Pick a site from the list.', link('/sites', 'All sites →'));
  const d = await getJson(`/api/sites/${encodeURIComponent(site)}`, ctx.range);
  const toggle = h('button', { type: 'button', class: d.exception ? 'secondary' : 'primary', onclick: async () => {
    toggle.disabled = true;
    try {
      if (d.exception) await send('DELETE', `/api/exceptions/${encodeURIComponent(site)}`);
      else await send('POST', '/api/exceptions', { site });
      ctx.notify(d.exception ? `${site} is no longer an exception.` : `Pinterest is now allowed on ${site}.`);
      ctx.refresh();
    } catch (err) {
      ctx.notify(err.message, 'error');
      toggle.disabled = false;
    }
  } }, d.exception ? 'Remove exception' : 'Allow Pinterest on this site');
  // Over the fleet exceptions belong to each instance: no button, and the reason instead.
  const action = ctx.fleet ? h('p', { class: 'muted small', id: 'exception-read-only' }, 'Exceptions are set on each instance\'s own dashboard.') : toggle;

  // Over the fleet each page and identifier is one instance's: a column names it.
  const names = new Map((ctx.fleet?.instances ?? []).map((i) => [i.id, i.name]));
  const instanceColumn = ctx.fleet ? [{ label: 'Instance', cell: (x) => names.get(x.instanceId) ?? x.instanceId }] : [];
  const purchases = d.purchases.map((p) => h('li', { class: 'purchase' },
    h('div', {}, h('strong', {}, p.event ?? 'purchase'), ' · ', fmtTime(p.time), p.orderId ? [' · order ', mono(p.orderId)] : null,
      p.value !== null ? [' · ', h('strong', {}, `${p.value} ${p.currency ?? ''}`.trim())] : null),
    p.items.length ? table([
      { label: 'Item id', cell: (i) => mono(i.id) },
      { label: 'Name', cell: (i) => i.name ?? '–' },
      { label: 'Price', cell: (i) => (i.price === null ? '–' : String(i.price)), num: true },
      { label: 'Qty', cell: (i) => (i.quantity === null ? '–' : String(i.quantity)), num: true },
    ], p.items, { class: 'compact' }) : null));

  return h('div', { class: 'site-page' },
    h('p', { class: 'crumbs' }, link('/sites', '← Sites')),
    h('div', { class: 'page-head with-action' },
      h('div', {}, h('h1', { class: 'site-name' }, d.site),
        h('p', { class: 'lede', id: 'site-lede' }, `${plural(d.requests, 'request')} to Pinterest; ${fmtNumber(d.attemptedLeaks)} attempted to send the page or identifiers, `
          + `${fmtNumber(d.reachedLeaks)} reached Pinterest, ${fmtNumber(d.preventedLeaks)} were prevented.`,
          d.exception ? [' ', badge('exception: Pinterest allowed', 'ok')] : null)),
      h('div', { class: 'actions' }, action, link('/requests', 'See its requests →', { site: d.site }))),
    h('div', { class: 'grid-2' },
      section('Attribution', table([{ label: 'How the page was learned', cell: (r) => METHOD[r.method] ?? r.method }, { label: 'Requests', cell: (r) => fmtNumber(r.requests), num: true }], d.attribution)),
      section('Decisions', table([{ label: 'Decision', cell: (r) => DECISION[r.decision] ?? r.decision }, { label: 'Requests', cell: (r) => fmtNumber(r.requests), num: true }], d.decisions))),
    section('What the policy prevented', h('p', { id: 'site-prevented' },
      `${plural(d.preventedLeaks, 'leak')} prevented whole; ${plural(d.preventedIdentifiers, 'identifier transmission')} and ${plural(d.preventedPages, 'page')} withheld.`)),
    section(`Pages sent (${fmtNumber(d.pages.length + d.more.pages)})`, d.pages.length
      ? table([
        ...instanceColumn,
        { label: 'Page (full URL)', cell: (p) => mono(p.url), class: 'url' },
        { label: 'Attempted', cell: (p) => fmtNumber(p.requests), num: true },
        { label: 'Reached Pinterest', cell: (p) => fmtNumber(p.reached), num: true },
        { label: 'First seen', cell: (p) => fmtTime(p.firstSeen) },
        { label: 'Last seen', cell: (p) => fmtTime(p.lastSeen) },
      ], d.pages, { class: 'pages' })
      : h('p', { class: 'muted' }, 'No full page URL of this site was sent in this range.'),
      more(d.more.pages, 'page'),
      d.originOnly.attempted ? h('p', { class: 'note', id: 'site-origin-only' },
        `Origin only: ${plural(d.originOnly.attempted, 'request')} named only ${d.site}'s origin (no page); ${fmtNumber(d.originOnly.reached)} reached Pinterest.`) : null),
    section(`Identifiers sent (${fmtNumber(d.identifiers.length + d.more.identifiers)})`, d.identifiers.length
      ? table([
        ...instanceColumn,
        { label: 'Kind', cell: (i) => badge(i.kind, i.kind) },
        { label: 'Name', cell: (i) => mono(i.name) },
        { label: 'Value', cell: (i) => (i.kind === 'credential' ? [mono(i.value), ' ', h('span', { class: 'muted' }, '(fingerprint)')] : mono(i.value)), class: 'url' },
        { label: 'Attempted', cell: (i) => fmtNumber(i.requests), num: true },
        { label: 'Reached Pinterest', cell: (i) => fmtNumber(i.reached), num: true },
      ], d.identifiers, { class: 'identifiers' })
      : h('p', { class: 'muted' }, 'No identifiers.'),
      more(d.more.identifiers, 'identifier')),
    h('div', { class: 'grid-2' },
      section('Tag ids and events', d.tags.length
        ? table([{ label: 'Tag id', cell: (t) => mono(t.tagId) }, { label: 'Event', cell: (t) => t.event ?? 'page load' }, { label: 'Requests', cell: (t) => fmtNumber(t.requests), num: true }], d.tags)
        : h('p', { class: 'muted' }, 'No Pinterest tag seen.'), more(d.more.tags, 'tag id and event', 'tag ids and events')),
      section('Purchases reported', purchases.length ? h('ul', { class: 'purchases' }, purchases) : h('p', { class: 'muted' }, 'No purchase was reported to Pinterest.'),
        more(d.more.purchases, 'purchase'))),
  );
}

/** "N more" under a list the API limited. */
function more(n, one, many) {
  return n > 0 ? h('p', { class: 'more muted' }, `${plural(n, `more ${one}`, many && `more ${many}`)} not shown.`) : null;
}
