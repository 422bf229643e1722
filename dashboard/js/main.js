/**
 * The dashboard shell: a hash router (#/view/arg?query), the time-range picker shared by the
 * views, and error display. Views are modules exporting `render(ctx)` that resolve to a node, or
 * to `{ node, mount?, dispose? }`: `mount` runs once the node is in the document (charts measure
 * their box there) and `dispose` when the view is left (charts, an EventSource).
 */
import { h, clear } from './dom.js';
import { getSession, setScope } from './api.js';
import * as overview from './views/overview.js';
import * as sites from './views/sites.js';
import * as site from './views/site.js';
import * as identifiers from './views/identifiers.js';
import * as requests from './views/requests.js';
import * as live from './views/live.js';
import * as settings from './views/settings.js';
import * as setup from './views/setup.js';
import * as crawls from './views/crawls.js';

const VIEWS = { overview, sites, site, identifiers, requests, live, settings, setup, crawls };
const RANGE_KEY = 'pinaudit.range';
/** Over the fleet's database, these views have nothing to show: the session's `limits` say why. */
const NOT_IN_FLEET = { live: 'live', settings: 'readOnly', setup: 'setup', crawls: 'crawls' };
const NOT_IN_FLEET_TITLE = { live: 'No live feed over the fleet', settings: 'Read-only', setup: 'No proxy to set up here', crawls: 'No crawls over the fleet' };

const shell = {
  view: document.getElementById('view'),
  status: document.getElementById('status'),
  rangeSelect: document.getElementById('range'),
  custom: document.getElementById('custom-range'),
  from: document.getElementById('from'),
  to: document.getElementById('to'),
  instance: document.getElementById('instance'),
  dispose: null,
  renderId: 0,
  /** The fleet this dashboard reads (from /api/session), or null on one machine. */
  fleet: null,
};

/** The selected range as API query parameters. */
function currentRange() {
  const name = shell.rangeSelect.value;
  // Over the fleet, the chosen instance goes with the range into every read and link.
  const instance = shell.fleet && shell.instance.value ? { instance: shell.instance.value } : {};
  if (name !== 'custom') return { range: name, ...instance };
  // The dates go as typed (YYYY-MM-DD): the server reads them as its local days, the "to" date
  // inclusive, exactly as the CLI's --from/--to (calendar days, so a daylight-saving day is 23 or 25 h).
  return { from: shell.from.value || undefined, to: shell.to.value || undefined, ...instance };
}

/** Over the fleet: the instance menu, the read-only banner, and the views that cannot be shown. */
async function setUpFleet() {
  let fleet = null;
  try {
    fleet = (await getSession()).fleet;
  } catch {
    return; // the view's own request will show the error
  }
  if (!fleet) return;
  shell.fleet = fleet;
  document.body.dataset.fleet = 'true';
  for (const i of fleet.instances) shell.instance.append(h('option', { value: i.name }, i.name));
  document.getElementById('instance-picker').hidden = false;
  const banner = document.getElementById('fleet-banner');
  banner.textContent = `Read-only: the fleet's database ${fleet.label}, ${fleet.instances.length} instance${fleet.instances.length === 1 ? '' : 's'}. `
    + 'Settings, exceptions, purge and the live feed stay on each instance\'s own dashboard.';
  banner.hidden = false;
  // One machine's footer says it runs on this computer only; this one reads a shared database.
  document.querySelector('.footer').textContent = 'This dashboard reads the fleet\'s database and changes nothing in it. Nothing on this page is loaded from the internet.';
  for (const a of document.querySelectorAll('nav a')) {
    const name = a.getAttribute('href').replace('#/', '');
    if (NOT_IN_FLEET[name]) {
      a.classList.add('unavailable');
      a.title = fleet.limits[NOT_IN_FLEET[name]];
    }
  }
  shell.instance.addEventListener('change', () => {
    setScope('instance', shell.instance.value || null);
    render();
  });
}

