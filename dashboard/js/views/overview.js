/**
 * Overview: headline numbers and four charts for the selected range. Every number says which of
 * the three words it counts: what sites *attempted* to send, what *reached Pinterest*, and what the
 * policy *prevented* (attempted − reached).
 */
import { getJson } from '../api.js';
import { axisTitle, CATEGORY_COLOURS, chartBox, colourOf, countLegend, makeChart, palette, seriesLegend, WORD_COLOURS } from '../charts.js';
import { h, fmtNumber, plural, section, emptyState, link } from '../dom.js';
import { PAC_GIVES_UP, setupCheck } from './setup.js';
import { adviceCard } from './advice-card.js';

export const title = 'Overview';

export const CATEGORY_LABELS = {
  tag: 'Tag beacons', 'tag-script': 'Tag script', telemetry: 'Telemetry', widget: 'Widgets', content: 'Content', 'first-party': 'Your own Pinterest use', null: 'Unclassified',
};

/** A headline card: what reached Pinterest, with what was attempted and prevented under it. */
function card(label, reached, attempted, note, kind = '') {
  const words = attempted === null ? null : h('div', { class: 'card-words' },
    h('span', {}, h('strong', {}, fmtNumber(attempted)), ' attempted'),
    h('span', {}, h('strong', {}, fmtNumber(Math.max(0, attempted - reached))), ' prevented'));
  return h('div', { class: `card ${kind}`.trim() }, h('div', { class: 'card-value' }, fmtNumber(reached)), h('div', { class: 'card-label' }, label), words,
    note ? h('div', { class: 'card-note' }, note) : null);
}

const BUCKET_UNIT = { minute: 'minute', hour: 'hour', day: 'day' };

