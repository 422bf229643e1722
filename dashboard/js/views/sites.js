/** Sites: every site that sent Pinterest third-party requests, sortable and searchable. */
import { getJson } from '../api.js';
import { h, fmtNumber, plural, fmtTime, siteLink, emptyState, link, badge, section } from '../dom.js';
import { PAC_GIVES_UP } from './setup.js';

export const title = 'Sites';

const SORTS = [
  ['leaks', 'Most leaks reached'],
  ['requests', 'Most requests'],
  ['lastSeen', 'Most recent'],
  ['site', 'Name'],
];

export async function render(ctx) {
  const sort = SORTS.some(([k]) => k === ctx.query.get('sort')) ? ctx.query.get('sort') : 'leaks';
  const search = ctx.query.get('search') ?? '';
  const [data, visited] = await Promise.all([getJson('/api/sites', { ...ctx.range, sort, search }), getJson('/api/sites-visited', { ...ctx.range, limit: 500 })]);
  const searchBox = h('input', { type: 'search', id: 'site-search', name: 'search', value: search, placeholder: 'shop.example', autocomplete: 'off' });
  const sortSelect = h('select', { id: 'site-sort', name: 'sort' }, SORTS.map(([k, label]) => h('option', { value: k, selected: k === sort }, label)));
  const form = h('form', { class: 'filters', role: 'search', onsubmit: (e) => {
    e.preventDefault();
    ctx.go('/sites', { sort: sortSelect.value, search: searchBox.value.trim() });
  } },
    h('label', { for: 'site-search' }, 'Search sites'), searchBox,
    h('label', { for: 'site-sort' }, 'Sort by'), sortSelect,
    h('button', { type: 'submit' }, 'Apply'));
  sortSelect.addEventListener('change', () => form.requestSubmit());

  const body = h('div');
  if (data.sites.length === 0) {
    body.append(search
      ? emptyState('No site matches', `No site containing “${search}” sent Pinterest requests in this range.`)
      : emptyState('No sites yet', 'When a website you visit sends Pinterest a request, it shows up here.', link('/setup', 'Check your setup →')));
  } else {
    body.append(sitesTable(data.sites, sort, ctx));
  }
  return h('div', {},
    h('div', { class: 'page-head' }, h('h1', {}, 'Sites'), h('p', { class: 'lede' }, 'Websites that made your browser send requests to Pinterest. “Attempted” is what the site tried to send; “Reached Pinterest” is what got through after blocking. Open one to see which pages and identifiers it passed on.')),
    form, body, visitedSection(visited));
}

function sortHeader(label, key, current, ctx, num) {
  const active = key === current;
  return h('th', { scope: 'col', class: num ? 'num' : null, 'aria-sort': active ? (key === 'site' ? 'ascending' : 'descending') : null },
    h('button', { type: 'button', class: 'sort', onclick: () => ctx.go('/sites', { sort: key, search: ctx.query.get('search') ?? '' }) }, label, active ? (key === 'site' ? ' ▲' : ' ▼') : ''));
}

function sitesTable(sites, sort, ctx) {
  const head = h('tr', {},
    sortHeader('Site', 'site', sort, ctx),
    sortHeader('Leaks reached Pinterest', 'leaks', sort, ctx, true),
    h('th', { scope: 'col', class: 'num' }, 'Leaks attempted'),
    h('th', { scope: 'col', class: 'num' }, 'Prevented'),
    h('th', { scope: 'col', class: 'num' }, 'Full URL reached / attempted'),
    sortHeader('Requests', 'requests', sort, ctx, true),
    h('th', { scope: 'col', class: 'num' }, 'Blocked'),
    h('th', { scope: 'col', class: 'num' }, 'Stripped'),
    sortHeader('Last seen', 'lastSeen', sort, ctx));
  const rows = sites.map((s) => h('tr', {},
    h('td', {}, siteLink(s.site), s.exception ? [' ', badge('exception', 'ok')] : null),
    h('td', { class: 'num strong' }, fmtNumber(s.reachedLeaks)),
    h('td', { class: 'num' }, fmtNumber(s.attemptedLeaks)),
    h('td', { class: 'num' }, fmtNumber(s.attemptedLeaks - s.reachedLeaks)),
    h('td', { class: 'num' }, `${fmtNumber(s.reachedFullUrl)} / ${fmtNumber(s.attemptedFullUrl)}`),
    h('td', { class: 'num' }, fmtNumber(s.requests)),
    h('td', { class: 'num' }, fmtNumber(s.blocked)),
    h('td', { class: 'num' }, fmtNumber(s.stripped)),
    h('td', {}, fmtTime(s.lastSeen))));
  return h('div', { class: 'table-wrap' }, h('table', { id: 'sites-table' }, h('caption', { class: 'sr-only' }, plural(sites.length, 'site')), h('thead', {}, head), h('tbody', {}, rows)));
}

/**
 * The sites you visited (pages opened through pinaudit, browser background hosts and subresource
 * hosts left out), so "N of the M sites you visited" can be checked.
 */
function visitedSection(v) {
  const note = h('p', { class: 'note' }, `Counted from the connections your browser made through pinaudit (through the PAC file this list stays empty). ${PAC_GIVES_UP}`);
  if (!v.sites.length) return section('Visited sites', h('p', { class: 'muted' }, 'No visited site was counted in this range.'), note);
  return section(`Visited sites (${fmtNumber(v.visited)})`,
    h('p', {}, `${fmtNumber(v.visitedAndReached)} of the ${plural(v.visited, 'site')} you visited leaked to Pinterest; ${fmtNumber(v.visitedAndAttempted)} attempted.`),
    h('div', { class: 'table-wrap' }, h('table', { id: 'visited-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Site'), h('th', { scope: 'col', class: 'num' }, 'Connections'),
        h('th', { scope: 'col', class: 'num' }, 'Leaks reached Pinterest'), h('th', { scope: 'col', class: 'num' }, 'Leaks attempted'))),
      h('tbody', {}, v.sites.filter((s) => s.visits > 0).map((s) => h('tr', {},
        h('td', {}, s.attemptedLeaks > 0 ? siteLink(s.site) : s.site),
        h('td', { class: 'num' }, fmtNumber(s.visits)),
        h('td', { class: 'num' }, fmtNumber(s.reachedLeaks)),
        h('td', { class: 'num' }, fmtNumber(s.attemptedLeaks))))))),
    note);
}
