/** Sites: every site that sent Pinterest third-party requests, sortable and searchable. */
import { getJson } from '../api.js';
import { h, fmtNumber, fmtTime, siteLink, emptyState, link, badge } from '../dom.js';

export const title = 'Sites';

const SORTS = [
  ['leaks', 'Most leaks'],
  ['requests', 'Most requests'],
  ['lastSeen', 'Most recent'],
  ['site', 'Name'],
];

export async function render(ctx) {
  const sort = SORTS.some(([k]) => k === ctx.query.get('sort')) ? ctx.query.get('sort') : 'leaks';
  const search = ctx.query.get('search') ?? '';
  const data = await getJson('/api/sites', { ...ctx.range, sort, search });
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
    h('div', { class: 'page-head' }, h('h1', {}, 'Sites'), h('p', { class: 'lede' }, 'Websites that made your browser send requests to Pinterest. Open one to see which pages and identifiers it passed on.')),
    form, body);
}

function sortHeader(label, key, current, ctx, num) {
  const active = key === current;
  return h('th', { scope: 'col', class: num ? 'num' : null, 'aria-sort': active ? (key === 'site' ? 'ascending' : 'descending') : null },
    h('button', { type: 'button', class: 'sort', onclick: () => ctx.go('/sites', { sort: key, search: ctx.query.get('search') ?? '' }) }, label, active ? (key === 'site' ? ' ▲' : ' ▼') : ''));
}

function sitesTable(sites, sort, ctx) {
  const head = h('tr', {},
    sortHeader('Site', 'site', sort, ctx),
    sortHeader('Leaks', 'leaks', sort, ctx, true),
    h('th', { scope: 'col', class: 'num' }, 'Full URL'),
    sortHeader('Requests', 'requests', sort, ctx, true),
    h('th', { scope: 'col', class: 'num' }, 'Blocked'),
    h('th', { scope: 'col', class: 'num' }, 'Stripped'),
    sortHeader('Last seen', 'lastSeen', sort, ctx));
  const rows = sites.map((s) => h('tr', {},
    h('td', {}, siteLink(s.site), s.exception ? [' ', badge('exception', 'ok')] : null),
    h('td', { class: 'num strong' }, fmtNumber(s.leaks)),
    h('td', { class: 'num' }, fmtNumber(s.fullUrl)),
    h('td', { class: 'num' }, fmtNumber(s.requests)),
    h('td', { class: 'num' }, fmtNumber(s.blocked)),
    h('td', { class: 'num' }, fmtNumber(s.stripped)),
    h('td', {}, fmtTime(s.lastSeen))));
  return h('div', { class: 'table-wrap' }, h('table', { id: 'sites-table' }, h('caption', { class: 'sr-only' }, `${sites.length} sites`), h('thead', {}, head), h('tbody', {}, rows)));
}
