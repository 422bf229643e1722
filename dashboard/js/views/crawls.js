/**
 * Crawls (pinaudit crawl): the list of crawls, and one crawl per site — tag, events, full URL,
 * hashed e-mail, identifiers, whether the tag fired before any consent, the blocking verdict with
 * both screenshots, errors — plus how often pinaudit's attribution matched the crawler's page.
 * Every text below was written by a website or a site list and is rendered as text only.
 */
import { getJson } from '../api.js';
import { h, fmtNumber, plural, fmtTime, siteLink, emptyState, link, badge, section, table, mono } from '../dom.js';

export const title = 'Crawls';

export async function render(ctx) {
  return ctx.params[0] === undefined ? list() : crawl(ctx.params[0], ctx);
}

async function list() {
  const { crawls } = await getJson('/api/crawls');
  const head = h('div', { class: 'page-head' }, h('h1', {}, 'Crawls'),
    h('p', { class: 'lede' }, 'Lists of websites audited automatically with “pinaudit crawl”: what each sent to Pinterest before any consent, and whether blocking breaks it.'));
  if (crawls.length === 0) {
    return h('div', {}, head, emptyState('No crawls yet', 'Run “pinaudit crawl sites.txt” with a list of websites, one a line; its results appear here.'));
  }
  return h('div', {}, head, table([
    { label: 'Crawl', cell: (c) => link(`/crawls/${c.id}`, c.label ? `#${c.id} ${c.label}` : `#${c.id}`) },
    { label: 'Started', cell: (c) => fmtTime(c.createdAt) },
    { label: 'State', cell: (c) => (c.finishedAt ? badge('finished', 'ok') : badge('unfinished', 'warn')) },
    { label: 'Sites', num: true, cell: (c) => fmtNumber(c.sites) },
    { label: 'Failed', num: true, cell: (c) => fmtNumber(c.failed) },
    { label: 'Leaking sites', num: true, cell: (c) => fmtNumber(c.leaking) },
    { label: 'Broken when blocked', num: true, cell: (c) => fmtNumber(c.broken) },
    { label: 'Modes', cell: (c) => c.options.modes.join(', ') },
  ], crawls, { class: 'crawls-table' }));
}

const pct = (p) => (p === null ? 'n/a' : `${p.toFixed(1)}%`);
const yes = (b) => (b ? badge('yes', 'leak') : '–');

function verdictBadge(s) {
  if (s.state === 'failed') return badge(`failed: ${s.errorKind ?? 'error'}`, 'warn');
  if (!s.verdict) return '–';
  const kind = { works: 'ok', changed: 'warn', broken: 'block' }[s.verdict];
  const figure = s.verdict === 'changed' && s.pixelDiff !== null ? ` ${(s.pixelDiff * 100).toFixed(1)}%` : '';
  return badge(`${s.verdict}${figure}`, kind);
}

