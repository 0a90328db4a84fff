import type { AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { PLATFORM_TENANT_ID, type AuditContext, type AuditSource } from '../audit/index.ts';
import type { UserRow } from '../identity/index.ts';
import { passwordlessOptions, secondFactorOptions, verifyPasswordless, verifySecondFactor, type PasskeyUse } from './passkey-authentication.ts';
import type { PasskeyDeps } from './passkey-deps.ts';
import { registrationOptions, verifyRegistration, type Registrant } from './passkey-registration.ts';
import { countUserPasskeys, deleteUserPasskey, listUserPasskeys, renameUserPasskey, type PasskeyRow } from './passkeys-store.ts';

/** Passkeys and security keys (AUTH-3): registration, management, passwordless and second-factor use. */
export interface Passkeys {
  /** Creation options for the signed-in user; the challenge is bound to their session. */
  registrationOptions(who: Registrant): Promise<PublicKeyCredentialCreationOptionsJSON>;
  /** Verifies the attestation and stores the credential as `name`; `passkey_registration_failed` otherwise. */
  verifyRegistration(who: { userId: string; sessionId: string }, input: { name: string; response: RegistrationResponseJSON }, ctx: AuditContext): Promise<PasskeyRow>;
  /** The user's own passkeys. */
  list(userId: string): Promise<PasskeyRow[]>;
  /** How many passkeys the user has (for "is this their last factor?" checks). */
  count(userId: string): Promise<number>;
  /** Renames one of the user's passkeys; undefined when it is not theirs. */
  rename(userId: string, passkeyId: string, name: string, ctx: AuditContext): Promise<PasskeyRow | undefined>;
  /** Removes one of the user's passkeys; false when it is not theirs. It stops working at once. */
  remove(userId: string, passkeyId: string, ctx: AuditContext): Promise<boolean>;
  /** Passwordless sign-in options and the ceremony secret their challenge is bound to. */
  passwordlessOptions(): Promise<{ options: PublicKeyCredentialRequestOptionsJSON; ceremony: string }>;
  /** Passwordless sign-in: a new session, or `passkey_refused` / `too_many_attempts`. */
  verifyPasswordless(input: { ceremony: string | undefined; response: AuthenticationResponseJSON; source: AuditSource }): Promise<{ token: string; sessionId: string; user: UserRow; amr: readonly string[] }>;
  /** Second-factor options for `userId`, bound to the pending MFA state `binding`. */
  secondFactorOptions(input: { userId: string; binding: string }): Promise<PublicKeyCredentialRequestOptionsJSON>;
  /** Verifies a passkey as `userId`'s second factor for the pending MFA state `binding`. */
  verifySecondFactor(input: { userId: string; binding: string; response: AuthenticationResponseJSON; source: AuditSource }): Promise<PasskeyUse>;
}

export function createPasskeys(deps: PasskeyDeps): Passkeys {
  const { transactor } = deps;
  return {
    registrationOptions: (who) => registrationOptions(deps, who),
    verifyRegistration: (who, input, ctx) => verifyRegistration(deps, who, input, ctx),
    list: (userId) => transactor.withPlatform((tx) => listUserPasskeys(tx, deps.integrity, userId)),
    count: (userId) => transactor.withPlatform((tx) => countUserPasskeys(tx, userId)),
    rename: (userId, passkeyId, name, ctx) =>
      transactor.withTenant(
        PLATFORM_TENANT_ID,
        async (tx) => {
          const row = await renameUserPasskey(tx, userId, passkeyId, name);
          if (row !== undefined) {
            await deps.audit.record(tx, PLATFORM_TENANT_ID, { action: 'passkey.renamed', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'passkey', id: row.id, name: row.name }] });
          }
          return row;
        },
        userId,
      ),
    remove: (userId, passkeyId, ctx) =>
      transactor.withTenant(
        PLATFORM_TENANT_ID,
        async (tx) => {
          const row = await deleteUserPasskey(tx, userId, passkeyId);
          if (row === undefined) return false;
          await deps.audit.recordForUser(tx, userId, [{ action: 'passkey.removed', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'passkey', id: row.id, name: row.name }] }]);
          return true;
        },
        userId,
      ),
    passwordlessOptions: () => passwordlessOptions(deps),
    verifyPasswordless: (input) => verifyPasswordless(deps, input),
    secondFactorOptions: (input) => secondFactorOptions(deps, input),
    verifySecondFactor: (input) => verifySecondFactor(deps, input),
  };
}
