/**
 * The Name Constraints extension, now built from @peculiar/asn1-x509's schema, is byte for byte
 * the DER the hand-written encoder produced (recorded below before the change), so every root
 * already made and trusted stays exactly as verifiers read it.
 */
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { nameConstraintsDer } from '../../src/ca/x509.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('nameConstraintsDer', () => {
  test('two names: permitted dNSName subtrees, then 0.0.0.0/0 and ::/0 excluded', () => {
    expect(nameConstraintsDer(['pinterest.com', 'pinimg.com']).toString('hex')).toBe(
      '3053a01f300f820d70696e7465726573742e636f6d300c820a70696e696d672e636f6d' +
        'a130300a87080000000000000000302287200000000000000000000000000000000000000000000000000000000000000000',
    );
  });

  test('a long list (two-byte lengths) is encoded as before', () => {
    const der = nameConstraintsDer(Array.from({ length: 40 }, (_, i) => `host${i}.example.com`));
    expect(der.length).toBe(928);
    expect(sha256(der)).toBe('0094afc487f4ecf9580b3a1fafa76cc40de6e87c716676d81a51ccf4f0a1f2c6');
  });
});
