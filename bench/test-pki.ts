/**
 * Test PKI made with the openssl command line, independent of the code under test: a test root and
 * server certificates for the loopback upstreams that play Pinterest and other sites.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  caPem: string;
  caPath: string;
  /** Certificate + key for the given names, signed by the test root. */
  server(names: string[]): { cert: string; key: string };
  /** A self-signed certificate no one trusts. */
  selfSigned(name: string): { cert: string; key: string };
  cleanup(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'pinaudit-pki-'));
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'root.key'], dir);
  openssl(['req', '-x509', '-new', '-key', 'root.key', '-sha256', '-days', '30', '-subj', '/CN=pinaudit test upstream root', '-out', 'root.pem'], dir);
  let n = 0;
  return {
    dir,
    caPath: join(dir, 'root.pem'),
    caPem: readFileSync(join(dir, 'root.pem'), 'utf8'),
    server(names) {
      const id = `srv${++n}`;
      const san = names.map((h) => (/^[\d.]+$/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
      writeFileSync(join(dir, `${id}.ext`), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
      openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${id}.key`], dir);
      openssl(['req', '-new', '-key', `${id}.key`, '-subj', `/CN=${names[0]}`, '-out', `${id}.csr`], dir);
      openssl(['x509', '-req', '-in', `${id}.csr`, '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '30', '-sha256', '-extfile', `${id}.ext`, '-out', `${id}.pem`], dir);
      return { cert: readFileSync(join(dir, `${id}.pem`), 'utf8'), key: readFileSync(join(dir, `${id}.key`), 'utf8') };
    },
    selfSigned(name) {
      const id = `self${++n}`;
      openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${id}.key`, '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`, '-days', '30', '-out', `${id}.pem`], dir);
      return { cert: readFileSync(join(dir, `${id}.pem`), 'utf8'), key: readFileSync(join(dir, `${id}.key`), 'utf8') };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
