/**
 * Loopback stand-ins for a crawl, each its own registrable domain, reached through
 * --host-resolver-rules and the test PKI: a fake Pinterest (tag library, Save-button script, pin
 * images) and these sites, all over HTTPS:
 *
 * - shop-a.test: the Pinterest tag (the official guarded snippet, a hashed e-mail), the Save
 *   button, pin images, four product pages;
 * - blog-b.test: the Save button and pin images, no tag, two posts;
 * - broken-c.test: loads the tag library without the snippet's stub and calls `pintrk` unguarded
 *   before drawing its content: blocking the tag leaves the page blank with a script error;
 * - redirect-d.test: redirects its home page to shop-e.test (a tag, no links);
 * - silent-f.test: accepts connections and never answers;
 * - tls-h.test: presents a self-signed certificate no one trusts.
 *
 * `extraSites(n)` adds `site-N.test` copies of shop-a for benchmarks. Used by the crawl tests and
 * `bench/crawl.ts`.
 */
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { makeTestPki, type TestPki } from './test-pki.js';

export const TAG_ID = '2612345678901';
export const HASHED_EMAIL = 'a'.repeat(64);
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/** The tag library: replaces the snippet's stub, sends `init`, then every queued and later call. */
const CORE_JS = `(function(){var q=(window.pintrk&&window.pintrk.queue)||[];
function send(ev){new Image().src='https://ct.pinterest.com/v3/?tid=${TAG_ID}&event='+ev+'&ad='+encodeURIComponent(JSON.stringify({loc:location.href}))+'&pd='+encodeURIComponent(JSON.stringify({em:'${HASHED_EMAIL}'}));}
window.pintrk=function(cmd,ev){if(cmd==='track')send(ev||'pagevisit');};
send('init');q.forEach(function(a){window.pintrk.apply(null,a);});})();`;
const PINIT_JS = `(function(){var b=document.createElement('a');b.textContent='Save';b.style.cssText='display:inline-block;background:#e60023;color:#fff;padding:4px 10px';
document.querySelectorAll('[data-pin-do]').forEach(function(e){e.appendChild(b.cloneNode(true));});
new Image().src='https://log.pinterest.com/?type=pidget&via='+encodeURIComponent(location.href);})();`;

const SNIPPET = `<script>!function(e){if(!window.pintrk){window.pintrk=function(){window.pintrk.queue.push(Array.prototype.slice.call(arguments))};
var n=window.pintrk;n.queue=[],n.version="3.0";var t=document.createElement("script");t.async=!0,t.src=e;
var r=document.getElementsByTagName("script")[0];r.parentNode.insertBefore(t,r)}}("https://s.pinimg.com/ct/core.js");
pintrk('load','${TAG_ID}');pintrk('page');pintrk('track','pagevisit');</script>`;
const SAVE = `<script async defer src="https://assets.pinterest.com/js/pinit.js"></script><div data-pin-do="buttonBookmark"></div>`;
const PINS = `<img src="https://i.pinimg.com/236x/ab/cd/01.jpg" width="180" height="120" style="background:#36c">
<img src="https://i.pinimg.com/236x/ab/cd/02.jpg" width="180" height="120" style="background:#c63">`;
const TEXT = 'Hand-thrown stoneware, glazed in small batches. '.repeat(12);

