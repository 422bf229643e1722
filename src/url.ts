/**
 * Splitting a request URL into path and query by index arithmetic, without parsing more than the
 * caller's caps allow (the URL is attacker-controlled and read on the request path).
 */

/** Path (at least `/`) and query (without `?`) of an absolute or origin-form URL; the fragment is dropped. */
export function splitUrl(url: string, caps: { pathChars: number; queryChars: number }): { path: string; query: string; clipped: boolean } {
  const max = caps.pathChars + caps.queryChars + 2048;
  const clipped = url.length > max;
  let text = clipped ? url.slice(0, max) : url;
  const hash = text.indexOf('#');
  if (hash !== -1) text = text.slice(0, hash);
  const scheme = text.indexOf('://');
  let i = scheme !== -1 && scheme < 16 ? scheme + 3 : 0;
  if (i > 0) while (i < text.length && text[i] !== '/' && text[i] !== '?') i++;
  const q = text.indexOf('?', i);
  const path = (q === -1 ? text.slice(i) : text.slice(i, q)) || '/';
  return {
    path: path.length > caps.pathChars ? path.slice(0, caps.pathChars) : path,
    query: q === -1 ? '' : text.slice(q + 1),
    clipped,
  };
}
