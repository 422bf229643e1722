/** Setup: proxy address, PAC file, CA download and trust steps, and a live check of this browser. */
import { getJson } from '../api.js';
import { h, mono, section } from '../dom.js';

export const title = 'Setup';

/** Fetches the reserved check host, which only pinaudit answers; resolves with a verdict. */
export async function checkBrowser(url = 'https://check.pinaudit.invalid/') {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 4000);
  try {
    const res = await fetch(url, { cache: 'no-store', credentials: 'omit', signal: abort.signal });
    const body = await res.json();
    return body && body.pinaudit === true ? { ok: true } : { ok: false };
  } catch {
    return { ok: false };
  } finally {
    clearTimeout(timer);
  }
}

/** A panel that runs the check and says what it found; `node` is ready at once. */
export function setupCheck() {
  const result = h('p', { class: 'check-result pending', id: 'check-result', role: 'status' }, 'Checking whether this browser goes through pinaudit…');
  const run = async () => {
    result.className = 'check-result pending';
    result.textContent = 'Checking…';
    const { ok } = await checkBrowser();
    result.className = `check-result ${ok ? 'ok' : 'bad'}`;
    result.textContent = ok
      ? '✓ This browser goes through pinaudit and trusts its certificate. Pinterest requests will be recorded.'
      : '✗ Not yet: this browser either does not use the pinaudit proxy for Pinterest (set the PAC file or proxy shown on the Setup page) or does not trust the pinaudit certificate yet.';
  };
  run();
  return { node: h('div', { class: 'browser-check' }, result, h('button', { type: 'button', class: 'secondary', onclick: run }, 'Check again')) };
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
