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
