/** Requests & export: the raw request list with filters, and the CSV export of the same filter. */
import { getJson, getSession } from '../api.js';
import { h, fmtNumber, fmtTimeSeconds, mono, badge, link, siteLink, emptyState } from '../dom.js';

export const title = 'Requests & export';

const PAGE = 50;

export async function render(ctx) {
  const q = ctx.query;
  const filter = { site: q.get('site') ?? '', category: q.get('category') ?? '', decision: q.get('decision') ?? '', search: q.get('search') ?? '', crawl: q.get('crawl') ?? '' };
  const offset = Math.max(0, Number(q.get('offset') ?? 0) || 0);
  // A crawl's requests span the time it ran: the crawl filter replaces the time range.
  const range = filter.crawl ? {} : ctx.range;
  const data = await getJson('/api/requests', { ...range, ...filter, limit: PAGE, offset });
  // The filter values are the server's (src/types.ts), so a new category appears here by itself.
  const { filters } = await getSession();

  const field = (id, label, input) => h('div', { class: 'field' }, h('label', { for: id }, label), input);
  const site = h('input', { id: 'f-site', name: 'site', value: filter.site, placeholder: 'any site', autocomplete: 'off' });
  const search = h('input', { id: 'f-search', name: 'search', type: 'search', value: filter.search, placeholder: 'host, path, page, tag…', autocomplete: 'off' });
  const select = (id, values, current, labels = {}) => h('select', { id, name: id.slice(2) }, values.map((v) => h('option', { value: v, selected: v === current }, labels[v] ?? (v || 'any'))));
  const category = select('f-category', ['', ...filters.category], filter.category, { none: 'unclassified' });
  const decision = select('f-decision', ['', ...filters.decision], filter.decision, { none: 'no decision' });
  const form = h('form', { class: 'filters wrap', onsubmit: (e) => {
    e.preventDefault();
    ctx.go('/requests', { site: site.value.trim(), category: category.value, decision: decision.value, search: search.value.trim(), crawl: filter.crawl });
  } }, field('f-site', 'Site', site), field('f-category', 'Category', category), field('f-decision', 'Decision', decision), field('f-search', 'Search', search),
  h('button', { type: 'submit' }, 'Filter'));

  const exportParams = () => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...range, ...filter })) if (v !== undefined && v !== '') p.set(k, String(v));
    if (redact.checked) p.set('redact', '1');
    return `/export.csv?${p}`;
  };
  const redact = h('input', { type: 'checkbox', id: 'redact', onchange: () => exportLink.setAttribute('href', exportParams()) });
  const exportLink = h('a', { class: 'button primary', id: 'export-link', download: '' }, 'Download CSV');
  exportLink.setAttribute('href', exportParams());
  const exportPanel = h('section', { class: 'panel export' }, h('h2', {}, 'Export'),
    h('p', {}, `A CSV of every request matching these filters (${data.totalCapped ? `more than ${fmtNumber(data.total)}` : fmtNumber(data.total)} rows), streamed straight from the database. Columns are documented in the README.`),
    h('p', { class: 'row' }, exportLink, h('span', { class: 'check' }, redact, h('label', { for: 'redact' }, 'Redact identifiers (for sharing)'))));

  const rows = data.rows.flatMap((r) => requestRows(r));
  const table = data.rows.length
    ? h('div', { class: 'table-wrap' }, h('table', { id: 'requests-table' },
      h('thead', {}, h('tr', {}, ['Time', 'Page', 'Request', 'Category', 'Ids', 'Decision', 'Status', ''].map((l) => h('th', { scope: 'col', class: l === 'Ids' ? 'num' : null }, l)))),
      h('tbody', {}, rows)))
    : emptyState('No requests match', 'Change the filters or the time range.');
  const pageLink = (o, label) => h('button', { type: 'button', class: 'secondary', onclick: () => ctx.go('/requests', { ...filter, offset: String(o) }) }, label);
  const pager = h('p', { class: 'pager' },
    offset > 0 ? pageLink(Math.max(0, offset - PAGE), '← Newer') : null,
    h('span', { class: 'muted' }, data.rows.length ? `${fmtNumber(offset + 1)}–${fmtNumber(offset + data.rows.length)} of ${data.totalCapped ? `${fmtNumber(data.total)}+` : fmtNumber(data.total)}` : ''),
    offset + data.rows.length < data.total ? pageLink(offset + PAGE, 'Older →') : null);
  return h('div', {},
    h('div', { class: 'page-head' }, h('h1', {}, 'Requests & export'), h('p', { class: 'lede' }, 'Every Pinterest request pinaudit recorded, newest first.')),
    form, crawlChip(filter, ctx), exportPanel, table, pager);
}

