/**
 * DOM helpers. Everything the dashboard shows from the database was written by websites (page
 * URLs, referrers, tag fields), so text always goes in through textContent / text nodes; there is
 * no innerHTML anywhere in this UI. Attributes are set one by one, and `style` is not allowed
 * (the CSP forbids inline styles; classes do the styling).
 */

/**
 * Creates an element. `props`: `class`, `text` (textContent), `on<event>` handlers, `dataset`,
 * and plain attributes. Children: nodes, strings (as text), arrays, or null/false (skipped).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'style' || key === 'innerHTML') throw new Error(`h(): ${key} is not allowed`);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Appends children (see `h`). */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Removes every child of `el`. */
export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

const numberFormat = new Intl.NumberFormat();
/** 12 345 */
export const fmtNumber = (n) => (n === null || n === undefined ? '–' : numberFormat.format(n));
/** "1 site", "12 sites": a count with its noun (`many` for irregular plurals, "1 entry", "2 entries"). */
export const plural = (n, one, many = `${one}s`) => `${fmtNumber(n)} ${n === 1 ? one : many}`;

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateTimeSeconds = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
/** A local date and time. */
export const fmtTime = (ms) => (ms === null || ms === undefined ? '–' : dateTime.format(new Date(ms)));
/** A local date and time with seconds (the request list: requests come seconds apart). */
export const fmtTimeSeconds = (ms) => (ms === null || ms === undefined ? '–' : dateTimeSeconds.format(new Date(ms)));
/** A local time of day with seconds (the Live view). */
export const fmtClock = (ms) => timeOnly.format(new Date(ms));

/** A hash link inside the dashboard. */
export function link(path, text, query) {
  const qs = query ? `?${new URLSearchParams(query)}` : '';
  return h('a', { href: `#${path}${qs}` }, text);
}

/** A link to a site's page (the site name is URL-encoded, shown as text). */
export const siteLink = (site, query) => link(`/site/${encodeURIComponent(site)}`, site, query);

/** A small coloured label. */
export const badge = (text, kind = '') => h('span', { class: `badge ${kind}`.trim() }, text);

/** A section with a heading. */
export const section = (title, ...children) => h('section', { class: 'panel' }, h('h2', {}, title), ...children);

/** A table from column definitions `{ label, cell(row), class?, num? }`. */
export function table(columns, rows, options = {}) {
  const head = h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)));
  const body = rows.map((row) => h('tr', {}, columns.map((c) => h('td', { class: [c.num ? 'num' : '', c.class ?? ''].join(' ').trim() || null }, c.cell(row)))));
  return h('div', { class: 'table-wrap' }, h('table', { class: options.class ?? null }, options.caption ? h('caption', {}, options.caption) : null, h('thead', {}, head), h('tbody', {}, body)));
}

/** An explanatory empty state: a title, a sentence and optional actions. */
export function emptyState(title, text, ...actions) {
  return h('div', { class: 'empty' }, h('h3', {}, title), h('p', {}, text), actions.length ? h('p', { class: 'actions' }, actions) : null);
}

/** A long value (URL, fingerprint) shown in full as text, wrapped. */
export const mono = (text) => h('span', { class: 'mono' }, text ?? '–');

/**
 * A URL as a person reads it: percent-escapes decoded (a JSON payload becomes legible) and cut
 * to `max` characters with an ellipsis. Still shown as text only.
 */
export function readableUrl(url, max = 120) {
  if (url === null || url === undefined) return '–';
  let text = String(url);
  try {
    text = decodeURI(text);
  } catch {
    // Malformed escapes: shown as they are.
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
