/** How to trust the pinaudit CA, per system. Printed by `pinaudit ca` and shown on the dashboard. */
import type { CaSummary } from './authority.js';

export function trustInstructions(ca: Pick<CaSummary, 'certPath' | 'fingerprint' | 'notAfter'>): string {
  const p = ca.certPath;
  return `pinaudit CA certificate
  file      ${p}
  SHA-256   ${ca.fingerprint}
  expires   ${ca.notAfter.toISOString().slice(0, 10)}

This CA can only vouch for Pinterest's domains: its Name Constraints extension permits no other
names, so even a stolen key cannot impersonate your bank or any other site. Trust it where your
browser looks for roots:

macOS
  sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain "${p}"

Windows (PowerShell as administrator)
  Import-Certificate -FilePath "${p}" -CertStoreLocation Cert:\\LocalMachine\\Root

Debian / Ubuntu (system store: curl, most programs)
  sudo cp "${p}" /usr/local/share/ca-certificates/pinaudit-ca.crt && sudo update-ca-certificates

Chrome / Chromium on Linux (NSS database; needs libnss3-tools)
  certutil -d sql:$HOME/.pki/nssdb -A -t "C,," -n pinaudit -i "${p}"

Firefox (any system)
  Settings → Privacy & Security → Certificates → View Certificates → Authorities → Import…
  choose ${p} and tick "Trust this CA to identify websites".
  Or with NSS tools: certutil -d sql:<profile folder> -A -t "C,," -n pinaudit -i "${p}"

Check the fingerprint your system shows against the SHA-256 above before you trust it.
`;
}
