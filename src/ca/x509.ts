/**
 * Certificate minting: the only module that imports @peculiar/x509 (and its ASN.1 packages). Keys are ECDSA P-256 made and
 * used through Node's WebCrypto, so signing a leaf costs well under a millisecond and never blocks
 * the event loop for long (node-forge's RSA in JavaScript took ~200 ms per host).
 *
 * The root carries a critical Name Constraints extension (RFC 5280 §4.2.1.10) that permits only the
 * given DNS subtrees and excludes every IPv4 and IPv6 address, so its key cannot mint a certificate
 * that verifiers accept for any other site. @peculiar/x509 has no class for that extension, so it is
 * built from the ASN.1 schema of @peculiar/asn1-x509 (which @peculiar/x509 itself is built on).
 */
import 'reflect-metadata';
import { createHash, webcrypto } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';

export type { CryptoKey };

type CryptoKey = webcrypto.CryptoKey;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

export interface KeyPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

export async function generateKeyPair(): Promise<KeyPair> {
  return (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as KeyPair;
}

export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** Imports a PKCS#8 PEM private key and derives its public half. */
export async function keyPairFromPem(pem: string): Promise<KeyPair> {
  const der = x509.PemConverter.decode(pem)[0];
  if (!der) throw new Error('no PEM block found');
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, EC, true, ['sign']);
  const jwk = await webcrypto.subtle.exportKey('jwk', privateKey);
  delete jwk.d;
  jwk.key_ops = ['verify'];
  const publicKey = await webcrypto.subtle.importKey('jwk', jwk, EC, true, ['verify']);
  return { privateKey, publicKey };
}

/** DER of NameConstraints permitting `dnsNames` (and their subdomains), excluding all IPv4 and IPv6 addresses. */
export function nameConstraintsDer(dnsNames: readonly string[]): Buffer {
  const subtrees = (names: GeneralName[]): GeneralSubtrees => new GeneralSubtrees(names.map((base) => new GeneralSubtree({ base })));
  const constraints = new NameConstraints({
    permittedSubtrees: subtrees(dnsNames.map((dNSName) => new GeneralName({ dNSName }))),
    excludedSubtrees: subtrees([new GeneralName({ iPAddress: '0.0.0.0/0' }), new GeneralName({ iPAddress: '::/0' })]),
  });
  return Buffer.from(AsnConvert.serialize(constraints));
}

function serial(): string {
  // Positive 16-byte serial: clear the top bit.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

export interface Minted {
  pem: string;
  notAfter: Date;
  /** SHA-256 of the DER certificate, colon-separated upper-case hex (as browsers show it). */
  fingerprint: string;
}

export function fingerprintOf(der: ArrayBuffer | Buffer): string {
  const hex = createHash('sha256').update(Buffer.from(der as ArrayBuffer)).digest('hex').toUpperCase();
  return hex.match(/../g)!.join(':');
}

function minted(cert: x509.X509Certificate): Minted {
  return { pem: cert.toString('pem'), notAfter: cert.notAfter, fingerprint: fingerprintOf(cert.rawData) };
}

/** A self-signed, name-constrained root. */
export async function createRoot(
  keys: KeyPair,
  permitted: readonly string[],
  notBefore: Date,
  notAfter: Date,
): Promise<Minted> {
  const suffix = serial().slice(0, 8);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=pinaudit local CA ${suffix}, O=pinaudit (Pinterest domains only)`,
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      new x509.Extension('2.5.29.30', true, nameConstraintsDer(permitted)),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return minted(cert);
}

/** Parses a PEM certificate: its validity and fingerprint. */
export function readCertificate(pem: string): Minted & { notBefore: Date; subject: string } {
  const cert = new x509.X509Certificate(pem);
  return { ...minted(cert), notBefore: cert.notBefore, subject: cert.subject };
}

/** A server certificate for `host`, signed by the root. */
export async function createLeaf(
  host: string,
  leafPublicKey: CryptoKey,
  caPem: string,
  caKey: CryptoKey,
  notBefore: Date,
  notAfter: Date,
): Promise<Minted> {
  const ca = new x509.X509Certificate(caPem);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${host}`,
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: leafPublicKey,
    signingKey: caKey,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: host }], false),
      await x509.AuthorityKeyIdentifierExtension.create(ca, false),
    ],
  });
  return minted(cert);
}
