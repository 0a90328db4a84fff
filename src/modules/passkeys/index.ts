export { createPasskeys, type Passkeys } from './passkeys-service.ts';
export { passkeyAmr, type PasskeyUse } from './passkey-authentication.ts';
export { registerPasskeyRoutes, ceremonyCookieName } from './passkeys-routes.ts';
export { relyingPartyFor, type RelyingParty } from './relying-party.ts';
export type { PasskeyRow } from './passkeys-store.ts';
export type { PasskeysTables } from './passkeys-tables.ts';
export { passkeysModule } from './module.ts';
export { PASSKEYS_SECTION, passkeysPersonalData } from './passkeys-personal-data.ts';
export { PASSKEYS_ERRORS } from './errors.ts';
