import { sql } from 'kysely';
import type { Tx } from '../../../database.ts';

/** An organization whose security policy requires a second factor the user does not have yet. */
export interface MfaEnrolmentRequirement {
  readonly organizationId: string;
  /** The second-factor methods that organization accepts (`totp`, `webauthn`): enrol one of them. */
  readonly methods: readonly string[];
}

/**
 * Forced enrolment (issue 3, part 7): the user's organizations that require MFA and accept none of
 * the methods the user has enrolled. Empty for nearly everyone; non-empty means the sign-in opens a
 * session that those organizations refuse (`mfa_required`) until a second factor is set up, and the
 * answer tells the client so. One call of a definer function (migrations 0021, 0055): `tx` must carry
 * the user's verified actor (`withTenant(…, userId)` or `withActor(userId)`); the function refuses otherwise.
 */
export async function mfaEnrolmentRequired(tx: Tx, enrolled: readonly string[]): Promise<MfaEnrolmentRequirement[]> {
  const { rows } = await sql<{ organization_id: string; allowed_mfa_methods: string[] }>`select organization_id, allowed_mfa_methods from parapet_user_mfa_requirements()`.execute(tx);
  return rows.filter((row) => !row.allowed_mfa_methods.some((method) => enrolled.includes(method))).map((row) => ({ organizationId: row.organization_id, methods: row.allowed_mfa_methods }));
}