/** The crawl filter as a chip that removes itself (the Crawls view links here with it). */
function crawlChip(filter, ctx) {
  if (!filter.crawl) return null;
  const remove = h('button', { type: 'button', class: 'link', 'aria-label': `Remove the filter crawl #${filter.crawl}`, onclick: () => ctx.go('/requests', { ...filter, crawl: '' }) }, '×');
  return h('p', { class: 'chips', id: 'crawl-chip' },
    h('span', { class: 'chip' }, 'Crawl ', link(`/crawls/${filter.crawl}`, `#${filter.crawl}`), remove),
    h('span', { class: 'muted small' }, ' only the requests this crawl’s visits caused, whatever the time range'));
}

const METHOD = {
  'tag-payload': 'named in the tag’s payload', referer: 'the Referer header', origin: 'the Origin header',
  'recent-navigation': 'the tab’s recent navigation (low confidence)', none: 'no evidence',
};

/** One request: its row, and a detail row opened by its button (reasons, identifiers, decision, page). */
function requestRows(r) {
  const detail = h('tr', { class: 'detail', hidden: true }, h('td', { colspan: '8' }, requestDetail(r)));
  const toggle = h('button', { type: 'button', class: 'secondary small', 'aria-expanded': 'false', onclick: () => {
    detail.hidden = !detail.hidden;
    toggle.setAttribute('aria-expanded', String(!detail.hidden));
    toggle.textContent = detail.hidden ? 'Details' : 'Hide';
  } }, 'Details');
  const row = h('tr', {},
    h('td', {}, fmtTimeSeconds(r.time)),
    h('td', {}, r.pageSite ? siteLink(r.pageSite) : h('span', { class: 'muted' }, '–'), r.pageUrl ? h('div', { class: 'small' }, mono(r.pageUrl)) : null),
    h('td', {}, mono(r.host), h('div', { class: 'small' }, mono(r.path))),
    h('td', {}, r.category ? badge(r.category, `cat-${r.category}`) : badge('unclassified', 'muted'), r.leakLevel && r.leakLevel !== 'none' && r.thirdParty ? [' ', badge(r.leakLevel, 'leak')] : null),
    h('td', { class: 'num' }, String(r.identifiers.length)),
    h('td', {}, r.decision ? badge(r.decision, r.decision) : '–', r.attemptedLeak ? [' ', r.reachedPinterest ? badge('reached Pinterest', 'reached') : badge('prevented', 'prevented')] : null,
      r.decisionReason ? h('div', { class: 'small muted' }, r.decisionReason) : null),
    h('td', {}, r.outcome === 'error' ? badge(r.errorKind ?? 'error', 'warn') : String(r.status ?? '…')),
    h('td', {}, toggle));
  return [row, detail];
}

function requestDetail(r) {
  const item = (label, ...value) => [h('dt', {}, label), h('dd', {}, ...value)];
  const prevented = [];
  if (r.decision === 'block') prevented.push('everything: the request was answered locally and never reached Pinterest');
  else {
    if (r.pagePrevented) prevented.push('the page');
    const ids = r.identifiers.filter((i) => i.prevented).map((i) => i.name);
    if (ids.length) prevented.push(`identifiers ${ids.join(', ')}`);
  }
  const leak = !r.attemptedLeak ? 'No leak attempted: no page and no identifier, or the user’s own use of Pinterest.'
    : r.reachedPinterest ? 'Leak attempted; it reached Pinterest.' : 'Leak attempted; the policy prevented all of it.';
  return h('dl', { class: 'detail-grid' },
    item('Page', r.pageUrl ? mono(r.pageUrl) : h('span', { class: 'muted' }, 'unknown'),
      h('div', { class: 'small muted' }, `learned from ${METHOD[r.attributedBy] ?? 'nothing'}${r.confidence ? ` (confidence ${r.confidence})` : ''}; `
        + `leak level ${r.leakLevel ?? 'none'}${r.leakLevel === 'origin' ? ' (origin only, not a page)' : ''}`)),
    item('Identifiers', r.identifiers.length
      ? h('ul', { class: 'plain' }, r.identifiers.map((i) => h('li', {}, badge(i.kind, i.kind), ' ', mono(i.name), ' = ', mono(i.value),
        i.kind === 'credential' ? h('span', { class: 'muted' }, ' (fingerprint)') : null, ' ', i.prevented ? badge('prevented', 'prevented') : badge('reached Pinterest', 'reached'))))
      : h('span', { class: 'muted' }, 'none')),
    item('Decision', r.decision ? badge(r.decision, r.decision) : '–', ' ', r.decisionReason ?? '', r.blockMode ? h('span', { class: 'muted' }, ` (mode ${r.blockMode})`) : null),
    item('Prevented', prevented.length ? prevented.join('; ') : 'nothing', r.stripped.length ? h('div', { class: 'small muted' }, `withheld: ${r.stripped.join(', ')}`) : null),
    item('Verdict', leak),
    item('Reasons', r.reasons.length ? h('ul', { class: 'plain' }, r.reasons.map((t) => h('li', {}, t))) : '–'),
    r.malformed.length ? item('Malformed', r.malformed.join(', ')) : null,
    r.errorKind ? item('Error', `${r.errorKind}: ${r.errorMessage ?? ''}`) : null);
}
