/** Live: completed Pinterest requests as they happen (server-sent events), with a pause button. */
import { h, fmtClock, mono, badge, siteLink, clear, readableUrl } from '../dom.js';

export const title = 'Live';

const MAX_ROWS = 200;
const MAX_HELD = 1000;

function row(e) {
  return h('tr', { class: e.thirdParty && e.leakLevel && e.leakLevel !== 'none' ? 'leak-row' : null, dataset: { seq: String(e.seq) } },
    h('td', {}, fmtClock(e.time)),
    h('td', {}, e.site ? siteLink(e.site) : h('span', { class: 'muted' }, '–'), e.pageUrl ? h('div', { class: 'small', title: e.pageUrl }, mono(readableUrl(e.pageUrl))) : null),
    h('td', {}, mono(e.host), h('div', { class: 'small', title: e.path }, mono(readableUrl(e.path, 80)))),
    h('td', {}, e.category ? badge(e.category, `cat-${e.category}`) : badge('unclassified', 'muted')),
    h('td', { class: 'num' }, String(e.identifiers)),
    h('td', {}, e.decision ? badge(e.decision, e.decision) : '–'),
    h('td', {}, e.outcome === 'error' ? badge('error', 'warn') : String(e.status ?? '')));
}

export async function render() {
  const tbody = h('tbody', { id: 'live-rows' });
  const empty = h('tr', { class: 'placeholder' }, h('td', { colspan: '7' }, 'Waiting for Pinterest requests… Browse a site that embeds Pinterest and they will appear here within a second.'));
  tbody.append(empty);
  const held = [];
  const state = h('span', { class: 'live-state', id: 'live-state' }, 'Connecting…');
  let paused = false;
  const pause = h('button', { type: 'button', id: 'live-pause', 'aria-pressed': 'false', onclick: () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? 'Resume' : 'Pause';
    if (!paused) {
      for (const e of held.splice(0)) show(e);
      heldNote.textContent = '';
    }
  } }, 'Pause');
  const heldNote = h('span', { class: 'muted', id: 'live-held' });

  function show(e) {
    if (empty.isConnected) empty.remove();
    tbody.prepend(row(e));
    while (tbody.children.length > MAX_ROWS) tbody.lastElementChild.remove();
  }

  const source = new EventSource('/api/live');
  source.addEventListener('open', () => { state.textContent = 'Live'; state.className = 'live-state on'; });
  source.addEventListener('error', () => { state.textContent = 'Reconnecting…'; state.className = 'live-state'; });
  source.addEventListener('flow', (msg) => {
    let e;
    try { e = JSON.parse(msg.data); } catch { return; }
    if (paused) {
      held.push(e);
      if (held.length > MAX_HELD) held.shift();
      heldNote.textContent = `${held.length} new while paused`;
    } else {
      show(e);
    }
  });

  const node = h('div', {},
    h('div', { class: 'page-head with-action' },
      h('div', {}, h('h1', {}, 'Live'), h('p', { class: 'lede' }, 'Pinterest requests as your browser makes them. Rows in red named the page you were on.')),
      h('div', { class: 'actions' }, state, heldNote, pause)),
    h('div', { class: 'table-wrap' }, h('table', { id: 'live-table' },
      h('thead', {}, h('tr', {}, ['Time', 'Page', 'Request', 'Category', 'Ids', 'Decision', 'Status'].map((l) => h('th', { scope: 'col', class: l === 'Ids' ? 'num' : null }, l)))),
      tbody)));
  return { node, dispose: () => { source.close(); clear(tbody); } };
}