async function crawl(idText, ctx) {
  const r = await getJson(`/api/crawls/${encodeURIComponent(idText)}`);
  const c = r.crawl;
  const s = r.summary;
  const cards = h('div', { class: 'cards' },
    card(`${fmtNumber(s.leaking)} of ${fmtNumber(s.crawled)}`, 'sites told Pinterest about visitors', 'attempted, nothing clicked', 'leak'),
    card(fmtNumber(s.tagBeforeInteraction), 'fired the tag before consent', 'no banner was answered', 'leak'),
    card(fmtNumber(s.fullUrlLeaked), 'leaked full page URLs', 'sites', 'leak'),
    card(fmtNumber(s.hashedEmail), 'sent a hashed e-mail', 'sites', 'warn'),
    card(`${fmtNumber(s.verdicts.broken)} / ${fmtNumber(s.verdicts.changed)}`, 'broken / changed when blocked', `${fmtNumber(s.verdicts.works)} work`, 'good'),
    card(pct(r.attribution.site.percent), 'attribution agreement (site)', `of ${plural(r.attribution.site.compared, 'request')}`, ''));
  const sites = table([
    { label: 'Site', cell: (x) => h('span', {}, siteLink(x.site), x.redirected ? [' → ', x.finalSite] : null) },
    { label: 'Requests', num: true, cell: (x) => fmtNumber(x.requests) },
    { label: 'Tag', cell: (x) => (x.tagIds.length ? x.tagIds.map((t) => mono(t)) : yes(x.tagPresent)) },
    { label: 'Events', cell: (x) => x.events.join(', ') || '–' },
    { label: 'Full URL', cell: (x) => yes(x.fullUrlLeaked) },
    { label: 'Hashed e-mail', cell: (x) => yes(x.hashedEmail) },
    { label: 'Identifiers', cell: (x) => x.identifiers.join(', ') || '–' },
    { label: 'Before consent', cell: (x) => yes(x.beforeInteraction) },
    { label: 'Blocking', cell: (x) => verdictBadge(x) },
    { label: 'Evidence', cell: (x) => evidence(x, c.id) },
  ], r.sites, { class: 'crawl-sites' });
  const a = r.attribution;
  const disagreements = a.disagreements.length === 0
    ? h('p', {}, 'Every compared request agrees.')
    : table([
      { label: 'Measure', cell: (d) => d.measure },
      { label: 'Request', cell: (d) => mono(`${d.host}${d.path}`) },
      { label: 'By', cell: (d) => d.attributedBy ?? '–' },
      { label: 'pinaudit said', cell: (d) => mono(d.pinaudit ?? '(none)') },
      { label: 'Crawler’s page', cell: (d) => mono(d.crawl) },
    ], a.disagreements, { caption: a.disagreementsTotal > a.disagreements.length ? `first ${a.disagreements.length} of ${a.disagreementsTotal}` : undefined });
  return h('div', {},
    h('p', { class: 'crumbs' }, link('/crawls', '← All crawls')),
    h('div', { class: 'page-head' }, h('h1', {}, c.label ? `Crawl #${c.id}: ${c.label}` : `Crawl #${c.id}`),
      h('p', { class: 'lede' }, `${plural(c.sites, 'site')}, ${fmtNumber(c.done)} crawled, ${fmtNumber(c.failed)} failed${c.finishedAt ? '' : `, ${fmtNumber(c.pending)} left (run the same command again to continue)`}; up to ${plural(c.options.pages, 'page')} a site; modes ${c.options.modes.join(', ')}.`)),
    cards, sites,
    section('Attribution: pinaudit vs the page the crawler had open',
      h('p', {}, `Site agreement ${pct(a.site.percent)} of ${plural(a.site.compared, 'request')}; full-URL agreement ${pct(a.fullUrl.percent)} of ${plural(a.fullUrl.compared, 'request')} where pinaudit claims the full URL.`),
      disagreements),
    h('p', {}, link('/requests', 'This crawl’s requests in the Requests view →', { crawl: String(c.id) }), ' (with their details and a CSV export of them). The Sites view shows every recorded request of a site, this crawl’s among them.'));
}

function card(value, label, note, kind) {
  return h('div', { class: `card ${kind}`.trim() }, h('div', { class: 'card-value' }, value), h('div', { class: 'card-label' }, label), h('div', { class: 'card-note' }, note));
}

/** The verdict's reason or the failure, and the home page's screenshots per mode. */
function evidence(x, crawlId) {
  const shots = x.screenshots.filter((s) => s.page === 0).map((s) =>
    h('a', { href: s.src, target: '_blank', rel: 'noopener', class: 'shot', title: `${s.mode}: ${s.url}` },
      h('img', { src: s.src, alt: `${x.site} home page, mode ${s.mode}`, width: 128, height: 96, loading: 'lazy' }), h('span', {}, s.mode)));
  const details = h('details', { class: 'crawl-requests' }, h('summary', {}, 'requests and their crawl page'));
  details.addEventListener('toggle', async () => {
    if (!details.open || details.dataset.loaded) return;
    details.dataset.loaded = '1';
    const { requests } = await getJson(`/api/crawls/${crawlId}/sites/${x.id}/requests`);
    details.append(table([
      { label: 'Mode', cell: (q) => q.mode },
      { label: 'Request', cell: (q) => mono(`${q.host}${q.path}`) },
      { label: 'Crawl page', cell: (q) => mono(q.crawlPage) },
      { label: 'pinaudit page', cell: (q) => mono(q.pageUrl ?? q.pageSite ?? '(none)') },
      { label: 'Decision', cell: (q) => (q.decision ? badge(q.decision, q.decision) : '–') },
    ], requests));
  });
  return h('div', {},
    x.state === 'failed' ? h('p', { class: 'muted' }, x.error ?? '') : x.verdictReason ? h('p', {}, x.verdictReason) : null,
    shots.length ? h('div', { class: 'shots' }, shots) : null,
    x.state === 'done' ? details : null);
}
