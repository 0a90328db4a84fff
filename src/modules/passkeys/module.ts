import { passkeysPersonalData } from './passkeys-personal-data.ts';
import { upgradePasskeyMacs } from './passkey-integrity.ts';
import { defineModule } from '../contract.ts';
import { PASSKEYS_AUDIT_ACTIONS } from './audit-actions.ts';
import { PASSKEYS_ERRORS } from './errors.ts';
import { passkeySecondFactor } from './passkey-second-factor.ts';
import { registerPasskeyRoutes } from './passkeys-routes.ts';
import { createPasskeys, type Passkeys } from './passkeys-service.ts';
import { relyingPartyFor } from './relying-party.ts';

declare module '../contract.ts' {
  interface ModuleApis {
    passkeys: Passkeys;
  }
}

export const passkeysModule = defineModule({
  name: 'passkeys',
  summary: 'WebAuthn passkeys and security keys: registration, passwordless sign-in, second factor (AUTH-3).',
  dependsOn: ['audit', 'identity'],
  tables: {
    passkeys: { scope: 'platform', reason: "WebAuthn credentials belong to platform-level users; the API reads only the signed-in user's own rows (AUTH-3)." },
    passkeys_mac_upgrade: { scope: 'platform', reason: 'Passkeys that predate row MACs (migration 0083), copied by the owner and MAC\'d once at start in the jobs context.' },
    webauthn_challenges: { scope: 'platform', reason: 'Pending WebAuthn ceremonies of platform-level users, for minutes (AUTH-3).' },
  },
  migrations: new URL('./migrations/', import.meta.url),
  errors: PASSKEYS_ERRORS,
  auditActions: PASSKEYS_AUDIT_ACTIONS,
  personalData: (ctx) => [passkeysPersonalData(ctx)],
  create: async (ctx, { audit, identity }) => {
    await upgradePasskeyMacs(ctx.transactor, identity.integrity);
    const passkeys = createPasskeys({
      transactor: ctx.transactor,
      clock: ctx.clock,
      random: ctx.random,
      audit: audit.recorder,
      sessions: identity.sessions,
      // Credential ids are base64url: counted exactly, never case-folded.
      throttle: identity.newThrottle({ namespace: 'passkey', identifiers: 'exact' }),
      localSignIn: identity.checkLocalSignIn,
      relyingParty: relyingPartyFor(ctx.config.publicUrl),
      integrity: identity.integrity,
    });
    identity.mfa.registry.register(passkeySecondFactor(passkeys, identity.integrity));
    return {
      api: passkeys,
      routes: (http) => {
        registerPasskeyRoutes(http, { passkeys, sessions: identity.sessions, cookie: identity.cookie, upgrade: identity.firstFactorUpgrade, issueTokens: identity.issueApiClientTokens });
      },
    };
  },
});
