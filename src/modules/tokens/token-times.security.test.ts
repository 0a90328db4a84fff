// Defence in depth if an access-token signing key leaks (issue 14): a token dated in the future
// beyond the clock skew, or living longer than Parapet issues tokens for, is refused by every
// verifier — the server's (both bearer authenticators share verifyAccessToken) and the SDK's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLocalJWKSet } from 'jose';
import { TEST_KEYRING } from '../../../test/support/databases.ts';
import { manualClock } from '../../platform/clock.ts';
import { createTokenVerifier, TokenVerificationError } from '../../sdk/index.ts';
import { signAccessToken } from './sign-access-token.ts';
import { createTokenKeys } from './token-keys.ts';
import { AccessTokenError, verifyAccessToken } from './verify-access-token.ts';

const ISSUER = 'https://parapet.example.com';
const AUDIENCE = 'https://parapet.example.com/api';
const SUB = '0190d6a0-0000-7000-8000-000000000001';

describe('access-token times', () => {
  const clock = manualClock(new Date('2026-03-01T12:00:00Z'));
  const keys = createTokenKeys({ keyring: TEST_KEYRING, clock, rotationDays: 30 });
  const now = clock.now();
  const mint = (issuedAt: Date, ttlSeconds: number) =>
    signAccessToken(keys, { issuer: ISSUER, jti: crypto.randomUUID(), now: issuedAt, ttlSeconds, sub: SUB, aud: AUDIENCE, extra: { sid: '0190d6a0-0000-7000-8000-000000000002' } }).then((t) => t.token);
  const server = (token: string) => verifyAccessToken(keys, token, { issuer: ISSUER, audience: AUDIENCE, now });
  const sdk = () => createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: `${ISSUER}/.well-known/jwks.json`, clock: () => now, keys: createLocalJWKSet({ keys: keys.published().map((k) => k.jwk) }) });

  it('accepts a token as Parapet issues it (15 minutes, issued now or a minute ago)', async () => {
    for (const issuedAt of [now, new Date(now.getTime() - 60_000)]) {
      const token = await mint(issuedAt, 900);
      await server(token);
      await sdk().verify(token);
    }
  });

  it('refuses a token whose lifetime is longer than Parapet issues, on the server and in the SDK', async () => {
    for (const ttl of [901, 86_400, 10 * 365 * 86_400]) {
      const token = await mint(now, ttl);
      await assert.rejects(server(token), AccessTokenError, `server, ttl ${ttl}`);
      await assert.rejects(sdk().verify(token), TokenVerificationError, `sdk, ttl ${ttl}`);
    }
  });

  it('refuses a token issued in the future beyond the clock skew, on the server and in the SDK', async () => {
    // nbf is set to iat by the signer; a forged token could leave nbf out, so build one without it.
    const { SignJWT } = await import('jose');
    const key = keys.signingKey();
    const iat = Math.floor(now.getTime() / 1000) + 3600;
    const token = await new SignJWT({ sid: '0190d6a0-0000-7000-8000-000000000002' })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid })
      .setIssuer(ISSUER)
      .setSubject(SUB)
      .setAudience(AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 900)
      .setJti(crypto.randomUUID())
      .sign(key.privateKey);
    await assert.rejects(server(token), AccessTokenError);
    await assert.rejects(sdk().verify(token), TokenVerificationError);
  });
});
