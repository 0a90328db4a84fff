// An integrating app that accepts Parapet access tokens (docs/sdk.md; run by src/sdk/token-verifier.test.ts).
import Fastify from 'fastify';
import { createTokenVerifier, parapetAuth } from '@parapet/sdk';

export async function buildApp(parapetUrl: string) {
  // One verifier per process: it caches Parapet's keys and every verified token until it expires.
  const verifier = createTokenVerifier({
    issuer: parapetUrl,
    audience: `${parapetUrl}/api`,
    jwksUrl: `${parapetUrl}/.well-known/jwks.json`,
  });

  const app = Fastify();
  // Every route of this instance now needs `Authorization: Bearer <access token>`; others get a 401.
  await app.register(parapetAuth, { verifier });
  app.get('/whoami', async (request) => ({
    user_id: request.user?.subject,
    session_id: request.user?.sessionId,
    second_factor: request.user?.authMethods.some((method) => method !== 'pwd') ?? false,
  }));
  return { app, verifier };
}

// The same check as a plain function, e.g. for a WebSocket upgrade or a queue consumer.
export async function userIdOf(verifier: ReturnType<typeof createTokenVerifier>, authorization: string | undefined): Promise<string> {
  const token = await verifier.verifyAuthorization(authorization); // throws TokenVerificationError
  return token.subject;
}
