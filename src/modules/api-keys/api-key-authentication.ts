import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Random } from '../../platform/crypto/random.ts';
import { AppError } from '../../platform/http/errors.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../sdk/signing.ts';
import type { AuditRecorder } from '../audit/index.ts';
import { type Authenticator } from '../identity/index.ts';
import { auditActor, requestSource } from '../../platform/http/request-context.ts';
import type { KeyUsage } from './key-usage.ts';
import type { KeyVerifier, VerifiedKey } from './key-verifier.ts';
import { SIGNATURE_FAILURE_DETAIL, verifyRequestSignature } from './request-signature.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key that authenticated this request, if one did. */
    apiKey: VerifiedKey | undefined;
  }
}

/** `Authorization: Bearer prk_…` (the scheme is case-insensitive, RFC 9110 §11.1). */
const BEARER_KEY = /^bearer +(prk_\S*) *$/i;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The API key authenticator (AUTH-7): claims only `Bearer prk_…` credentials and leaves every other
 * bearer token to the authenticators that know it. A `prk_` credential that does not verify is
 * `unauthenticated`, never a fall-back to anonymous.
 */
export function apiKeyAuthenticator(verifier: Pick<KeyVerifier, 'verify' | 'verifyWarm'>): Authenticator {
  return async (request) => {
    const authorization = request.headers.authorization;
    if (authorization === undefined || authorization.length < 11) return undefined;
    const match = BEARER_KEY.exec(authorization);
    if (match?.[1] === undefined) return undefined;
    const key = verifier.verifyWarm(match[1]) ?? (await verifier.verify(match[1]));
    request.apiKey = key;
    return key.principal;
  };
}

/**
 * What happens after the body is read and before authorization: a key that must sign has its
 * signature verified over the raw body (AUTH-8), and the key's use is noted for `last_used_at`.
 */
export function registerApiKeyRequests(
  app: FastifyInstance,
  deps: { transactor: AppTransactor; clock: Clock; random: Random; audit: AuditRecorder; usage: KeyUsage },
): void {
  app.decorateRequest('apiKey', undefined);
  app.addHook('preValidation', async (request) => {
    const key = request.apiKey;
    const signed = request.url.startsWith('/api/') && (request.headers[TIMESTAMP_HEADER] !== undefined || request.headers[SIGNATURE_HEADER] !== undefined);
    if (key === undefined || request.principal !== key.principal) {
      // A signature with no signing key to check it against is a credential that cannot be valid;
      // it fails the request rather than being ignored beside a cookie or a bearer token.
      if (signed) throw new AppError('invalid_signature');
      return;
    }
    const { tenantId, keyId } = key.principal;
    if (key.signingSecret === undefined && signed) throw new AppError('invalid_signature');
    if (key.signingSecret !== undefined) {
      const failure = await verifyRequestSignature(deps, {
        tenantId,
        keyId,
        secret: key.signingSecret,
        method: request.method,
        target: request.url,
        body: request.rawBody,
        timestamp: header(request, TIMESTAMP_HEADER),
        signature: header(request, SIGNATURE_HEADER),
      });
      if (failure !== undefined) {
        await deps.transactor.withTenant(tenantId, (tx) =>
          deps.audit.record(tx, tenantId, {
            action: 'api_key.signature_rejected',
            actor: auditActor(key.principal),
            outcome: 'denied',
            source: requestSource(request),
            targets: [
              { type: 'organization', id: tenantId },
              { type: 'api_key', id: keyId },
            ],
            metadata: { reason: failure, method: request.method },
          }),
        );
        // An unsigned or badly signed request is not authenticated at all.
        request.principal = undefined;
        request.apiKey = undefined;
        throw new AppError('invalid_signature', { detail: SIGNATURE_FAILURE_DETAIL[failure] });
      }
    }
    deps.usage.note(tenantId, keyId, deps.clock.now(), request.ip);
  });
}