function notInFleet(name) {
  return h('div', { class: 'empty', id: 'not-in-fleet' }, h('h3', {}, NOT_IN_FLEET_TITLE[name]), h('p', {}, shell.fleet.limits[NOT_IN_FLEET[name]]),
    h('a', { href: '#/overview' }, 'Go to the overview'));
}

function restoreRange() {
  shell.rangeSelect.value = 'week';
  try {
    const saved = JSON.parse(localStorage.getItem(RANGE_KEY) ?? 'null');
    if (saved && typeof saved.name === 'string') {
      shell.rangeSelect.value = saved.name;
      shell.from.value = saved.from ?? '';
      shell.to.value = saved.to ?? '';
    }
  } catch {
    // A damaged saved range just means the default.
  }
  if (!shell.rangeSelect.value) shell.rangeSelect.value = 'week';
  shell.custom.hidden = shell.rangeSelect.value !== 'custom';
}

function saveRange() {
  localStorage.setItem(RANGE_KEY, JSON.stringify({ name: shell.rangeSelect.value, from: shell.from.value, to: shell.to.value }));
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/overview';
  const [path, qs = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  return { name: parts[0] ?? 'overview', params: parts.slice(1), query: new URLSearchParams(qs) };
}

/** Navigates to a view. */
export function go(path, query) {
  const qs = query ? `?${new URLSearchParams(query)}` : '';
  location.hash = `#${path}${qs}`;
}

/** Shows a short message in the status line (announced to screen readers). */
export function notify(text, kind = 'info') {
  clear(shell.status).append(h('p', { class: `notice ${kind}` }, text));
  setTimeout(() => {
    if (shell.status.textContent === text) clear(shell.status);
  }, 6000);
}

async function render() {
  const id = ++shell.renderId;
  const route = parseHash();
  const view = VIEWS[route.name];
  for (const a of document.querySelectorAll('nav a')) {
    const active = a.getAttribute('href') === `#/${route.name === 'site' ? 'sites' : route.name}`;
    if (active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (shell.dispose) {
    try { shell.dispose(); } catch { /* a view that fails to clean up must not block the next one */ }
    shell.dispose = null;
  }
  document.body.dataset.view = route.name;
  if (!view) {
    clear(shell.view).append(h('div', { class: 'empty' }, h('h3', {}, 'Not found'), h('p', {}, 'There is no such page. '), h('a', { href: '#/overview' }, 'Go to the overview')));
    return;
  }
  shell.view.setAttribute('aria-busy', 'true');
  const ctx = { params: route.params, query: route.query, range: currentRange(), go, notify, refresh: render, fleet: shell.fleet };
  try {
    const result = shell.fleet && NOT_IN_FLEET[route.name] ? notInFleet(route.name) : await view.render(ctx);
    if (id !== shell.renderId) {
      result?.dispose?.();
      return;
    }
    const node = result instanceof Node ? result : result.node;
    shell.dispose = result instanceof Node ? null : result.dispose ?? null;
    clear(shell.view).append(node);
    if (!(result instanceof Node)) result.mount?.();
    document.title = `${view.title ?? 'pinaudit'} · pinaudit`;
  } catch (err) {
    if (id !== shell.renderId) return;
    clear(shell.view).append(h('div', { class: 'empty error' }, h('h3', {}, 'Something went wrong'), h('p', {}, err instanceof Error ? err.message : String(err))));
  } finally {
    if (id === shell.renderId) {
      shell.view.removeAttribute('aria-busy');
      document.body.dataset.ready = route.name;
    }
  }
}

restoreRange();
shell.rangeSelect.addEventListener('change', () => {
  shell.custom.hidden = shell.rangeSelect.value !== 'custom';
  saveRange();
  if (shell.rangeSelect.value !== 'custom' || (shell.from.value && shell.to.value)) render();
});
for (const input of [shell.from, shell.to]) {
  input.addEventListener('change', () => {
    saveRange();
    render();
  });
}
window.addEventListener('hashchange', render);
setUpFleet().finally(render);
