/**
 * Caps on the work classification does for one request. Request data is attacker-controlled and
 * classification runs synchronously on the proxy's request path, so every loop and every parse is
 * bounded by one of these, whatever the input size.
 */
export const LIMITS = Object.freeze({
  /** Characters of the query string that are parsed; the rest is ignored (and reported). */
  queryChars: 128 * 1024,
  /** Characters of the path used for endpoint matching. */
  pathChars: 4 * 1024,
  /** Parameters parsed from one query string or form body. */
  params: 512,
  /** Characters of one decoded parameter value. */
  valueChars: 64 * 1024,
  /** Characters of a JSON text that is parsed at all. */
  jsonChars: 64 * 1024,
  /** Nesting depth of a JSON text or bracket-notation key. */
  jsonDepth: 16,
  /** Bracket-notation parts in one key (`ed[line_items][0][product_id]` has 3). */
  bracketParts: 8,
  /** Highest array index accepted in bracket notation (`[0]`), to avoid sparse giant arrays. */
  bracketIndex: 256,
  /** Cookies parsed from one Cookie header. */
  cookies: 256,
  /** Characters of the Cookie header that are parsed. */
  cookieChars: 16 * 1024,
  /** Identifiers kept in one Finding. */
  identifiers: 64,
  /** Line items kept in one Finding. */
  lineItems: 100,
  /** Characters of a page URL that are kept and parsed. */
  urlChars: 8 * 1024,
  /** Characters of a header value that are looked at. */
  headerChars: 8 * 1024,
  /** Characters of an identifier value or tag field that are kept. */
  fieldChars: 2 * 1024,
  /** Characters of a URL quoted in a reason. */
  reasonUrlChars: 160,
});
