import type { IncomingMessage, ServerResponse } from 'node:http';
import { createTokenVerifier, TokenVerificationError, type TokenVerifier, type TokenVerifierOptions, type VerifiedToken } from './token-verifier.ts';

/**
 * Express (and Connect, or plain `node:http`) middleware: the same check as the Fastify plugin
 * `parapetAuth`, with the `(req, res, next)` signature Express calls. It imports nothing from
 * Express, so the SDK does not depend on it; `req` is Node's `IncomingMessage`, which Express's
 * `Request` extends.
 */

export type ParapetExpressOptions = ({ readonly verifier: TokenVerifier } | TokenVerifierOptions) & {
  /** Refuse requests without a token (default true). An invalid token is refused either way. */
  readonly required?: boolean;
};

/** The request after the middleware: `user` is the verified token, or null when none was sent and none is required. */
export type ParapetRequest<R extends IncomingMessage = IncomingMessage> = R & { user: VerifiedToken | null };

function refuse(res: ServerResponse, detail: string): void {
  // RFC 6750 §3 and RFC 9457, as the Fastify plugin answers.
  const body = JSON.stringify({ type: 'about:blank', title: 'Authentication is required', status: 401, code: 'unauthenticated', detail });
  res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"', 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * `app.use(parapetExpress({ issuer, audience, jwksUrl }))`: verifies `Authorization: Bearer …`,
 * sets `req.user` and calls `next()`; answers 401 problem+json otherwise (and does not call
 * `next`). An error that is not about the token (e.g. the JWKS cannot be fetched) goes to
 * `next(error)`, Express's error path.
 */
export function parapetExpress(options: ParapetExpressOptions): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void {
  const verifier = 'verifier' in options ? options.verifier : createTokenVerifier(options);
  const required = options.required ?? true;
  return (req, res, next) => {
    const request = req as ParapetRequest;
    const header = req.headers.authorization;
    request.user = null;
    if (header === undefined && !required) {
      next();
      return;
    }
    verifier.verifyAuthorization(header).then(
      (verified) => {
        request.user = verified;
        next();
      },
      (error: unknown) => {
        if (error instanceof TokenVerificationError) refuse(res, header === undefined ? 'Send Authorization: Bearer <access token>.' : 'The access token is not valid.');
        else next(error);
      },
    );
  };
}
