/**
 * The proxy auto-config file: only Pinterest's domains (and the setup-check host) go to pinaudit,
 * with `DIRECT` as fallback so browsing keeps working when pinaudit is not running; everything
 * else goes `DIRECT` and never touches pinaudit at all.
 */
import { CHECK_HOST, PINTEREST_DOMAINS } from '../pinterest/domains.js';

/** The address a browser on this machine should use for a proxy listening on `host`. */
export function proxyAddress(proxy: { host: string; port: number }): string {
  // A wildcard bind is reachable on loopback; an IPv6 literal needs brackets.
  const host = proxy.host === '0.0.0.0' || proxy.host === '::' || proxy.host === '' ? '127.0.0.1' : proxy.host;
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${proxy.port}` : `${host}:${proxy.port}`;
}

/** The PAC file's text. */
export function pacFile(proxy: { host: string; port: number }): string {
  const domains = JSON.stringify([...PINTEREST_DOMAINS]);
  const route = JSON.stringify(`PROXY ${proxyAddress(proxy)}; DIRECT`);
  return `// pinaudit proxy auto-config: only Pinterest's domains go through pinaudit (${proxyAddress(proxy)}).
// If pinaudit is not running the browser falls back to DIRECT, so browsing keeps working.
var PINAUDIT = ${route};
var PINTEREST_DOMAINS = ${domains};
var CHECK_HOST = ${JSON.stringify(CHECK_HOST)};

function FindProxyForURL(url, host) {
  host = host.toLowerCase();
  if (host === CHECK_HOST) return PINAUDIT;
  for (var i = 0; i < PINTEREST_DOMAINS.length; i++) {
    var d = PINTEREST_DOMAINS[i];
    if (host === d || dnsDomainIs(host, "." + d)) return PINAUDIT;
  }
  return "DIRECT";
}
`;
}
