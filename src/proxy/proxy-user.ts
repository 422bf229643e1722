/**
 * Proxy credentials as a traffic label. When the proxy asks for them (`requireProxyUser`), a client
 * must send `Proxy-Authorization: Basic …` with its CONNECTs and plain-HTTP requests; the user name
 * then names where the traffic came from. The crawler gives each browser context its own user name,
 * so every request can be traced to the context, and so to the page the crawler had open. The
 * password is not checked: the proxy listens on loopback and the label is not a secret.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** The answer that makes a browser retry with its proxy credentials. */
export const PROXY_AUTH_REQUIRED =
  'HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic realm="pinaudit"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n';

const USER = /^[A-Za-z0-9._-]{1,64}$/;

/** The user name of a Basic `Proxy-Authorization` header, or `null` when absent or malformed. */
export function proxyUserOf(headers: IncomingHttpHeaders): string | null {
  const value = headers['proxy-authorization'];
  if (typeof value !== 'string') return null;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(value);
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon === -1 ? decoded : decoded.slice(0, colon);
  return USER.test(user) ? user : null;
}
