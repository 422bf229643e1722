/** Settings: block mode, per-site exceptions, retention, visited-site counting and purge. */
import { getJson, send } from '../api.js';
import { h, plural, section, siteLink } from '../dom.js';

export const title = 'Settings';

const MODES = [
  ['off', 'Audit only', 'Record what websites send to Pinterest; change nothing.'],
  ['strip', 'Strip', 'Forward third-party Pinterest requests without cookies, Referer, identifiers and page URLs.'],
  ['trackers', 'Block trackers', 'Block tags, tag scripts and telemetry from other sites; strip widgets and images.'],
  ['all', 'Block all', 'Block every Pinterest request made from another site. Your own use of Pinterest is never blocked.'],
];

export async function render(ctx) {
  const s = await getJson('/api/settings');
  const save = async (patch, message) => {
    try {
      await send('PUT', '/api/settings', patch);
      ctx.notify(message);
    } catch (err) {
      ctx.notify(err.message, 'error');
    }
    ctx.refresh();
  };

  const modes = h('fieldset', { class: 'modes' }, h('legend', {}, 'Block mode'),
    MODES.map(([value, label, note]) => h('label', { class: 'mode' },
      h('input', { type: 'radio', name: 'blockMode', value, checked: s.blockMode === value, onchange: () => save({ blockMode: value }, `Block mode is now “${label}”.`) }),
      h('span', {}, h('strong', {}, label), h('span', { class: 'muted small block' }, note)))));

  const newSite = h('input', { id: 'exception-site', name: 'site', placeholder: 'shop.example', autocomplete: 'off', required: true });
  const exceptions = h('div', {},
    s.exceptions.length
      ? h('ul', { class: 'exceptions' }, s.exceptions.map((site) => h('li', {}, siteLink(site),
        h('button', { type: 'button', class: 'link danger', 'aria-label': `Remove exception for ${site}`, onclick: async () => {
          try { await send('DELETE', `/api/exceptions/${encodeURIComponent(site)}`); ctx.notify(`${site} removed.`); } catch (err) { ctx.notify(err.message, 'error'); }
          ctx.refresh();
        } }, 'Remove'))))
      : h('p', { class: 'muted' }, 'No exceptions: the block mode applies to every site.'),
    h('form', { class: 'inline', onsubmit: async (e) => {
      e.preventDefault();
      try { await send('POST', '/api/exceptions', { site: newSite.value.trim().toLowerCase() }); ctx.notify(`Pinterest is allowed on ${newSite.value.trim()}.`); } catch (err) { ctx.notify(err.message, 'error'); }
      ctx.refresh();
    } }, h('label', { for: 'exception-site' }, 'Allow Pinterest on'), newSite, h('button', { type: 'submit' }, 'Add exception')));

  const keepForever = h('input', { type: 'checkbox', id: 'keep-forever', checked: s.retentionDays === null });
  const days = h('input', { type: 'number', id: 'retention-days', min: '1', max: '36500', value: String(s.retentionDays ?? 90), disabled: s.retentionDays === null });
  keepForever.addEventListener('change', () => { days.disabled = keepForever.checked; });
  const retention = h('form', { class: 'inline', onsubmit: (e) => {
    e.preventDefault();
    const value = keepForever.checked ? null : Number(days.value);
    save({ retentionDays: value }, value === null ? 'Requests are kept until you purge them.' : `Requests older than ${plural(value, 'day')} will be removed.`);
  } },
  h('label', { for: 'retention-days' }, 'Keep individual requests for'), days, h('span', {}, 'days'),
  h('span', { class: 'check' }, keepForever, h('label', { for: 'keep-forever' }, 'keep forever')),
  h('button', { type: 'submit' }, 'Save'));

  const tunnels = h('input', { type: 'checkbox', id: 'tunnel-counting', checked: s.tunnelCounting, onchange: () => save({ tunnelCounting: tunnels.checked }, 'Saved.') });

  return h('div', { class: 'settings' },
    h('div', { class: 'page-head' }, h('h1', {}, 'Settings'), h('p', { class: 'lede' }, 'Changes apply to the next request; no restart needed.')),
    section('What to do with Pinterest requests from other sites', modes),
    section('Exceptions', h('p', { class: 'muted' }, 'Sites where Pinterest is always allowed, whatever the block mode.'), exceptions),
    section('Retention', retention, h('p', { class: 'muted small' }, 'Daily totals are kept after old requests are removed, so the overview stays complete.'),
      h('p', { class: 'check' }, tunnels, h('label', { for: 'tunnel-counting' }, 'Count the sites I visit (name and day only) to show how many of them leak'))),
    purgePanel(ctx),
  );
}

function purgePanel(ctx) {
  const all = h('input', { type: 'radio', name: 'purge', id: 'purge-all', value: 'all', checked: true });
  const before = h('input', { type: 'radio', name: 'purge', id: 'purge-before', value: 'before' });
  const date = h('input', { type: 'date', id: 'purge-date', 'aria-label': 'Delete data recorded before this date' });
  const confirmBox = h('div', { class: 'confirm', hidden: true, role: 'alert' });
  const start = h('button', { type: 'button', class: 'danger', id: 'purge-start', onclick: () => {
    if (before.checked && !date.value) { ctx.notify('Choose a date first.', 'error'); return; }
    confirmBox.hidden = false;
    confirmBox.replaceChildren(
      h('p', {}, h('strong', {}, all.checked ? 'Delete all recorded data?' : `Delete everything recorded before ${date.value}?`), ' This cannot be undone. Settings are kept.'),
      h('button', { type: 'button', class: 'danger', id: 'purge-confirm', onclick: doPurge }, 'Yes, delete'),
      ' ',
      h('button', { type: 'button', class: 'secondary', onclick: () => { confirmBox.hidden = true; } }, 'Cancel'));
  } }, 'Delete data…');
  async function doPurge() {
    try {
      const r = await send('POST', '/api/purge', all.checked ? { confirm: 'purge', all: true } : { confirm: 'purge', before: date.value });
      ctx.notify(`Deleted ${plural(r.requests, 'request')}, ${plural(r.identifiers, 'identifier')} and ${plural(r.pages, 'page')}.`);
    } catch (err) {
      ctx.notify(err.message, 'error');
    }
    ctx.refresh();
  }
  return section('Delete recorded data',
    h('p', { class: 'check' }, all, h('label', { for: 'purge-all' }, 'Everything')),
    h('p', { class: 'check' }, before, h('label', { for: 'purge-before' }, 'Everything recorded before'), ' ', date),
    h('p', {}, start), confirmBox);
}
