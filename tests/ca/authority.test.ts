/**
 * The CA: created once per install with a 0600 key in a 0700 folder, name-constrained to
 * Pinterest's domains (checked by `openssl verify`, an independent verifier), renewed before expiry.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { PERMITTED_NAMES } from '../../src/app.js';
import { Authority } from '../../src/ca/authority.js';
import { createLeaf, generateKeyPair, keyPairFromPem, readCertificate } from '../../src/ca/x509.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'pinaudit-ca-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function verify(dir: string, caPath: string, leafPem: string, host: string): { ok: boolean; output: string } {
  const leafPath = join(dir, `leaf-${host}.pem`);
  writeFileSync(leafPath, leafPem);
  try {
    const out = execFileSync('openssl', ['verify', '-CAfile', caPath, '-purpose', 'sslserver', leafPath], { encoding: 'utf8', stdio: 'pipe' });
    return { ok: true, output: out };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Signs a leaf for `host` with the install's CA key, as a thief holding ca/ could. */
async function mintWithStolenKey(ca: Authority, host: string): Promise<string> {
  const stolen = await keyPairFromPem(readFileSync(ca.summary.keyPath, 'utf8'));
  const leafKeys = await generateKeyPair();
  const now = Date.now();
  const m = await createLeaf(host, leafKeys.publicKey, ca.summary.certPem, stolen.privateKey, new Date(now - 60_000), new Date(now + 86_400_000));
  return m.pem;
}

describe('CA files', () => {
  test('first start creates the CA: key 0600, folder 0700; the second start reuses it', async () => {
    const dir = join(tmp(), 'ca');
    const first = await Authority.open(dir, { permitted: PERMITTED_NAMES });
    expect(first.summary.created).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(first.summary.keyPath).mode & 0o777).toBe(0o600);
    const second = await Authority.open(dir, { permitted: PERMITTED_NAMES });
    expect(second.summary.created).toBe(false);
    expect(second.summary.fingerprint).toBe(first.summary.fingerprint);
  });

  test('each install gets its own CA', async () => {
    const a = await Authority.open(join(tmp(), 'ca'), { permitted: PERMITTED_NAMES });
    const b = await Authority.open(join(tmp(), 'ca'), { permitted: PERMITTED_NAMES });
    expect(a.summary.fingerprint).not.toBe(b.summary.fingerprint);
  });

  test('a CA close to expiry is renewed and says so', async () => {
    const dir = join(tmp(), 'ca');
    const old = await Authority.open(dir, { permitted: PERMITTED_NAMES, validityDays: 10 });
    const renewed = await Authority.open(dir, { permitted: PERMITTED_NAMES });
    expect(renewed.summary.renewed).toBe(true);
    expect(renewed.summary.fingerprint).not.toBe(old.summary.fingerprint);
    expect(renewed.summary.notAfter.getTime()).toBeGreaterThan(Date.now() + 700 * 86_400_000);
  });

  test('a corrupt CA file is a coded error, not a crash', async () => {
    const dir = join(tmp(), 'ca');
    const ca = await Authority.open(dir, { permitted: PERMITTED_NAMES });
    writeFileSync(ca.summary.keyPath, 'garbage');
    await expect(Authority.open(dir, { permitted: PERMITTED_NAMES })).rejects.toMatchObject({ code: 'CA_CORRUPT' });
  });

  test('an unwritable CA folder is a coded error', async () => {
    const file = join(tmp(), 'not-a-dir');
    writeFileSync(file, '');
    await expect(Authority.open(join(file, 'ca'), { permitted: PERMITTED_NAMES })).rejects.toMatchObject({ code: 'DIR_UNWRITABLE' });
  });

  test('a loosened key mode is tightened again', async () => {
    const dir = join(tmp(), 'ca');
    const ca = await Authority.open(dir, { permitted: PERMITTED_NAMES });
    execFileSync('chmod', ['0644', ca.summary.keyPath]);
    await Authority.open(dir, { permitted: PERMITTED_NAMES });
    expect(statSync(ca.summary.keyPath).mode & 0o777).toBe(0o600);
  });
});

describe('name constraints (openssl verify)', () => {
  test('the root carries a critical Name Constraints extension naming only Pinterest', async () => {
    const dir = tmp();
    const ca = await Authority.open(join(dir, 'ca'), { permitted: PERMITTED_NAMES });
    const text = execFileSync('openssl', ['x509', '-in', ca.summary.certPath, '-noout', '-ext', 'nameConstraints'], { encoding: 'utf8' });
    expect(text).toMatch(/Name Constraints: critical/);
    expect(text).toContain('DNS:pinterest.com');
    expect(text).toContain('DNS:pinimg.com');
    expect(text).not.toMatch(/DNS:(?!pin|check\.pinaudit\.invalid)/);
    expect(text).toMatch(/Excluded:\s+IP:0\.0\.0\.0\/0\.0\.0\.0\s+IP:0:0:0:0:0:0:0:0\/0:0:0:0:0:0:0:0/);
  });

  test.each([
    ['ct.pinterest.com', true],
    ['s.pinimg.com', true],
    ['www.pinterest.co.uk', true],
    ['check.pinaudit.invalid', true],
    ['example.com', false],
    ['pinterest.com.evil.test', false],
    ['notpinterest.com', false],
    ['accounts.google.com', false],
  ])('a leaf for %s signed by the CA key → accepted: %s', async (host, accepted) => {
    const dir = tmp();
    const ca = await Authority.open(join(dir, 'ca'), { permitted: PERMITTED_NAMES });
    const result = verify(dir, ca.summary.certPath, await mintWithStolenKey(ca, host), host);
    expect(result.ok).toBe(accepted);
    if (!accepted) expect(result.output).toMatch(/permitted subtree violation/);
  });

  test('a leaf for an IP address is rejected (excluded subtree)', async () => {
    const dir = tmp();
    const ca = await Authority.open(join(dir, 'ca'), { permitted: PERMITTED_NAMES });
    // openssl itself, holding the stolen key, mints a leaf with an IP SAN.
    writeFileSync(join(dir, 'ext'), 'subjectAltName=IP:93.184.216.34\n');
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'ip.key'), '-subj', '/CN=93.184.216.34', '-out', join(dir, 'ip.csr')], { stdio: 'pipe' });
    execFileSync('openssl', ['x509', '-req', '-in', join(dir, 'ip.csr'), '-CA', ca.summary.certPath, '-CAkey', ca.summary.keyPath, '-CAcreateserial', '-days', '1', '-extfile', join(dir, 'ext'), '-out', join(dir, 'ip.pem')], { stdio: 'pipe' });
    const result = verify(dir, ca.summary.certPath, readFileSync(join(dir, 'ip.pem'), 'utf8'), 'ip');
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/excluded subtree violation/);
  });

  test('leaves issued by the running authority verify and share one key', async () => {
    const dir = tmp();
    const ca = await Authority.open(join(dir, 'ca'), { permitted: PERMITTED_NAMES });
    const [a, b, again] = await Promise.all([ca.leaf('ct.pinterest.com'), ca.leaf('i.pinimg.com'), ca.leaf('ct.pinterest.com')]);
    expect(verify(dir, ca.summary.certPath, a!.certPem, 'a').ok).toBe(true);
    expect(verify(dir, ca.summary.certPath, b!.certPem, 'b').ok).toBe(true);
    expect(a!.keyPem).toBe(b!.keyPem);
    expect(again).toBe(a);
    expect(readCertificate(a!.certPem).notAfter.getTime()).toBeLessThanOrEqual(ca.summary.notAfter.getTime());
  });
});
