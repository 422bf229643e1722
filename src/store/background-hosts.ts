/**
 * Hosts that browsers and operating systems contact on their own: updates, safe browsing,
 * autofill, connectivity checks, certificate status. A tunnel to one of them is not a site the
 * person visited, so "sites you visited" leaves them out.
 *
 * Sources: Chromium's network traffic annotations (tools/traffic_annotation/summary/annotations.xml:
 * component updater, Safe Browsing, autofill, optimization guide, variations) and the hosts a
 * headless Chromium contacted through pinaudit with no page open; Firefox's "Firefox connections"
 * documentation (Remote Settings, push, telemetry, captive-portal detection); and the
 * connectivity checks of Android/ChromeOS, macOS/iOS and Windows (NCSI). Sites that only serve
 * such traffic are listed whole; for mixed sites (google.com) only the service hosts are.
 */

/** Registrable domains that serve only browser or OS services. */
export const BACKGROUND_SITES: ReadonlySet<string> = new Set([
  'googleapis.com', // update., content-autofill., safebrowsing., optimizationguide-pa., …
  'gvt1.com', // component and extension downloads (redirector.gvt1.com, edgedl.me.gvt1.com)
  'gvt2.com',
  'gstatic.com', // connectivitycheck.gstatic.com, fonts and NTP assets
  'googleusercontent.com',
  'mozilla.net', // content-signature, Remote Settings attachments
  'msftconnecttest.com', // Windows NCSI
  'msftncsi.com',
  'windowsupdate.com',
  'pki.goog', // OCSP / CRL of Google Trust Services
  'digicert.com',
  'lencr.org', // Let's Encrypt OCSP
]);

/** Service hosts on sites that people also visit. */
export const BACKGROUND_HOSTS: ReadonlySet<string> = new Set([
  'google.com', // Chromium's default-search and NTP requests to the bare domain
  'clients1.google.com', 'clients2.google.com', 'clients3.google.com', 'clients4.google.com', 'clients5.google.com', 'clients6.google.com',
  'accounts.google.com', // Chromium's account check at start-up, with or without sign-in
  'android.clients.google.com', 'update.googleapis.com', 'safebrowsing.google.com', 'dl.google.com', 'tools.google.com',
  'firefox.settings.services.mozilla.com', 'push.services.mozilla.com', 'incoming.telemetry.mozilla.org',
  'detectportal.firefox.com', 'aus5.mozilla.org', 'shavar.services.mozilla.com', 'location.services.mozilla.com',
  'captive.apple.com', 'ocsp.apple.com', 'mesu.apple.com', 'gs.apple.com',
  'edge.microsoft.com', 'config.edge.skype.com', 'nav.smartscreen.microsoft.com', 'ctldl.windowsupdate.com',
]);

/**
 * Whether a tunnel to `host` (of registrable domain `site`) is the browser's or the OS's own traffic.
 * The host's own suffixes are checked too: the public suffix list makes some service domains
 * (googleapis.com) suffixes, so each of their hosts is a "site" of its own.
 */
export function isBackgroundHost(host: string, site: string | null): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (BACKGROUND_HOSTS.has(h) || (site !== null && BACKGROUND_SITES.has(site.toLowerCase()))) return true;
  for (let dot = h.indexOf('.'); dot !== -1; dot = h.indexOf('.', dot + 1)) {
    if (BACKGROUND_SITES.has(h.slice(dot + 1))) return true;
  }
  return false;
}
