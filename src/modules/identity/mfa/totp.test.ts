import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { base32Decode, base32Encode, hotp, matchTotp, provisioningUri, timeStep, totp } from './totp.ts';

describe('HOTP and TOTP', () => {
  it('AUTH-2: passes the RFC 4226 Appendix D test values', () => {
    const key = Buffer.from('12345678901234567890', 'ascii');
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expected.forEach((code, counter) => {
      assert.equal(hotp(key, BigInt(counter)), code, `counter ${counter}`);
    });
  });

  it('AUTH-2: passes the RFC 6238 Appendix B test vectors (SHA-1, SHA-256, SHA-512, 8 digits)', () => {
    const keys = {
      sha1: Buffer.from('12345678901234567890', 'ascii'),
      sha256: Buffer.from('12345678901234567890123456789012', 'ascii'),
      sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii'),
    };
    const vectors: [number, string, string, string][] = [
      [59, '94287082', '46119246', '90693936'],
      [1111111109, '07081804', '68084774', '25091201'],
      [1111111111, '14050471', '67062674', '99943326'],
      [1234567890, '89005924', '91819424', '93441116'],
      [2000000000, '69279037', '90698825', '38618901'],
      [20000000000, '65353130', '77737706', '47863826'],
    ];
    for (const [seconds, sha1, sha256, sha512] of vectors) {
      const now = new Date(seconds * 1000);
      assert.equal(totp(keys.sha1, now, { digits: 8, algorithm: 'sha1' }), sha1, `SHA-1 at ${seconds}`);
      assert.equal(totp(keys.sha256, now, { digits: 8, algorithm: 'sha256' }), sha256, `SHA-256 at ${seconds}`);
      assert.equal(totp(keys.sha512, now, { digits: 8, algorithm: 'sha512' }), sha512, `SHA-512 at ${seconds}`);
    }
  });

  it('accepts a code one step either side of now, and no further', () => {
    const key = Buffer.from('12345678901234567890', 'ascii');
    const now = new Date(1_700_000_000_000);
    const step = timeStep(now);
    for (const delta of [-1n, 0n, 1n]) assert.equal(matchTotp(key, hotp(key, step + delta), now, null), step + delta);
    for (const delta of [-2n, 2n]) assert.equal(matchTotp(key, hotp(key, step + delta), now, null), undefined);
  });

  it('refuses a code whose step is not after the last one used', () => {
    const key = Buffer.from('12345678901234567890', 'ascii');
    const now = new Date(1_700_000_000_000);
    const step = timeStep(now);
    assert.equal(matchTotp(key, hotp(key, step), now, step), undefined);
    assert.equal(matchTotp(key, hotp(key, step - 1n), now, step), undefined);
    assert.equal(matchTotp(key, hotp(key, step + 1n), now, step), step + 1n);
  });

  it('refuses anything but six digits', () => {
    const key = Buffer.from('12345678901234567890', 'ascii');
    for (const code of ['', '12345', '1234567', 'abcdef', ' 123456']) assert.equal(matchTotp(key, code, new Date(), null), undefined);
  });

  it('round-trips base32 (RFC 4648 §10 vectors)', () => {
    assert.equal(base32Encode(Buffer.from('foobar')), 'MZXW6YTBOI');
    assert.equal(base32Encode(Buffer.from('fooba')), 'MZXW6YTB');
    assert.equal(base32Decode('MZXW6YTBOI======').toString(), 'foobar');
    assert.equal(base32Decode('mzxw 6ytb').toString(), 'fooba');
    assert.throws(() => base32Decode('MZ1'));
  });

  it('builds an otpauth URI with issuer and account', () => {
    const uri = provisioningUri({ secret: 'JBSWY3DPEHPK3PXP', issuer: 'Parapet', account: 'a@example.com' });
    assert.equal(uri, 'otpauth://totp/Parapet:a%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Parapet&algorithm=SHA1&digits=6&period=30');
  });
});