function page(title: string, head: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>${head}</head>
<body style="font:16px sans-serif;margin:20px"><h1>${title}</h1>${body}</body></html>`;
}

function shop(name: string, path: string): string {
  if (path === '/') {
    const links = [1, 2, 3, 4].map((i) => `<li><a href="/p/${i}">Product ${i}</a></li>`).join('');
    return page(`${name} home`, SNIPPET, `${SAVE}${PINS}<p>${TEXT}</p><ul>${links}</ul><a href="/catalogue.pdf">catalogue</a>`);
  }
  return page(`${name} ${path}`, SNIPPET, `${SAVE}${PINS}<p>${TEXT}</p><a href="/">home</a>`);
}

/** Content drawn by a script that calls pintrk first: the unguarded call throws when the tag is blocked. */
const BROKEN = page(
  'Broken C',
  `<script src="https://s.pinimg.com/ct/core.js"></script>`,
  `<div id="main"></div><script>pintrk('track','pagevisit');
document.getElementById('main').innerHTML='<p style="background:#fc0;padding:40px">${TEXT}</p>';</script>`,
);

export interface StandInSites {
  pki: TestPki;
  /** Value for --host-resolver-rules. */
  rules: string;
  /** Path of the PEM to pass as --upstream-ca. */
  caPath: string;
  /** Paths of the fake Pinterest that were asked for, in order. */
  pinterestSeen: string[];
  close(): Promise<void>;
}

export const STAND_IN_SITES = ['shop-a.test', 'blog-b.test', 'broken-c.test', 'redirect-d.test', 'shop-e.test', 'silent-f.test', 'tls-h.test'] as const;

function respond(res: http.ServerResponse, status: number, type: string, body: string | Buffer, extra: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

function siteHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const html = 'text/html; charset=utf-8';
  if (path === '/favicon.ico') return respond(res, 204, 'image/x-icon', '');
  if (host === 'blog-b.test') {
    const links = path === '/' ? '<a href="/post/1">One</a> <a href="/post/2">Two</a>' : '<a href="/">home</a>';
    return respond(res, 200, html, page(`Blog B ${path}`, '', `${SAVE}${PINS}<p>${TEXT}</p>${links}`));
  }
  if (host === 'broken-c.test') return respond(res, 200, html, BROKEN);
  if (host === 'redirect-d.test') return respond(res, 301, 'text/plain', 'moved', { location: 'https://shop-e.test/' });
  if (host === 'shop-e.test') return respond(res, 200, html, page('Shop E', SNIPPET, `${PINS}<p>${TEXT}</p>`));
  if (host === 'shop-a.test' || /^site-\d+\.test$/.test(host)) {
    if (path === '/' || /^\/p\/\d$/.test(path)) return respond(res, 200, html, shop(host, path));
  }
  respond(res, 404, 'text/plain', 'not found');
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

export async function startStandInSites(options: { extraSites?: number } = {}): Promise<StandInSites> {
  const pki = makeTestPki();
  const pinterestSeen: string[] = [];
  const pinCert = pki.server(['*.pinterest.com', 's.pinimg.com', 'i.pinimg.com']);
  const pinterest = https.createServer({ cert: pinCert.cert + pki.caPem, key: pinCert.key }, (req, res) => {
    const url = req.url ?? '/';
    pinterestSeen.push(`${req.headers.host ?? ''}${url}`);
    if (url.startsWith('/ct/core.js')) return respond(res, 200, 'application/javascript', CORE_JS);
    if (url.startsWith('/js/pinit')) return respond(res, 200, 'application/javascript', PINIT_JS);
    respond(res, 200, 'image/gif', GIF);
  });
  const extra = Array.from({ length: options.extraSites ?? 0 }, (_, i) => `site-${i + 1}.test`);
  const names = [...STAND_IN_SITES.filter((s) => s !== 'silent-f.test' && s !== 'tls-h.test'), ...extra];
  // The servers present the root too: the crawl's browser trusts --upstream-ca by public key.
  const siteCert = pki.server(names);
  const sites = https.createServer({ cert: siteCert.cert + pki.caPem, key: siteCert.key }, siteHandler);
  sites.keepAliveTimeout = 5000;
  const silentSockets = new Set<net.Socket>();
  const silent = net.createServer((s) => {
    silentSockets.add(s);
    s.on('close', () => silentSockets.delete(s));
    s.on('error', () => undefined);
  });
  const untrusted = https.createServer(pki.selfSigned('tls-h.test'), siteHandler);
  const [pinPort, sitePort, silentPort, tlsPort] = [await listen(pinterest), await listen(sites), await listen(silent), await listen(untrusted)];
  const rules = [
    `MAP *.pinterest.com 127.0.0.1:${pinPort}`,
    `MAP *.pinimg.com 127.0.0.1:${pinPort}`,
    `MAP silent-f.test 127.0.0.1:${silentPort}`,
    `MAP tls-h.test 127.0.0.1:${tlsPort}`,
    ...names.map((n) => `MAP ${n} 127.0.0.1:${sitePort}`),
  ].join(', ');
  return {
    pki,
    rules,
    caPath: pki.caPath,
    pinterestSeen,
    close: async () => {
      for (const s of silentSockets) s.destroy();
      const closing = [pinterest, sites, silent, untrusted].map((s) => new Promise<void>((r) => s.close(() => r())));
      for (const s of [pinterest, sites, untrusted]) s.closeAllConnections();
      await Promise.all(closing);
      pki.cleanup();
    },
  };
}
