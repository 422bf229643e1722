/** Setup: proxy address, PAC file, CA download and trust steps, and a live check of this browser. */
import { getJson } from '../api.js';
import { fmtNumber, fmtTime, h, mono, plural, section } from '../dom.js';

export const title = 'Setup';

/**
 * What the PAC file gives up, said in one place for every view that mentions it: only Pinterest's
 * connections reach pinaudit, so it never sees which sites you open.
 */
export const PAC_GIVES_UP = 'Through the PAC file only Pinterest goes through pinaudit: the share of the sites you visited that leaked cannot be known, and a Pinterest request that names no page cannot be traced to the site you had just opened (recent-navigation attribution).';

/** The reserved check host, which only pinaudit answers. */
const CHECK_URL = 'https://check.pinaudit.invalid/';

/** What the proxy counted of clients refusing pinaudit's certificate since it started, or null. */
async function refusals() {
  try {
    return (await getJson('/api/setup')).caRejections;
  } catch {
    return null;
  }
}

async function reachesPinaudit(url) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 4000);
  try {
    const res = await fetch(url, { cache: 'no-store', credentials: 'omit', signal: abort.signal });
    const body = await res.json();
    return body !== null && body.pinaudit === true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Fetches the check host and tells the two failures apart: a browser that uses the proxy but does
 * not trust the CA refuses pinaudit's certificate for the check host, which the proxy counts (only
 * this check fetches that host, so other clients' refusals do not count); a browser that does not
 * use the proxy never reaches it. Resolves with the verdict ('ok',
 * 'untrusted' or 'no-proxy') and the proxy's latest count of refusals.
 */
export async function checkBrowser(url = CHECK_URL) {
  const before = await refusals();
  if (await reachesPinaudit(url)) return { verdict: 'ok', refused: before };
  let after = before;
  // The proxy counts the refusal when it reads the browser's alert, which may land just after the fetch failed.
  for (let attempt = 0; before !== null && attempt < 5; attempt++) {
    after = (await refusals()) ?? after;
    if (after.checkHost > before.checkHost) return { verdict: 'untrusted', refused: after };
    await new Promise((r) => setTimeout(r, 200));
  }
  return { verdict: 'no-proxy', refused: after };
}

const VERDICTS = {
  ok: '✓ This browser goes through pinaudit and trusts its certificate. Pinterest requests will be recorded.',
  untrusted: '✗ This browser uses the pinaudit proxy but does not trust pinaudit’s certificate: it refused the certificate pinaudit showed for the check. Fix: download the certificate and trust it (step 2 on the Setup page, with the steps for your system), restart the browser, then check again.',
  'no-proxy': '✗ This browser does not use the pinaudit proxy: the check host, which only pinaudit answers, could not be reached. Fix: set the PAC file URL or the manual proxy (step 1 on the Setup page) in the browser or system proxy settings, then check again.',
};

/** Which hosts clients refused pinaudit's certificate for (other browsers and apps count too). */
function refusedText(r) {
  if (!r || r.total === 0) return '';
  const hosts = r.hosts.map((x) => `${x.host} (${fmtNumber(x.count)})`).join(', ');
  const more = r.moreHosts + r.untracked > 0 ? ' and more' : '';
  return `Since pinaudit started, clients refused its certificate ${plural(r.total, 'time')} (last ${fmtTime(r.lastAt)}), for ${hosts}${more}. Each such client uses the proxy but does not trust the certificate yet.`;
}

/** A panel that runs the check and says what it found; `node` is ready at once. */
export function setupCheck() {
  const result = h('p', { class: 'check-result pending', id: 'check-result', role: 'status' }, 'Checking whether this browser goes through pinaudit…');
  const note = h('p', { class: 'muted small', id: 'ca-refusals' });
  const run = async () => {
    result.className = 'check-result pending';
    result.textContent = 'Checking…';
    const { verdict, refused } = await checkBrowser();
    result.className = `check-result ${verdict === 'ok' ? 'ok' : `bad ${verdict}`}`;
    result.dataset.verdict = verdict;
    result.textContent = VERDICTS[verdict];
    note.textContent = refusedText(refused);
  };
  run();
  return { node: h('div', { class: 'browser-check' }, result, note, h('button', { type: 'button', class: 'secondary', onclick: run }, 'Check again')) };
}

export async function render() {
  const s = await getJson('/api/setup');
  const pacUrl = `${location.origin}${s.pacPath}`;
  const check = setupCheck();
  return h('div', { class: 'setup' },
    h('div', { class: 'page-head' }, h('h1', {}, 'Setup'),
      h('p', { class: 'lede' }, 'Two steps: send your browser’s Pinterest traffic through pinaudit, and trust pinaudit’s certificate so it can read that traffic. Nothing else is decrypted.')),
    section('Is this browser set up?', check.node),
    h('div', { class: 'grid-2' },
      section('1. Use the proxy for Pinterest',
        h('p', {}, 'Best: set this automatic proxy configuration (PAC) URL in your browser or system proxy settings. It sends only Pinterest’s domains to pinaudit and everything else directly, and falls back to a direct connection when pinaudit is not running.'),
        h('p', { class: 'copy' }, mono(pacUrl)),
        h('p', { class: 'note', id: 'pac-gives-up' }, `${PAC_GIVES_UP} The manual proxy below keeps both.`),
        h('p', {}, 'Or set a manual HTTP and HTTPS proxy: ', mono(s.proxy.address), '. Other sites then pass through a blind tunnel: pinaudit sees their name, never their content.')),
      section('2. Trust the pinaudit certificate',
        h('p', {}, h('a', { class: 'button primary', href: s.ca.downloadPath, download: 'pinaudit-ca.pem' }, 'Download certificate (pinaudit-ca.pem)')),
        h('dl', { class: 'facts' },
          h('dt', {}, 'SHA-256 fingerprint'), h('dd', {}, mono(s.ca.fingerprint)),
          h('dt', {}, 'Expires'), h('dd', {}, new Date(s.ca.notAfter).toLocaleDateString()),
          h('dt', {}, 'File on this computer'), h('dd', {}, mono(s.ca.certPath))),
        h('p', {}, 'This certificate can only vouch for Pinterest’s domains (X.509 name constraints), so even a stolen key cannot impersonate your bank or any other site.'))),
    section('Trust steps for your system', h('pre', { class: 'instructions' }, s.ca.instructions)),
    section('Domains sent to pinaudit', h('p', { class: 'small domains' }, s.pinterestDomains.join(' · '))),
  );
}
