/**
 * The site list of `pinaudit crawl`: one URL or domain a line (`#` starts a comment), from a file
 * or from arguments. Every problem names its line: a line that is neither a URL nor a domain, an
 * IP literal (a site is a registrable domain), a non-HTTP scheme. A second line for a site already
 * listed is reported and skipped, so nothing is crawled twice.
 */
import { isIP } from 'node:net';
import { hostOf, siteOf } from '../pinterest/domains.js';
import { isValidHostname } from '../proxy/hosts.js';

/** One site to crawl. */
export interface SiteEntry {
  /** 1-based line (or argument) number where it was listed. */
  line: number;
  /** The line as written (trimmed, without its comment). */
  input: string;
  /** The home page to open: the URL given, or `https://DOMAIN/` for a bare domain. */
  url: string;
  /** Registrable domain of `url`. */
  site: string;
}

export interface SiteList {
  sites: SiteEntry[];
  /** Lines that cannot be crawled, one message each ("line 4: …"). */
  errors: string[];
  /** Lines skipped because their site is already listed. */
  duplicates: string[];
}

type Parsed = { url: string; site: string } | { error: string };

function parseEntry(text: string): Parsed {
  const schemeMatch = /^([a-z][a-z0-9+.-]*):/i.exec(text);
  let url: URL;
  if (schemeMatch && !/^\d+$/.test(text.slice(schemeMatch[0].length).split('/')[0] ?? '')) {
    const scheme = schemeMatch[1]!.toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') return { error: `"${scheme}:" is not a web address; only http and https sites can be crawled` };
    try {
      url = new URL(text);
    } catch {
      return { error: `"${text}" is not a valid URL` };
    }
  } else {
    if (/\s/.test(text) || !/^[^/?#]+/.test(text)) return { error: `"${text}" is not a URL or a domain` };
    try {
      url = new URL(`https://${text}`);
    } catch {
      return { error: `"${text}" is not a URL or a domain` };
    }
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) return { error: `${host} is an IP address; list the site by its domain name` };
  if (!isValidHostname(host) || !host.includes('.')) return { error: `"${text}" is not a URL or a domain` };
  const site = siteOf(hostOf(url.href) ?? host);
  if (site === null) return { error: `${host} has no registrable domain (it is a public suffix)` };
  url.hash = '';
  return { url: url.href, site };
}

/** Parses the lines of a site list (file content split on newlines, or command-line arguments). */
export function parseSiteList(lines: readonly string[]): SiteList {
  const out: SiteList = { sites: [], errors: [], duplicates: [] };
  const firstLine = new Map<string, number>();
  lines.forEach((raw, i) => {
    const line = i + 1;
    const text = raw.replace(/(^|\s)#.*$/, '').trim();
    if (text === '') return;
    const parsed = parseEntry(text);
    if ('error' in parsed) {
      out.errors.push(`line ${line}: ${parsed.error}`);
      return;
    }
    const earlier = firstLine.get(parsed.site);
    if (earlier !== undefined) {
      out.duplicates.push(`line ${line}: ${parsed.site} is already listed on line ${earlier}; skipped`);
      return;
    }
    firstLine.set(parsed.site, line);
    out.sites.push({ line, input: text, url: parsed.url, site: parsed.site });
  });
  return out;
}
