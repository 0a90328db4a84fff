import { type Static, Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import { Strict, Uuid } from '../../platform/http/schemas.ts';
import type { AuditSource } from '../audit/index.ts';
import { type SessionCookie } from './authenticate.ts';
import { requestSource } from '../../platform/http/request-context.ts';
import type { UserRow } from './identity-store.ts';
import type { MfaEnrolmentRequirement } from './mfa/mfa-requirements.ts';

/** Tokens for an API client (`response_type: "token"` at sign-in), bound to the session just created. */
export interface ApiClientTokens {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly refresh_token: string;
}
/** Opens the refresh family of a just-created session (src/modules/tokens, `issueForSession`). */
export type IssueApiClientTokens = (sessionId: string, options: { userId: string; organizationId: string | undefined; source: AuditSource }) => Promise<ApiClientTokens>;

/** What every way of signing in (password, second factor, passkey) accepts to answer an API client. */
export const TokenRequestFields = {
  response_type: Type.Optional(Type.Literal('token', { description: 'API clients: answer with an access token and a refresh token instead of setting a cookie' })),
  organization_id: Type.Optional(Uuid),
};
export interface TokenRequest {
  readonly response_type?: 'token';
  readonly organization_id?: string;
}

export const SignedInUser = Strict({ id: Uuid, email: Type.String(), display_name: Type.String(), is_platform_admin: Type.Boolean() });

const MfaEnrolmentRequired = Type.Array(Strict({ organization_id: Uuid, methods: Type.Array(Type.String()) }), {
  description:
    'Present when organizations you belong to require a second factor you have not set up: they refuse this session (mfa_required) until you enrol one of the listed methods (POST /api/v1/auth/mfa/totp or a passkey).',
});

/** The two answers of a completed sign-in: the session cookie's, and an API client's tokens. */
export const SignInAnswer = [
  Strict({ user: SignedInUser, mfa_enrolment_required: Type.Optional(MfaEnrolmentRequired) }),
  Strict({ access_token: Type.String(), token_type: Type.Literal('Bearer'), expires_in: Type.Integer(), refresh_token: Type.String(), mfa_enrolment_required: Type.Optional(MfaEnrolmentRequired) }),
] as const;

/** Refuses `organization_id` without `response_type: "token"` (it scopes tokens; a cookie session has none). */
export function wantsTokens(body: TokenRequest, issueTokens: IssueApiClientTokens | undefined): boolean {
  const wants = body.response_type === 'token' && issueTokens !== undefined;
  if (body.organization_id !== undefined && !wants) throw new AppError('invalid_request', { detail: 'organization_id needs response_type "token".' });
  return wants;
}

/**
 * Answers a completed sign-in the way the client asked: the session cookie and the user, or (API
 * clients) an access token and a refresh token for the new session. Either way, organizations
 * that require a second factor the user lacks are named, so the client can lead to enrolment.
 */
export async function answerSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: { cookie: SessionCookie; issueTokens: IssueApiClientTokens | undefined },
  signedIn: { token: string; sessionId: string; user: Pick<UserRow, 'id' | 'email' | 'display_name' | 'is_platform_admin'>; mfaEnrolment: readonly MfaEnrolmentRequirement[]; body: TokenRequest },
): Promise<Static<(typeof SignInAnswer)[number]>> {
  const enrolment =
    signedIn.mfaEnrolment.length === 0 ? {} : { mfa_enrolment_required: signedIn.mfaEnrolment.map((item) => ({ organization_id: item.organizationId, methods: [...item.methods] })) };
  if (wantsTokens(signedIn.body, deps.issueTokens) && deps.issueTokens !== undefined) {
    const tokens = await deps.issueTokens(signedIn.sessionId, { userId: signedIn.user.id, organizationId: signedIn.body.organization_id?.toLowerCase(), source: requestSource(request) });
    // RFC 6749 §5.1: responses carrying tokens MUST NOT be cached.
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    return { ...tokens, ...enrolment };
  }
  reply.setCookie(deps.cookie.name, signedIn.token, { path: '/', httpOnly: true, secure: deps.cookie.secure, sameSite: 'lax' });
  const user = signedIn.user;
  return { user: { id: user.id, email: user.email, display_name: user.display_name, is_platform_admin: user.is_platform_admin }, ...enrolment };
}
