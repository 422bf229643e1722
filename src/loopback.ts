/**
 * Which host names always mean this machine: `localhost` and every name under `.localhost`
 * (RFC 6761 §6.3: resolvers must answer them with loopback, and browsers do so without asking
 * DNS, so a rebinding attacker cannot point them elsewhere), the IPv4 loopback block 127.0.0.0/8
 * written as a valid dotted quad, and `::1` (bracketed or not). Used by the dashboard's Host guard
 * and by the configuration's loopback-only bind check.
 */
import { isIPv4 } from 'node:net';

/** True for names that only ever mean this machine; `127.300.0.1` is no address, so false. */
export function isLoopbackName(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || /^(?:[a-z0-9_-]+\.)+localhost$/.test(h)) return true;
  if (h === '::1') return true;
  return isIPv4(h) && h.startsWith('127.');
}
