/**
 * "1 site", "12 sites": a count with its noun, for every sentence the CLI and reports print (the
 * dashboard's twin is `plural` in dashboard/js/dom.js). `many` names irregular plurals ("entries").
 */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
