/**
 * Charts, drawn by Chart.js (served from node_modules by the dashboard; loaded as a classic script
 * that defines window.Chart). Labels come from the database and Chart.js draws them on a canvas,
 * so they are never parsed as markup.
 */
import { h } from './dom.js';

const css = () => getComputedStyle(document.documentElement);
const color = (name) => css().getPropertyValue(name).trim();

/** The palette, read from CSS custom properties so light and dark themes agree. */
export function palette() {
  return {
    leak: color('--leak') || '#c8102e',
    accent: color('--accent') || '#2f6fde',
    muted: color('--muted') || '#6b7280',
    grid: color('--grid') || 'rgba(0,0,0,.08)',
    text: color('--text') || '#1f2937',
    series: ['--c1', '--c2', '--c3', '--c4', '--c5', '--c6', '--c7'].map((n) => color(n) || '#888'),
  };
}

/** A canvas in a sized box, with an accessible label and a text summary for screen readers. */
export function chartBox(label, summary, size = '') {
  const canvas = h('canvas', { role: 'img', 'aria-label': label });
  const box = h('div', { class: `chart-box ${size}`.trim() }, canvas, h('p', { class: 'sr-only' }, summary));
  return { box, canvas };
}

/** Creates a chart; returns it (or null when Chart.js could not be loaded). */
export function makeChart(canvas, config) {
  const Chart = window.Chart;
  if (!Chart) {
    canvas.replaceWith(h('p', { class: 'muted' }, 'Charts are unavailable: the chart library did not load.'));
    return null;
  }
  const p = palette();
  Chart.defaults.color = p.text;
  Chart.defaults.borderColor = p.grid;
  Chart.defaults.font.family = css().getPropertyValue('--font').trim() || 'system-ui, sans-serif';
  return new Chart(canvas, {
    ...config,
    options: {
      responsive: true,
      maintainAspectRatio: false,
      // No animation: counts are shown as they are at once (and a screenshot never catches a bar mid-way).
      animation: false,
      ...config.options,
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } }, ...config.options?.plugins },
    },
  });
}

/**
 * One colour per category and per decision, the same in every view (chart, badge, legend), and
 * one per word of the vocabulary: reached Pinterest is the leak colour, prevented the good one.
 */
export const CATEGORY_COLOURS = {
  tag: '--c1', 'tag-script': '--c2', telemetry: '--c5', widget: '--c3', content: '--c6', 'first-party': '--c4', null: '--c7',
};
export const DECISION_COLOURS = { allow: '--leak', strip: '--warn', block: '--good', null: '--c7' };
export const WORD_COLOURS = { attempted: '--c7', reached: '--leak', prevented: '--good' };

/** A colour from one of the maps above (a CSS custom property name), resolved for the theme. */
export function colourOf(map, key) {
  return color(map[key] ?? map[String(key)] ?? '--c7') || '#888';
}

/** Legend labels that carry each value's count and share: "Tag beacons — 12 (40%)". */
export function countLegend(values) {
  const total = values.reduce((a, b) => a + b, 0);
  return (chart) => chart.data.labels.map((label, i) => {
    const n = values[i] ?? 0;
    const pct = total === 0 ? 0 : Math.round((n / total) * 100);
    const style = chart.data.datasets[0]?.backgroundColor;
    return { text: `${label} — ${n.toLocaleString()} (${pct}%)`, fillStyle: Array.isArray(style) ? style[i] : style, strokeStyle: 'transparent', index: i, hidden: false };
  });
}

/** Legend labels for datasets with their totals and shares of `of` (e.g. attempted). */
export function seriesLegend(totals, of) {
  return (chart) => chart.data.datasets.map((ds, i) => {
    const n = totals[i] ?? 0;
    const pct = of > 0 ? ` (${Math.round((n / of) * 100)}%)` : '';
    return { text: `${ds.label} — ${n.toLocaleString()}${pct}`, fillStyle: ds.backgroundColor, strokeStyle: ds.borderColor ?? ds.backgroundColor, datasetIndex: i, hidden: !chart.isDatasetVisible(i), lineDash: ds.borderDash };
  });
}

/** An axis title. */
export const axisTitle = (text) => ({ display: true, text });
