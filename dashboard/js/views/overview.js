/** Overview: headline numbers and four charts for the selected range. */
import { getJson } from '../api.js';
import { chartBox, makeChart, palette } from '../charts.js';
import { h, fmtNumber, section, emptyState, link } from '../dom.js';
import { setupCheck } from './setup.js';

export const title = 'Overview';

const CATEGORY_LABELS = {
  tag: 'Tag beacons', 'tag-script': 'Tag script', telemetry: 'Telemetry', widget: 'Widgets', content: 'Content', 'first-party': 'Your own Pinterest use', null: 'Unclassified',
};

function card(label, value, note, kind = '') {
  return h('div', { class: `card ${kind}`.trim() }, h('div', { class: 'card-value' }, fmtNumber(value)), h('div', { class: 'card-label' }, label), note ? h('div', { class: 'card-note' }, note) : null);
}

function axisTime(start, bucket) {
  const d = new Date(start);
  return bucket === 'hour'
    ? d.toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

export async function render(ctx) {
  const data = await getJson('/api/overview', ctx.range);
  const t = data.totals;
  if (t.requests === 0) {
    const ever = data.range.name === 'all' ? data : await getJson('/api/overview', { range: 'all' });
    if (ever.totals.requests > 0) {
      return h('div', { class: 'overview' }, h('div', { class: 'page-head' }, h('h1', {}, 'What websites told Pinterest')),
        emptyState('Nothing in this time range', `pinaudit has recorded ${fmtNumber(ever.totals.requests)} Pinterest requests, none in the selected range. Choose a longer time range at the top right.`));
    }
    return renderEmpty();
  }
  const p = palette();
  const charts = [];
  const cards = h('div', { class: 'cards' },
    card('Third-party requests to Pinterest', t.thirdPartyRequests, `${fmtNumber(t.leaks)} of them named the page`, 'leak'),
    card('Sites that leaked', t.sitesLeaked, data.sitesVisited.visited
      ? `${fmtNumber(data.sitesVisited.visitedAndLeaked)} of the ${fmtNumber(data.sitesVisited.visited)} sites you visited`
      : null),
    card('Pages leaked', t.pagesLeaked),
    card('Distinct identifiers', t.identifiers, 'cookies and ids that link your visits'),
    card('Leaks while logged in', t.loggedInLeaks, 'Pinterest could tie these to your account', t.loggedInLeaks ? 'warn' : ''),
    card('Hashed e-mails sent', t.hashedEmails, null, t.hashedEmails ? 'warn' : ''),
    card('Blocked / stripped', t.blocked + t.stripped, `${fmtNumber(t.blocked)} blocked, ${fmtNumber(t.stripped)} stripped`, 'good'),
  );

  const top = data.topSites;
  const topChart = chartBox('Top leaking sites', top.map((s) => `${s.site}: ${s.leaks} leaks`).join('; '));
  const timeChart = chartBox('Leaks over time', `${data.timeline.points.length} ${data.timeline.bucket} buckets`);
  const catChart = chartBox('Requests by category', data.categories.map((c) => `${CATEGORY_LABELS[c.category]}: ${c.requests}`).join('; '), 'small');
  const lvl = data.leakLevels;
  const levelChart = chartBox('Leak level', `full URL ${lvl.fullUrl}, origin only ${lvl.origin}, nothing ${lvl.none}`, 'small');

  const node = h('div', { class: 'overview' },
    h('div', { class: 'page-head' }, h('h1', {}, 'What websites told Pinterest'),
      h('p', { class: 'lede' }, `${fmtNumber(t.sitesLeaked)} sites sent Pinterest ${fmtNumber(t.leaks)} requests naming the page you were on.`)),
    cards,
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
      charts.push(makeChart(topChart.canvas, {
        type: 'bar',
        data: {
          labels: top.map((s) => s.site),
          datasets: [
            { label: 'Full URL', data: top.map((s) => s.fullUrl), backgroundColor: p.leak, stack: 'l' },
            { label: 'Origin only', data: top.map((s) => s.leaks - s.fullUrl), backgroundColor: p.series[1], stack: 'l' },
          ],
        },
        options: {
          indexAxis: 'y',
          scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } },
          onClick: (_e, items) => {
            const i = items[0]?.index;
            if (i !== undefined && top[i]) ctx.go(`/site/${encodeURIComponent(top[i].site)}`);
          },
        },
      }));
    }
    const pts = data.timeline.points;
    charts.push(makeChart(timeChart.canvas, {
      type: 'line',
      data: {
        labels: pts.map((pt) => axisTime(pt.start, data.timeline.bucket)),
        datasets: [
          { label: 'Leaks', data: pts.map((pt) => pt.leaks), borderColor: p.leak, backgroundColor: p.leak, pointRadius: pts.length > 48 ? 0 : 2 },
          { label: 'Third-party requests', data: pts.map((pt) => pt.thirdParty), borderColor: p.accent, backgroundColor: `${p.accent}22`, fill: true, borderWidth: 1, pointRadius: 0, order: 2 },
          { label: 'Blocked', data: pts.map((pt) => pt.blocked), borderColor: p.series[3], backgroundColor: p.series[3], borderDash: [4, 3], pointRadius: 0 },
        ],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxTicksLimit: 10 } } }, interaction: { mode: 'index', intersect: false } },
    }));
    charts.push(makeChart(catChart.canvas, {
      type: 'doughnut',
      data: {
        labels: data.categories.map((c) => CATEGORY_LABELS[c.category] ?? c.category),
        datasets: [{ data: data.categories.map((c) => c.requests), backgroundColor: data.categories.map((_, i) => p.series[i % p.series.length]) }],
      },
      options: { plugins: { legend: { position: 'right' } } },
    }));
    charts.push(makeChart(levelChart.canvas, {
      type: 'doughnut',
      data: {
        labels: ['Full URL', 'Origin only', 'No page'],
        datasets: [{ data: [lvl.fullUrl, lvl.origin, lvl.none], backgroundColor: [p.leak, p.series[1], p.muted] }],
      },
      options: { plugins: { legend: { position: 'right' } } },
    }));
    document.body.dataset.charts = String(charts.filter(Boolean).length);
  };
  return { node, mount, dispose: () => charts.forEach((c) => c?.destroy()) };
}

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
