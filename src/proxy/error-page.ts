/**
 * Small pages the proxy answers with itself. They name the host and the kind of failure, never a
 * stack trace or library text, and escape everything that came from the request.
 */
import type { ServerResponse } from 'node:http';
import type { ErrorKind } from '../types.js';

const KIND_TEXT: Record<ErrorKind, string> = {
  refused: 'refused the connection',
  timeout: 'did not answer in time',
  tls: 'presented a certificate that could not be verified',
  reset: 'closed the connection unexpectedly',
  protocol: 'sent a response that is not valid HTTP (or too large a header)',
  dns: 'could not be resolved',
  'client-aborted': 'was abandoned by the client',
  'bad-request': 'was asked for with a malformed request',
  internal: 'could not be reached because of an internal error',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Classifies a Node socket/TLS error into the kinds the user sees. */
export function errorKindOf(err: unknown): ErrorKind {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ETIMEDOUT' || code === 'PINAUDIT_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'PINAUDIT_NOTFOUND') return 'dns';
  if (
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME|ALTNAME/.test(code)
  ) {
    return 'tls';
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED' || code === 'ERR_STREAM_PREMATURE_CLOSE') {
    return 'reset';
  }
  if (code.startsWith('HPE_')) return 'protocol';
  return 'internal';
}

function page(title: string, body: string): string {
  return `<!doctype html><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    `<body style="font:15px system-ui,sans-serif;max-width:40em;margin:3em auto">` +
    `<h1 style="font-size:1.3em">${escapeHtml(title)}</h1>${body}<p style="color:#666">pinaudit</p></body>\n`;
}

/** Answers a request with a small HTML page, unless the response already started. */
export function sendPage(res: ServerResponse, status: number, title: string, text: string, extra: Record<string, string> = {}): void {
  if (res.headersSent || res.writableEnded || res.destroyed) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  const html = page(title, `<p>${escapeHtml(text)}</p>`);
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
    'x-pinaudit': 'proxy-error',
    ...extra,
  });
  res.end(html);
}

export function sendUpstreamError(res: ServerResponse, host: string, kind: ErrorKind): void {
  const status = kind === 'timeout' ? 504 : 502;
  sendPage(res, status, `${host} ${KIND_TEXT[kind]}`, `pinaudit could not complete the request to ${host}: the upstream ${KIND_TEXT[kind]} (${kind}).`, {
    'x-pinaudit-error': kind,
  });
}
