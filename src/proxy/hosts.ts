/**
 * Validation of host names from CONNECT targets and Host headers. Everything that reaches a file
 * path, a certificate or a socket goes through here first: a name with a path separator, a control
 * character, an empty or over-long label is refused before anything touches the disk.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface HostPort {
  /** Lower-case name, IPv4 literal, or IPv6 literal without brackets. */
  host: string;
  port: number;
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** True for a syntactically valid DNS name or IP literal (no brackets). */
export function isValidHostname(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  if (isIPv4(host) || isIPv6(host)) return true;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length === 0) return false;
  const labels = name.split('.');
  // All-numeric final label that is not an IPv4 literal (e.g. `1.2.3`) is not a name.
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) return false;
  return labels.every((l) => LABEL.test(l));
}

function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}

/**
 * Parses `host:port`, `[v6]:port` or (when `defaultPort` is given) a bare host. Returns `null`
 * for anything invalid. The host is lower-cased and a trailing dot removed.
 */
export function parseHostPort(text: string, defaultPort?: number): HostPort | null {
  if (text.length === 0 || text.length > 300) return null;
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) return null;
    host = text.slice(1, end);
    const rest = text.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) return null;
    portText = rest === '' ? undefined : rest.slice(1);
    if (!isIPv6(host)) return null;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0 && text.indexOf(':') !== colon) return null; // bare IPv6 without brackets
    host = colon >= 0 ? text.slice(0, colon) : text;
    portText = colon >= 0 ? text.slice(colon + 1) : undefined;
  }
  host = host.toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (!isValidHostname(host)) return null;
  const port = portText === undefined ? defaultPort : parsePort(portText);
  if (port === undefined || port === null) return null;
  return { host, port };
}

/** `host:port` for display and URLs (IPv6 in brackets). */
export function formatHostPort(hp: HostPort, defaultPort?: number): string {
  const host = isIPv6(hp.host) ? `[${hp.host}]` : hp.host;
  return hp.port === defaultPort ? host : `${host}:${hp.port}`;
}
