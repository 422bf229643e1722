/**
 * The install's certificate authority: created on first start, kept in the CA directory (0700)
 * with its key at 0600, renewed before it expires, and used to issue leaf certificates for the
 * Pinterest hosts the proxy intercepts. Every leaf shares one key pair made at start-up, so a new
 * host costs one signature, not a key generation. Leaves live in memory only.
 */
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureWritableDir } from '../fs-util.js';
import { messageOf, PinauditError } from '../errors.js';
import {
  createLeaf,
  createRoot,
  generateKeyPair,
  keyPairFromPem,
  privateKeyToPem,
  readCertificate,
  type CryptoKey,
  type KeyPair,
} from './x509.js';

const DAY = 86_400_000;
export const CA_CERT_FILE = 'pinaudit-ca.pem';
export const CA_KEY_FILE = 'pinaudit-ca.key';

export interface AuthorityOptions {
  /** DNS subtrees the root permits. */
  permitted: readonly string[];
  /** Root validity for a new CA, in days. */
  validityDays?: number;
  /** Renew when fewer days than this remain. */
  renewWithinDays?: number;
  now?: () => Date;
  /** Largest number of leaf certificates kept in memory. */
  leafCacheSize?: number;
}

export interface Leaf {
  certPem: string;
  keyPem: string;
}

export interface CaSummary {
  certPath: string;
  keyPath: string;
  certPem: string;
  fingerprint: string;
  notAfter: Date;
  /** True when this start created the CA. */
  created: boolean;
  /** True when this start replaced a CA that was about to expire (browsers must trust it anew). */
  renewed: boolean;
}

export class Authority {
  readonly summary: CaSummary;
  readonly #caKey: CryptoKey;
  readonly #leafKeys: KeyPair;
  readonly #leafKeyPem: string;
  readonly #leaves = new Map<string, Promise<Leaf>>();
  readonly #cacheSize: number;
  readonly #now: () => Date;

  private constructor(summary: CaSummary, caKey: CryptoKey, leafKeys: KeyPair, leafKeyPem: string, opts: AuthorityOptions) {
    this.summary = summary;
    this.#caKey = caKey;
    this.#leafKeys = leafKeys;
    this.#leafKeyPem = leafKeyPem;
    this.#cacheSize = opts.leafCacheSize ?? 2048;
    this.#now = opts.now ?? (() => new Date());
  }

  /** Loads the CA from `dir`, creating or renewing it as needed. */
  static async open(dir: string, opts: AuthorityOptions): Promise<Authority> {
    const now = (opts.now ?? (() => new Date()))();
    const certPath = join(dir, CA_CERT_FILE);
    const keyPath = join(dir, CA_KEY_FILE);
    prepareDir(dir);

    let created = false;
    let renewed = false;
    let certPem: string;
    let keys: KeyPair;
    if (existsSync(certPath) && existsSync(keyPath)) {
      try {
        certPem = readFileSync(certPath, 'utf8');
        keys = await keyPairFromPem(readFileSync(keyPath, 'utf8'));
        readCertificate(certPem);
      } catch (err) {
        throw new PinauditError(
          'CA_CORRUPT',
          `the CA in ${dir} cannot be read (${messageOf(err)}); move the folder away to create a new CA`,
        );
      }
      // Someone may have loosened the key's mode; a key readable by others defeats its purpose.
      if ((statSync(keyPath).mode & 0o077) !== 0) chmodSync(keyPath, 0o600);
      const days = (readCertificate(certPem).notAfter.getTime() - now.getTime()) / DAY;
      if (days < (opts.renewWithinDays ?? 30)) renewed = true;
    } else {
      created = true;
    }
    if (created || renewed) {
      keys = await generateKeyPair();
      const root = await createRoot(
        keys,
        opts.permitted,
        new Date(now.getTime() - DAY),
        new Date(now.getTime() + (opts.validityDays ?? 825) * DAY),
      );
      certPem = root.pem;
      writeSecret(keyPath, await privateKeyToPem(keys.privateKey));
      writeAtomic(certPath, certPem, 0o644);
    }
    const info = readCertificate(certPem!);
    const leafKeys = await generateKeyPair();
    const summary: CaSummary = {
      certPath,
      keyPath,
      certPem: certPem!,
      fingerprint: info.fingerprint,
      notAfter: info.notAfter,
      created,
      renewed,
    };
    return new Authority(summary, keys!.privateKey, leafKeys, await privateKeyToPem(leafKeys.privateKey), opts);
  }

  /** A leaf certificate for `host` (cached; concurrent calls for one host share the work). */
  leaf(host: string): Promise<Leaf> {
    const cached = this.#leaves.get(host);
    if (cached) return cached;
    const now = this.#now();
    const notAfter = Math.min(this.summary.notAfter.getTime(), now.getTime() + 397 * DAY);
    const pending = createLeaf(
      host,
      this.#leafKeys.publicKey,
      this.summary.certPem,
      this.#caKey,
      new Date(now.getTime() - 3_600_000),
      new Date(notAfter),
    ).then((m) => ({ certPem: m.pem, keyPem: this.#leafKeyPem }));
    pending.catch(() => this.#leaves.delete(host));
    if (this.#leaves.size >= this.#cacheSize) {
      const oldest = this.#leaves.keys().next().value;
      if (oldest !== undefined) this.#leaves.delete(oldest);
    }
    this.#leaves.set(host, pending);
    return pending;
  }
}

function prepareDir(dir: string): void {
  try {
    ensureWritableDir(dir, 0o700);
    chmodSync(dir, 0o700);
  } catch (err) {
    throw new PinauditError('DIR_UNWRITABLE', `cannot write the CA directory ${dir}: ${messageOf(err)}`);
  }
}

function writeAtomic(path: string, data: string, mode: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode, flag: 'w' });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/** Writes a private key: created 0600 from the first byte, never readable by others. */
function writeSecret(path: string, data: string): void {
  writeAtomic(path, data, 0o600);
}