function axisTime(start, bucket) {
  const d = new Date(start);
  if (bucket === 'minute') return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return bucket === 'hour'
    ? d.toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

/** What the sites-visited ratio can and cannot say. */
function visitedNote(v) {
  if (!v.visited) return PAC_GIVES_UP;
  return `${fmtNumber(v.visitedAndReached)} of the ${plural(v.visited, 'site')} you visited leaked to Pinterest (${fmtNumber(v.visitedAndAttempted)} attempted). ${PAC_GIVES_UP}`;
}

export async function render(ctx) {
  // The opt-out card covers all recorded time: fetched alongside the range's numbers, never failing the page.
  const [data, advice] = await Promise.all([getJson('/api/overview', ctx.range), adviceCard()]);
  const t = data.totals;
  if (t.requests === 0) {
    const ever = data.range.name === 'all' ? data : await getJson('/api/overview', { range: 'all' });
    if (ever.totals.requests > 0) {
      return h('div', { class: 'overview' }, h('div', { class: 'page-head' }, h('h1', {}, 'What websites told Pinterest')),
        emptyState('Nothing in this time range', `pinaudit has recorded ${plural(ever.totals.requests, 'Pinterest request')}, none in the selected range. Choose a longer time range at the top right.`),
        advice);
    }
    return renderEmpty();
  }
  const p = palette();
  const reached = colourOf(WORD_COLOURS, 'reached');
  const prevented = colourOf(WORD_COLOURS, 'prevented');
  const attempted = colourOf(WORD_COLOURS, 'attempted');
  const charts = [];
  const cards = h('div', { class: 'cards' },
    card('Leaks that reached Pinterest', t.reachedLeaks, t.attemptedLeaks, `third-party requests carrying your page or an identifier, of ${plural(t.thirdPartyRequests, 'third-party request')}`, 'leak'),
    card('Sites whose leaks reached Pinterest', t.reachedSites, t.attemptedSites, visitedNote(data.sitesVisited)),
    card('Pages that reached Pinterest', t.reachedPages, t.attemptedPages, `full URLs only; origin only: ${fmtNumber(t.reachedOriginOnly)} reached, ${fmtNumber(t.attemptedOriginOnly)} attempted`),
    card('Identifiers that reached Pinterest', t.reachedIdentifiers, t.attemptedIdentifiers, 'distinct cookies and ids that link your visits'),
    card('Leaks while logged in that reached Pinterest', t.reachedLoggedIn, t.attemptedLoggedIn, 'Pinterest could tie these to your account', t.reachedLoggedIn ? 'warn' : ''),
    card('Hashed e-mails that reached Pinterest', t.reachedHashedEmails, t.attemptedHashedEmails, null, t.reachedHashedEmails ? 'warn' : ''),
    h('div', { class: 'card good' }, h('div', { class: 'card-value' }, fmtNumber(t.preventedLeaks)), h('div', { class: 'card-label' }, 'Leaks prevented'),
      h('div', { class: 'card-note' }, `${plural(t.blocked, 'request')} blocked, ${fmtNumber(t.stripped)} stripped; ${plural(t.preventedIdentifiers, 'identifier')} and ${plural(t.preventedPages, 'page')} prevented`)),
  );

  const top = data.topSites;
  const topChart = chartBox('Top leaking sites', top.map((s) => `${s.site}: ${s.reachedLeaks} of ${s.attemptedLeaks} attempted leaks reached Pinterest`).join('; '));
  const bucket = data.timeline.bucket;
  const timeChart = chartBox('Leaks over time', `${data.timeline.points.length} ${bucket} buckets`);
  const catChart = chartBox('Requests by category', data.categories.map((c) => `${CATEGORY_LABELS[c.category]}: ${c.requests}`).join('; '), 'small');
  const lvl = data.leakLevels;
  const levelChart = chartBox('Leak level', `full URL ${lvl.fullUrl} attempted, ${lvl.reachedFullUrl} reached; origin only ${lvl.origin} attempted, ${lvl.reachedOrigin} reached; no page ${lvl.none}`, 'small');

  const node = h('div', { class: 'overview' },
    h('div', { class: 'page-head' }, h('h1', {}, 'What websites told Pinterest'),
      h('p', { class: 'lede', id: 'overview-lede' },
        `${plural(t.attemptedSites, 'site')} attempted to send Pinterest your page or identifiers in ${plural(t.attemptedLeaks, 'request')}; `
        + `${fmtNumber(t.reachedLeaks)} reached Pinterest and ${fmtNumber(t.preventedLeaks)} were prevented.`)),
    cards,
    advice,
    h('div', { class: 'grid-2' },
      section('Top leaking sites', top.length ? topChart.box : h('p', { class: 'muted' }, 'No site leaked in this range.'), top.length ? h('p', { class: 'more' }, link('/sites', 'All sites →')) : null),
      section('Leaks over time', timeChart.box),
      section('Categories', catChart.box),
      section('Leak level of third-party requests', levelChart.box),
    ),
  );

  // Charts are created once the node is in the document (Chart.js measures its container).
  const mount = () => {
    if (top.length) {
      const r = top.map((s) => s.reachedLeaks);
      const pr = top.map((s) => s.attemptedLeaks - s.reachedLeaks);
      charts.push(makeChart(topChart.canvas, {
        type: 'bar',
        data: {
          labels: top.map((s) => s.site),
          datasets: [
            { label: 'Reached Pinterest', data: r, backgroundColor: reached, stack: 'l' },
            { label: 'Prevented', data: pr, backgroundColor: prevented, stack: 'l' },
          ],
        },
        options: {
          indexAxis: 'y',
          scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: axisTitle('attempted leaks (requests)') }, y: { stacked: true } },
          plugins: { legend: { labels: { generateLabels: seriesLegend([sum(r), sum(pr)], sum(r) + sum(pr)) } } },
          onClick: (_e, items) => {
            const i = items[0]?.index;
            if (i !== undefined && top[i]) ctx.go(`/site/${encodeURIComponent(top[i].site)}`);
          },
        },
      }));
    }
    const pts = data.timeline.points;
    // A line needs two buckets: a range with one (a first day) shows each series as a dot.
    const lone = pts.length === 1 ? 4 : 0;
    const series = [pts.map((pt) => pt.attempted), pts.map((pt) => pt.reached), pts.map((pt) => pt.attempted - pt.reached)];
    charts.push(makeChart(timeChart.canvas, {
      type: 'line',
      data: {
        labels: pts.map((pt) => axisTime(pt.start, bucket)),
        datasets: [
          { label: 'Attempted', data: series[0], borderColor: attempted, backgroundColor: `${attempted}33`, fill: true, borderWidth: 1, pointRadius: lone, order: 2 },
          { label: 'Reached Pinterest', data: series[1], borderColor: reached, backgroundColor: reached, pointRadius: lone || (pts.length > 48 ? 0 : 2) },
          { label: 'Prevented', data: series[2], borderColor: prevented, backgroundColor: prevented, borderDash: [4, 3], pointRadius: lone },
        ],
      },
      options: {
        // Empty buckets are zeros drawn as such, not bridged by a line.
        spanGaps: false,
        scales: {
          y: { beginAtZero: true, ticks: { precision: 0 }, title: axisTitle(`leaks (requests per ${BUCKET_UNIT[bucket]})`) },
          x: { ticks: { maxTicksLimit: 10 }, title: axisTitle(`time (${BUCKET_UNIT[bucket]}s, local)`) },
        },
        interaction: { mode: 'index', intersect: false },
        plugins: { legend: { labels: { generateLabels: seriesLegend(series.map(sum), sum(series[0])) } } },
      },
    }));
    const catValues = data.categories.map((c) => c.requests);
    charts.push(makeChart(catChart.canvas, {
      type: 'doughnut',
      data: {
        labels: data.categories.map((c) => CATEGORY_LABELS[c.category] ?? c.category),
        datasets: [{ data: catValues, backgroundColor: data.categories.map((c) => colourOf(CATEGORY_COLOURS, c.category)) }],
      },
      options: { plugins: { legend: { position: 'right', labels: { generateLabels: countLegend(catValues) } } } },
    }));
    const lvlValues = [lvl.reachedFullUrl, lvl.fullUrl - lvl.reachedFullUrl, lvl.reachedOrigin, lvl.origin - lvl.reachedOrigin, lvl.none];
    charts.push(makeChart(levelChart.canvas, {
      type: 'doughnut',
      data: {
        labels: ['Full URL, reached Pinterest', 'Full URL, prevented', 'Origin only, reached', 'Origin only, prevented', 'No page'],
        datasets: [{ data: lvlValues, backgroundColor: [reached, prevented, p.series[1], `${prevented}88`, p.muted] }],
      },
      options: { plugins: { legend: { position: 'right', labels: { generateLabels: countLegend(lvlValues) } } } },
    }));
    document.body.dataset.charts = String(charts.filter(Boolean).length);
  };
  return { node, mount, dispose: () => charts.forEach((c) => c?.destroy()) };
}

const sum = (values) => values.reduce((a, b) => a + b, 0);

function renderEmpty() {
  const check = setupCheck();
  return h('div', { class: 'overview' },
    h('div', { class: 'page-head' }, h('h1', {}, 'Nothing recorded yet')),
    emptyState(
      'pinaudit has not seen any Pinterest traffic yet.',
      'To see which websites tell Pinterest what you browse, send your browser through pinaudit and trust its certificate, then browse as usual.',
      link('/setup', 'Open the setup steps →'),
    ),
    h('ol', { class: 'steps' },
      h('li', {}, 'Point your browser at the proxy auto-config file shown on the ', link('/setup', 'Setup'), ' page (only Pinterest traffic goes through pinaudit).'),
      h('li', {}, 'Download and trust the pinaudit certificate; it can only vouch for Pinterest’s own domains.'),
      h('li', {}, 'Visit a few shops or blogs, then come back here.')),
    section('Is this browser set up?', check.node),
  );
}
